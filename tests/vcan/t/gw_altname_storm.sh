# gw_altname_storm.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

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

# one_copy FILE FRAME: FRAME (candump -L form) is in FILE exactly once
one_copy() {
	_c=$(grep -c -- " $2\$" "$1" || true)
	[ "$_c" = 1 ] || { echo "$2: $_c copies in $1"; false; }
}

# Two names for one device (an altname) open only once: at start the
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
