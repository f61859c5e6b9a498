#!/bin/bash
# cli_gw_doip.sh - canrigd's DoIP entity (gateway/gwd_doip.c) on loopback
# with no CAN bus (build/gwd_doip_host runs it alone, every interface
# closed): a tester nobody on the project wrote (Debian's python3-scapy
# DoIP classes) gets identification, the entity status, routing
# activation (refused for an unknown tester and an unsupported type), the
# firewall's 7F SID 33, and NACK 0x03 and 0x06 (a bus that is down, also
# for a request over max_len, which would stream); the counters say so
# per tester and reason, in text and JSON.
# Prints one PASS/FAIL line per check and "cli_gw_doip: N passed, N
# failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
HOST=${GWD_DOIP_HOST:-$(dirname "$CANRIG")/gwd_doip_host}

ready() { grep -q '^ready$' host.out 2>/dev/null; }
dumps() { grep -c '^--- end$' host.out 2>/dev/null || :; }
dumped() { [ "$(dumps)" -gt "$DUMPS" ]; }

# gwyaml ALLOW [ADDRESS [PORT]]: the issue's minimal file, its tester's
# allow list ALLOW (and address, port) as given
gwyaml() {
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x100]}
doip:
  listen: 127.0.0.1
  port: ${3:-$PORT}
  logical_address: 0x1000
  vin: WVWZZZ1JZXW000001
  testers:
    - address: ${2:-0x0E80}
      firewall:
        allow: [$1]
  ecus:
    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}
    - {address: 0x0011, interface: vcan0, tx: 0x7E1, rx: 0x7E9}
EOF
}

# the issue's minimal file, on a port of its own
start_entity() {
	PORT=$(free_port)
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x100]}
doip:
  listen: 127.0.0.1
  port: $PORT
  logical_address: 0x1000
  vin: WVWZZZ1JZXW000001
  testers:
    - address: 0x0E80
      firewall:
        allow: [0x22, 0x19, 0x3E, {sid: 0x10, subs: [0x01, 0x03]}]
  ecus:
    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}
    - {address: 0x0011, interface: vcan0, tx: 0x7E1, rx: 0x7E9}
EOF
	"$HOST" gw.yaml >host.out 2>host.err &
	ENT=$!
	PIDS="$PIDS $ENT"
	poll "the entity listening" ready
}

tester() {
	cat >tester.py <<'EOF'
import socket, struct, sys
from scapy.contrib.automotive.doip import DoIP

port = int(sys.argv[1])

def fail(msg):
    print("FAIL", msg)
    sys.exit(1)

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(bytes(DoIP(payload_type=0x0001)), ("127.0.0.1", port))
a = DoIP(u.recv(512))
if a.payload_type != 0x0004 or a.vin != b"WVWZZZ1JZXW000001" or a.logical_address != 0x1000:
    fail("identification: " + repr(a))
u.sendto(bytes(DoIP(payload_type=0x4001)), ("127.0.0.1", port))
a = DoIP(u.recv(512))
if a.payload_type != 0x4002 or a.max_open_sockets != 4:
    fail("entity status: " + repr(a))
print("udp ok")

class Conn:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def sendall(self, b):
        self.s.sendall(b)

    def recv(self, n):
        return self.s.recv(n)

def conn():
    return Conn()

def msg(t):
    while True:
        if len(t.buf) >= 8:
            n = 8 + struct.unpack(">I", t.buf[4:8])[0]
            if len(t.buf) >= n:
                m, t.buf = t.buf[:n], t.buf[n:]
                return DoIP(m)
        d = t.recv(65536)
        if not d:
            return None
        t.buf += d

def activate(t, sa, typ):
    t.sendall(bytes(DoIP(payload_type=0x0005, source_address=sa, activation_type=typ)))
    r = msg(t)
    if r is None or r.payload_type != 0x0006:
        fail("activation answer: " + repr(r))
    return r.routing_activation_response

t = conn()
c = activate(t, 0x0E81, 0)
if c != 0x00 or msg(t) is not None:
    fail("unknown tester: code 0x%02X, socket not closed" % c)
t = conn()
c = activate(t, 0x0E80, 0xE0)
if c != 0x06 or msg(t) is not None:
    fail("central security: code 0x%02X, socket not closed" % c)
t = conn()
if activate(t, 0x0E80, 0) != 0x10:
    fail("activation refused")
print("activation ok")

def diag(ta, uds):
    t.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=ta) / uds))
    a = msg(t)
    if a is None or a.source_address != ta or a.target_address != 0x0E80:
        fail("no ack for %04X %s: %r" % (ta, uds[:8].hex(), a))
    if a.payload_type == 0x8003:
        return "nack %02x" % a.nack_code
    if a.payload_type != 0x8002 or a.ack_code != 0:
        fail("ack: " + repr(a))
    r = msg(t)
    if r is None or r.payload_type != 0x8001 or r.source_address != ta:
        fail("answer: " + repr(r))
    return bytes(r.payload).hex()

