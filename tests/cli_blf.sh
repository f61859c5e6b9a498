#!/bin/bash
# cli_blf.sh - Vector BLF (issue 22), without a bus: candump -> BLF -> candump
# byte for byte for the mixed logs in tests/data (files and pipes), canrig's
# BLF read frame for frame by two readers nobody on the project wrote
# (python3-can's BLFReader, tshark), a BLF from python3-can's BLFWriter read
# by canrig, the other tools (dbc decode) on BLF, --channels, and truncated
# or corrupt files.  Prints one PASS/FAIL line per check and
# "cli_blf: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
D=$PWD/tests/data
LOGS="mixed-fd.log sample.log demo.log screen/Lx.log"
export TZ=UTC

# the frames of a candump log, one per line, as the python checks print
# them: "us channel id ext rtr fd brs esi err len data"; the channel is the
# interface's index in first-appearance order (BLF channel - 1)
frames_of_log() {
	"$PY" - "$1" <<'EOF'
import sys
chans = {}
for line in open(sys.argv[1]):
    f = line.split()
    if not f:
        continue
    ts, ifc, fr = f[0], f[1], f[2]
    sec, frac = ts.strip("()").split(".")
    ns = int(sec) * 10**9 + int(frac.ljust(9, "0"))
    ch = chans.setdefault(ifc, len(chans))
    cid, rest = fr.split("#", 1)
    idv = int(cid, 16)
    ext = len(cid) == 8
    err = ext and bool(idv & 0x20000000)
    rtr = fd = brs = esi = False
    if err:
        idv &= 0x1FFFFFFF
        ext = False
    if rest.startswith("#"):
        fd = True
        fl = int(rest[1], 16)
        brs, esi = bool(fl & 1), bool(fl & 2)
        data = rest[2:]
        n = len(data) // 2
    elif rest.startswith("R"):
        rtr = True
        n = int(rest[1:] or "0")
        data = ""
    else:
        data = rest
        n = len(data) // 2
    print(round(ns / 1000), ch, idv, int(ext), int(rtr), int(fd), int(brs), int(esi),
          int(err), n, data.lower() or "-")
EOF
}

# the same from python3-can's BLFReader
frames_of_blf_py() {
	"$PY" - "$1" <<'EOF'
import sys, can
for m in can.BLFReader(sys.argv[1]):
    err = m.is_error_frame
    print(round(m.timestamp * 1e6), m.channel, m.arbitration_id,
          int(m.is_extended_id and not err), int(m.is_remote_frame), int(m.is_fd),
          int(m.bitrate_switch), int(m.error_state_indicator), int(err), m.dlc,
          "-" if m.is_remote_frame or not m.data else m.data.hex())
EOF
}

lossless_roundtrip() {
	local l
	for l in $LOGS; do
		"$CANRIG" log convert --to blf "$D/$l" -o x.blf
		head -c 4 x.blf | grep -q LOGG
		"$CANRIG" log convert --to candump x.blf -o back.log
		cmp "$D/$l" back.log
		# through pipes both ways, and named with --from
		"$CANRIG" log convert --to blf <"$D/$l" | "$CANRIG" log convert --to candump >p.log
		cmp "$D/$l" p.log
		"$CANRIG" log convert --from blf --to candump - <x.blf >f.log
		cmp "$D/$l" f.log
	done
	# 6 and 9 digits stay as given: --ns on the way in is kept on the way out
	"$CANRIG" log convert --to blf --ns "$D/sample.log" -o ns.blf
	"$CANRIG" log convert --to candump ns.blf -o ns.log
	"$CANRIG" log convert --to candump --ns "$D/sample.log" -o want.log
	cmp want.log ns.log
}

python_reads_canrig() {
	local l
	for l in mixed-fd.log sample.log; do
		"$CANRIG" log convert --to blf "$D/$l" -o x.blf
		frames_of_log "$D/$l" >want
		frames_of_blf_py x.blf >got
		[ "$(wc -l <want)" -eq "$(wc -l <"$D/$l")" ]
		[ "$(wc -l <got)" -eq "$(wc -l <want)" ]
		# python-can's float seconds (0.24 us apart near 1.7e9) may
		# round the last microsecond either way
		same_frames 1 want got
	done
}

