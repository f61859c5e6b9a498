# gw_spoofed_busoff.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

vcan1_rx_ge() { # N: canrigd has read N frames on vcan1
	_r=$("$CANRIG" $S stats 2>/dev/null | sed -n 's/^interface vcan1: [^,]*, rx \([0-9]*\),.*/\1/p')
	[ "${_r:-0}" -ge "$1" ]
}

# An error frame any local process sends (here as nobody) does not
#    hold a queue: frames routed to vcan1 keep arriving, vcan1 stays up,
#    and the frame is counted as a local one, not as a bus-off.
t_gw_spoofed_busoff() {
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body, txqueue: {frames: 64, max_age_ms: 2000}}
routes:
  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x123]}
options:
  control: $PWD/ctl.sock
EOF
	S="gw -s $PWD/ctl.sock"
	start_gw gw.yaml vcan0 123
	candump -L vcan1 >b.log &
	p1=$!
	sync_listeners vcan1 b.log
	cansend vcan0 123#01
	wait_for b.log '123#01'
	setpriv --reuid=65534 --regid=65534 --clear-groups cansend vcan1 20000040#0000000000000000
	# canrigd read it (its rx counts error frames)
	poll "canrigd never read the error frame" vcan1_rx_ge 1
	cansend vcan0 123#02
	cansend vcan0 123#03
	poll "canrigd never saw 123#03" matched_ge pt-to-body 3
	xrc 0 st $S status
	xrc 0 s1 $S stats
	xrc 0 js $S stats --json
	has st 'vcan1 (body): up'
	wait_for b.log '123#03'
	finish vcan1 b.log
	stop $p1
	kill -TERM $GW
	wait $GW
	has s1 'interface vcan1: up, rx 1, tx 3, queued 0'
	has s1 'bus-off 0, same device 0, local error frames 1'
	has s1 'route pt-to-body: matched 3, forwarded 3'
	grep -q '"name":"vcan1","up":true,"held":false,.*"busoff":0,.*"err_local":1' js
	has gw.log 'vcan1: error frame sent by a local process'
	absent 'holding its queue' gw.log
	strip b.log | grep -v '^vcan1 2' >got
	printf 'vcan1 123#01\nvcan1 123#02\nvcan1 123#03\n' >want
	cmp want got || { diff want got; false; }
}
