# gw_doip_hangup.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21: testers of canrigd's DoIP entity that leave mid-transfer.
#     a. A tester sends a 303-byte request to a slow ECU (the kernel's
#        ISO-TP asking for STmin 100 ms: seconds on the bus) and closes its
#        socket while the request is still going out; canrigd sees the
#        close, the ECU then answers: canrigd is still there, counts the
#        answer as dropped, and a new tester's request to the same ECU is
#        forwarded and answered.
#     b. A tester announces a 2004-byte diagnostic message, sends half of
#        it and closes: nothing of it reaches vcan0 (candump), and the next
#        tester is served.
t_gw_doip_hangup() {
	ip link set lo up
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
routes: []
doip:
  listen: 127.0.0.1
  port: 13411
  logical_address: 0x1000
  vin: WVWZZZ1JZXW000001
  testers:
    - address: 0x0E80
      firewall: {allow: [0x22, 0x2E, 0x3E]}
  ecus:
    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}
    - {address: 0x0012, interface: vcan0, tx: 0x7E5, rx: 0x7ED}
options: {control: $PWD/ctl.sock}
EOF
	candump -L -r 8388608 vcan0 >can.log &
	p1=$!
	sync_listeners vcan0 can.log
	start_sim vcan0 "$SIMCFG" 7E0
	/usr/bin/python3 "$DATA/../vcan/slow_ecu.py" vcan0 7E5 7ED 100 "$PWD" 2>ecu.err &
	ecu=$!
	wait_rx vcan0 7E5 1
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_rx vcan0 7ED 1
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13411'
	rc=0
	CTL=$PWD/ctl.sock PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$DATA/../vcan /usr/bin/python3 - >tester.log 2>&1 <<'PY' || rc=1
import os, struct, subprocess, time
from doip_tester import Tester, fail, say, wait_file, WAIT
from scapy.contrib.automotive.doip import DoIP

def gw(what):
    return subprocess.run([os.environ["CANRIG"], "gw", "-s", os.environ["CTL"], what],
                          capture_output=True, text=True).stdout

def until(what, cond):
    end = time.monotonic() + WAIT
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    fail("never: " + what)

# a. gone while its request is on the bus
t = Tester(13411, 0x0E80)
t.send(0x0012, "2EF190" + "5A" * 300)
wait_file("can.log", "vcan0 7E5#22")    # the second consecutive frame
t.close()
until("canrigd saw the tester leave", lambda: "0 of 4 tester sockets" in gw("status"))
if "7E5#21" not in open("can.log").read():
    fail("the request was not on the bus")
open("go.1", "w").close()               # now the ECU answers
wait_file("ecu.log", "request 1: SID 2E, 303 bytes")
wait_file("can.log", "vcan0 7ED#036EF190")
until("the answer counted as dropped",
      lambda: "doip ecu 0x0012 on vcan0: requests 1, answers 1, transfer errors 0, "
              "receive errors 0, answers dropped 1" in gw("stats"))
say("a: tester gone mid-transfer, the ECU's answer dropped")
open("go.2", "w").close()
t = Tester(13411, 0x0E80)
got = t.diag(0x0012, "22F190")
if got != "62f19041":
    fail("the same ECU afterwards answered " + got)
t.close()
say("a: a new tester served by the same ECU")

# b. half a message, then gone
until("canrigd saw the tester leave", lambda: "0 of 4 tester sockets" in gw("status"))
t = Tester(13411, 0x0E80)
hdr = bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x0010))[:8]
hdr = hdr[:4] + struct.pack(">I", 4 + 2000)
t.t.sendall(hdr + bytes.fromhex("0E800010") + bytes.fromhex("2EF190") + b"\x41" * 997)
t.close()
until("canrigd saw the tester leave", lambda: "0 of 4 tester sockets" in gw("status"))
t = Tester(13411, 0x0E80)
got = t.diag(0x0010, "22F190")
if got != (b"\x62\xf1\x90" + b"WVWZZZ1JZXW000001").hex():
    fail("after the half message: " + got)
t.close()
say("b: half a message dropped, the next tester served")
PY
	cat tester.log
	xrc 0 stats gw -s "$PWD/ctl.sock" stats
	finish vcan0 can.log
	kill -0 $GW
	kill -TERM $GW
	wait $GW || true
	kill -INT $SIM
	wait $SIM || true
	kill $ecu
	wait $ecu || true
	stop $p1
	[ "$rc" = 0 ]
	has stats 'doip ecu 0x0012 on vcan0: requests 2, answers 2, transfer errors 0, receive errors 0, answers dropped 1'
	has stats 'doip ecu 0x0010 on vcan0: requests 1, answers 1'
	# the half message never reached the bus: 0x0010 saw the 22 only
	has can.log 'vcan0 7E0#0322F190'
	absent 'vcan0 7E0#[0-9A-F]{2}2E' can.log
	absent 'vcan0 7E0#1' can.log
}
