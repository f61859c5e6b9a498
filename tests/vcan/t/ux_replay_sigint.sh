# ux_replay_sigint.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

ux_at_least() { # FILE ID N
	[ "$(ux_count "$1" "$2")" -ge "$3" ]
}

# 20 s of log, interrupted after a few frames: exit 130, where it stopped
t_ux_replay_sigint() {
	awk 'BEGIN { for (i = 0; i < 2000; i++) { t = i * 10000
		printf "(%d.%06d) vcan0 321#%04X\n", 1700000000 + int(t / 1000000), t % 1000000, i } }' \
		>in.log
	candump -L -r 8388608 vcan1 >cd.log &
	c1=$!
	sync_listeners vcan1 cd.log
	"$CANRIG" replay in.log vcan1=vcan0 2>err &
	p=$!
	poll "replay sent no 5 frames" ux_at_least cd.log 321 5
	kill -INT $p
	rc=0
	wait $p || rc=$?
	finish vcan1 cd.log
	stop $c1
	cat err
	echo "exit status $rc"
	[ "$rc" -eq 130 ]
	n=$(ux_count cd.log 321)
	[ "$n" -lt 2000 ]
	grep -qx "canrig replay: interrupted after in.log:$n: $n of 2000 frames sent" err
	[ "$(wc -l <err)" -eq 1 ]
	# and that line of the log is the last frame on the bus
	[ "$(grep ' 321#' cd.log | tail -1 | cut -d' ' -f3)" = \
		"$(sed -n "${n}p" in.log | cut -d' ' -f3)" ]
}
