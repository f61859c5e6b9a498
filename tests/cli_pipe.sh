#!/bin/bash
# cli_pipe.sh - "a capture can be piped into the decoder" (issue 19),
# without a bus: candump's screen captures decode like their -L twin, a live
# pipe decodes each line while the writer keeps it open (--line-buffered into
# a file, and on a terminal), JSON stays JSON for relative times, and the
# format hint names an option that exists.  Prints one PASS/FAIL line per
# check and "cli_pipe: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
DBC=$PWD/tests/data/demo.dbc
G=$PWD/tests/data/screen
WAIT_SECS=${CANRIG_PIPE_WAIT:-30}

# wait_for FILE PATTERN: poll until FILE has PATTERN, for WAIT_SECS at most
wait_for() {
	local n=0
	until grep -qF -- "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		if [ "$n" -gt $((WAIT_SECS * 20)) ]; then
			echo "no '$2' in $1 after ${WAIT_SECS}s (writer still open):" >&2
			cat "$1" >&2
			return 1
		fi
		sleep 0.05
	done
}

# the signals of each frame: what follows " :: " in single-line output
# (options first, then the log: sigs [--delta] LOG)
sigs() {
	local o=()
	while [ "${1#-}" != "$1" ]; do
		o+=("$1")
		shift
	done
	"$CANRIG" dbc decode -s "${o[@]}" "$DBC" "$@" | sed 's/^.* :: //'
}

screen_decodes_like_log() {
	sigs "$G/L.log" >want
	[ "$(grep -c 'EngineData(' want)" -eq 1 ] # the demo frames are there
	for f in screen screen-ta screen-tA screen-tz screen-x screen-ta-x screen-e-a; do
		sigs "$G/$f.txt" >got
		diff want got
		# and from a pipe, detected from its first line
		"$CANRIG" dbc decode -s "$DBC" - <"$G/$f.txt" >/dev/null
		cat "$G/$f.txt" | "$CANRIG" dbc decode -s "$DBC" | sed 's/^.* :: //' >got
		diff want got
	done
	sigs --delta "$G/screen-td.txt" >got
	diff want got
	# the times are the line's: -t a equals -L, -t d adds up like -t z
	"$CANRIG" dbc decode -s "$DBC" "$G/L.log" >a
	"$CANRIG" dbc decode -s "$DBC" "$G/screen-ta.txt" >b
	[ "$(cut -d' ' -f1 a)" = "$(cut -d' ' -f1 b)" ]
	"$CANRIG" dbc decode -s "$DBC" "$G/screen-tz.txt" | cut -d' ' -f1 >z
	"$CANRIG" dbc decode -s --delta "$DBC" "$G/screen-td.txt" | cut -d' ' -f1 >d
	diff z d
	grep -qx '(0000000011.617698)' z
}

# writes one line into a FIFO and keeps it open: the decoded frame must
# show up before the writer closes
live() { # OUT CMD...
	local out=$1
	shift
	rm -f in
	mkfifo in
	"$@" &
	local pid=$! rc=0
	# read-write: never blocks, even when the decoder died before opening it
	exec 3<>in
	echo ' (1796640715.096435)  vcan0  0C0   [4]  0C 80 40 00' >&3
	wait_for "$out" EngineData || rc=1
	exec 3>&- # end of input: the decoder exits
	[ "$rc" -eq 0 ] || kill "$pid" 2>/dev/null || true
	wait "$pid" || rc=1
	return "$rc"
}

live_line_buffered() {
	live out.json sh -c "exec '$CANRIG' dbc decode --json --line-buffered '$DBC' in >out.json"
	grep -qF '"msg":"EngineData","sig":{"Counter":12' out.json
}

live_terminal() {
	# script(1) gives the decoder a terminal as stdout
	live tty.out script -qfec "'$CANRIG' dbc decode '$DBC' in" tty.out </dev/null
}

json_is_json() {
	for f in screen screen-tz screen-e-a; do
		"$CANRIG" dbc decode --json "$DBC" "$G/$f.txt" >out.json
		/usr/bin/python3 -c 'import json, sys
n = 0
for l in open(sys.argv[1]):
    json.loads(l)
    n += 1
assert n == 23, n' out.json
	done
}

hints_name_real_options() {
	printf 'hello\nworld\n' >junk.txt
	rc=0
	"$CANRIG" dbc decode "$DBC" junk.txt 2>err || rc=$?
	[ "$rc" -eq 2 ]
	grep -q 'name it with --from FMT' err
	# ... and --from is an option of dbc decode, log convert and replay
	"$CANRIG" dbc decode --from candump-screen -s "$DBC" "$G/screen.txt" >/dev/null
	"$CANRIG" log convert --from screen --to candump "$G/screen-ta-x.txt" >x.log
	# -x's TX survives; FD flags beyond BRS/ESI are not on the screen
	sed 's/##[0-9A-F]/##/' "$G/Lx.log" >want
	sed 's/##[0-9A-F]/##/' x.log >got
	diff want got
	"$CANRIG" replay --help | grep -q -- '--from FMT'
	rc=0
	"$CANRIG" log convert --to screen "$G/L.log" 2>err || rc=$?
	[ "$rc" -eq 2 ]
	grep -q 'read only; --to takes candump (alias log), asc, blf, pcapng, pcap, trc' err
}

check screen_decodes_like_log screen_decodes_like_log
check live_line_buffered live_line_buffered
check live_terminal live_terminal
check json_is_json json_is_json
check hints_name_real_options hints_name_real_options
summary
