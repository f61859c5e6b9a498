#!/bin/bash
# cli_trc.sh - PEAK TRC logs against a reader and writer nobody on the
# project wrote (issue 22): Debian's python3-can 4.1.0 reads canrig's TRC
# frame for frame, and canrig reads what python-can's TRCWriter writes frame
# for frame; canrig's own round trip is exact, a pipe is detected, and what
# a conversion loses is said once.  python-can 4.1.0 writes and reads only
# the DT (classic data) lines of version 2.1, so those are what is compared
# with it.  Prints one PASS/FAIL line per check and "cli_trc: N passed,
# N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
export TZ=UTC
D=$PWD/tests/data

# a classic-frame candump log: 11/29-bit ids, 0-8 bytes, Tx marks, 3 buses
# named as TRC reads them back (can0..can2, in that order), microsecond times
mklog() {
	"$PY" - <<'EOF'
import random
random.seed(22)
t = 1700000000000000
for i in range(300):
    t += random.randint(1, 5000)
    ext = random.random() < 0.3
    cid = random.randint(0, 0x1FFFFFFF if ext else 0x7FF)
    data = bytes(random.randint(0, 255) for _ in range(random.randint(0, 8)))
    ids = "%08X" % cid if ext else "%03X" % cid
    tx = " T" if random.random() < 0.2 else ""
    # buses are numbered by first appearance: can0, can1, can2 come first
    ifn = i if i < 3 else random.randint(0, 2)
    print("(%d.%06d) can%d %s#%s%s" % (t // 1000000, t % 1000000, ifn,
                                      ids, data.hex().upper(), tx))
EOF
}

# python-can's view of a TRC file: one line per frame, times from the first
python_reads() {
	"$PY" - "$1" <<'EOF'
import sys
from can.io.trc import TRCReader
t0 = None
for m in TRCReader(sys.argv[1]):
    if t0 is None:
        t0 = m.timestamp
    print("%d %X %d %s %d %s" % (round((m.timestamp - t0) * 1e6), m.arbitration_id,
                                 m.is_extended_id, m.data.hex().upper(), m.channel,
                                 "Rx" if m.is_rx else "Tx"))
EOF
}

# the same view of a candump log (interface canN is channel N + 1)
log_view() {
	"$PY" - "$1" <<'EOF'
import sys
t0 = None
for line in open(sys.argv[1]):
    f = line.split()
    sec, us = f[0].strip("()").split(".")
    t = int(sec) * 1000000 + int(us)
    if t0 is None:
        t0 = t
    cid, data = f[2].split("#")
    print("%d %X %d %s %d %s" % (t - t0, int(cid, 16), len(cid) == 8, data,
                                 int(f[1][3:]) + 1, "Tx" if f[3:] == ["T"] else "Rx"))
EOF
}

python_reads_canrig() {
	mklog >in.log
	"$CANRIG" log convert --to trc in.log -o out.trc 2>err
	[ ! -s err ] # nothing lost: names are can0..can2, times whole microseconds
	head -1 out.trc | grep -qx ";\$FILEVERSION=2.1"
	log_view in.log >want
	python_reads out.trc >got
	[ "$(wc -l <got)" -eq 300 ]
	diff want got
	# FD, remote and error lines are valid 2.1 that python-can 4.1.0 passes
	# over: the classic data frames around them still come through
	"$CANRIG" log convert --to trc "$D/sample.log" -o s.trc 2>/dev/null
	python_reads s.trc | cut -d' ' -f2- >got
	printf '%s\n' '123 0 DEADBEEF 1 Rx' '12345678 1 11223344 2 Tx' '7FF 0  2 Rx' \
		'0 0 0102030405060708 1 Rx' >want
	diff want got
}

canrig_reads_python_can() {
	"$PY" - <<'EOF'
import random
import can
from can.io.trc import TRCWriter
random.seed(7)
w = TRCWriter("py.trc")
want = open("want", "w")
t = 1700000000.0
us = 0
for i in range(300):
    us += random.randint(1, 5000)
    ext = random.random() < 0.3
    cid = random.randint(0, 0x1FFFFFFF if ext else 0x7FF)
    data = bytes(random.randint(0, 255) for _ in range(random.randint(0, 8)))
    ch = random.randint(0, 2)
    rx = random.random() < 0.8
    w.on_message_received(can.Message(timestamp=t + us / 1e6, arbitration_id=cid,
                                      is_extended_id=ext, data=data, channel=ch, is_rx=rx))
    if i == 0:
        us0 = us
    # python-can numbers its buses channel + 1: canrig reads bus N as can<N-1>
    want.write("%d can%d %s#%s%s\n" % (us - us0, ch, "%08X" % cid if ext else "%03X" % cid,
                                       data.hex().upper(), "" if rx else " T"))
w.stop()
EOF
	"$CANRIG" log convert --to candump py.trc >got.log
	[ "$(wc -l <got.log)" -eq 300 ]
	# python-can's $STARTTIME is its own; compare times from the first frame
	"$PY" - <<'EOF' >got
t0 = None
for line in open("got.log"):
    ts, rest = line.split(" ", 1)
    sec, us = ts.strip("()").split(".")
    t = int(sec) * 1000000 + int(us)
    if t0 is None:
        t0 = t
    print(t - t0, rest, end="")
EOF
	diff want got
}

