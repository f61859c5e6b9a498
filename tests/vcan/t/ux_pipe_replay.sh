# ux_pipe_replay.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

t_ux_pipe_replay() {
	candump -L -r 8388608 vcan2,0:0,#FFFFFFFF >l.log &
	c1=$!
	candump -r 8388608 vcan2,0:0,#FFFFFFFF >screen.txt &
	c2=$!
	candump -t a -x -r 8388608 vcan2,0:0,#FFFFFFFF >screenx.txt &
	c3=$!
	sync_listeners vcan2 l.log screen.txt screenx.txt
	for f in $UX_FRAMES; do
		cansend vcan2 "$f"
	done
	finish vcan2 l.log screen.txt screenx.txt
	stop $c1 $c2 $c3
	ux_nosync l.log | sed 's/ vcan2 / vcan3 /' >want.log

	# no times: no timing to go by, and the message names what to do
	xrc 2 norate.out replay screen.txt vcan3=vcan2
	has norate.out 'screen.txt:1: no timestamp (candump without -t): use --rate FPS or -t'

	for how in "--rate 200 screen.txt" "-t screen.txt" "screenx.txt"; do
		candump -L -r 8388608 vcan3,0:0,#FFFFFFFF >re.log &
		c4=$!
		sync_listeners vcan3 re.log
		# shellcheck disable=SC2086
		"$CANRIG" replay $how vcan3=vcan2
		finish vcan3 re.log
		stop $c4
		ux_nosync re.log >got.log
		# the frames, in order (the timestamps are new); without -x the
		# screen does not show BRS and ESI
		if [ "$how" = screenx.txt ]; then
			diff <(cut -d' ' -f2- want.log) <(cut -d' ' -f2- got.log)
		else
			diff <(cut -d' ' -f2- want.log | sed 's/##[0-9A-F]/##/') \
				<(cut -d' ' -f2- got.log | sed 's/##[0-9A-F]/##/')
		fi
	done
}
