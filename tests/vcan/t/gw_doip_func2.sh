# gw_doip_func2.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21: one DoIP functional address over two buses
#     (functional: [{address: 0xE400, interfaces: [vcan0, vcan1]}]):
#     canrig ecu-sim on each bus, 11-bit ECUs 0x0010 and 0x0011 on vcan0,
#     a 29-bit one (0x1010) on vcan1.  A scapy tester's 3E 00 and 22 F190
#     to 0xE400 go out once per bus (candump: 7DF on vcan0, 18DB33F1 on
#     vcan1, the bus's own functional id) and all three ECUs answer from
#     their own addresses.  vcan1 down: skipped and counted, vcan0's ECUs
#     still answer; both down: NACK 0x06.
t_gw_doip_func2() {
	ip link set lo up
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes: []
doip:
  listen: 127.0.0.1
  port: 13413
  logical_address: 0x1000
  testers:
    - address: 0x0E80
      firewall: {allow: [0x22, 0x3E]}
  ecus:
    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}
    - {address: 0x0011, interface: vcan0, tx: 0x7E1, rx: 0x7E9}
    - {address: 0x1010, interface: vcan1, tx: 0x18DA10F1, rx: 0x18DAF110}
  functional:
    - {address: 0xE400, interfaces: [vcan0, vcan1]}
options: {control: $PWD/ctl.sock}
EOF
	candump -L vcan0 >can0.log &
	p0=$!
	candump -L vcan1 >can1.log &
	p1=$!
	sync_listeners vcan0 can0.log
	sync_listeners vcan1 can1.log
	start_sim vcan0 "$SIMCFG" 7E0
	SIM0=$SIM
	ECUSIM_DIR=$PWD "$CANRIG" ecu-sim -i vcan1 -c "$DATA/ecu-sim/engine29.yaml" -v \
		2>sim1.log &
	SIM1=$!
	wait_rx vcan1 18DB33F1
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13413'
	rc=0
	CTL=$PWD/ctl.sock /usr/bin/python3 - >tester.log 2>&1 <<'PY' || rc=1
import os, socket, struct, subprocess, sys, time
from scapy.contrib.automotive.doip import DoIP

def fail(msg):
    print("FAIL", msg, flush=True)
    sys.exit(1)

t = socket.create_connection(("127.0.0.1", 13413), timeout=10)
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

def send(uds):
    t.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0xE400) /
                    bytes.fromhex(uds)))
    a = msg()
    if a.payload_type == 0x8003 and a.source_address == 0xE400:
        return "nack %02x" % a.nack_code
    if a.payload_type != 0x8002 or a.source_address != 0xE400:
        fail("ack: %r" % a)
    return "ack"

def answers(n):
    got = {}
    while len(got) < n:
        r = msg()
        if r.payload_type != 0x8001 or r.target_address != 0x0E80:
            fail("answer: %r" % r)
        data = bytes(r.payload)
        if data[:1] == b"\x7f" and data[2:3] == b"\x78":
            continue
        if r.source_address in got:
            fail("two answers from 0x%04X" % r.source_address)
        got[r.source_address] = data.hex()
    return got

def gw(*args):
    return subprocess.run([os.environ["CANRIG"], "gw", "-s", os.environ["CTL"]] + list(args),
                          capture_output=True, text=True).stdout

def until(what, cond):
    end = time.monotonic() + 30
    while not cond():
        if time.monotonic() > end:
            fail("never: " + what)
        time.sleep(0.05)

t.sendall(bytes(DoIP(payload_type=0x0005, source_address=0x0E80, activation_type=0)))
if msg().routing_activation_response != 0x10:
    fail("activation")

if send("3E00") != "ack":
    fail("3E 00 not acknowledged")
got = answers(3)
if got != {0x0010: "7e00", 0x0011: "7e00", 0x1010: "7e00"}:
    fail("3E 00 answered %r" % got)
