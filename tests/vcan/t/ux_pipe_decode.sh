# ux_pipe_decode.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# the demo DBC plus the sync/end frames, so decoded output shows them
ux_pipe_dbc() {
	cat "$DATA/demo.dbc" - >vcan.dbc <<'DBC'

BO_ 2684354558 Sync: 3 Vector__XXX
 SG_ A : 0|8@1+ (1,0) [0|0] "" Vector__XXX
 SG_ B : 8|8@1+ (1,0) [0|0] "" Vector__XXX
 SG_ C : 16|8@1+ (1,0) [0|0] "" Vector__XXX
DBC
}

# the signals of decoded single-line output, without time, bus and frame
ux_sigs() {
	ux_nosync "$1" | sed 's/^.* :: //'
}

# the times of decoded output in microseconds, relative to the first
ux_reltimes() {
	ux_nosync "$1" | sed -E 's/^\(([0-9]+)\.([0-9]{6})\).*/\1 \2/' |
		awk 'NR == 1 { t0 = $1 * 1000000 + $2 } { print $1 * 1000000 + $2 - t0 }'
}

t_ux_pipe_decode() {
	ux_pipe_dbc
	SYNC_RE='5359|53 59|"A":83,"B":89'
	END_RE='454E44|45 4E 44|"C":68'
	candump -L -r 8388608 vcan2,0:0,#FFFFFFFF >l.log &
	c1=$!
	candump -r 8388608 vcan2,0:0,#FFFFFFFF >screen.txt &
	c2=$!
	candump -t a -x -r 8388608 vcan2,0:0,#FFFFFFFF >screenx.txt &
	c3=$!
	candump -t d -r 8388608 vcan2,0:0,#FFFFFFFF >td.txt &
	c4=$!
	# the live pipes of the issue: candump -L ... | canrig dbc decode
	# --json --line-buffered x.dbc - , and plain candump | canrig dbc decode
	# (candump's pid goes to a file: $! would be the decoder's)
	(candump -L -r 8388608 vcan2,0:0,#FFFFFFFF & echo $! >c5.pid; wait) |
		"$CANRIG" dbc decode --json --line-buffered vcan.dbc - >live.json 2>live.err &
	d1=$!
	(candump -r 8388608 vcan2,0:0,#FFFFFFFF & echo $! >c6.pid; wait) |
		"$CANRIG" dbc decode -s --line-buffered vcan.dbc >live.txt 2>&1 &
	d2=$!
	poll "candump never started" test -s c5.pid -a -s c6.pid
	c5=$(cat c5.pid)
	c6=$(cat c6.pid)
	# the decoders print sync and end frames while candump still runs:
	# that is the streaming
	sync_listeners vcan2 l.log screen.txt screenx.txt td.txt live.json live.txt
	for f in $UX_FRAMES; do
		cansend vcan2 "$f"
	done
	finish vcan2 l.log screen.txt screenx.txt td.txt live.json live.txt
	# still live when it all showed up
	kill -0 $c5
	kill -0 $c6
	stop $c1 $c2 $c3 $c4 $c5 $c6
	wait $d1 $d2 || true
	grep -q '0C0   \[4\]  0C 80 40 00' screen.txt
	grep -qE 'TX B - +1A0  \[16\]' screenx.txt

	# what the -L capture decodes to
	"$CANRIG" dbc decode -s vcan.dbc l.log >want.txt
	has want.txt 'EngineData(Counter: 12, Throttle: 51.2 %, CoolantTemp: 24 degC'
	has want.txt 'BatteryCells(Cell1: 0.772 V'
	has want.txt 'CCVS(ParkingBrake: NotAvailable'
	ux_sigs want.txt >want.sigs
	[ "$(wc -l <want.sigs)" -eq 10 ]
	# the same signals from every screen capture, from a file and a pipe
	"$CANRIG" dbc decode -s vcan.dbc screen.txt >a.txt
	"$CANRIG" dbc decode -s vcan.dbc - <screenx.txt >b.txt
	"$CANRIG" dbc decode -s --delta vcan.dbc td.txt >c.txt
	for f in a.txt b.txt c.txt live.txt; do
		ux_sigs $f >$f.sigs
		diff want.sigs $f.sigs
	done
	# and the times the lines say: -t a is the kernel's time, as in -L;
	# -t d deltas add up to the same spacing; no -t: 0 from a file, the
	# arrival time from a pipe
	[ "$(ux_nosync want.txt | cut -d' ' -f1)" = "$(ux_nosync b.txt | cut -d' ' -f1)" ]
	ux_reltimes want.txt >want.rel
	ux_reltimes c.txt >c.rel
	# the sync frames before the first demo frame differ per listener:
	# compare from the first demo frame on
	diff want.rel c.rel
	[ "$(ux_nosync a.txt | cut -d' ' -f1 | sort -u)" = "(0000000000.000000)" ]
	now=$(date +%s)
	ux_nosync live.txt | cut -c2-11 | while read -r s; do
		[ $((now - 10#$s)) -lt 600 ] && [ $((now - 10#$s)) -ge 0 ]
	done
	# the live JSON equals decoding the -L file afterwards, line by line
	"$CANRIG" dbc decode --json vcan.dbc l.log >want.json
	ux_nosync want.json >want.json.s
	ux_nosync live.json >live.json.s
	diff want.json.s live.json.s
	[ ! -s live.err ]
}
