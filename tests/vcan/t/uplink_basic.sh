# uplink_basic.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# canrig uplink against a real broker (Debian's mosquitto, started here on
# a free loopback port) and a real subscriber (mosquitto_sub): the samples
# that arrive are, line for line, what canrig dbc decode --json makes of
# candump's capture of the same traffic; then the broker is stopped while
# frames flow and started again, and then the uplink is killed (-9) during
# an outage and started again: every sample still arrives.
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}

upl_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

upl_broker_up() {
	mosquitto_pub -h 127.0.0.1 -p "$UPL_PORT" -t canrig/probe -m x 2>/dev/null
}

# upl_demo_dbc: vcan.dbc, the demo DBC and the markers' Sync message
upl_demo_dbc() {
	cat "$DATA/demo.dbc" - >vcan.dbc <<'DBC'

BO_ 2684354558 Sync: 3 Vector__XXX
 SG_ A : 0|8@1+ (1,0) [0|0] "" Vector__XXX
 SG_ B : 8|8@1+ (1,0) [0|0] "" Vector__XXX
 SG_ C : 16|8@1+ (1,0) [0|0] "" Vector__XXX
DBC
}

# upl_demo_cfg: UPL_PORT (free), broker.conf (anonymous, persistent) and
# uplink.yaml collecting EngineData, DoorStatus and Sync from vcan0
upl_demo_cfg() {
	UPL_PORT=$(upl_port)
	cat >broker.conf <<EOF
listener $UPL_PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $PWD/
user root
EOF
	cat >uplink.yaml <<EOF
vehicle: WVWZZZ1JZXW000001
broker: {host: 127.0.0.1, port: $UPL_PORT, keepalive: 5}
topic: fleet/{vehicle}/signals
dbc: vcan.dbc
interfaces: [vcan0]
collect:
  - {message: EngineData}
  - {message: DoorStatus}
  - {message: Sync}
batch: {max_ms: 50}
spool: {dir: spool, max_mb: 1}
EOF
}

upl_broker_start() {
	"$MOSQUITTO" -c broker.conf >>broker.log 2>&1 &
	UPL_BROKER=$!
	poll "mosquitto never listened on $UPL_PORT" upl_broker_up
}

upl_broker_stop() {
	kill -TERM "$UPL_BROKER"
	wait "$UPL_BROKER" 2>/dev/null || true
}

# upl_frames N: N frames of each collected message and some that are not
# (555: not in the DBC; 1A0: not collected), one process for them all
upl_frames() {
	local i f=()
	for i in $(seq 1 "$1"); do
		f+=("0C0#$(printf '%02X' $((i & 255)))80400$((i % 3))" "3B4#0$((i % 2))" "555#01"
			"1A0##1030405060708090A0B0C0D0E0F101112")
	done
	"$CANRIG" send vcan0 "${f[@]}"
}

# upl_end K: the end marker K (1..9) on the bus; the subscriber has it
# when the Sync sample with C = 0x30 + K arrives
upl_end() {
	cansend vcan0 "1FFFFFFE#454E3$1"
}

upl_spooled() { grep -q '"C":5'"$1" spool/*.seg 2>/dev/null; }

upl_samples() {
	grep -E '"msg":"(EngineData|DoorStatus)"' "$1" || true
}

# every sample of candump's capture arrived, and nothing else
upl_all_arrived() {
	"$CANRIG" dbc decode --json vcan.dbc cd.log >dec.json
	upl_samples dec.json >want
	upl_samples sub.out >got
	[ -s want ]
	sort -u want >want.u
	sort -u got >got.u
	if ! cmp -s want.u got.u; then
		echo "--- samples differ from candump's decoded capture:" >&2
		diff want.u got.u | head -10 >&2
		return 1
	fi
	# at least once: duplicates only of what was in flight
	[ "$(wc -l <got)" -ge "$(wc -l <want)" ]
}

t_uplink_basic() {
	upl_demo_dbc
	upl_demo_cfg
	"$CANRIG" uplink -n -c uplink.yaml
	upl_broker_start
	# a persistent session (-c): what the broker holds for the subscriber
	# while it reconnects after a restart reaches it
	mosquitto_sub -h 127.0.0.1 -p "$UPL_PORT" -q 1 -c -i canrig-test-sub \
		-t 'fleet/WVWZZZ1JZXW000001/signals' >sub.out 2>sub.err &
	candump -L -r 8388608 vcan0 >cd.log &
	"$CANRIG" uplink -c uplink.yaml >upl.out 2>upl.err &
	UPL=$!
	sync_listeners vcan0 cd.log sub.out

	# 1: the broker up
	upl_frames 10
	upl_end 1
	wait_for sub.out '"C":49\}'
	upl_all_arrived

	# 2: the broker stopped while frames flow, then back
	upl_broker_stop
	upl_frames 10
	upl_end 2
	poll "the uplink never spooled the outage's samples" upl_spooled 0
	upl_broker_start
	wait_for sub.out '"C":50\}'
	upl_all_arrived
	grep -q "broker 127.0.0.1:$UPL_PORT: connected" upl.err

	# 3: kill -9 of the uplink during an outage, then a restart
	upl_broker_stop
	upl_frames 10
	upl_end 3
	poll "the uplink never spooled the second outage's samples" upl_spooled 1
	kill -KILL "$UPL"
	wait "$UPL" 2>/dev/null || true
	upl_broker_start
	"$CANRIG" uplink -c uplink.yaml >>upl.out 2>>upl.err &
	UPL=$!
	wait_for sub.out '"C":51\}'
	upl_all_arrived

	stop "$UPL"
	grep -q 'acknowledged' upl.err
	upl_broker_stop
}