want = [
    (0x0010, "22F190", "nack 06"),      # allowed; vcan0 is down here
    (0x0010, "2EF190" + "41" * 17, "7f2e33"),
    (0x0010, "1002", "7f1033"),         # a sub-function the list leaves out
    (0x0099, "22F190", "nack 03"),
    (0x0010, "22" * 5000, "nack 06"),   # over max_len: would stream; vcan0 is down
    (0x0011, "3E00", "nack 06"),
]
for ta, uds, w in want:
    got = diag(ta, bytes.fromhex(uds))
    if got != w:
        fail("%04X %s: %s, wanted %s" % (ta, uds[:8], got, w))
print("diagnostics ok")
# the socket stays registered until the shell has read the status
print("done", flush=True)
import os, time
while not os.path.exists("release"):
    time.sleep(0.05)
EOF
	"$PY" tester.py "$PORT"
}

# done, or failed (then its log is shown)
tester_done() {
	grep -qx done tester.log 2>/dev/null && return 0
	if grep -q FAIL tester.log 2>/dev/null || ! kill -0 "$T" 2>/dev/null; then
		cat tester.log host.err
		exit 1
	fi
	return 1
}

# dump: status, stats and JSON appended to host.out (the last is newest)
dump() {
	DUMPS=$(dumps)
	kill -USR1 "$ENT"
	poll "the counters" dumped
}

entity() {
	start_entity
	tester >tester.log 2>&1 &
	T=$!
	PIDS="$PIDS $T"
	poll "the tester" tester_done
	dump
	touch release
	wait "$T" || { cat tester.log host.err; false; }
	grep -qx 'doip tester 0x0E80: activations 1, activations refused 1, requests 6, forwarded 0, answers 0, firewall 2, unknown-target 1, unreachable 3' host.out ||
		{ cat host.out; false; }
	grep -q '^doip: tcp accepted 3, refused 0, activations from unknown testers 1, udp in 2, out 2,' host.out ||
		{ cat host.out; false; }
	grep -qx 'doip ecu 0x0010 on vcan0: requests 0, answers 0, transfer errors 0, receive errors 0, answers dropped 0' host.out
	grep -qE '^doip tester 0x0E80: 127\.0\.0\.1:[0-9]+, activation default, since [0-9.]+ s$' host.out
	sed -n '/^--- json$/,/^--- end$/p' host.out | sed '1d;$d' >stats.json
	"$PY" - stats.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["doip"]
t = d["testers"][0]
assert t["address"] == 0x0E80 and t["requests"] == 6, t
assert t["refused"] == {"firewall": 2, "unknown-target": 1, "too-large": 0,
                        "unreachable": 3, "busy": 0, "transfer-failed": 0}, t["refused"]
assert [e["address"] for e in d["ecus"]] == [0x10, 0x11], d["ecus"]
EOF
	grep -q 'SID 0x2E refused by its firewall' host.err
	kill -TERM "$ENT"
	wait "$ENT"
}

reloads_ge() { [ "$(grep -c '^reloaded$' host.out 2>/dev/null)" -ge "$1" ]; }
has_line() { grep -q "$2" "$1" 2>/dev/null; }

# A reload applies the testers' list and firewalls to the sockets already
# activated (counters kept per address; a removed tester's socket is
# closed); a new port too (the old one answers no more).
reload() {
	start_entity
	cat >tester.py <<'EOF'
import os, socket, struct, sys, time
from scapy.contrib.automotive.doip import DoIP

t = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
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
            return None
        buf += d

def diag(uds):
    t.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x10) /
                    bytes.fromhex(uds)))
    a = msg()
    if a.payload_type == 0x8003:
        return "nack %02x" % a.nack_code
    return bytes(msg().payload).hex()

def wait(f):
    while not os.path.exists(f):
        time.sleep(0.05)

