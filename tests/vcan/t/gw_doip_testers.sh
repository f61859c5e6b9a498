# gw_doip_testers.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21: canrigd's DoIP entity with two testers and three ECUs (two
#     behind ecu-sim on vcan0, one on vcan2 with no ECU at all): both
#     testers activated at once, each request sent before either answer is
#     read, each answered by its own ECU (no answer waits for the other);
#     an unknown target gets NACK 0x03; the ECU whose bus is down gets
#     NACK 0x06; then canrig diag --doip reads the VIN through the
#     gateway.
t_gw_doip_testers() {
	ip link set lo up
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
  - {name: vcan2, domain: chassis}
routes:
  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x100]}
doip:
  listen: 127.0.0.1
  port: 13401
  logical_address: 0x1000
  vin: WVWZZZ1JZXW000001
  testers:
    - address: 0x0E80
      firewall: {allow: [0x22, 0x3E]}
    - address: 0x0E81
      firewall: {allow: [0x22, 0x3E]}
  ecus:
    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}
    - {address: 0x0011, interface: vcan0, tx: 0x7E1, rx: 0x7E9}
    - {address: 0x0012, interface: vcan2, tx: 0x7E2, rx: 0x7EA}
options: {control: $PWD/ctl.sock}
EOF
	# vcan2 is the other tests' too: it comes back up whatever happens
	trap 'ip link set vcan2 up' EXIT
	start_sim vcan0 "$SIMCFG" 7E0
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_rx vcan0 7E8 2
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13401'
	ip link set vcan2 down
	poll "canrigd never saw vcan2 go down" \
		eval '"$CANRIG" gw -s "$PWD/ctl.sock" status | grep -qE "vcan2 \(chassis\): (DOWN|HELD)"'
	rc=0
	/usr/bin/python3 - >tester.log 2>&1 <<'PY' || rc=1
import socket, struct, sys
from scapy.contrib.automotive.doip import DoIP

def fail(msg):
    print("FAIL", msg)
    sys.exit(1)

class Tester:
    def __init__(self, sa):
        self.sa = sa
        self.t = socket.create_connection(("127.0.0.1", 13401), timeout=10)
        self.buf = b""
    def msg(self):
        while True:
            if len(self.buf) >= 8:
                n = 8 + struct.unpack(">I", self.buf[4:8])[0]
                if len(self.buf) >= n:
                    m, self.buf = self.buf[:n], self.buf[n:]
                    return DoIP(m)
            d = self.t.recv(4096)
            if not d:
                fail("0x%04X: connection closed" % self.sa)
            self.buf += d
    def send(self, ta, uds):
        self.t.sendall(bytes(DoIP(payload_type=0x8001, source_address=self.sa,
                                  target_address=ta) / bytes.fromhex(uds)))
    def answer(self, ta):
        a = self.msg()
        if a.payload_type == 0x8003:
            return "nack %02x" % a.nack_code
        if a.payload_type != 0x8002 or a.source_address != ta:
            fail("0x%04X: ack: %r" % (self.sa, a))
        while True:
            r = self.msg()
            if r.payload_type != 0x8001 or r.source_address != ta or r.target_address != self.sa:
                fail("0x%04X: answer: %r" % (self.sa, r))
            data = bytes(r.payload)
            if data[:1] == b"\x7f" and data[2:3] == b"\x78":
                continue
            return data.hex()

a, b = Tester(0x0E80), Tester(0x0E81)
for t in (a, b):
    t.t.sendall(bytes(DoIP(payload_type=0x0005, source_address=t.sa, activation_type=0)))
for t in (a, b):
    r = t.msg()
    if r.payload_type != 0x0006 or r.routing_activation_response != 0x10:
        fail("activation 0x%04X: %r" % (t.sa, r))
print("two testers activated")

# both requests out before either answer is read
a.send(0x0010, "22F190")
b.send(0x0011, "22F190")
vin = (b"\x62\xf1\x90" + b"WVWZZZ1JZXW000001").hex()
got_b = b.answer(0x0011)
got_a = a.answer(0x0010)
if got_a != vin or got_b != vin:
    fail("parallel reads answered %s / %s" % (got_a, got_b))
print("two ECUs answered two testers")

a.send(0x0020, "22F190")
got = a.answer(0x0020)
if got != "nack 03":
    fail("unknown target answered " + got)
print("unknown target: nack 03")

b.send(0x0012, "3E00")
got = b.answer(0x0012)
if got != "nack 06":
    fail("ECU on a down bus answered " + got)
print("bus down: nack 06")
a.t.close()
b.t.close()
PY
	cat tester.log
	ip link set vcan2 up
	# the tester side against the gateway: activation, ACK, answer
	poll "0x0E80's socket never closed" \
		eval '"$CANRIG" gw -s "$PWD/ctl.sock" status | grep -q "0 of 4 tester sockets"'
	xrc 0 vin diag --doip 127.0.0.1:13401 --sa 0E80 -e 0011 read F190
	xrc 0 stats gw -s "$PWD/ctl.sock" stats
	kill -TERM $GW
	wait $GW || true
	kill -INT $SIM
	wait $SIM || true
	[ "$rc" = 0 ]
	has vin 'F190 VIN: "WVWZZZ1JZXW000001"'
	has stats 'doip ecu 0x0011 on vcan0: requests 2, answers 2'
}
