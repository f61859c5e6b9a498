# gw_doip_minimal.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21: canrigd with the issue's minimal file in front of canrig
#     ecu-sim on vcan0; an independent tester (Debian's scapy DoIP
#     classes) on loopback: identification, routing activation, a routed
#     22 F190 answered by the ECU, a 2E its firewall refuses answered
#     7F 2E 33 by the gateway and never on vcan0 (candump).
t_gw_doip_minimal() {
	ip link set lo up
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x100]}
doip:
  listen: 127.0.0.1            # address or interface name; UDP and TCP 13400 (port: to change)
  logical_address: 0x1000      # the gateway's own DoIP address
  vin: WVWZZZ1JZXW000001
  testers:                      # who may activate routing, and what each may send
    - address: 0x0E80
      firewall:
        allow: [0x22, 0x19, 0x3E, {sid: 0x10, subs: [0x01, 0x03]}]
  ecus:                         # logical address -> CAN bus and ISO-TP ids
    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}
    - {address: 0x0011, interface: vcan0, tx: 0x7E1, rx: 0x7E9}
options: {control: $PWD/ctl.sock}
EOF
	candump -L -r 8388608 vcan0 >can.log &
	p1=$!
	sync_listeners vcan0 can.log
	start_sim vcan0 "$SIMCFG" 7E0
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_rx vcan0 7E8 2
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13400'
	# its failure is reported below, after the captures are complete
	rc=0
	/usr/bin/python3 - >tester.log 2>&1 <<'PY' || rc=1
import socket, struct, sys
from scapy.contrib.automotive.doip import DoIP

def fail(msg):
    print("FAIL", msg)
    sys.exit(1)

# UDP: vehicle identification
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(bytes(DoIP(payload_type=0x0001)), ("127.0.0.1", 13400))
a = DoIP(u.recv(512))
if a.payload_type != 0x0004 or a.vin != b"WVWZZZ1JZXW000001" or a.logical_address != 0x1000:
    fail("identification: " + repr(a))
print("identification ok")

t = socket.create_connection(("127.0.0.1", 13400), timeout=5)
buf = b""
def msg():
    global buf
    while True:
        if len(buf) >= 8:
            n = 8 + struct.unpack(">I", buf[4:8])[0]
            if len(buf) >= n:
                m, buf = buf[:n], buf[n:]
                return DoIP(m)
        d = t.recv(4096)
        if not d:
            fail("connection closed")
        buf += d

t.sendall(bytes(DoIP(payload_type=0x0005, source_address=0x0E80, activation_type=0)))
r = msg()
if r.payload_type != 0x0006 or r.routing_activation_response != 0x10:
    fail("activation: " + repr(r))
print("activation ok")

def diag(uds):
    t.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x0010) /
                    bytes.fromhex(uds)))
    a = msg()
    if a.payload_type != 0x8002 or a.ack_code != 0 or a.source_address != 0x0010:
        fail("ack of " + uds + ": " + repr(a))
    while True:
        r = msg()
        if r.payload_type != 0x8001 or r.source_address != 0x0010 or r.target_address != 0x0E80:
            fail("answer to " + uds + ": " + repr(r))
        data = bytes(r.payload)
        if data[:1] == b"\x7f" and data[2:3] == b"\x78":
            continue
        return data

got = diag("22F190")
if got != bytes.fromhex("62F190") + b"WVWZZZ1JZXW000001":
    fail("22 F190 answered " + got.hex())
print("routed 22 F190 ok")
got = diag("2EF190" + "41" * 17)
if got != bytes.fromhex("7F2E33"):
    fail("2E answered " + got.hex())
print("refused 2E ok")
t.close()
PY
	cat tester.log
	xrc 0 stats gw -s "$PWD/ctl.sock" stats
	xrc 0 status gw -s "$PWD/ctl.sock" status
	finish vcan0 can.log
	kill -TERM $GW
	wait $GW || true
	kill -INT $SIM
	wait $SIM || true
	stop $p1
	[ "$rc" = 0 ]
	# the request went onto vcan0 and the ECU answered there; the write
	# never did
	has can.log 'vcan0 7E0#0322F190'
	grep -q 'vcan0 7E8#10146' can.log
	absent 'vcan0 7E0#[0-9A-F]{2}2E' can.log
	absent 'vcan0 7E0#[0-9A-F]{4}2E' can.log
	has stats 'doip tester 0x0E80: activations 1, activations refused 0, requests 2, forwarded 1, answers 1, firewall 1'
	has stats 'doip ecu 0x0010 on vcan0: requests 1, answers 1'
	has status 'doip: entity 0x1000, 0 of 4 tester sockets registered'
}