t.sendall(bytes(DoIP(payload_type=0x0005, source_address=0x0E80, activation_type=0)))
assert msg().routing_activation_response == 0x10
print("phase1", diag("2EF19041"), flush=True)
wait("go2")
print("phase2", diag("2EF19041"), flush=True)
wait("go3")
print("phase3", "closed" if msg() is None else "open", flush=True)
EOF
	"$PY" tester.py "$PORT" >tester.log 2>&1 &
	T=$!
	PIDS="$PIDS $T"
	poll "phase 1" has_line tester.log '^phase1'
	grep -qx 'phase1 7f2e33' tester.log
	gwyaml '0x22, 0x2E, 0x3E'
	kill -HUP "$ENT"
	poll "reload 1" reloads_ge 1
	grep -q "reload: doip: entity 0x1000 on 127.0.0.1:$PORT, 1 tester, 2 ECUs (0 added, 0 changed, 0 removed)$" host.err ||
		{ cat host.err; false; }
	touch go2
	poll "phase 2" has_line tester.log '^phase2'
	grep -qx 'phase2 nack 06' tester.log
	dump
	grep -q '^doip tester 0x0E80: activations 1, activations refused 0, requests 2, forwarded 0, answers 0, firewall 1, unreachable 1$' host.out ||
		{ cat host.out; false; }
	gwyaml '0x22' 0x0E81
	kill -HUP "$ENT"
	poll "reload 2" reloads_ge 2
	grep -q '1 tester (sockets of removed testers closed), 2 ECUs' host.err
	touch go3
	wait "$T"
	grep -qx 'phase3 closed' tester.log
	P2=$(free_port)
	gwyaml '0x22' 0x0E81 "$P2"
	kill -HUP "$ENT"
	poll "reload 3" reloads_ge 3
	grep -q "reload: doip: entity 0x1000 on 127.0.0.1:$P2, .*; new listening sockets, tester sockets kept$" host.err ||
		{ cat host.err; false; }
	"$PY" - "$PORT" "$P2" <<'EOF2'
import socket, sys
from scapy.contrib.automotive.doip import DoIP
old, new = int(sys.argv[1]), int(sys.argv[2])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(bytes(DoIP(payload_type=0x0001)), ("127.0.0.1", new))
assert DoIP(u.recv(512)).logical_address == 0x1000
try:
    socket.create_connection(("127.0.0.1", old), timeout=5)
    sys.exit("the old port still accepts")
except ConnectionRefusedError:
    pass
socket.create_connection(("127.0.0.1", new), timeout=5).close()
EOF2
	dump
	grep -q '^doip tester 0x0E81: activations 0, activations refused 0, requests 0,' host.out ||
		{ cat host.out; false; }
	kill -TERM "$ENT"
	wait "$ENT"
}

refusals_ge() { [ "$(grep -c '^reload refused: ' host.out 2>/dev/null)" -ge "$1" ]; }

# ECUs and the entity on reload, the tester's socket staying up: an ECU
# added is reachable (NACK 0x06 here: its bus is down, not 0x03), one
# removed is unknown (0x03), a new VIN answers at once; a reload whose
# port is taken is refused whole (the ECU it adds stays unknown, nothing
# stays bound on that port); the doip: section removed stops the entity,
# added back starts it.
reload_ecus() {
	start_entity
	cat >tester.py <<'EOF'
import os, socket, struct, sys, time
from scapy.contrib.automotive.doip import DoIP

port = int(sys.argv[1])
t = socket.create_connection(("127.0.0.1", port), timeout=10)
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
            return None
        buf += d

def diag(ta):
    t.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=ta) /
                    bytes.fromhex("22F190")))
    a = msg()
    if a is None:
        return "closed"
    return "nack %02x" % a.nack_code if a.payload_type == 0x8003 else "ack"

def vin():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    u.sendto(bytes(DoIP(payload_type=0x0001)), ("127.0.0.1", port))
    return DoIP(u.recv(512)).vin.decode()

def wait(f):
    while not os.path.exists(f):
        time.sleep(0.05)

