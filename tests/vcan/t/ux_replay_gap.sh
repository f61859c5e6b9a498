# ux_replay_gap.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# canplayer's -g MS: it sends what is due, then sleeps MS; frames due in
# between go out at the next look.  A mapping that took no frame says so.
t_ux_replay_gap() {
	: >in.log
	for i in 0 1 2 3 4 5 6 7 8 9; do
		printf '(1700000000.%06d) vcan0 321#%02X\n' $((i * 10000)) $i >>in.log
	done
	printf '(1700000000.095000) vcan3 321#FF\n' >>in.log
	candump -L -r 8388608 vcan1 >cd.log &
	c1=$!
	sync_listeners vcan1 cd.log
	"$CANRIG" replay -g 300 in.log vcan1=vcan0 vcan2=vcan9 2>err
	finish vcan1 cd.log
	stop $c1
	cat err
	[ "$(ux_count cd.log 321)" -eq 10 ]
	# 321#00 at once, 321#01 (due at 10 ms) at the look 300 ms on; load
	# can only delay it
	gap=$(awk '$3 == "321#00" { a = substr($1, 2) + 0 }
		$3 == "321#01" { b = substr($1, 2) + 0 } END { printf "%.3f", b - a }' cd.log)
	echo "gap $gap s (>= 0.29)"
	awk -v g="$gap" 'BEGIN { exit !(g >= 0.29) }'
	grep -qx 'canrig replay: mapping vcan2=vcan9 matched no frame in in.log (its frames are on vcan3)' err
	[ "$(wc -l <err)" -eq 1 ]
}