# canrig -> TRC -> canrig gives the log back, from a file and from a pipe
roundtrip_and_pipe() {
	mklog >in.log
	"$CANRIG" log convert --to trc in.log -o a.trc
	"$CANRIG" log convert --to candump a.trc >back.log
	diff in.log back.log
	# shellcheck disable=SC2002 # a pipe, not a file, is the point
	cat a.trc | "$CANRIG" log convert --to candump >pipe.log
	diff in.log pipe.log
	# another zone: $STARTTIME is local time, and the round trip still holds
	TZ=America/New_York "$CANRIG" log convert --to trc in.log -o ny.trc
	cmp -s a.trc ny.trc && exit 1
	TZ=America/New_York "$CANRIG" log convert --to candump ny.trc >back.log
	diff in.log back.log
	# 1.1 and 2.0 files read too, by detection
	"$CANRIG" log convert --to candump "$D/trc-v11.trc" | grep -c . | grep -qx 5
	"$CANRIG" log convert --to candump "$D/trc-v20.trc" | grep -c . | grep -qx 3
}

# what TRC cannot hold is said once, in one line, after the file is written
loss_said_once() {
	run 0 out.trc err "$CANRIG" log convert --to trc "$D/sample.log"
	printf '%s\n' 'canrig log: trc cannot hold the interface names: lost' \
		'canrig log: trc cannot hold the error frame details: lost' \
		'canrig log: trc cannot hold the FD flag bits other than BRS and ESI: lost' >want
	diff want err
	printf '(1700000000.000000123) can0 123#11\n(1700000000.000000456) can0 123#22\n' >ns.log
	run 0 out.trc err "$CANRIG" log convert --to trc ns.log
	is err 'canrig log: trc cannot hold the time below a microsecond: lost'
	# candump and ASC output stay as they were: no such line
	run 0 out.log err "$CANRIG" log convert --to candump "$D/sample.trc"
	[ ! -s err ]
	# --channels names TRC buses, on the way out and the way in
	run 0 out.trc err "$CANRIG" log convert --to trc --channels vcan0,vcan1,vcan2 \
		"$D/sample.log"
	run 0 out.log err "$CANRIG" log convert --to candump --channels vcan0,vcan1,vcan2 out.trc
	grep -q ' vcan2 1FFFFFFF##' out.log
	# a malformed line: file:line:col, exit 1
	sed '15s/ DT / XX /' "$D/sample.trc" >bad.trc
	run 1 out.log err "$CANRIG" log convert --to candump bad.trc
	is err 'bad.trc:15:23: unknown message type'
	# ... which --skip-bad passes over (the user's choice), counted, exit 0
	run 0 out.log err "$CANRIG" log convert --skip-bad --to candump bad.trc
	printf '%s\n' 'bad.trc:15:23: unknown message type' \
		'canrig log: skipped 1 malformed line' | diff - err
	"$CANRIG" log convert --to candump "$D/sample.trc" >all.log
	[ "$(wc -l <out.log)" -eq $(($(wc -l <all.log) - 1)) ]
	# a file cut inside its last line is torn, not a bad line: exit 1 even
	# with --skip-bad, every whole line before it converted
	"$CANRIG" log convert --to trc "$D/mixed-fd.log" -o m.trc 2>/dev/null
	n=$(($(grep -b -m1 '^ *16 ' m.trc | cut -d: -f1) + 40))
	head -c "$n" m.trc >cut.trc
	run 1 whole.log err "$CANRIG" log convert --to candump cut.trc
	grep -q "^cut.trc:[0-9]*:[0-9]*: truncated at byte $n: the file ends inside this line" err
	run 1 out.log err "$CANRIG" log convert --skip-bad --to candump cut.trc
	grep -q "^cut.trc:[0-9]*:[0-9]*: truncated at byte $n: the file ends inside this line" err
	[ "$(wc -l <err)" -eq 1 ]
	cmp whole.log out.log
	[ "$(wc -l <out.log)" -ge 10 ]
}

check python_reads_canrig python_reads_canrig
check canrig_reads_python_can canrig_reads_python_can
check roundtrip_and_pipe roundtrip_and_pipe
check loss_said_once loss_said_once
summary
