# replay_seen_by_candump.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# canrig replay: real-time pacing, mapping, loops and fast mode.
t_replay_seen_by_candump() {
	: >in.log
	for i in $(seq 0 199); do
		printf '(1700000000.%06d) vcan0 %03X#%04X\n' $((i * 1000)) $((i % 0x7F0)) "$i" >>in.log
	done
	printf '(1700000000.200000) vcan0 12345678##1%s\n' "$(printf '%0128d' 1)" >>in.log
	printf '(1700000000.200001) vcan2 111#22\n' >>in.log
	candump -L -r 8388608 vcan1 >cd1.log &
	p1=$!
	candump -L -r 8388608 vcan0 >cd0.log &
	p0=$!
	sync_listeners vcan1 cd1.log
	sync_listeners vcan0 cd0.log
	# mapped: vcan0's frames go out on vcan1; vcan2's are skipped
	"$CANRIG" replay in.log vcan1=vcan0
	# unmapped, as fast as possible, three loops
	"$CANRIG" replay -t -l 3 in.log vcan0=vcan0
	finish vcan1 cd1.log
	finish vcan0 cd0.log
	stop $p1 $p0
	grep -v '^(1700000000.200001)' in.log | sed 's/^([0-9.]*) vcan0 //' | sed 's/##1/##5/' >want1
	strip cd1.log | sed 's/^vcan1 //' >got1
	diff want1 got1
	for k in 1 2 3; do cat want1; done >want0
	strip cd0.log | sed 's/^vcan0 //' >got0
	diff want0 got0
	# real-time pacing: 200 ms of log took at least ~200 ms on the bus
	first=$(grep -m1 ' 000#0000' cd1.log | sed 's/^(\([0-9.]*\)).*/\1/')
	last=$(grep -m1 '12345678##' cd1.log | sed 's/^(\([0-9.]*\)).*/\1/')
	awk -v a="$first" -v b="$last" 'BEGIN { exit !(b - a >= 0.19) }'
}
