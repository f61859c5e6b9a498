# send_seen_by_candump.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# canrig send: candump sees exactly these frames, in order.
t_send_seen_by_candump() {
	frames="123#DEADBEEF 12345678#0102 7FF#R 123#R3 321##1AABBCCDD 321##0 \
		1ABCDEF0##3$(printf 'A5%.0s' $(seq 64)) 000# 20000080#0000000000000000"
	candump -L -r 8388608 vcan1,0:0,#FFFFFFFF >cd.log &
	p1=$!
	sync_listeners vcan1 cd.log
	# shellcheck disable=SC2086
	"$CANRIG" send vcan1 $frames
	"$CANRIG" send vcan1 5AA#01 5AA#02 5AA#03
	finish vcan1 cd.log
	stop $p1
	strip cd.log | sed 's/^vcan1 //' >got
	# the 6.1 kernel adds FDF (0x04) to the FD flags nibble
	printf '%s\n' 123#DEADBEEF 12345678#0102 7FF#R 123#R3 321##5AABBCCDD \
		321##4 "1ABCDEF0##7$(printf 'A5%.0s' $(seq 64))" 000# \
		20000080#0000000000000000 5AA#01 5AA#02 5AA#03 >want
	diff want got
}