# same_frames US A B: the frame lists match line by line, times within US
same_frames() {
	paste -d' ' "$2" "$3" | awk -v tol="$1" '{
		d = $1 - $12; if (d < 0) d = -d
		if (d > tol) { print "time off by " d " us: " $0; bad = 1 }
		a = ""; b = ""
		for (i = 2; i <= 11; i++) { a = a " " $i; b = b " " $(i + 11) }
		if (a != b) { print "differs:" a " /" b; bad = 1 }
	} END { exit bad }'
}

tshark_reads_canrig() {
	local l
	for l in mixed-fd.log sample.log demo.log; do
		"$CANRIG" log convert --to blf "$D/$l" -o x.blf
		# tshark 4.0 shows no CAN_ERROR_EXT objects (not even python-can's):
		# every other frame, in order, with its id and length
		frames_of_log "$D/$l" | awk '$9 == 0 { print $3 "\t" $10 }' >want
		tshark -r x.blf -T fields -e can.id -e can.len \
			--disable-protocol autosar-nm --disable-protocol signal_pdu \
			--disable-protocol ipdum 2>/dev/null >got
		[ -s want ]
		diff want got
	done
}

canrig_reads_python() {
	# python3-can's BLFWriter writes what canrig's candump log holds
	# (interfaces as channels 0, 1, 2 in first-appearance order)
	"$PY" - "$D/mixed-fd.log" py.blf <<'EOF'
import sys, can
chans = {}
w = can.BLFWriter(sys.argv[2])
for line in open(sys.argv[1]):
    ts, ifc, fr = line.split()[:3]
    ch = chans.setdefault(ifc, len(chans))
    cid, rest = fr.split("#", 1)
    idv = int(cid, 16)
    kw = dict(timestamp=float(ts.strip("()")), channel=ch, is_extended_id=len(cid) == 8)
    if len(cid) == 8 and idv & 0x20000000:
        kw.update(is_error_frame=True, is_extended_id=False)
        idv &= 0x1FFFFFFF
    if rest.startswith("#"):
        fl = int(rest[1], 16)
        kw.update(is_fd=True, bitrate_switch=bool(fl & 1), error_state_indicator=bool(fl & 2),
                  data=bytes.fromhex(rest[2:]))
    elif rest.startswith("R"):
        kw.update(is_remote_frame=True, dlc=int(rest[1:] or "0"))
    else:
        kw.update(data=bytes.fromhex(rest))
    w.on_message_received(can.Message(arbitration_id=idv, **kw))
w.stop()
EOF
	"$CANRIG" log convert --to candump py.blf -o py.log
	[ "$(wc -l <py.log)" -eq "$(wc -l <"$D/mixed-fd.log")" ]
	# canrig names BLF channel N can<N-1>; python-can's channel c is BLF c+1
	frames_of_log "$D/mixed-fd.log" >want
	frames_of_log py.log >got
	# python-can shifts every time by less than 1 ms (its start time is
	# rounded to the millisecond): the rest must match exactly
	same_frames 1000 want got
	# the interface names are canrig's default ones
	[ "$(cut -d' ' -f2 py.log | sort -u | tr '\n' ' ')" = "can0 can1 can2 " ]
}

tools_read_blf() {
	# dbc decode reads BLF like the log it came from (the format is detected)
	"$CANRIG" log convert --to blf "$D/demo.log" -o demo.blf
	"$CANRIG" dbc decode "$D/demo.dbc" "$D/demo.log" >want
	"$CANRIG" dbc decode "$D/demo.dbc" demo.blf >got
	[ -s want ]
	diff want got
	"$CANRIG" dbc decode "$D/demo.dbc" - <demo.blf >got
	diff want got
	# candump's --channels: named channels, the others left out
	"$CANRIG" log convert --to blf --channels vcan2,vcan0 "$D/sample.log" -o ch.blf 2>err
	grep -qx 'canrig log: 2 frames on interfaces not in --channels left out' err
	"$CANRIG" log convert --to candump ch.blf >ch.log
	grep -v ' vcan1 ' "$D/sample.log" | diff - ch.log
	# ... and reading BLF: the list renames channels 1, 2, ...
	"$CANRIG" log convert --to candump --channels x,y ch.blf >xy.log
	sed -e 's/ vcan2 / x /' -e 's/ vcan0 / y /' ch.log | diff - xy.log
}