t.sendall(bytes(DoIP(payload_type=0x0005, source_address=0x0E80, activation_type=0)))
assert msg().routing_activation_response == 0x10
print("phase1", diag(0x10), diag(0x12), vin(), flush=True)
wait("ecus2")
print("phase2", diag(0x10), diag(0x12), vin(), flush=True)
wait("ecus3")
print("phase3", diag(0x10), diag(0x11), diag(0x12), diag(0x13), flush=True)
wait("ecus4")
print("phase4", diag(0x11), diag(0x13), flush=True)
wait("ecus5")
print("phase5", "closed" if msg() is None else "open", flush=True)
EOF
	rm -f tester.log # the reload check's is in the same directory
	"$PY" tester.py "$PORT" >tester.log 2>&1 &
	T=$!
	PIDS="$PIDS $T"
	poll "phase 1" has_line tester.log '^phase1 '
	grep -qx 'phase1 nack 06 nack 03 WVWZZZ1JZXW000001' tester.log || { cat tester.log; false; }
	# an ECU added, another VIN
	gwyaml '0x22'
	sed -i 's/^  vin: .*/  vin: WVWZZZ1JZXW000002/' gw.yaml
	echo '    - {address: 0x0012, interface: vcan1, tx: 0x7E2, rx: 0x7EA}' >>gw.yaml
	kill -HUP "$ENT"
	poll "reload 1" reloads_ge 1
	grep -q "1 tester, 3 ECUs (1 added, 0 changed, 0 removed)$" host.err || { cat host.err; false; }
	touch ecus2
	poll "phase 2" has_line tester.log '^phase2'
	grep -qx 'phase2 nack 06 nack 06 WVWZZZ1JZXW000002' tester.log || { cat tester.log; false; }
	# 0x0010 removed (0x0011 and 0x0012 stay)
	sed -i '/address: 0x0010, interface/d' gw.yaml
	kill -HUP "$ENT"
	poll "reload 2" reloads_ge 2
	grep -q "2 ECUs (0 added, 0 changed, 1 removed)$" host.err || { cat host.err; false; }
	# its slot stays free: the JSON lists the others, and is JSON
	dump
	sed -n '/^--- json$/,/^--- end$/p' host.out | sed '1d;$d' | tail -1 >stats.json
	"$PY" -c 'import json, sys
e = json.load(open(sys.argv[1]))["doip"]["ecus"]
assert [x["address"] for x in e] == [0x11, 0x12], e' stats.json
	# a reload onto a port another program holds (TCP: the UDP socket the
	# reload opened first must be closed again) adds no 0x0013
	P3=$(free_port)
	"$PY" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("bound", flush=True); time.sleep(600)' "$P3" >hold.log 2>&1 &
	H=$!
	PIDS="$PIDS $H"
	poll "the port taken" has_line hold.log '^bound'
	cp gw.yaml gw.good
	sed -i "s/^  port: .*/  port: $P3/" gw.yaml
	echo '    - {address: 0x0013, interface: vcan1, tx: 0x7E3, rx: 0x7EB}' >>gw.yaml
	kill -HUP "$ENT"
	poll "the refusal" refusals_ge 1
	grep -q "^reload refused: doip: TCP port $P3 on 127.0.0.1: Address already in use$" host.out ||
		{ cat host.out; false; }
	kill "$H"
	wait "$H" 2>/dev/null || :
	"$PY" -c 'import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", int(sys.argv[1])))' "$P3"
	touch ecus3
	poll "phase 3" has_line tester.log '^phase3'
	grep -qx 'phase3 nack 03 nack 06 nack 06 nack 03' tester.log || { cat tester.log; false; }
	# the same file once the port is free: applied
	kill -HUP "$ENT"
	poll "reload 3" reloads_ge 3
	touch ecus4
	poll "phase 4" has_line tester.log '^phase4'
	grep -qx 'phase4 nack 06 nack 06' tester.log || { cat tester.log; false; }
	dump
	grep -qx 'doip ecu 0x0013 on vcan1: requests 0, answers 0, transfer errors 0, receive errors 0, answers dropped 0' host.out ||
		{ cat host.out; false; }
	! grep -q '^doip ecu 0x0010' host.out || { cat host.out; false; }
	# no doip: the entity stops, its tester's socket with it
	sed -i '/^doip:/,$d' gw.yaml
	kill -HUP "$ENT"
	poll "reload 4" reloads_ge 4
	grep -q 'reload: doip: section removed, the entity stopped$' host.err
	touch ecus5
	wait "$T"
	grep -qx 'phase5 closed' tester.log || { cat tester.log; false; }
	"$PY" -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    sys.exit("still listening")
except ConnectionRefusedError:
    pass' "$P3"
	cp gw.good gw.yaml
	kill -HUP "$ENT"
	poll "reload 5" reloads_ge 5
	grep -q 'reload: doip: section added, the entity started$' host.err
	"$PY" - "$PORT" <<'EOF'
