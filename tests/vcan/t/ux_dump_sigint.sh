# ux_dump_sigint.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

t_ux_dump_sigint() {
	candump -L -r 8388608 vcan0 >cd.log &
	c1=$!
	# 'canrig dump | reader': its pid and exit status go to files
	("$CANRIG" dump -L -r 8388608 vcan0 2>err &
		echo $! >pid
		rc=0
		wait $! || rc=$?
		echo $rc >rc) | cat >out.log &
	d=$(ux_bg_pid pid)
	sync_listeners vcan0 cd.log out.log
	# stopped, it reads nothing: the frames wait in its socket, and the
	# signal is the first thing it sees when it goes on
	kill -STOP "$d"
	cangen vcan0 -g 1 -n 50 -I 5A5 -L 8 -D i
	finish vcan0 cd.log
	kill -INT "$d"
	kill -CONT "$d"
	poll "canrig dump did not exit after SIGINT" test -s rc
	stop $c1
	wait
	echo "exit status $(cat rc)"
	[ "$(cat rc)" -eq 130 ]
	# every frame queued before the signal reached the pipe
	[ "$(ux_count out.log 5A5)" -eq 50 ]
	grep -qE "$END_RE" out.log
	n=$(wc -l <out.log)
	has err "canrig dump: interrupted; $n frames received, 0 dropped by the kernel"
	[ "$(wc -l <err)" -eq 1 ]
}
