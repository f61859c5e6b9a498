# gw_minimal.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# The issue's minimal file: exactly 0x123 and 0x200-0x2FF cross from
#     vcan0 to vcan1, nothing else, nothing lost; a bad reload keeps them.
t_gw_minimal() {
	candump -L -r 8388608 vcan0 >in.log &
	p1=$!
	candump -L -r 8388608 vcan1 >out.log &
	p2=$!
	sync_listeners vcan0 in.log
	sync_listeners vcan1 out.log
	cp "$DATA/gw/minimal.yaml" gw.yaml
	start_gw gw.yaml vcan0 123
	cangen vcan0 -g 0 -I i -L 8 -D i -n 2000 -p 10
	for id in 123 200 2FF 300 7FF 1FF 12345678; do cansend vcan0 "$id#01"; done
	# a file with a mistake is refused; the old rules stay
	echo "  - {name: x, from: vcan9, to: [vcan1]}" >>gw.yaml
	kill -HUP $GW
	wait_for gw.log 'reload refused'
	for id in 123 2AB; do cansend vcan0 "$id#02"; done
	finish vcan0 in.log
	finish vcan1 out.log
	kill -USR1 $GW
	sleep 0.3
	kill -TERM $GW
	wait $GW
	stop $p1 $p2
	# what crossed: every vcan0 frame with a selected id, in order
	strip in.log | grep -E '^vcan0 (123|2[0-9A-F]{2})#' | sed 's/^vcan0 /vcan1 /' >want
	strip out.log >got
	if ! cmp -s want got; then
		diff want got | head
		false
	fi
	[ "$(wc -l <got)" -ge 16 ]
	has gw.log 'route pt-to-body: matched'
	has gw.log "reload refused, old rules kept: gw.yaml:9:21: unknown interface 'vcan9'"
}
