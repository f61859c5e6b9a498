#!/bin/bash
# cli_monitor.sh - "canrig monitor" without a bus (issue 23): --replay of
# the logs in tests/data with --once --json, its counts, signals and bus
# load checked against the logs worked out independently (awk, python);
# the replay clock holding at the log's end; bad input (no DBC, a bad DBC,
# a DBC without the log's ids, bad options, a bad log line, no terminal).
# Prints one PASS/FAIL line per check and "cli_monitor: N passed, N
# failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
D=$PWD/tests/data
DBC=$D/demo.dbc

# per (bus id ext) counts of a candump log, error frames apart, as
# "bus id ext count" lines sorted; LIMIT (seconds after the first frame)
# optional
log_counts() {
	awk -v lim="${2:-}" '
		/^\(/ {
			t = substr($1, 2, length($1) - 2) + 0
			if (first == "") first = t
			if (lim != "" && t > first + lim + 1e-7) next
			split($3, a, "#"); id = a[1]
			ext = length(id) == 8
			v = 0
			for (i = 1; i <= length(id); i++)
				v = v * 16 + index("0123456789ABCDEF", toupper(substr(id, i, 1))) - 1
			if (ext && v >= 536870912) next  # 0x20000000: an error frame
			n[$2 " " v " " (ext ? "true" : "false")]++
		}
		END { for (k in n) print k, n[k] }' "$1" | sort
}

# the same out of the monitor's JSON on stdin
json_counts() {
	"$PY" -c '
import json, sys
d = json.load(sys.stdin)
for m in d["messages"]:
    print(m["bus"], m["id"], "true" if m["ext"] else "false", m["count"])
' | sort
}

once_json_counts() {
	local f
	for f in demo.log mixed-fd.log mixed-fd-ns.log sample.log sample-channels.log; do
		run 0 out err "$CANRIG" monitor --replay "$D/$f" --speed 0 --once 100000 --json
		[ ! -s err ]
		json_counts <out >got
		log_counts "$D/$f" >want
		[ -s want ]
		diff want got || { echo "$f differs"; return 1; }
	done
}

# the error frames and the per-interface frame totals of mixed-fd.log
interfaces_totals() {
	run 0 out err "$CANRIG" monitor --replay "$D/mixed-fd.log" --speed 0 --once 1000 --json
	awk '/^\(/ { split($3, a, "#"); id = a[1]
		if (length(id) == 8 && index("23456789ABCDEFabcdef", substr(id, 1, 1))) e[$2]++
		else f[$2]++; b[$2] = 1 }
		END { for (k in b) print k, f[k] + 0, e[k] + 0 }' "$D/mixed-fd.log" | sort >want
	"$PY" -c '
import json, sys
d = json.load(sys.stdin)
for k, v in d["interfaces"].items():
    print(k, v["frames"], v["errors"])
    assert v["drops"] == 0 and v["load"] is None
' <out | sort >got
	diff want got
	grep -q ' [1-9]$' want # the log has error frames to count
}

# --once S of a log: the frames of its first S seconds, its own time
once_is_log_time() {
	run 0 out err "$CANRIG" monitor --replay "$D/demo.log" --speed 0 --once 1 --json
	json_counts <out >got
	log_counts "$D/demo.log" 1 >want
	diff want got
	# fewer than the whole log, or the check proves nothing
	[ "$(awk '{ s += $4 } END { print s }' want)" -lt "$(grep -c '^(' "$D/demo.log")" ]
}

# a finished replay holds at its last timestamp: each row's age is the
# log's end minus the row's last frame, whatever the wall clock did
replay_clock_holds() {
	run 0 out err "$CANRIG" monitor --replay "$D/demo.log" --speed 0 --once 1000
	awk '/^\(/ { t = substr($1, 2, length($1) - 2); split($3, a, "#")
		last[$2 " " a[1]] = t; end = t }
		END { for (k in last) printf "%s %.2f\n", k, end - last[k] }' "$D/demo.log" |
		sort >want
	awk 'NR > 3 && $1 !~ /^ / && NF >= 8 { print $1, $2, $7 }' out | sort >got
	diff want got
	# at recorded speed (a 2.5 s log, ten times faster) the same table
	run 0 out2 err "$CANRIG" monitor --replay "$D/demo.log" --speed 10 --once 1000
	diff out out2
}

