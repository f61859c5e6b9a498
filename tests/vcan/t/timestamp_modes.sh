# timestamp_modes.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# timestamp modes and extra info look like candump's.
t_timestamp_modes() {
	for m in a d z A; do
		"$CANRIG" dump -t $m -n 3 vcan1 >"t$m.txt" &
	done
	candump -t z -n 3 vcan1 >cdz.txt &
	sleep 0.1
	for _ in $(seq 100); do
		n=$(cat t?.txt cdz.txt 2>/dev/null | wc -l)
		[ "$n" -ge 15 ] && break
		cansend vcan1 1FFFFFFE#5359
		sleep 0.2
	done
	wait
	grep -qE '^ \([0-9]{10}\.[0-9]{6}\)  vcan1  1FFFFFFE   \[2\]  53 59$' ta.txt
	grep -qE '^ \(000\.000000\)  vcan1  1FFFFFFE   \[2\]  53 59$' tz.txt
	grep -qE '^ \(000\.000000\)  vcan1  1FFFFFFE' td.txt
	grep -qE '^ \([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\)  vcan1  ' tA.txt
	# the zero-based column has the same shape as candump's
	sed 's/([0-9.]*)/(T)/' tz.txt | head -1 >a
	sed 's/([0-9.]*)/(T)/' cdz.txt | head -1 >b
	diff a b
}