bad_input() {
	local n rc
	"$CANRIG" log convert --to blf "$D/mixed-fd.log" -o x.blf
	n=$(($(stat -c %s x.blf) - 900))
	head -c "$n" x.blf >cut.blf
	rc=0
	"$CANRIG" log convert --to candump cut.blf >cut.log 2>err || rc=$?
	[ "$rc" -eq 1 ]
	grep -qx "cut.blf: truncated at byte $n" err
	# what came out is a prefix of the log
	[ -s cut.log ]
	head -c "$(stat -c %s cut.log)" "$D/mixed-fd.log" | cmp - cut.log
	rc=0
	"$CANRIG" dbc decode "$D/demo.dbc" cut.blf >/dev/null 2>err || rc=$?
	[ "$rc" -eq 1 ]
	grep -q "canrig dbc: cut.blf: truncated at byte $n" err
	# --skip-bad does not make a torn file exit 0 (data was lost), and
	# every whole frame before the tear is written, with -o too
	run 1 out.log err "$CANRIG" log convert --skip-bad --to candump cut.blf
	cmp cut.log out.log
	is err "cut.blf: truncated at byte $n"
	run 1 out err "$CANRIG" log convert --skip-bad --to candump cut.blf -o o.log
	cmp cut.log o.log
	is err "cut.blf: truncated at byte $n"
	# a container whose zlib stream is damaged
	"$PY" -c "
import sys
d = bytearray(open('x.blf', 'rb').read()); d[144 + 40] ^= 0x55; d[144 + 41] ^= 0x55
open('bad.blf', 'wb').write(d)"
	rc=0
	"$CANRIG" log convert --to candump bad.blf >/dev/null 2>err || rc=$?
	[ "$rc" -eq 1 ]
	grep -qx "bad.blf: corrupt container at byte 144: bad zlib stream" err
	run 1 out err "$CANRIG" log convert --skip-bad --to candump bad.blf
	is err "bad.blf: corrupt container at byte 144: bad zlib stream"
	# an object type canrig does not know is skipped and counted
	"$PY" - <<'EOF'
import struct, zlib
def obj(t, body, ts=0):
    return struct.pack("<4sHHII IHHQ", b"LOBJ", 32, 1, 32 + len(body), t, 2, 0, 0, ts) + body
msg = struct.pack("<HBBI8sIBBH", 1, 0, 2, 0x123, b"\x01\x02" + bytes(6), 0, 0, 0, 0)
inner = obj(999, b"\0" * 8) + obj(86, msg, 5000) + obj(998, b"")
cont = zlib.compress(inner)
c = struct.pack("<4sHHII HHII I", b"LOBJ", 16, 1, 32 + len(cont), 10, 2, 0, 0, len(inner), 0) + cont
hdr = bytearray(144); hdr[0:4] = b"LOGG"; hdr[4:8] = struct.pack("<I", 144)
hdr[40:56] = struct.pack("<8H", 2023, 11, 2, 14, 22, 13, 20, 0)
open("unk.blf", "wb").write(bytes(hdr) + c + b"\0" * (len(c) % 4))
EOF
	"$CANRIG" log convert --to candump unk.blf >unk.log 2>err
	[ "$(cat unk.log)" = "(1700000000.000005000) can0 123#0102" ]
	grep -qx 'canrig log: unk.blf: 2 objects of other types skipped' err
}

check lossless_roundtrip lossless_roundtrip
check python_reads_canrig python_reads_canrig
check tshark_reads_canrig tshark_reads_canrig
check canrig_reads_python canrig_reads_python
check tools_read_blf tools_read_blf
check bad_input bad_input
summary
