# diag_scan_three.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Functional requests: scan finds three ECUs and their VINs, each
#     multi-frame answer gets flow control on its own ECU's id; OBD-II.
t_diag_scan_three() {
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 "$SIMCFG" 7e2
	xrc 0 scan diag -i vcan0 scan
	for e in 7E8:7E0 7E9:7E1 7EA:7E2; do
		has scan "${e%:*} (requests on ${e#*:})  VIN WVWZZZ1JZXW000001"
	done
	has scan '3 ECUs answered'
	xrc 0 scanj diag -i vcan0 --json scan
	[ "$(grep -o '"id":"7E[89A]"' scanj | sort | tr -d '\n')" = '"id":"7E8""id":"7E9""id":"7EA"' ]
	xrc 0 vin obd -i vcan0 vin
	for e in 7E8 7E9 7EA; do has vin "$e: VIN WVWZZZ1JZXW000001"; done
	xrc 0 live obd -i vcan0 live
	has live '0C EngineRPM 1726 rpm'
	has live '05 CoolantTemperature 83 degC'
	has live '04 EngineLoad 50.1961 %'
	has live '11 ThrottlePosition 25.098 %'
	[ "$(grep -c '0D VehicleSpeed' live)" = 3 ]
	xrc 0 pids obd -i vcan0 pids
	has pids '7E8: 04 05 0C 0D 11'
	has pids '7E9: 0D 20 40 60 80 A0 A4'
	xrc 0 dtc obd -i vcan0 dtc
	has dtc '7E8: P0420 U0100'
	has dtc '7E9: P0730'
	xrc 0 clr obd -i vcan0 clear
	has clr '7E8: DTCs cleared'
	xrc 0 dtc2 obd -i vcan0 dtc
	has dtc2 '7E9: no DTCs'
	# physical OBD to one ECU
	xrc 0 one obd -i vcan0 -e 7E1 vin
	has one '7E9: VIN WVWZZZ1JZXW000001'
	finish vcan0 cd.log
	stop $p1
	kill -TERM $SIM
	wait $SIM
	has cd.log ' vcan0 7DF#0322F190CCCCCCCC'
	for id in 7E0 7E1 7E2; do has cd.log " vcan0 $id#300000CCCCCCCCCC"; done
}
