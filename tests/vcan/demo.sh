#!/bin/bash
# demo.sh - "make demo": bring up vcan (natively, or in the qemu guest),
# replay a short bundled log in real time and show it live in canrig dump,
# decode with a DBC, run a diagnostic session against the ECU simulator,
# then put canrigd between three domains with the ECU behind it, and in
# front of it as the DoIP edge node for a tester on Ethernet.
set -eu
cd "$(dirname "$0")/../.."
CANRIG=${CANRIG:-$PWD/build/canrig}
export CANRIG

if [ "${CANRIG_IN_DEMO:-}" != 1 ]; then
	if tests/vm/run-in-guest.sh --check-native && [ "$(id -u)" -eq 0 ]; then
		./vcan-setup.sh >/dev/null
	else
		echo "demo: no native vcan here; booting the qemu guest (10-20 s)..."
		CANRIG_IN_DEMO=1 exec tests/vm/run-in-guest.sh tests/vcan/demo.sh
	fi
fi

echo
echo "\$ canrig dump -t z -x vcan0 vcan1 &      # live view of two buses"
echo "\$ canrig replay tests/data/demo.log       # real-time replay of a bundled log"
echo
"$CANRIG" dump -t z -x vcan0 vcan1 &
dump=$!
# a demo, not a test: give the emulated guest a moment to start the dump
sleep 1.5
"$CANRIG" replay tests/data/demo.log
sleep 0.5
kill -INT $dump
wait $dump || true
echo
echo "\$ canrig replay --as-fast-as-possible tests/data/demo.log vcan2=vcan0 & canrig dump -L -n 5 vcan2"
"$CANRIG" dump -L -n 5 vcan2 &
d2=$!
sleep 1
"$CANRIG" replay --as-fast-as-possible tests/data/demo.log vcan2=vcan0
wait $d2 || true
echo
echo "\$ canrig log convert --to asc tests/data/demo.log | head -6"
"$CANRIG" log convert --to asc tests/data/demo.log | head -6
echo
echo "\$ canrig dbc decode -s tests/data/demo.dbc tests/data/demo.log | head -6   # with a bundled DBC"
"$CANRIG" dbc decode -s tests/data/demo.dbc tests/data/demo.log | head -6
echo
echo "\$ canrig dump -d tests/data/demo.dbc -n 3 vcan2 &     # live decoding"
echo "\$ canrig send vcan2 --dbc tests/data/demo.dbc EngineData Throttle=42 CoolantTemp=90 EngineState=Running"
echo "\$ canrig send vcan2 --dbc tests/data/demo.dbc DoorStatus DriverDoor=Open"
echo "\$ canrig send vcan2 --dbc tests/data/demo.dbc BatteryCells Cell1=3.71 Cell2=3.69"
"$CANRIG" dump -d tests/data/demo.dbc --single-line -n 3 vcan2 &
d3=$!
sleep 1
"$CANRIG" send vcan2 --dbc tests/data/demo.dbc EngineData Throttle=42 CoolantTemp=90 EngineState=Running
"$CANRIG" send vcan2 --dbc tests/data/demo.dbc DoorStatus DriverDoor=Open
"$CANRIG" send vcan2 --dbc tests/data/demo.dbc BatteryCells Cell1=3.71 Cell2=3.69
wait $d3 || true

# a diagnostic session against the bundled ECU simulator
DL=$(mktemp -d /tmp/canrig-demo.XXXXXX)
echo
echo "\$ ECUSIM_DIR=$DL canrig ecu-sim -i vcan3 -c tests/data/ecu-sim/three-ecus.yaml &"
ECUSIM_DIR=$DL "$CANRIG" ecu-sim -i vcan3 -c tests/data/ecu-sim/three-ecus.yaml &
sim=$!
sleep 1
C=canrig
cr() { "$CANRIG" "$@"; }
echo; echo "\$ $C diag -i vcan3 scan                  # who is on the bus (functional 7DF)"
cr diag -i vcan3 scan || true
echo; echo "\$ $C diag -i vcan3 -e 7E0 read F190 F18C"
cr diag -i vcan3 -e 7E0 read F190 F18C || true
echo; echo "\$ $C diag -i vcan3 -e 7E0 dtc read"
cr diag -i vcan3 -e 7E0 dtc read || true
echo; echo "\$ $C diag -i vcan3 -e 7E0 write 0100 1234    # refused in the default session"
cr diag -i vcan3 -e 7E0 write 0100 1234 || echo "(exit status $?)"
KEY='printf "%08X" $((0x{seed} ^ 0x12345678))'
echo; echo "\$ $C diag -i vcan3 -e 7E0 session extended + unlock 1 --key-cmd '$KEY' + write 0100 1234 + read 0100"
cr diag -i vcan3 -e 7E0 session extended + unlock 1 --key-cmd "$KEY" + write 0100 1234 + read 0100 || true
echo; echo "\$ $C diag -i vcan3 -e 7E0 -v routine start FF00   # the ECU answers 0x78 first"
cr diag -i vcan3 -e 7E0 -v routine start FF00 || true
head -c 65536 /dev/urandom >"$DL/image.bin"
echo; echo "\$ $C diag -i vcan3 -e 7E0 session programming + unlock 1 --key-cmd '...' + flash image.bin --address 100000 --check-crc"
cr diag -i vcan3 -e 7E0 session programming + unlock 1 --key-cmd "$KEY" + flash "$DL/image.bin" --address 100000 --check-crc 2>/dev/null || true
echo; echo "\$ $C obd -i vcan3 live"
cr obd -i vcan3 live || true
kill -TERM $sim
wait $sim || true

