# gw_doip_func.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21: canrigd's DoIP functional address 0xE400 in front of canrig
#     ecu-sim on vcan0 (two of its ECUs configured, 0x0010 and 0x0011; its
#     third answers on an id nobody asked for).  A scapy tester sends 3E 00
#     and 22 F190 to 0xE400: ACK from 0xE400, each request once on vcan0 as
#     a single frame to 7DF (candump), and both ECUs' answers back from
#     their own addresses.  A 2E its firewall refuses is answered 7F 2E 33
#     from 0xE400 and never on vcan0; a request longer than a single frame
#     is NACKed 0x04.  A physical request after a functional one that nobody
#     answered (3E 80) gets its answer, not the functional tester; an ECU
#     waiting out another tester's 0x78 chain is left out.  Then
#     canrig diag --doip -e E400 raw prints both answers, and the control
#     socket's doip power sets the 0x4004 answer, and lo taken down and up
#     again brings three more vehicle announcements (announce: true).
t_gw_doip_func() {
	ip link set lo up
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
routes: []
doip:
  listen: 127.0.0.1
  port: 13410
  logical_address: 0x1000
  vin: WVWZZZ1JZXW000001
  announce: true
  testers:
    - address: 0x0E80
      firewall: {allow: [0x22, 0x3E]}
    - address: 0x0E81
      firewall: {allow: [0x22, 0x3E, 0x31]}
  ecus:
    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}
    - {address: 0x0011, interface: vcan0, tx: 0x7E1, rx: 0x7E9}
  functional:
    - {address: 0xE400, interface: vcan0}
options: {control: $PWD/ctl.sock}
EOF
	candump -L -r 8388608 vcan0 >can.log &
	p1=$!
	sync_listeners vcan0 can.log
	# the engine's routine FF00 answers 0x78 for 3 s, not 0.3
	sed 's/pending_ms: 300$/pending_ms: 3000/' "$SIMCFG" >sim.yaml
	grep -q 'pending_ms: 3000$' sim.yaml
	start_sim vcan0 sim.yaml 7E0
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_rx vcan0 7E8 2
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13410'
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
        self.t = socket.create_connection(("127.0.0.1", 13410), timeout=10)
        self.buf = b""
        self.t.sendall(bytes(DoIP(payload_type=0x0005, source_address=sa, activation_type=0)))
        r = self.msg()
        if r.payload_type != 0x0006 or r.routing_activation_response != 0x10:
            fail("activation 0x%04X: %r" % (sa, r))
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
    def ack(self, ta):
        a = self.msg()
        if a.payload_type == 0x8003 and a.source_address == ta:
            return "nack %02x" % a.nack_code
        if a.payload_type != 0x8002 or a.source_address != ta or a.target_address != self.sa:
            fail("0x%04X: ack from 0x%04X: %r" % (self.sa, ta, a))
        return "ack"
    def answers(self, n):
        got = {}
        while len(got) < n:
            r = self.msg()
            if r.payload_type != 0x8001 or r.target_address != self.sa:
                fail("0x%04X: answer: %r" % (self.sa, r))
            data = bytes(r.payload)
            if data[:1] == b"\x7f" and data[2:3] == b"\x78":
                continue
            if r.source_address in got:
                fail("two answers from 0x%04X" % r.source_address)
            got[r.source_address] = data.hex()
        return got

a, b = Tester(0x0E80), Tester(0x0E81)
a.send(0xE400, "3E00")
if a.ack(0xE400) != "ack":
    fail("functional 3E 00 not acknowledged")
got = a.answers(2)
if got != {0x0010: "7e00", 0x0011: "7e00"}:
    fail("functional 3E 00 answered %r" % got)
print("3E 00 to E400: answered by 0010 and 0011")

vin = (b"\x62\xf1\x90" + b"WVWZZZ1JZXW000001").hex()
a.send(0xE400, "22F190")
a.ack(0xE400)
got = a.answers(2)
if got != {0x0010: vin, 0x0011: vin}:
    fail("functional 22 F190 answered %r" % got)
print("22 F190 to E400: both VINs, multi-frame answers")

a.send(0xE400, "2EF19041")
a.ack(0xE400)
got = a.answers(1)
if got != {0xE400: "7f2e33"}:
    fail("refused 2E answered %r" % got)
print("2E to E400: 7F 2E 33 from E400")

a.send(0xE400, "22F190F18CF187F1")
got = a.ack(0xE400)
if got != "nack 04":
    fail("8 bytes to E400: " + got)
print("8 bytes to E400: nack 04")

# nobody answers 3E 80; then B's physical 3E 00 to 0010 is B's answer
a.send(0xE400, "3E80")
a.ack(0xE400)
b.send(0x0010, "3E00")
b.ack(0x0010)
got = b.answers(1)
if got != {0x0010: "7e00"}:
    fail("physical 3E 00 after a functional 3E 80: %r" % got)
# and A is owed nothing: its next answer is its next request's
a.send(0x0011, "3E00")
a.ack(0x0011)
got = a.answers(1)
if got != {0x0011: "7e00"}:
    fail("A after its 3E 80: %r" % got)
print("physical answer after a functional 3E 80 went to its own tester")

