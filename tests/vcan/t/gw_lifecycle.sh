# gw_lifecycle.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

queued_vx() { # IF N: N frames wait in IF's queue
	"$CANRIG" $S stats 2>/dev/null | grep -q "^interface $1: .*queued $2,"
}

busoffs() { # N: canrigd has seen N bus-offs on vxbody
	"$CANRIG" $S stats 2>/dev/null | grep -q "^interface vxbody: .*bus-off $1,"
}

# Interface lifecycle: the destination deleted and re-added, the source
#     too, and a bus-off (error frames, as a controller sends them) with
#     the queue held, stale frames dropped and fresh ones sent on restart,
#     then no carrier (held as well).  Every frame lost meanwhile is
#     counted with its reason; held frames count as queued, not forwarded.
#     vcan has no controller, and canrigd believes no error frame a local
#     process sends (t_gw_spoofed_busoff): the bus-off part uses a vxcan
#     pair, whose far end (vxbus) is the bus its near end (vxbody) sees,
#     and the carrier part another (vxfar down: vxtrunk has no carrier),
#     without a max age, so that how long the guest takes cannot matter.
t_gw_lifecycle() {
	for p in vxbody:vxbus vxtrunk:vxfar; do
		ip link del ${p%:*} 2>/dev/null || true
		ip link add ${p%:*} type vxcan peer name ${p#*:}
		ip link set ${p%:*} up
		ip link set ${p#*:} up
	done
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
  - {name: vxbody, domain: chassis, txqueue: {frames: 64, max_age_ms: 2000}}
  - {name: vxtrunk, domain: trunk, txqueue: {frames: 64, max_age_ms: 0}}
routes:
  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x123]}
  - {name: pt-to-chassis, from: vcan0, to: [vxbody], ids: [0x124]}
  - {name: pt-to-trunk, from: vcan0, to: [vxtrunk], ids: [0x125]}
options:
  control: $PWD/ctl.sock
EOF
	S="gw -s $PWD/ctl.sock"
	start_gw gw.yaml vcan0 123
	candump -L vcan1 >a.log &
	p1=$!
	sync_listeners vcan1 a.log
	cansend vcan0 123#01
	wait_for a.log '123#01'
	stop $p1
	# the destination goes away: frames for it are counted, not queued
	ip link del vcan1
	wait_for gw.log 'vcan1: .*waiting for it to come back'
	for i in 1 2 3 4 5; do cansend vcan0 123#02; done
	xrc 0 st $S status
	has st 'vcan1 (body): DOWN'
	ip link add dev vcan1 type vcan
	ip link set vcan1 mtu 72 up
	wait_for gw.log 'vcan1: back'
	candump -L vcan1 >b.log &
	p1=$!
	sync_listeners vcan1 b.log
	cansend vcan0 123#03
	wait_for b.log '123#03'
	xrc 0 s1 $S stats
	has s1 'route pt-to-body: matched 7, forwarded 2, destination-down 5'
	has s1 'interface vcan1: up, rx 0, tx 2, queued 0, lost while down 5'
	# the source goes away and comes back
	ip link del vcan0
	wait_for gw.log 'vcan0: .*waiting for it to come back'
	ip link add dev vcan0 type vcan
	ip link set vcan0 mtu 72 up
	wait_for gw.log 'vcan0: back'
	wait_rx vcan0 123
	cansend vcan0 123#04
	wait_for b.log '123#04'
	finish vcan1 b.log
	stop $p1
	# canrigd's frames on vxbody reach candump there as the local echo
	candump -L vxbody >c.log &
	p2=$!
	sync_listeners vxbody c.log
	cansend vcan0 124#04
	wait_for c.log '124#04'
	# bus-off on vxbody: its queue waits; frames older than max_age_ms
	# are dropped as stale when the controller restarts
	cansend vxbus 20000040#0000000000000000
	wait_for gw.log 'vxbody: bus-off; holding its queue'
	cansend vcan0 124#05
	cansend vcan0 124#06
	xrc 0 st2 $S status
	has st2 'vxbody (chassis): HELD'
	# waiting in the queue is not forwarded yet
	poll "the held frames never queued" queued_vx vxbody 2
	xrc 0 s3 $S stats
	has s3 'route pt-to-chassis: matched 3, forwarded 1'
	sleep 2.5
	cansend vxbus 20000100#0000000000000000
	wait_for gw.log 'vxbody: controller restarted; sending again'
	# a short bus-off: what waited goes out on restart, in order
	cansend vxbus 20000040#0000000000000000
	poll "no second bus-off" busoffs 2
	cansend vcan0 124#07
	cansend vcan0 124#08
	cansend vxbus 20000100#0000000000000000
	wait_for c.log '124#08'
	finish vxbody c.log
	stop $p2
	# no carrier (the far end down): held too, sent when it comes back
	candump -L vxtrunk >d.log &
	p2=$!
	sync_listeners vxtrunk d.log
	ip link set vxfar down
	wait_for gw.log 'vxtrunk: no carrier; holding its queue'
	cansend vcan0 125#09
	poll "the frame never queued" queued_vx vxtrunk 1
	xrc 0 s4 $S stats
	has s4 'route pt-to-trunk: matched 1, forwarded 0'
	ip link set vxfar up
	wait_for gw.log 'vxtrunk: carrier back; sending again'
	wait_for d.log '125#09'
	finish vxtrunk d.log
	stop $p2
	xrc 0 s2 $S stats
	kill -TERM $GW
	wait $GW
	ip link del vxbody
	ip link del vxtrunk
	strip b.log | grep -v '^vcan1 2' >got
	printf 'vcan1 123#03\nvcan1 123#04\n' >want
	if ! cmp -s want got; then
		diff want got
		false
	fi
	strip c.log | grep -v '^vxbody 2' >got
	printf 'vxbody 124#04\nvxbody 124#07\nvxbody 124#08\n' >want
	if ! cmp -s want got; then
		diff want got
		false
	fi
	[ "$(strip d.log)" = 'vxtrunk 125#09' ]
	has s2 'route pt-to-body: matched 8, forwarded 3, destination-down 5'
	has s2 'route pt-to-chassis: matched 5, forwarded 3, stale 2'
	has s2 'route pt-to-trunk: matched 1, forwarded 1'
	has s2 'interface vxbody: up, rx 4, tx 3, queued 0, lost while down 0, rx-overflow 0, bus-off 2,'
	has s2 'interface vxtrunk: up, rx 0, tx 1, queued 0, lost while down 0, rx-overflow 0, bus-off 1,'
}
