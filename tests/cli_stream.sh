#!/bin/bash
# cli_stream.sh - the streaming commands without a bus (issue 19): an
# interrupted 'log convert -o' (SIGINT, SIGTERM) leaves no OUT.tmp.PID and
# OUT as it was, and exits 128 + signal; --channels names the interfaces
# of an ASC log's channels when converting it to candump (and is refused
# where there are no channels); reading a log from a terminal says so;
# counts are "1 frame", never "1 frames".  The bus side (dump, replay,
# isotp) is tests/vcan/t/ux_*.sh.  Prints one PASS/FAIL line per check and
# "cli_stream: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
DATA=$PWD/tests/data
WAIT_SECS=${CANRIG_STREAM_WAIT:-30}
export TZ=UTC
# a check looks for the *.tmp.* its commands leave: each in a directory
# of its own; CLI_STREAM_X=1 traces the checks as CHECK_X=1 does
CHECK_OWN_DIR=1
CHECK_X=${CHECK_X:-${CLI_STREAM_X:-}}

# a temporary file beside OUT that has been written to (the first 256 KiB
# buffer went out): the conversion is under way
tmp_written() { # OUT
	local f
	for f in "$1".tmp.*; do
		[ -s "$f" ] && return 0
	done
	return 1
}

gone() { ! kill -0 "$1" 2>/dev/null; }

# stop_convert PID SIG: send SIG, wait for the end (killing it after
# WAIT_SECS); its exit status is in RC
stop_convert() {
	kill "-$2" "$1"
	if ! poll "canrig log convert still running after SIG$2" gone "$1"; then
		kill -KILL "$1"
	fi
	RC=0
	wait "$1" || RC=$?
	echo "exit status $RC"
}

no_tmp() {
	if ls -- *.tmp.* >/dev/null 2>&1; then
		echo "temporary files left:" *.tmp.* >&2
		return 1
	fi
}

# an endless log on a pipe, converted while it flows: SIGINT stops it,
# OUT keeps its content, nothing else is left, exit 130
convert_sigint_atomic() {
	echo previous >out.asc
	yes '(1700000000.000123) vcan0 123#DEADBEEF' |
		"$CANRIG" log convert --to asc -o out.asc - 2>err &
	pid=$!
	PIDS="$PIDS $pid"
	poll "no out.asc.tmp.* written" tmp_written out.asc
	stop_convert "$pid" INT
	cat err
	[ "$RC" -eq 130 ]
	no_tmp
	[ "$(cat out.asc)" = previous ]
	grep -qx 'canrig log: interrupted at <stdin>:[0-9]*; out.asc left as it was' err
}

# SIGTERM while convert waits for more input on a FIFO (a live capture):
# the read ends, no OUT appears, exit 143
convert_sigterm_waiting() {
	mkfifo in
	"$CANRIG" log convert --to asc -o out.asc in 2>err &
	pid=$!
	PIDS="$PIDS $pid"
	exec 3>in
	# more than the 256 KiB output buffer, then the writer stays open
	awk 'BEGIN { for (i = 0; i < 20000; i++)
		printf "(1700000000.%06d) vcan0 123#DEADBEEF\n", i }' >&3
	poll "no out.asc.tmp.* written" tmp_written out.asc
	# all read: it sleeps in the pipe's read ("pipe_read" / "pipe_wait")
	poll "convert never waited on the FIFO" waits_on_pipe "$pid"
	stop_convert "$pid" TERM
	exec 3>&-
	cat err
	[ "$RC" -eq 143 ]
	no_tmp
	[ ! -e out.asc ]
	grep -qx 'canrig log: interrupted at in:20000; out.asc left as it was' err
}

# to stdout, SIGINT flushes what was converted: whole lines only, exit 130
convert_sigint_stdout() {
	mkfifo in
	"$CANRIG" log convert --to candump in >out.log 2>err &
	pid=$!
	PIDS="$PIDS $pid"
	exec 3>in
	awk 'BEGIN { for (i = 0; i < 3; i++)
		printf "(1700000000.%06d) vcan0 123#%02X\n", i, i }' >&3
	# the reader has the three lines once it waits for a fourth: the
	# kernel's wait channel says so ("pipe_read" / "pipe_wait")
	poll "convert never waited on the FIFO" waits_on_pipe "$pid"
	stop_convert "$pid" INT
	exec 3>&-
	[ "$RC" -eq 130 ]
	printf '(1700000000.%06d) vcan0 123#%02X\n' 0 0 1 1 2 2 >want
	diff want out.log
}

waits_on_pipe() { grep -q pipe "/proc/$1/wchan" 2>/dev/null; }

