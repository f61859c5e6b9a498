# diag_29bit.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Normal fixed 29-bit addressing.
t_diag_29bit() {
	candump -L -r 8388608 vcan1 >cd.log &
	p1=$!
	sync_listeners vcan1 cd.log
	start_sim vcan1 "$DATA/ecu-sim/engine29.yaml" 18da10f1
	xrc 0 rd diag -i vcan1 --29bit 10 read F190 + session extended
	has rd 'F190 VIN: "WVWZZZ1JZXW000029"'
	xrc 0 scan diag -i vcan1 --29bit 10 scan
	has scan '18DAF110 (requests on 18DA10F1)  VIN WVWZZZ1JZXW000029'
	xrc 0 vin obd -i vcan1 --29bit-functional vin
	has vin '18DAF110: VIN WVWZZZ1JZXW000029'
	finish vcan1 cd.log
	stop $p1
	kill -TERM $SIM
	wait $SIM
	has cd.log ' vcan1 18DA10F1#0322F190CCCCCCCC'
	has cd.log ' vcan1 18DB33F1#0322F190CCCCCCCC'
}
