#!/bin/bash
# cli_dbc.sh - "canrig dbc" from the command line (issue 19), no bus: a
# file that is not a DBC is an error while a DBC with a bad line loads;
# decode --json keeps each frame's bytes, length and FD flags, also for ids
# the DBC does not know; dump and encode speak JSON, check refuses it;
# dump finds a message by hex id as encode does.  Prints one PASS/FAIL line
# per check and "cli_dbc: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
D=$PWD/tests/data
DBC=$D/demo.dbc

# xrc WANT OUT CMD...: runs canrig CMD with stdout in OUT, stderr in
# OUT.err, and fails unless its status is WANT
xrc() {
	local want=$1 out=$2 rc=0
	shift 2
	"$CANRIG" "$@" >"$out" 2>"$out.err" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "canrig $*: status $rc, want $want"
		cat "$out.err"
		return 1
	fi
}

# ---- "anything is a DBC": it is not

not_a_dbc() {
	local f sub
	: >empty.dbc
	printf '\n  \n' >blank.dbc
	for f in empty.dbc blank.dbc /bin/ls "$D/demo.log" "$D/sample.asc"; do
		for sub in dump decode check; do
			xrc 1 out dbc "$sub" "$f" </dev/null
			[ "$(cat out.err)" = "canrig dbc: $f: not a DBC file" ] ||
				{ echo "$sub $f:"; cat out.err; return 1; }
			[ ! -s out ]
		done
		xrc 1 out dbc encode "$f" EngineData
		[ "$(cat out.err)" = "canrig dbc: $f: not a DBC file" ]
	done
}

dbc_with_bad_line_loads() {
	# the demo still loads, and with a bad line it loads with a warning
	xrc 0 out dbc decode -s "$DBC" "$D/demo.log"
	[ ! -s out.err ]
	grep -q 'EngineData(Counter: 12,' out
	# Throttle's SG_ line loses its length
	sed '16s/.*/ SG_ Throttle : 8|@1+ (0.4,0) [0|100] "%" BCM/' "$DBC" >bad.dbc
	xrc 0 out dbc decode -s bad.dbc "$D/demo.log"
	[ "$(cat out.err)" = 'canrig dbc: warning: bad.dbc:16:19: SG_: expected a number' ]
	grep -q 'EngineData(Counter: 12, CoolantTemp: 24 degC' out
	# a missing DBC is a runtime error too
	xrc 1 out dbc dump nosuch.dbc
	grep -q '^canrig dbc: nosuch.dbc: No such file or directory$' out.err
}

# ---- decode --json keeps the frame: bytes, length, FD flags

# golden output, read by hand against tests/data/dbc-json.log: a known id,
# unknown ids (classic, empty, FD with ESI), FD with BRS, ESI, both, none
# and zero bytes, extended, truncated, remote and error frames
json_golden() {
	xrc 0 out dbc decode --json "$DBC" "$D/dbc-json.log"
	diff "$D/dbc-json.out" out
	xrc 0 out dbc decode --json --raw "$DBC" "$D/dbc-json.log"
	diff "$D/dbc-json-raw.out" out
	grep -qF '"id":1365,"ext":false,"len":3,"data":"010203","msg":null,' out
	grep -qF '"len":16,"data":"0CE40000000000000000000000001068","fd":true,"brs":true,"esi":false,"msg":"BatteryCells"' out
}