import socket, sys
from scapy.contrib.automotive.doip import DoIP
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(bytes(DoIP(payload_type=0x0001)), ("127.0.0.1", int(sys.argv[1])))
assert DoIP(u.recv(512)).vin == b"WVWZZZ1JZXW000002"
EOF
	kill -TERM "$ENT"
	wait "$ENT"
}

# The entity's own keys on reload: max_testers answers the next entity
# status (0x4002), and an ECU whose ISO-TP settings changed is reopened
# (counted as changed, still routed).
reload_entity() {
	start_entity
	gwyaml '0x22'
	sed -i 's/^  vin: .*/&\n  max_testers: 2/' gw.yaml
	sed -i 's/tx: 0x7E1, rx: 0x7E9}/tx: 0x7E1, rx: 0x7E9, bs: 8}/' gw.yaml
	kill -HUP "$ENT"
	poll "reload 1" reloads_ge 1
	grep -q "1 tester, 2 ECUs (0 added, 1 changed, 0 removed)$" host.err || { cat host.err; false; }
	"$PY" - "$PORT" <<'EOF'
import socket, struct, sys
from scapy.contrib.automotive.doip import DoIP
port = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(bytes(DoIP(payload_type=0x4001)), ("127.0.0.1", port))
a = DoIP(u.recv(512))
assert a.payload_type == 0x4002 and a.max_open_sockets == 2, repr(a)
t = socket.create_connection(("127.0.0.1", port), timeout=10)
t.sendall(bytes(DoIP(payload_type=0x0005, source_address=0x0E80, activation_type=0)))
r = t.recv(512)
assert DoIP(r).routing_activation_response == 0x10
t.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x11) /
                bytes.fromhex("22F190")))
a = DoIP(t.recv(512))
assert a.payload_type == 0x8003 and a.nack_code == 0x06, repr(a)
EOF
	kill -TERM "$ENT"
	wait "$ENT"
}

# announce: true: exactly three vehicle announcements (0x0004: the VIN,
# logical address and EID configured) to the listen address's broadcast
# address, for loopback 127.255.255.255, on the entity's port.
announce() {
	PORT=$(free_port)
	gwyaml '0x22'
	sed -i 's/^  vin: .*/&\n  eid: "02 00 00 00 10 00"\n  announce: true/' gw.yaml
	cat >listen.py <<'EOF'
import socket, sys
from scapy.contrib.automotive.doip import DoIP

r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("127.255.255.255", int(sys.argv[1])))
print("listening", flush=True)
r.settimeout(30)
for i in range(3):
    a = DoIP(r.recv(512))
    if (a.payload_type != 0x0004 or a.vin != b"WVWZZZ1JZXW000001" or
            a.logical_address != 0x1000 or a.eid != bytes.fromhex("020000001000")):
        print("FAIL announcement", i + 1, repr(a))
        sys.exit(1)
    print("announcement", i + 1, flush=True)
# a fourth would follow the third within 500 ms
r.settimeout(1.5)
try:
    a = r.recv(512)
    print("FAIL a fourth announcement", a.hex())
    sys.exit(1)
except socket.timeout:
    pass
print("three", flush=True)
EOF
	"$PY" listen.py "$PORT" >listen.log 2>&1 &
	L=$!
	PIDS="$PIDS $L"
	poll "the listener" has_line listen.log '^listening'
	"$HOST" gw.yaml >host.out 2>host.err &
	ENT=$!
	PIDS="$PIDS $ENT"
	poll "the entity listening" ready
	wait "$L" || { cat listen.log host.err; false; }
	grep -qx three listen.log
	dump
	grep -qx 'doip: power mode ready, announcements sent 3, failed 0' host.out ||
		{ cat host.out; false; }
	grep -q "doip: 3 vehicle announcements to 127.255.255.255:$PORT" host.err
	kill -TERM "$ENT"
	wait "$ENT"
}

