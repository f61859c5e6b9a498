# count_and_stats.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# kernel drop counter and -n: capture a burst, count exactly.
t_count_and_stats() {
	"$CANRIG" dump -L -n 500 --stats -r 8388608 vcan2 >cr.log 2>stats &
	p1=$!
	candump -L -r 8388608 vcan2 >cd.log &
	p2=$!
	# both listeners: a slow start (an ASan build) once opened canrig's
	# socket after the last sync frame candump needed, and it waited for
	# one forever.  The sync frames count toward -n, like the burst.
	sync_listeners vcan2 cd.log cr.log
	cangen vcan2 -g 0 -p 10 -n 1000 -I 5A5 -L 8 -D i
	wait $p1
	stop $p2
	test "$(wc -l <cr.log)" -eq 500
	grep -q 'frames received, 0 dropped by the kernel' stats
}
