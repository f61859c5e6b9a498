# ux_dump_drops.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# --drops is candump's -d: DROPCOUNT lines when the socket dropped frames
# (a small buffer, the reader stopped); the summary counts them too
t_ux_dump_drops() {
	("$CANRIG" dump -L --drops -r 4096 vcan3 2>err &
		echo $! >pid
		rc=0
		wait $! || rc=$?
		echo $rc >rc) >out.log &
	d=$(ux_bg_pid pid)
	sync_listeners vcan3 out.log
	kill -STOP "$d"
	cangen vcan3 -g 0 -n 300 -I 123 -L 8
	kill -CONT "$d"
	# the frame after the drops carries the kernel's count
	finish vcan3 out.log
	kill -INT "$d"
	poll "canrig dump did not exit after SIGINT" test -s rc
	wait
	echo "exit status $(cat rc)"
	[ "$(cat rc)" -eq 130 ]
	grep -E '^DROPCOUNT' out.log
	grep -qE "^DROPCOUNT: dropped [0-9]+ CAN frames? on 'vcan3' socket \(total drops [0-9]+\)$" \
		out.log
	total=$(grep '^DROPCOUNT' out.log | tail -1 | sed 's/.*total drops \([0-9]*\))$/\1/')
	[ "$total" -gt 0 ]
	n=$(grep -vc '^DROPCOUNT' out.log)
	cat err
	grep -qx "canrig dump: interrupted; $n frames received, $total dropped by the kernel" err
}