# A functional address (0xE400 on vcan0): what needs no bus.  The
# firewall refuses from the functional address (ACK + 7F 2E 33), a
# request longer than one single frame gets NACK 0x04, an allowed one
# NACK 0x06 (the bus is down here); counted per tester and address.
functional_host() {
	PORT=$(free_port)
	gwyaml '0x22, 0x3E'
	printf '  functional:\n    - {address: 0xE400, interface: vcan0}\n' >>gw.yaml
	"$HOST" gw.yaml >host.out 2>host.err &
	ENT=$!
	PIDS="$PIDS $ENT"
	poll "the entity listening" ready
	cat >tester.py <<'EOF'
import socket, struct, sys
from scapy.contrib.automotive.doip import DoIP

t = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
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
            return None
        buf += d

def diag(uds):
    t.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0xE400) /
                    bytes.fromhex(uds)))
    a = msg()
    if a.source_address != 0xE400:
        return "ack from %04x" % a.source_address
    if a.payload_type == 0x8003:
        return "nack %02x" % a.nack_code
    r = msg()
    return "%04x %s" % (r.source_address, bytes(r.payload).hex())

t.sendall(bytes(DoIP(payload_type=0x0005, source_address=0x0E80, activation_type=0)))
assert msg().routing_activation_response == 0x10
for uds in ("2EF19041", "22F190F18CF187F1", "3E00"):
    print(uds, diag(uds), flush=True)
EOF
	"$PY" tester.py "$PORT" >tester.log 2>&1 || { cat tester.log host.err; false; }
	grep -qx '2EF19041 e400 7f2e33' tester.log || { cat tester.log; false; }
	grep -qx '22F190F18CF187F1 nack 04' tester.log
	grep -qx '3E00 nack 06' tester.log
	dump
	grep -qx 'doip tester 0x0E80: activations 1, activations refused 0, requests 3, forwarded 0, answers 0, firewall 1, too-large 1, unreachable 1' host.out ||
		{ cat host.out; false; }
	grep -qx 'doip functional 0xE400 on vcan0 (0x7DF): requests 0, ECUs asked 0, ECUs busy 0, transfer errors 0, bus down 1' host.out
	sed -n '/^--- json$/,/^--- end$/p' host.out | sed '1d;$d' >stats.json
	"$PY" - stats.json <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))["doip"]["functional"]
assert f == [{"address": 0xE400, "interface": "vcan0", "id": 0x7DF, "requests": 0,
              "ecus_asked": 0, "ecus_busy": 0, "tx_errors": 0, "bus_down": 1}], f
EOF
	grep -q 'to functional 0xE400: SID 0x2E refused by its firewall' host.err
	kill -TERM "$ENT"
	wait "$ENT"
}

# One functional address over two buses: one entry per bus, each with
# its bus's functional id (0x7DF; 0x18DB33F1 where the ECUs are 29-bit);
# both buses down here: each skipped and counted, the request NACKed
# 0x06 as for one bus.
functional_buses() {
	PORT=$(free_port)
	gwyaml '0x22, 0x3E'
	cat >>gw.yaml <<'EOF'
    - {address: 0x0012, interface: vcan1, tx: 0x18DA12F1, rx: 0x18DAF112}
  functional:
    - {address: 0xE400, interfaces: [vcan0, vcan1]}
EOF
	"$HOST" gw.yaml >host.out 2>host.err &
	ENT=$!
	PIDS="$PIDS $ENT"
	poll "the entity listening" ready
	cat >tester.py <<'EOF'
import socket, struct, sys
from scapy.contrib.automotive.doip import DoIP

t = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
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
            return None
        buf += d

t.sendall(bytes(DoIP(payload_type=0x0005, source_address=0x0E80, activation_type=0)))
assert msg().routing_activation_response == 0x10
t.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0xE400) /
                bytes.fromhex("3E00")))
a = msg()
print("%04x %04x %02x" % (a.payload_type, a.source_address,
                          a.nack_code if a.payload_type == 0x8003 else 0), flush=True)
EOF
	"$PY" tester.py "$PORT" >tester.log 2>&1 || { cat tester.log host.err; false; }
	grep -qx '8003 e400 06' tester.log || { cat tester.log; false; }
	dump
	grep -qx 'doip functional 0xE400 on vcan0 (0x7DF): requests 0, ECUs asked 0, ECUs busy 0, transfer errors 0, bus down 1' host.out ||
		{ cat host.out; false; }
	grep -qx 'doip functional 0xE400 on vcan1 (0x18DB33F1): requests 0, ECUs asked 0, ECUs busy 0, transfer errors 0, bus down 1' host.out
	grep -q 'requests 1, forwarded 0, answers 0, unreachable 1$' host.out
	kill -TERM "$ENT"
	wait "$ENT"
}