print("3E 00 to E400: answered by 0010 and 0011 (vcan0) and 1010 (vcan1)", flush=True)

vin = (b"\x62\xf1\x90" + b"WVWZZZ1JZXW000001").hex()
vin29 = (b"\x62\xf1\x90" + b"WVWZZZ1JZXW000029").hex()
send("22F190")
got = answers(3)
if got != {0x0010: vin, 0x0011: vin, 0x1010: vin29}:
    fail("22 F190 answered %r" % got)
print("22 F190 to E400: three VINs from two buses", flush=True)
open("phase1", "w").close()

# vcan1 down: skipped and counted; vcan0's ECUs still answer
subprocess.run(["ip", "link", "set", "vcan1", "down"], check=True)
until("canrigd saw vcan1 go down",
      lambda: "vcan1 (body): DOWN" in gw("status") or "vcan1 (body): HELD" in gw("status"))
if send("3E00") != "ack":
    fail("3E 00 with vcan1 down not acknowledged")
got = answers(2)
if got != {0x0010: "7e00", 0x0011: "7e00"}:
    fail("3E 00 with vcan1 down answered %r" % got)
print("vcan1 down: answered by 0010 and 0011", flush=True)

# both down: NACK 0x06
subprocess.run(["ip", "link", "set", "vcan0", "down"], check=True)
until("canrigd saw vcan0 go down",
      lambda: "vcan0 (powertrain): DOWN" in gw("status") or
      "vcan0 (powertrain): HELD" in gw("status"))
got = send("3E00")
if got != "nack 06":
    fail("3E 00 with both buses down: " + got)
print("both down: nack 06", flush=True)
t.close()
PY
	# whatever happened: the buses up again for the tests after this one
	ip link set vcan0 up
	ip link set vcan1 up
	cat tester.log
	xrc 0 stats gw -s "$PWD/ctl.sock" stats
	kill -TERM $GW
	wait $GW || true
	kill -INT $SIM0 $SIM1 2>/dev/null || true
	wait $SIM0 || true
	wait $SIM1 || true
	stop $p0 $p1
	[ "$rc" = 0 ]
	has tester.log '3E 00 to E400: answered by 0010 and 0011 (vcan0) and 1010 (vcan1)'
	has tester.log '22 F190 to E400: three VINs from two buses'
	has tester.log 'vcan1 down: answered by 0010 and 0011'
	has tester.log 'both down: nack 06'
	# one request frame per bus and request, each on its bus's functional
	# id (candump stopped with its bus: what it saw before)
	[ "$(grep -c ' vcan0 7DF#023E00' can0.log)" = 2 ] || { grep 7DF can0.log; false; }
	[ "$(grep -c ' vcan0 7DF#0322F190' can0.log)" = 1 ] || { grep 7DF can0.log; false; }
	[ "$(grep -c ' vcan0 7DF#' can0.log)" = 3 ] || { grep 7DF can0.log; false; }
	[ "$(grep -c ' vcan1 18DB33F1#023E00' can1.log)" = 1 ] || { grep 18DB33F1 can1.log; false; }
	[ "$(grep -c ' vcan1 18DB33F1#0322F190' can1.log)" = 1 ] || { grep 18DB33F1 can1.log; false; }
	[ "$(grep -c ' vcan1 18DB33F1#' can1.log)" = 2 ] || { grep 18DB33F1 can1.log; false; }
	absent ' vcan0 18DB33F1#' can0.log
	absent ' vcan1 7DF#' can1.log
	has stats 'doip functional 0xE400 on vcan0 (0x7DF): requests 3, ECUs asked 6, ECUs busy 0, transfer errors 0, bus down 1'
	has stats 'doip functional 0xE400 on vcan1 (0x18DB33F1): requests 2, ECUs asked 2, ECUs busy 0, transfer errors 0, bus down 2'
	has stats 'doip tester 0x0E80: activations 1, activations refused 0, requests 4, forwarded 3, answers 8, unreachable 1'
}
