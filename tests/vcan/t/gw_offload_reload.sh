# gw_offload_reload.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Reloads under load with offload: kernel, where the one route moves
#     between user space (a length filter, which can-gw cannot do) and the
#     kernel's can-gw each time: 10 reloads during 100,000 frames at
#     10 kframe/s, and every frame reaches vcan1 (candump -d), none lost.
#     Moving into the kernel, frames that came before its job are still
#     routed by canrigd; moving out, the job goes last: either way a frame
#     may come twice, and the count of those is printed.
t_gw_offload_reload() {
	cangw -F || true
	reload_yaml gw-a.yaml \
		"  - {name: sequence, from: vcan0, to: [vcan1], ids: [0x002], length: 1-8}" \
		"offload: kernel, "
	reload_yaml gw-b.yaml "  - {name: sequence, from: vcan0, to: [vcan1], ids: [0x002]}" \
		"offload: kernel, "
	cp gw-a.yaml gw.yaml
	start_gw gw.yaml vcan0 2
	wait_for gw.log 'offload: 0 of 1 routes'
	RATE=${CANRIG_RELOAD_RATE:-10000}
	N=$((RATE * 10))
	awk -v n=$N 'BEGIN { for (i = 0; i < n; i++)
		printf "(0.%06d) vcan0 002#%06X\n", i, i }' >seq.log
	# as for cansequence in 22: the default buffer is candump's loss
	rmem=$(cat /proc/sys/net/core/rmem_default)
	echo 8388608 >/proc/sys/net/core/rmem_default
	candump -d -L vcan1 >rx.log &
	p=$!
	sync_listeners vcan1 rx.log
	echo "$rmem" >/proc/sys/net/core/rmem_default
	reload10 seq.log
	finish vcan1 rx.log
	stop $p
	xrc 0 st gw -s $PWD/ctl.sock stats
	sed 's/^/    /' st
	kill -TERM $GW
	wait $GW
	cangw -L >L || true # it exits 1 after listing
	absent '-s vcan0' L
	wait_for gw.log 'reloaded .* 1 route in'
	[ "$(grep -c 'reloaded ' gw.log)" = 10 ]
	# each reload moved the route: 5 times in, 5 times out (and the start)
	grep -E 'offload: [01] of 1 routes' gw.log | uniq -c | sed 's/^/    /'
	[ "$(grep -c 'offload: 1 of 1 routes' gw.log)" = 5 ]
	[ "$(grep -c 'offload: 0 of 1 routes' gw.log)" = 6 ]
	absent 'DROPCOUNT' rx.log
	absent 'rx-overflow [1-9]' st
	awk -v n=$N '$2 == "vcan1" && substr($3, 1, 4) == "002#" {
		seen[substr($3, 5)]++ }
	END {
		for (i = 0; i < n; i++)
			if (!(sprintf("%06X", i) in seen)) {
				if (++miss <= 5)
					printf "    frame %d (002#%06X) never reached vcan1\n", i, i
			} else {
				dup += seen[sprintf("%06X", i)] - 1
			}
		printf "    %d of %d frames missing, %d came twice\n", miss, n, dup
		exit miss > 0
	}' rx.log
	# the kernel's counts are in, each job's up to its last poll before
	# its removal (can-gw cannot read and delete at once): never more
	# than came, and what fell between poll and removal is shown
	got=$(grep -c ' vcan1 002#' rx.log)
	fw=$(sed -n 's/^route sequence: matched \([0-9]*\), forwarded \1$/\1/p' st)
	echo "    counted ${fw:-?} forwarded of $got on vcan1 ($((got - ${fw:-0}))" \
		"routed by can-gw between its last poll and its removal)"
	[ -n "$fw" ] && [ "$fw" -le "$got" ]
}
