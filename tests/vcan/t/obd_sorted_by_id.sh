# obd_sorted_by_id.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# obd lists ECUs by id, not in the order their answers arrived: here
#    7E8 answers 0x78 first and 7E9 is done long before it.
t_obd_sorted_by_id() {
	printf '%s\n' 'ecus:' \
		'  - {name: slow, rx: 0x7E0, tx: 0x7E8, pending: [{sid: 0x09, ms: 300}],' \
		'     obd: {vin: "SLOW0000000000001"}}' \
		'  - {name: fast, rx: 0x7E1, tx: 0x7E9, obd: {vin: "FAST0000000000002"}}' >two.yaml
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 two.yaml 7e1
	rc_in vin obd -i vcan0 vin
	cat vin
	[ "$(cat vin.rc)" = 0 ]
	finish vcan0 cd.log
	stop $p1
	# on the bus the fast ECU's answer came first ...
	first=$(grep -m1 -oE ' vcan0 7E[89]#1014' cd.log)
	[ "$first" = ' vcan0 7E9#1014' ]
	# ... in the list the lower id is first
	[ "$(grep -c VIN vin)" = 2 ]
	[ "$(grep VIN vin | head -1 | grep -c SLOW0000000000001)" = 1 ]
	[ "$(grep VIN vin | tail -1 | grep -c FAST0000000000002)" = 1 ]
	kill -TERM $SIM
	wait $SIM
}
