# isotp_dump_matches.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# canrig isotp dump prints what can-utils' isotpdump prints.
t_isotp_dump_matches() {
	isotpdump -s 7E0 -d 7E8 -x 55 -a vcan2 >idump.txt &
	p1=$!
	"$CANRIG" isotp dump -s 7E0 -d 7E8 -x 55 -a vcan2 >cdump.txt &
	p2=$!
	isotpdump -s 18DA33F1 -d 18DAF133 vcan2 >idump29.txt &
	p3=$!
	"$CANRIG" isotp dump -s 18DA33F1 -d 18DAF133 vcan2 >cdump29.txt &
	p4=$!
	wait_rx vcan2 7e8 2
	wait_rx vcan2 18daf133 2
	isotprecv -s 7E8 -d 7E0 -x 55 -b 2 -m F3 vcan2 >/dev/null &
	wait_rx vcan2 7e0 3
	hexmsg 40 | isotpsend -s 7E0 -d 7E8 -x 55 vcan2
	wait $!
	isotprecv -s 18DAF133 -d 18DA33F1 -L 72:64:0 vcan2 >/dev/null &
	wait_rx vcan2 18da33f1 3
	hexmsg 200 | isotpsend -s 18DA33F1 -d 18DAF133 -L 72:64:0 vcan2
	wait $!
	cansend vcan2 7E0#55013F
	cansend vcan2 7E8#553200FA
	cansend vcan2 18DA33F1#01FF
	wait_for idump.txt 'FC: 2'
	wait_for cdump.txt 'FC: 2'
	wait_for idump29.txt 'data: FF'
	wait_for cdump29.txt 'data: FF'
	# isotpdump has no SIGINT handler, and background jobs of a script
	# ignore SIGINT: TERM it
	kill $p1 $p3
	stop $p1 $p2 $p3 $p4
	diff idump.txt cdump.txt
	diff idump29.txt cdump29.txt
	test "$(wc -l <idump.txt)" -gt 5
}
