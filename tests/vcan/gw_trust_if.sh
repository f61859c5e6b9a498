# gw_trust_if.sh - canrigd's interfaces as trust boundaries (issue 18, items
# 1 and 3), sourced by run.sh after the other tests: no storm of its own
# making through two names for one device, no bus-off a local process can
# fake, and never the kernel's "any".

# gw_alias_yaml FILE: vcan0, its altname ptalias and vcan1; a route from
# vcan0 to ptalias (the same device: canrigd would receive what it sends
# and route it again) and one from ptalias on to vcan1.
gw_alias_yaml() {
	cat >"$1" <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: ptalias, domain: alias}
  - {name: vcan1, domain: body}
routes:
  - {name: pt-to-alias, from: vcan0, to: [ptalias], ids: [0x123]}
  - {name: alias-to-body, from: ptalias, to: [vcan1], ids: [0x123]}
options:
  control: $PWD/ctl.sock
EOF
}

# matched_ge ROUTE N: canrigd's engine has seen N frames on ROUTE.
matched_ge() {
	_m=$("$CANRIG" gw -s "$PWD/ctl.sock" stats 2>/dev/null |
		sed -n "s/^route $1: matched \([0-9]*\),.*/\1/p")
	[ "${_m:-0}" -ge "$2" ]
}

# 1. Two names for one device (an altname) open only once: at start the
#    second stays closed, counted; at run time (the altname added while
#    canrigd runs) the same.  One cansend makes exactly one frame on
#    vcan0 and none on vcan1, where two sockets on vcan0 made a storm
#    (66,822 copies in 2 s in the issue).
t_gw_altname_storm() {
	ip link property add dev vcan0 altname ptalias
	candump -L -r 8388608 vcan0 >v0.log &
	p1=$!
	candump -L -r 8388608 vcan1 >v1.log &
	p2=$!
	sync_listeners vcan0 v0.log
	sync_listeners vcan1 v1.log
	gw_alias_yaml gw.yaml
	start_gw gw.yaml vcan0 123
	cansend vcan0 123#01
	poll "canrigd never saw 123#01" matched_ge pt-to-alias 1
	xrc 0 st gw -s "$PWD/ctl.sock" status
	xrc 0 s1 gw -s "$PWD/ctl.sock" stats
	xrc 0 js gw -s "$PWD/ctl.sock" stats --json
	kill -TERM $GW
	wait $GW
	finish vcan0 v0.log
	# exactly what cansend sent, once
	one_copy v0.log 'vcan0 123#01'
	has gw.log 'ptalias: same device (ifindex '
	has st 'ptalias (alias): DOWN (same device as vcan0)'
	has st 'vcan0 (powertrain): up'
	has s1 'interface ptalias: DOWN (same device as vcan0), rx 0, tx 0'
	has s1 'same device 1,'
	has s1 'route pt-to-alias: matched 1, forwarded 0, destination-down 1'
	grep -q '"name":"ptalias","up":false,.*"same_device":1' js
	# at run time: the altname comes while canrigd runs with vcan0 open
	ip link property del dev vcan0 altname ptalias
	mv gw.log gw-start.log
	start_gw gw.yaml vcan0 123
	wait_for gw.log 'ptalias: no such interface'
	ip link property add dev vcan0 altname ptalias
	wait_for gw.log 'ptalias: same device \(ifindex [0-9]+\) as vcan0: refused'
	cansend vcan0 123#02
	poll "canrigd never saw 123#02" matched_ge pt-to-alias 1
	xrc 0 s2 gw -s "$PWD/ctl.sock" stats
	finish vcan0 v0.log
	finish vcan1 v1.log
	kill -TERM $GW
	wait $GW
	stop $p1 $p2
	ip link property del dev vcan0 altname ptalias
	one_copy v0.log 'vcan0 123#02'
	has s2 'route pt-to-alias: matched 1, forwarded 0, destination-down 1'
	has s2 'same device 1,'
	# nothing crossed to vcan1: its route's source never opened
	absent ' 123#' v1.log
	# logged once per refusal, not on every retry
	[ "$(grep -c 'same device (ifindex' gw.log)" = 1 ]
}

# one_copy FILE FRAME: FRAME (candump -L form) is in FILE exactly once
one_copy() {
	_c=$(grep -c -- " $2\$" "$1" || true)
	[ "$_c" = 1 ] || { echo "$2: $_c copies in $1"; false; }
}

# 2. An error frame any local process sends (here as nobody) does not
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

vcan1_rx_ge() { # N: canrigd has read N frames on vcan1
	_r=$("$CANRIG" $S stats 2>/dev/null | sed -n 's/^interface vcan1: [^,]*, rx \([0-9]*\),.*/\1/p')
	[ "${_r:-0}" -ge "$1" ]
}

# 3. name: any is refused at load: to the kernel it is every CAN
#    interface at once, canrigd's own sends included.
t_gw_any_refused() {
	cat >gw.yaml <<EOF
interfaces:
  - {name: any, domain: everything}
  - {name: vcan1, domain: body}
routes:
  - {name: all-to-body, from: any, to: [vcan1]}
EOF
	_rc=0
	"$CANRIGD" -n -c gw.yaml >any.out 2>&1 || _rc=$?
	cat any.out
	[ "$_rc" = 2 ]
	grep -qE '^canrigd: gw\.yaml:2:[0-9]+: .*any' any.out
	[ "$(wc -l <any.out)" = 1 ]
}

run gw_altname_storm
run gw_spoofed_busoff
run gw_any_refused