# --channels with an ASC input names channel 1, 2, ...; other channels are
# left out (and counted); a log without channels refuses it
channels_asc_to_candump() {
	rc=0
	"$CANRIG" log convert --to candump --channels vcan0,vcan1 "$DATA/sample.asc" \
		>got.log 2>err || rc=$?
	[ "$rc" -eq 0 ]
	diff "$DATA/sample-channels.log" got.log
	grep -qx 'canrig log: 1 frame on ASC channels not in --channels left out' err
	# the order is the channels': channel 1 first
	"$CANRIG" log convert --to candump --channels b,a "$DATA/sample.asc" >got2.log
	sed -e 's/ vcan0 / X /' -e 's/ vcan1 / a /' -e 's/ X / b /' \
		"$DATA/sample-channels.log" >want2.log
	diff want2.log got2.log
	# the ASC writer's use is unchanged: interface per channel
	"$CANRIG" log convert --to asc --channels vcan1 "$DATA/sample.log" >one.asc 2>err
	[ "$(grep -c ' 1 ' one.asc)" -eq 2 ]
	grep -qx 'canrig log: 8 frames on interfaces not in --channels left out' err
	rc=0
	"$CANRIG" log convert --to candump --channels vcan0 "$DATA/sample.log" \
		>/dev/null 2>err || rc=$?
	[ "$rc" -eq 2 ]
	[ "$(wc -l <err)" -eq 1 ]
	grep -q 'canrig log: --channels names ASC or BLF channels: it needs ASC or BLF input or output' err
}

# run CMD... on a pseudo terminal: print what it writes until WANT shows
# up, then type Ctrl-D; exit with its status (99 when WANT never came)
on_tty() { # WANT CMD...
	/usr/bin/python3 - "$WAIT_SECS" "$@" <<'PY'
import os, pty, select, sys, time
secs, want, argv = float(sys.argv[1]), sys.argv[2].encode(), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, sent, end = b"", False, time.time() + secs
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    if not sent and want in out:
        os.write(fd, b"\x04")  # Ctrl-D: end of input
        sent = True
else:
    os.kill(pid, 9)
sys.stdout.write(out.decode(errors="replace"))
_, st = os.waitpid(pid, 0)
sys.exit(99 if not sent else os.waitstatus_to_exitcode(st))
PY
}

HINT='reading a log from the terminal; end it with Ctrl-D'

terminal_says_so() {
	on_tty "$HINT" "$CANRIG" log convert --to candump >out
	grep -qx "canrig log: $HINT"$'\r' out
	on_tty "$HINT" "$CANRIG" dbc decode "$DATA/demo.dbc" - >out
	grep -qx "canrig dbc: $HINT"$'\r' out
	# not from a file, nor from a pipe
	"$CANRIG" log convert --to candump "$DATA/sample.log" 2>err >/dev/null
	[ ! -s err ]
	"$CANRIG" log convert --to candump <"$DATA/sample.log" 2>err >/dev/null
	[ ! -s err ]
}

singular() {
	# one frame left out: "1 frame", not "1 frames"
	"$CANRIG" log convert --to asc --channels vcan0,vcan2 "$DATA/sample.log" \
		>/dev/null 2>err
	grep -qx 'canrig log: 2 frames on interfaces not in --channels left out' err
	"$CANRIG" log convert --to asc --channels vcan0,vcan1 "$DATA/sample.log" \
		>/dev/null 2>err
	grep -qx 'canrig log: 1 frame on interfaces not in --channels left out' err
	printf 'junk\n(1700000000.000001) vcan0 123#11\n' >bad.log
	"$CANRIG" log convert --from candump --skip-bad --to candump bad.log >/dev/null 2>err
	grep -qx 'canrig log: skipped 1 malformed line' err
}

# candump's -d (drop monitor) from habit: -d is a DBC here, --drops is it
dump_d_is_dbc() {
	for args in "-d vcan0" "-d can0 vcan1" "-d any -L" "-d vcan0,123:7FF"; do
		rc=0
		# shellcheck disable=SC2086
		"$CANRIG" dump $args >out 2>err || rc=$?
		[ "$rc" -eq 2 ]
		[ ! -s out ]
		[ "$(cat err)" = "canrig dump: -d takes a DBC file here; candump's -d is --drops" ]
	done
	# a DBC that is not there is still named as such
	rc=0
	"$CANRIG" dump -d nosuch.dbc vcan0 2>err || rc=$?
	grep -q 'nosuch.dbc' err
	"$CANRIG" dump --help | grep -q -- "--drops .*candump's -d"
}

check convert_sigint_atomic convert_sigint_atomic
check convert_sigterm_waiting convert_sigterm_waiting
check convert_sigint_stdout convert_sigint_stdout
check channels_asc_to_candump channels_asc_to_candump
check dump_d_is_dbc dump_d_is_dbc
check terminal_says_so terminal_says_so
check singular singular
summary
