# ux_isotp_sigint.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# isotp recv, send and dump: SIGINT mid-PDU ends each with 130 and a line
t_ux_isotp_sigint() {
	"$CANRIG" isotp dump -s 7E1 -d 7E9 vcan2 >idump.txt 2>idump.err &
	id=$!
	wait_rx vcan2 7e9
	candump -L -r 8388608 vcan2 >cd.log &
	c1=$!
	sync_listeners vcan2 cd.log
	"$CANRIG" isotp recv -l -s 7E9 -d 7E1 vcan2 >recv.out 2>recv.err &
	r=$!
	wait_rx vcan2 7e1 2
	echo '01 02 03' | "$CANRIG" isotp send -s 7E1 -d 7E9 vcan2
	wait_for recv.out '01 02 03'
	# 4095 bytes, 200 ms between consecutive frames: 585 of them, two
	# minutes of sending; stopped after the first, the sender waits and
	# the receiver has part of the PDU
	hexmsg 4095 | "$CANRIG" isotp send -f 200000000 -s 7E1 -d 7E9 vcan2 2>send.err &
	s=$!
	wait_for cd.log ' 7E1#21'
	kill -STOP $s
	kill -INT $r
	rc=0
	wait $r || rc=$?
	cat recv.err
	echo "exit status $rc"
	[ "$rc" -eq 130 ]
	# ", one stopped ..." unless the receiver's N_Cr (1 s) ran out first
	# on a slow guest: then a timeout line comes before it
	grep -qxE 'canrig isotp: recv: interrupted; 1 PDU received \(3 bytes\)(, one stopped after [0-9]+ of 4095 bytes)?' \
		recv.err
	kill -INT $s
	kill -CONT $s
	rc=0
	wait $s || rc=$?
	cat send.err
	echo "exit status $rc"
	[ "$rc" -eq 130 ]
	grep -qxE 'canrig isotp: send: interrupted; 0 of 1 PDU sent, the next stopped after [0-9]+ of 4095 bytes' \
		send.err
	[ "$(wc -l <send.err)" -eq 1 ]
	finish vcan2 cd.log
	stop $c1
	kill -INT $id
	rc=0
	wait $id || rc=$?
	cat idump.err
	echo "exit status $rc"
	[ "$rc" -eq 130 ]
	n=$(wc -l <idump.txt)
	[ "$n" -ge 4 ]
	grep -qx "canrig isotp: dump: interrupted; $n frames shown" idump.err
}
