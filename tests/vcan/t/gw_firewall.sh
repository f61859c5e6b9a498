# gw_firewall.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# The diagnostics firewall: canrig diag on the OBD bus (vcan2), the
#     ECU simulator on the powertrain bus (vcan0) behind canrigd; reading
#     passes (multi-frame answers and flow control included), writing and
#     unlocking do not, and the blocked write never reaches vcan0.
t_gw_firewall() {
	candump -L -r 8388608 vcan0 >pt.log &
	p1=$!
	sync_listeners vcan0 pt.log
	start_sim vcan0 "$SIMCFG" 7e2
	# the control socket lives here: unix sockets need a local file system
	sed "s|/tmp/canrigd-firewall.sock|$PWD/ctl.sock|" "$DATA/gw/firewall.yaml" >gw.yaml
	start_gw gw.yaml vcan2 7e0
	D="diag -i vcan2 -e 7E0 --p2 1500"
	xrc 0 rd $D read F190 + session extended + dtc read
	has rd 'F190 VIN: "WVWZZZ1JZXW000001"'
	has rd '042011 P0420-11'
	xrc 1 wr $D write 0100 1234
	has wr 'write: no response (P2 timeout)'
	xrc 1 un $D unlock 1 --key-cmd "$KEY1"
	has un 'unlock: no response (P2 timeout)'
	# a long request is blocked frame by frame: FF and CFs
	xrc 1 lw $D raw 2E0100000102030405060708090A0B0C0D0E0F
	xrc 0 scan diag -i vcan2 scan
	has scan '7E8 (requests on 7E0)  VIN WVWZZZ1JZXW000001'
	# the control socket: status, routes, stats, workshop mode
	S="gw -s $PWD/ctl.sock"
	xrc 0 st $S status
	has st 'workshop off'
	has st 'vcan2 (obd): up'
	xrc 0 ro $S routes
	has ro 'obd-requests: vcan2 -> vcan0, 2 id selections, 0 actions, firewall, user space'
	xrc 0 js $S stats --json
	grep -q '"name":"obd-requests","matched":[0-9]*,"forwarded":[0-9]*,"dropped":{.*"firewall":3' js
	xrc 0 wo $S workshop on
	xrc 0 w2 $D session extended + unlock 1 --key-cmd "$KEY1" + write 0100 1234
	has w2 '0100: written, 2 bytes'
	xrc 0 wf $S workshop off
	xrc 1 w3 $D write 0100 1234
	xrc 2 bad $S frobnicate
	xrc 0 rl $S reload
	has rl 'reloaded'
	finish vcan0 pt.log
	kill -USR1 $GW
	sleep 0.3
	kill -TERM $GW
	wait $GW
	stop $p1
	kill -TERM $SIM
	wait $SIM
	# before workshop mode no write or unlock reached vcan0, and exactly
	# one (the workshop-mode write) did after
	[ "$(grep -cE ' vcan0 7E0#052E0100' pt.log)" = 1 ]
	absent ' vcan0 7E0#1[0-9A-F]{3}2E' pt.log
	absent ' vcan0 7E0#2[0-9A-F]0102' pt.log
	[ "$(grep -cE ' vcan0 7E0#0227' pt.log)" = 1 ]
	has pt.log ' vcan0 7E0#0322F190'
	has gw.log 'route obd-requests: matched'
	grep -E 'route obd-requests: .*firewall [0-9]+' gw.log
}
