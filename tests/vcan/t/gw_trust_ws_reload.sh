# gw_trust_ws_reload.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Workshop mode follows the file: opened by command, a reload whose
#     file says workshop: false closes it, and a write (0x2E) no longer
#     reaches the ECU's bus.  Opened by the file, it is logged at start.
t_gw_trust_ws_reload() {
	candump -L -r 8388608 vcan0 >pt.log &
	p1=$!
	sync_listeners vcan0 pt.log
	ws_cfg false
	S="gw -s $PWD/ctl.sock"
	start_gw gw.yaml vcan2 7e0
	xrc 0 on $S workshop on
	cansend vcan2 7E0#032E0101
	marker 01
	has pt.log ' vcan0 7E0#032E0101'
	kill -HUP $GW
	wait_for gw.log 'reloaded'
	cansend vcan2 7E0#032E0102
	marker 02
	absent ' vcan0 7E0#032E0102' pt.log
	has gw.log 'workshop mode closed by the reload'
	xrc 0 st $S status
	has st 'workshop off'
	kill -TERM $GW
	wait $GW
	# the file opens it: logged at start, no expiry, status says so
	ws_cfg true
	start_gw gw.yaml vcan2 7e0
	has gw.log "workshop mode on from gw.yaml"
	xrc 0 st2 $S status
	has st2 'workshop on (from the file, no expiry)'
	cansend vcan2 7E0#032E0103
	marker 03
	has pt.log ' vcan0 7E0#032E0103'
	# and a reload of a file that says false closes it
	ws_cfg false
	xrc 0 rl $S reload
	cansend vcan2 7E0#032E0104
	marker 04
	absent ' vcan0 7E0#032E0104' pt.log
	kill -TERM $GW
	wait $GW
	stop $p1
}