# with the DBC: names, and the last frame's signals as the decoder says
dbc_signals() {
	run 0 out err "$CANRIG" monitor -d "$DBC" --replay "$D/demo.log" --speed 0 --once 1000 \
		--json
	[ ! -s err ]
	# EngineData's last frame, decoded by hand: Throttle = byte 1 * 0.4,
	# CoolantTemp = byte 2 - 40, EngineState a choice
	last=$(awk '$3 ~ /^0C0#/ { d = substr($3, 5) } END { print d }' "$D/demo.log")
	cat >check.py <<'EOF'
import json, sys
d = json.load(sys.stdin)
b = bytes.fromhex(sys.argv[1])
m = {x["name"]: x for x in d["messages"]}
e = m["EngineData"]
assert e["data"] == sys.argv[1].upper(), e
assert abs(e["sig"]["Throttle"] - b[1] * 0.4) < 1e-9, e
assert e["sig"]["CoolantTemp"] == b[2] - 40, e
assert e["sig"]["Counter"] == b[0], e
labels = {0: "Off", 1: "Cranking", 2: "Running", 15: "Fault"}
st = b[3] & 15
assert e["sig"]["EngineState"] == st, e
if st in labels:
    assert e["labels"]["EngineState"] == labels[st], e
# unknown ids: name null, no signals
for x in d["messages"]:
    if x["id"] in (0x7DF, 0x7E8):
        assert x["name"] is None and x["sig"] == {}, x
assert "CCVS" in m and "BatteryCells" in m and "DoorStatus" in m
EOF
	"$PY" check.py "$last" <out
	# without a DBC: name null and no "sig" at all
	run 0 out err "$CANRIG" monitor --replay "$D/demo.log" --speed 0 --once 1000 --json
	"$PY" -c '
import json, sys
for x in json.load(sys.stdin)["messages"]:
    assert x["name"] is None and "sig" not in x and "labels" not in x, x
' <out
}

# a DBC that knows none of the log's ids: rows without names, no error
dbc_without_ids() {
	printf 'VERSION ""\nBU_: N\nBO_ 1365 Other: 8 N\n SG_ X : 0|8@1+ (1,0) [0|255] "" N\n' \
		>other.dbc
	run 0 out err "$CANRIG" monitor -d other.dbc --replay "$D/demo.log" --speed 0 --once 100
	[ ! -s err ]
	awk 'NR > 3 { print $3 }' out | sort -u >names
	is names "-"
}

# the load as canbusload's worst case counts it, worked out here from the
# frame layouts, over one window (all frames within a second)
load_arithmetic() {
	"$PY" - <<'EOF' >fd.log
import random
random.seed(7)
t = 1700000000.0
for i in range(200):
    t += 0.002
    k = i % 5
    n = random.choice([0, 1, 8, 12, 16, 32, 48, 64])
    d = "".join("%02X" % random.randrange(256) for _ in range(n))
    if k == 0:
        print("(%.6f) can0 123#%s" % (t, d[:16]))
    elif k == 1:
        print("(%.6f) can0 1ABCDEF0#%s" % (t, d[:16]))
    elif k == 2:
        print("(%.6f) can0 234##0%s" % (t, d))          # FD, no BRS
    elif k == 3:
        print("(%.6f) can0 00000345##1%s" % (t, d))     # FD EFF, BRS
    else:
        print("(%.6f) can0 456#R" % t)                  # remote
EOF
	"$PY" - fd.log <<'EOF' >want
import sys
nom = dat = 0
ts = []
for l in open(sys.argv[1]):
    t, _, fr = l.split()
    ts.append(float(t[1:-1]))
    i, _, rest = fr.partition("#")
    eff = len(i) == 8
    if rest.startswith("#"):
        flags, data = int(rest[1], 16), rest[2:]
        n = len(data) // 2
        crc = 21 if n >= 16 else 17
        total = (1 + (29 if eff else 11) + crc + 5 + 12 + 8 * n) * 5 // 4
        d = (1 + 1 + 4 + crc + 8 * n) * 5 // 4 if flags & 1 else 0
        nom += total - d
        dat += d
    else:
        n = 0 if rest.startswith("R") else len(rest) // 2
        nom += (80 if eff else 55) + 10 * n
secs = ts[-1] - ts[0]
print("%.4f" % ((nom / 500000 + dat / 2000000) / secs))
EOF
	run 0 out err "$CANRIG" monitor --bitrate 500k:2M --replay fd.log --speed 0 --once 100 --json
	"$PY" -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["interfaces"]["can0"]["load"])' \
		<out >got
	diff want got
	# one rate: the data phase at it too
	run 0 out err "$CANRIG" monitor --bitrate 500000 --replay fd.log --speed 0 --once 100 --json
	"$PY" -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["interfaces"]["can0"]["load"])' \
		<out >got1
	! diff -q got got1 >/dev/null
}