# every object against its log line, parsed here independently
json_frame_fields() {
	local f
	for f in "$D/dbc-json.log" "$D/demo.log" "$D/screen/L.log"; do
		xrc 0 out dbc decode --json "$DBC" "$f"
		$PY - "$f" out <<'PYEOF'
import json, re, sys
logs = [l.split() for l in open(sys.argv[1]) if l.strip()]
objs = [json.loads(l) for l in open(sys.argv[2])]
assert len(logs) == len(objs), (len(logs), len(objs))
for (ts, bus, fr), o in zip(logs, objs):
    ident, sep, rest = re.match(r'([0-9A-F]+)(##|#)(.*)$', fr).groups()
    want = {"bus": bus}
    i = int(ident, 16)
    if len(ident) == 8 and i & 0x20000000:
        want.update(id=i & 0x1FFFFFFF, ext=False, err=True)
    else:
        want.update(id=i & 0x1FFFFFFF, ext=len(ident) == 8)
    if sep == "##":
        fl = int(rest[0], 16)
        rest = rest[1:]
        want.update(fd=True, brs=bool(fl & 1), esi=bool(fl & 2))
    if rest.startswith("R"):
        want.update(rtr=True, data="", len=int(rest[1:] or "0"))
    else:
        want.update(data=rest, len=len(rest) // 2)
    for k in ("fd", "brs", "esi", "rtr", "err"):
        if k not in want:
            assert k not in o, (fr, k, o)
    got = {k: o.get(k) for k in want}
    assert got == want, (fr, got, want)
    assert "msg" in o and "sig" in o and "label" in o and "truncated" in o, o
print(len(objs), "objects")
PYEOF
	done
}

# ---- dump and encode speak JSON; check refuses it, and decode's options
# are refused where they would be ignored

dump_json() {
	xrc 0 out dbc dump --json "$DBC"
	$PY - out <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "canrig demo" and d["baudrate"] is None, d
assert [n["name"] for n in d["nodes"]] == ["PCM", "BCM", "BMS"]
ms = {m["name"]: m for m in d["messages"]}
assert list(ms) == ["EngineData", "DoorStatus", "BatteryCells", "CCVS"]
e = ms["EngineData"]
assert (e["frame_id"], e["is_extended_frame"], e["length"], e["is_fd"],
        e["cycle_time"], e["senders"], e["comment"]) == \
       (192, False, 4, False, 50, ["PCM"], "Engine status, 20 Hz."), e
t = e["signals"][1]
assert (t["name"], t["start"], t["length"], t["byte_order"], t["is_signed"],
        t["scale"], t["offset"], t["minimum"], t["maximum"], t["unit"],
        t["receivers"]) == \
       ("Throttle", 8, 8, "little_endian", False, 0.4, 0, 0, 100, "%", ["BCM"]), t
st = e["signals"][3]["choices"]
assert st == [{"value": 0, "label": "Off"}, {"value": 1, "label": "Cranking"},
              {"value": 2, "label": "Running"}, {"value": 15, "label": "Fault"}], st
b = ms["BatteryCells"]
assert b["is_fd"] and b["length"] == 16 and b["signals"][0]["byte_order"] == "big_endian"
assert b["signals"][0]["comment"] == "Cell voltage, big endian."
c = ms["CCVS"]
assert c["frame_id"] == 0x18FEF100 and c["is_extended_frame"], c
PYEOF
	# one message, by name or id: the same object
	xrc 0 one dbc dump --json "$DBC" EngineData
	xrc 0 two dbc dump --json "$DBC" 0xC0
	diff one two
	$PY -c 'import json, sys; m = json.load(open("one")); assert m["name"] == "EngineData" and len(m["signals"]) == 4, m'
	# the test DBC's multiplexing and negative choices
	xrc 0 out dbc dump --json "$D/test.dbc"
	$PY -c 'import json, sys
d = json.load(open("out"))
sigs = [s for m in d["messages"] for s in m["signals"]]
assert any(s["is_multiplexer"] for s in sigs)
assert any(s["multiplexer_signal"] and s["multiplexer_ranges"] for s in sigs)
assert any(c["value"] < 0 for s in sigs for c in s["choices"])'
}

encode_json() {
	xrc 0 out dbc encode --json "$DBC" EngineData Counter=12 Throttle=51.2 \
		CoolantTemp=24 EngineState=Running
	[ "$(cat out)" = '{"msg":"EngineData","id":192,"ext":false,"len":4,"data":"0C804002","frame":"0C0#0C804002"}' ]
	xrc 0 out dbc encode --json "$DBC" BatteryCells Cell1=3.3 Cell8=4.2
	[ "$(cat out)" = '{"msg":"BatteryCells","id":416,"ext":false,"len":16,"data":"0CE40000000000000000000000001068","fd":true,"brs":false,"esi":false,"frame":"1A0##00CE40000000000000000000000001068"}' ]
	xrc 0 out dbc encode --json "$DBC" CCVS ParkingBrake=Set WheelSpeed=88.5
	[ "$(cat out)" = '{"msg":"CCVS","id":419361024,"ext":true,"len":8,"data":"0480580000000000","frame":"18FEF100#0480580000000000"}' ]
	# and without --json, cansend syntax as before
	xrc 0 out dbc encode "$DBC" CCVS ParkingBrake=Set WheelSpeed=88.5
	[ "$(cat out)" = '18FEF100#0480580000000000' ]
}

refused_options() {
	xrc 2 out dbc check --json "$DBC"
	[ "$(cat out.err)" = 'canrig dbc: check does not take --json (dump, decode and encode do)' ]
	[ ! -s out ]
	xrc 2 out dbc dump -s "$DBC"
	[ "$(cat out.err)" = 'canrig dbc: dump does not take -s (decode does)' ]
	xrc 2 out dbc encode --raw "$DBC" EngineData
	[ "$(cat out.err)" = 'canrig dbc: encode does not take --raw (decode does)' ]
	xrc 2 out dbc dump --json --line-buffered "$DBC"
	xrc 2 out dbc check --from asc "$DBC"
	[ ! -s out ]
}

# ---- a message by id, in dump as in encode

dump_by_id() {
	xrc 0 want dbc dump "$DBC" EngineData
	grep -q '^  Name:       EngineData$' want
	for id in 0xC0 C0 c0 0C0 0x0c0; do
		xrc 0 got dbc dump "$DBC" "$id"
		diff want got
	done
	xrc 0 want dbc dump "$DBC" CCVS
	for id in 18FEF100 0x18fef100; do
		xrc 0 got dbc dump "$DBC" "$id"
		diff want got
	done
	# encode takes the same ids
	xrc 0 got dbc encode "$DBC" 0xC0 Counter=1
	[ "$(cat got)" = '0C0#01000000' ]
	for id in 0x7FF 0xC0x -1 0x 1FFFFFFFF 400; do
		xrc 2 got dbc dump "$DBC" "$id"
		[ "$(cat got.err)" = "canrig dbc: no message '$id' in $DBC" ]
	done
	# BO_'s decimal id is hex here (0x192): the error names the hex id
	xrc 2 got dbc dump "$DBC" 192
	[ "$(cat got.err)" = "canrig dbc: no message '192' in $DBC; ids are hex: EngineData is 0xC0" ]
	xrc 2 got dbc encode "$DBC" 2566844672
	[ "$(cat got.err)" = "canrig dbc: no message '2566844672' in $DBC" ]
	xrc 2 got dbc encode "$DBC" 419361024
	[ "$(cat got.err)" = "canrig dbc: no message '419361024' in $DBC; ids are hex: CCVS is 0x18FEF100" ]
}

check not_a_dbc not_a_dbc
check json_golden json_golden
check json_frame_fields json_frame_fields
check dump_json dump_json
check encode_json encode_json
check refused_options refused_options
check dump_by_id dump_by_id
check dbc_with_bad_line_loads dbc_with_bad_line_loads
summary