# power_mode: the diagnostic power mode from a DBC signal (dbc: relative
# to the YAML's directory).  Here its bus is absent: "not ready" in the
# entity's 0x4004 to a real tester, the source in status, its counters;
# a reload whose DBC lacks the signal, or does not parse, is refused (the
# DBC's own file:line:col in the message); one without power_mode: gives
# the mode back to the control socket ("ready", as at start).
power_host() {
	PORT=$(free_port)
	gwyaml '0x22'
	mkdir -p conf
	mv gw.yaml conf/gw.yaml
	cat >conf/body.dbc <<'EOF'
VERSION ""

NS_ :

BS_:

BU_: VCU BCM

BO_ 801 VehicleState: 8 VCU
 SG_ VehiclePowerMode : 0|3@1+ (1,0) [0|7] "" BCM

VAL_ 801 VehiclePowerMode 0 "Off" 1 "Acc" 2 "Run" 3 "Crank" ;
EOF
	cp conf/gw.yaml conf/plain.yaml
	cat >>conf/gw.yaml <<'EOF'
  power_mode:
    dbc: body.dbc
    interface: vcan1
    signal: VehiclePowerMode
    ready: [Run, 3]
EOF
	"$HOST" conf/gw.yaml >host.out 2>host.err &
	ENT=$!
	PIDS="$PIDS $ENT"
	poll "the entity listening" ready
	cat >power.py <<'EOF'
import socket, sys
from scapy.contrib.automotive.doip import DoIP

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(bytes(DoIP(payload_type=0x4003)), ("127.0.0.1", int(sys.argv[1])))
a = DoIP(u.recv(512))
print("%04x %02x" % (a.payload_type, a.diagnostic_power_mode))
EOF
	"$PY" power.py "$PORT" >power.log 2>&1 || { cat power.log host.err; false; }
	grep -qx '4004 00' power.log || { cat power.log; false; }
	dump
	grep -qx 'doip: power mode not-ready from signal VehicleState.VehiclePowerMode on vcan1 (socket not open: bus absent)' host.out ||
		{ cat host.out; false; }
	grep -qx 'doip power mode signal VehicleState.VehiclePowerMode on vcan1: frames 0, without the signal 0, stale 0, socket errors 0' host.out
	sed -n '/^--- json$/,/^--- end$/p' host.out | sed '1d;$d' >stats.json
	"$PY" - stats.json <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))["doip"]["power_mode"]
assert p == {"signal": "VehicleState.VehiclePowerMode", "interface": "vcan1",
             "mode": "not-ready", "frames": 0, "absent": 0, "stale": 0,
             "socket_errors": 0}, p
EOF
	# the DBC changed under it: the reload is refused, the DBC named
	sed -i 's/VehiclePowerMode/PowerMode/' conf/body.dbc
	kill -HUP "$ENT"
	poll "reload refused" has_line host.out '^reload refused'
	grep -qx "reload refused: conf/gw.yaml:21:13: signal: no signal 'VehiclePowerMode' in conf/body.dbc" host.out ||
		{ cat host.out; false; }
	printf 'VERSION ""\nBO_ 801 VehicleState: 8 VCU\n SG_ VehiclePowerMode : 0|3@1+ (1,0 [0|7] ""\n' >conf/body.dbc
	kill -HUP "$ENT"
	poll "reload refused again" refused_ge 2
	grep -q "^reload refused: conf/gw.yaml:19:10: dbc: conf/body.dbc:3:" host.out ||
		{ cat host.out; false; }
	# without power_mode: the control socket's again, "ready" as at start
	cp conf/plain.yaml conf/gw.yaml
	kill -HUP "$ENT"
	poll "reload" reloads_ge 1
	grep -q 'doip: power mode by the control socket again: ready' host.err
	"$PY" power.py "$PORT" >power.log 2>&1 || { cat power.log host.err; false; }
	grep -qx '4004 01' power.log || { cat power.log; false; }
	dump
	sed -n '/^--- status$/,/^--- stats$/p' host.out | tail -n 20 | grep -qx 'doip: power mode ready'
	kill -TERM "$ENT"
	wait "$ENT"
}
refused_ge() { [ "$(grep -c '^reload refused' host.out 2>/dev/null)" -ge "$1" ]; }

check entity entity
check reload reload
check reload_ecus reload_ecus
check reload_entity reload_entity
check announce announce
check functional functional_host
check functional-buses functional_buses
check power power_host
summary