bad_dbc() {
	run 1 out err "$CANRIG" monitor -d nosuch.dbc --replay "$D/demo.log" --once 1
	is err "canrig monitor: nosuch.dbc: No such file or directory"
	[ ! -s out ]
	sed '16s/.*/ SG_ Throttle : 8|@1+ (0.4,0) [0|100] "%" BCM/' "$DBC" >bad.dbc
	run 1 out err "$CANRIG" monitor -d bad.dbc --replay "$D/demo.log" --once 1
	is err "canrig monitor: bad.dbc:16:19: SG_: expected a number"
	run 1 out err "$CANRIG" monitor -d "$D/demo.log" --replay "$D/demo.log" --once 1
	is err "canrig monitor: $D/demo.log: not a DBC file"
}

bad_options() {
	local a
	for a in "--bitrate 0" "--bitrate 5x0" "--bitrate 500k:" "--bitrate 200M" "--once 0" \
		"--once -1" "--once x" "--speed -1" "--speed x" "--frob" "-r 0"; do
		# shellcheck disable=SC2086
		run 2 out err "$CANRIG" monitor $a --replay "$D/demo.log" --once 1 ||
			{ echo "$a"; return 1; }
		[ "$(wc -l <err)" -le 2 ]
		grep -q '^canrig monitor: ' err
	done
	run 2 out err "$CANRIG" monitor --json vcan0
	grep -q -- '--json is the --once' err
	run 2 out err "$CANRIG" monitor --speed 2 --once 1 vcan0
	grep -q -- '--speed needs --replay' err
	run 2 out err "$CANRIG" monitor --replay "$D/demo.log" --once 1 vcan0
	run 2 out err "$CANRIG" monitor --once 1
	grep -q 'no interface given' err
	run 2 out err "$CANRIG" monitor 'vcan0,12x:7FF' --once 1
	grep -q "^canrig monitor: vcan0: filter '12x:7FF'" err
	# the screen on a file: say to use --once
	run 2 out err "$CANRIG" monitor --replay "$D/demo.log"
	grep -q -- 'use --once' err
}

bad_log() {
	run 1 out err "$CANRIG" monitor --replay nosuch.log --once 1
	is err "canrig monitor: nosuch.log: No such file or directory"
	{ head -3 "$D/demo.log"; echo '(1700000000.300000) vcan0 0C0#0Z'; } >bad.log
	run 1 out err "$CANRIG" monitor --replay bad.log --speed 0 --once 10
	grep -q '^canrig monitor: bad.log:4:[0-9]*: ' err
	[ "$(wc -l <err)" -eq 1 ]
}

check once_json_counts once_json_counts
check interfaces_totals interfaces_totals
check once_is_log_time once_is_log_time
check replay_clock_holds replay_clock_holds
check dbc_signals dbc_signals
check dbc_without_ids dbc_without_ids
check load_arithmetic load_arithmetic
check bad_dbc bad_dbc
check bad_options bad_options
check bad_log bad_log
summary
