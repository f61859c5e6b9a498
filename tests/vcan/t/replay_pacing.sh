# replay_pacing.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# pacing options: --rate, --speed and -s.  Only lower bounds on time
#     (load can slow a replay down, never speed it up), plus a hang guard.
t_replay_pacing() {
	: >in.log
	for i in $(seq 0 10); do
		printf '(1700000000.%06d) vcan0 321#%02X\n' $((i * 80000)) "$i" >>in.log
	done
	printf '(1700000100.000000) vcan0 321#FF\n' >>in.log
	candump -L -r 8388608 vcan3 >cd.log &
	p1=$!
	sync_listeners vcan3 cd.log
	"$CANRIG" replay --rate 50 in.log vcan3=vcan0        # 12 frames, 50/s
	cansend vcan3 5A5#01
	"$CANRIG" replay --speed 4 -s 1 in.log vcan3=vcan0   # 0.8 s / 4, gap skipped
	cansend vcan3 5A5#02
	timeout 60 "$CANRIG" replay -s 2 in.log vcan3=vcan0  # 100 s gap skipped
	finish vcan3 cd.log
	stop $p1
	# spans between the first 321#00 and the last 321#0A of each replay;
	# the cansend markers 5A5#.. separate the replays
	read -r rate speed < <(awk 'BEGIN { seg = 0 }
		$3 ~ /^5A5#/ { seg++; next }
		$3 == "321#00" && !(seg in a) { a[seg] = substr($1, 2) + 0 }
		$3 == "321#0A" { b[seg] = substr($1, 2) + 0 }
		END { printf "%.3f %.3f\n", b[0] - a[0], b[1] - a[1] }' cd.log)
	echo "rate span $rate s (>= 0.19), speed span $speed s (>= 0.19)"
	awk -v a="$rate" -v b="$speed" 'BEGIN { exit !(a >= 0.19 && b >= 0.19) }'
	test "$(grep -c ' 321#' cd.log)" -eq 36
}