# the gateway: three domains, the same ECU now behind canrigd
CANRIGD=${CANRIGD:-$(dirname "$CANRIG")/canrigd}
GW="gw -s /dev/shm/canrig-demo/control.sock"
echo
echo "---- the gateway: powertrain (vcan0, with the ECU), body (vcan1), OBD port (vcan2)"
echo "\$ canrigd -f -c tests/data/gw/demo.yaml &"
"$CANRIGD" -f -c tests/data/gw/demo.yaml &
gwd=$!
ECUSIM_DIR=$DL "$CANRIG" ecu-sim -i vcan0 -c tests/data/ecu-sim/three-ecus.yaml &
sim=$!
sleep 1.5
echo; echo "\$ $C dump -d tests/data/demo.dbc --single-line -n 1 vcan1 &   # the body domain"
echo "\$ $C send vcan0 --dbc tests/data/demo.dbc EngineData Throttle=42 CoolantTemp=90 EngineState=Running"
"$CANRIG" dump -d tests/data/demo.dbc --single-line -n 1 vcan1 &
d4=$!
sleep 1
cr send vcan0 --dbc tests/data/demo.dbc EngineData Throttle=42 CoolantTemp=90 EngineState=Running
wait $d4 || true
echo; echo "\$ $C diag -i vcan2 -e 7E0 read F190      # from the OBD port, through the gateway"
cr diag -i vcan2 -e 7E0 read F190 || true
echo; echo "\$ $C diag -i vcan2 -e 7E0 --p2 500 write 0100 1234   # the firewall blocks 0x2E"
cr diag -i vcan2 -e 7E0 --p2 500 write 0100 1234 || echo "(exit status $?)"
echo; echo "\$ $C $GW routes"
cr $GW routes || true
echo; echo "\$ $C $GW stats                # live counters, a reason for every drop"
cr $GW stats || true
kill -TERM $gwd $sim
wait $gwd $sim || true

# DoIP: the tester is on Ethernet (here loopback), canrigd is the edge node
# in front of the same ECU on vcan0
ip link set lo up 2>/dev/null || true
DOIP="gw -s /dev/shm/canrig-demo/doip.sock"
echo
echo "---- DoIP: a tester on Ethernet (loopback here), canrigd the vehicle's edge node, the ECU on vcan0"
echo "\$ canrigd -f -c tests/data/gw/doip.yaml &"
"$CANRIGD" -f -c tests/data/gw/doip.yaml &
gwd=$!
ECUSIM_DIR=$DL "$CANRIG" ecu-sim -i vcan0 -c tests/data/ecu-sim/three-ecus.yaml &
sim=$!
sleep 1.5
echo; echo "\$ $C diag --doip 127.0.0.1 discover          # UDP vehicle identification"
cr diag --doip 127.0.0.1 discover || true
echo; echo "\$ $C diag --doip 127.0.0.1 -e 0010 read F190   # TCP, routing activation as 0E80, then UDS"
cr diag --doip 127.0.0.1 -e 0010 read F190 || true
echo; echo "\$ $C diag --doip 127.0.0.1 -e 0010 write 0100 1234   # tester 0E80 may not send 0x2E"
cr diag --doip 127.0.0.1 -e 0010 write 0100 1234 || echo "(exit status $?: canrigd answered 7F 2E 33 itself; nothing reached vcan0)"
echo; echo "\$ $C $DOIP stats | grep doip"
cr $DOIP stats | grep doip || true
kill -TERM $gwd $sim
wait $gwd $sim || true
rm -rf "$DL"
echo
echo "demo: done.  Next: 'make test', 'man ./man/canrig.1', README.md."
