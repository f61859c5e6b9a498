# dbc_live_decode.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# DBC on the bus: canrig send --dbc encodes what candump sees, and
#     canrig dump -d decodes live what cansend sends, in text and JSON,
#     exactly as 'canrig dbc decode' does on candump's own capture.
t_dbc_live_decode() {
	# the sync/end frames get a message, so decoded output shows them
	cat "$DATA/demo.dbc" - >vcan.dbc <<'DBC'

BO_ 2684354558 Sync: 3 Vector__XXX
 SG_ A : 0|8@1+ (1,0) [0|0] "" Vector__XXX
 SG_ B : 8|8@1+ (1,0) [0|0] "" Vector__XXX
 SG_ C : 16|8@1+ (1,0) [0|0] "" Vector__XXX
DBC
	SYNC_RE='5359|"A":83,"B":89'
	END_RE='454E44|"C":68'
	candump -L -r 8388608 vcan3 >cd.log &
	p1=$!
	"$CANRIG" dump -d vcan.dbc --json --raw -r 8388608 vcan3 >dec.json 2>dec.err &
	p2=$!
	"$CANRIG" dump -d vcan.dbc --single-line -r 8388608 vcan3 >dec.txt 2>&1 &
	p3=$!
	sync_listeners vcan3 cd.log dec.json dec.txt
	"$CANRIG" send vcan3 --dbc vcan.dbc EngineData Counter=12 Throttle=51.2 \
		CoolantTemp=24 EngineState=Running
	"$CANRIG" send vcan3 --dbc vcan.dbc BatteryCells Cell1=3.3 Cell8=4.2
	"$CANRIG" send vcan3 --dbc vcan.dbc CCVS ParkingBrake=Set WheelSpeed=88.5
	cansend vcan3 3B4#01
	cansend vcan3 0C0#0C80        # truncated EngineData
	cansend vcan3 555#01          # not in the DBC
	finish vcan3 cd.log dec.json dec.txt
	stop $p1 $p2 $p3
	# what candump saw is what the DBC says (hand-encoded):
	# 12, 51.2/0.4 = 128, 24+40 = 64, Running = 2; cells 3300 and 4200 mV
	# big endian; J1939 speed 88.5*256 = 22656 = 0x5880 little endian
	grep -q ' vcan3 0C0#0C804002$' cd.log
	grep -q " vcan3 1A0##40CE4$(printf '0%.0s' $(seq 24))1068\$" cd.log
	grep -q ' vcan3 18FEF100#0480580000000000$' cd.log
	grep -q '"msg":"EngineData","sig":{"Counter":12,"Throttle":51.2,"CoolantTemp":24,"EngineState":2},"raw":{"Counter":12,"Throttle":128,"CoolantTemp":64,"EngineState":2},"label":{"EngineState":"Running"},"truncated":false}' dec.json
	grep -q '"msg":"DoorStatus","sig":{"DriverDoor":1},"raw":{"DriverDoor":1},"label":{"DriverDoor":"Open"}' dec.json
	grep -q '"msg":"EngineData","sig":{"Counter":12,"Throttle":51.2},.*"truncated":true}' dec.json
	grep -q '"id":1365,"ext":false,"len":1,"data":"01","msg":null' dec.json
	# 3300 * 0.001 is 3.3000000000000003 in binary, as cantools prints it
	grep -q '"Cell1":3.3000000000000003,.*"Cell8":4.2' dec.json
	grep -q 'CCVS(ParkingBrake: Set, WheelSpeed: 88.5 km/h)' dec.txt
	grep -q 'EngineData(Counter: 12, Throttle: 51.2 %, CoolantTemp: 24 degC, EngineState: Running)' dec.txt
	# live decoding == offline decoding of candump's capture, line by line
	"$CANRIG" dbc decode --json --raw vcan.dbc cd.log >offline.json
	grep -v '"msg":"Sync"' offline.json | sed 's/^{"t":[0-9.]*,/{/' >a
	grep -v '"msg":"Sync"' dec.json | sed 's/^{"t":[0-9.]*,/{/' >b
	test "$(wc -l <a)" -eq 6
	diff a b
}