# B's routine on 0010 is answered 0x78 for 3 s: 0010 is busy for A's 3E 00,
# which only 0011 then answers to A
b.send(0x0010, "3101FF00")
b.ack(0x0010)
r = b.msg()
if r.source_address != 0x0010 or bytes(r.payload).hex() != "7f3178":
    fail("routine: %r" % r)
a.send(0xE400, "3E00")
a.ack(0xE400)
got = a.answers(1)
if got != {0x0011: "7e00"}:
    fail("3E 00 while 0010 is busy: %r" % got)
a.send(0x0011, "3E00")
a.ack(0x0011)
got = a.answers(1)
if got != {0x0011: "7e00"}:
    fail("A after 3E 00 while 0010 was busy: %r" % got)
while True:
    r = b.msg()
    d = bytes(r.payload).hex()
    if r.payload_type != 0x8001 or r.source_address != 0x0010:
        fail("routine: %r" % r)
    if d == "7101ff0000":
        break
    if d not in ("7f3178", "7e00"):
        fail("routine answered " + d)
print("a busy ECU left out, the routine answered to B")
a.t.close()
b.t.close()

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(10)
u.sendto(bytes(DoIP(payload_type=0x4003)), ("127.0.0.1", 13410))
r = DoIP(u.recv(512))
if r.payload_type != 0x4004 or r.diagnostic_power_mode != 1:
    fail("power mode: %r" % r)
print("power mode ready")
PY
	cat tester.log
	# the tester side: canrig diag prints each ECU's answer by its address
	poll "the testers' sockets never closed" \
		eval '"$CANRIG" gw -s "$PWD/ctl.sock" status | grep -q "0 of 4 tester sockets"'
	xrc 0 raw diag --doip 127.0.0.1:13410 -e E400 raw 3E00
	xrc 2 rawphys diag --doip 127.0.0.1:13410 -e E400 read F190
	xrc 0 pw gw -s "$PWD/ctl.sock" doip power not-ready
	xrc 0 st gw -s "$PWD/ctl.sock" status
	xrc 2 pwbad gw -s "$PWD/ctl.sock" doip power off
	/usr/bin/python3 - >power.log 2>&1 <<'PY' || rc=1
import socket
from scapy.contrib.automotive.doip import DoIP
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(10)
u.sendto(bytes(DoIP(payload_type=0x4003)), ("127.0.0.1", 13410))
r = DoIP(u.recv(512))
print("power", r.payload_type, r.diagnostic_power_mode)
PY
	xrc 0 stats gw -s "$PWD/ctl.sock" stats
	# announce: true: three at start (nobody listened), three more when the
	# listen interface (lo, the guest's own) comes back up
	/usr/bin/python3 - >ann.log 2>&1 <<'PY' &
import socket
from scapy.contrib.automotive.doip import DoIP
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("127.255.255.255", 13410))
print("listening", flush=True)
r.settimeout(60)
for i in range(3):
    a = DoIP(r.recv(512))
    print("announcement", a.payload_type, a.vin.decode(), "%04X" % a.logical_address,
          flush=True)
print("three", flush=True)
PY
	an=$!
	wait_for ann.log '^listening'
	ip link set lo down
	ip link set lo up
	wait $an || rc=1
	xrc 0 st2 gw -s "$PWD/ctl.sock" status
	finish vcan0 can.log
	stop $p1
	kill -TERM $GW
	wait $GW || true
	kill -INT $SIM
	wait $SIM || true
	[ "$rc" = 0 ]
	has tester.log 'physical answer after a functional 3E 80 went to its own tester'
	has tester.log 'a busy ECU left out, the routine answered to B'
	has raw '0010: 7E 00'
	has raw '0011: 7E 00'
	[ "$(grep -c ': 7E 00' raw)" = 2 ] || { cat raw; false; }
	has rawphys 'is a functional address: only raw'
	has pw 'doip power mode not-ready'
	has st 'doip: power mode not-ready'
	has power.log 'power 16388 0'
	[ "$(grep -c '^announcement 4 WVWZZZ1JZXW000001 1000$' ann.log)" = 3 ] || { cat ann.log; false; }
	has st2 'doip: power mode not-ready, announcements sent 6, failed 0'
	has gw.log 'doip: lo up: 3 vehicle announcements again'
	# each functional request once on the bus, as one single frame; the
	# refused 2E and the 8-byte request never
	[ "$(grep -c ' vcan0 7DF#023E00' can.log)" = 3 ] || { grep 7DF can.log; false; }
	[ "$(grep -c ' vcan0 7DF#0322F190' can.log)" = 1 ] || { grep 7DF can.log; false; }
	[ "$(grep -c ' vcan0 7DF#023E80' can.log)" = 1 ] || { grep 7DF can.log; false; }
	[ "$(grep -c ' vcan0 7DF#' can.log)" = 5 ] || { grep 7DF can.log; false; }
	absent ' vcan0 7DF#..2E' can.log
	has stats 'doip functional 0xE400 on vcan0 (0x7DF): requests 5, ECUs asked 9, ECUs busy 1, transfer errors 0'
	has stats 'doip tester 0x0E80: activations 2, activations refused 0, requests 9, forwarded 7, answers 9, firewall 1, too-large 1'
	has stats 'doip tester 0x0E81: activations 1, activations refused 0, requests 2, forwarded 2, answers '
}
