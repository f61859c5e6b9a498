# gw_doip_paths.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21: the refusals of canrigd's DoIP entity that only a bus shows.
#     - NACK 0x04: 100 bytes to an ECU whose max_request is 64; nothing on
#       vcan0.
#     - 7F 22 21: a second request (another tester's) to an ECU whose
#       channel is still sending the first (a slow ECU, STmin 100 ms);
#       the second never reaches vcan0, the first is acknowledged and
#       answered after its transfer.
#     - NACK 0x06 after a failed transfer: a multi-frame request to an
#       ECU nobody plays (no flow control: N_Bs); the tester gets NACK
#       0x06 and no ACK.
#     - The ECU's interface down: no message to a tester that asked
#       nothing, NACK 0x06 for a request; up again: the ECU answers
#       through canrigd again.
#     The DoIP traffic is captured on lo and dissected by tshark.
t_gw_doip_paths() {
	ip link set lo up
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan3, domain: chassis}
routes: []
doip:
  listen: 127.0.0.1
  port: 13412
  logical_address: 0x1000
  vin: WVWZZZ1JZXW000001
  testers:
    - address: 0x0E80
      firewall: {allow: [0x22, 0x2E, 0x3E]}
    - address: 0x0E81
      firewall: {allow: [0x22, 0x2E, 0x3E]}
  ecus:
    - {address: 0x0012, interface: vcan0, tx: 0x7E2, rx: 0x7EA}
    - {address: 0x0013, interface: vcan0, tx: 0x7E3, rx: 0x7EB, max_len: 64, max_request: 64}
    - {address: 0x0014, interface: vcan0, tx: 0x7E4, rx: 0x7EC}
    - {address: 0x0015, interface: vcan3, tx: 0x7E0, rx: 0x7E8}
options: {control: $PWD/ctl.sock}
EOF
	# vcan3 is the other tests' too: it comes back up whatever happens
	trap 'ip link set vcan3 up' EXIT
	candump -L -r 8388608 vcan0 >can.log &
	p1=$!
	sync_listeners vcan0 can.log
	dumpcap -i lo -f 'port 13412' -w doip.pcapng 2>dumpcap.log &
	p2=$!
	wait_for dumpcap.log 'Capturing on'
	start_sim vcan3 "$SIMCFG" 7E0
	/usr/bin/python3 "$DATA/../vcan/slow_ecu.py" vcan0 7E2 7EA 100 "$PWD" 2>ecu.err &
	ecu=$!
	wait_rx vcan0 7E2 1
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_rx vcan0 7EA 1
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13412'
	rc=0
	SIM=$SIM SIMCFG=$SIMCFG CTL=$PWD/ctl.sock PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$DATA/../vcan /usr/bin/python3 - >tester.log 2>&1 <<'PY' || rc=1
import os, signal, subprocess, time
from doip_tester import Tester, fail, say, wait_file, WAIT

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

VIN = (b"\x62\xf1\x90" + b"WVWZZZ1JZXW000001").hex()
a = Tester(13412, 0x0E80)
b = Tester(13412, 0x0E81)

# NACK 0x04: larger than the ECU's max_request (beyond max_len a request streams)
got = a.diag(0x0013, "2EF190" + "00" * 97)
if got != "nack 04":
    fail("100 bytes to max_request 64: " + got)
say("too large: nack 04")

# 7F 22 21 while the ECU's channel sends a's request
a.send(0x0012, "2EF190" + "5A" * 97)
wait_file("can.log", "vcan0 7E2#22")    # its second consecutive frame
got = b.diag(0x0012, "22F190")
if got != "7f2221":
    fail("second request while sending: " + got)
if "7E2#21" not in open("can.log").read():
    fail("the first request was not on the bus")
open("go.1", "w").close()
got = a.ack(0x0012)
if got != "ack":
    fail("the first request not acknowledged: " + got)
got = a.answer(0x0012)
if got != "6ef190":
    fail("the first request answered " + got)
say("busy: 7F 22 21 to the second tester, the first answered")

# NACK 0x06, and no ACK, when nothing takes the first frame
a.send(0x0014, "2EF190" + "00" * 20)
got = a.ack(0x0014)
if got != "nack 06":
    fail("transfer to nobody: " + got)
say("transfer failed: nack 06, no ack")

# the ECU on vcan3: answers; its bus down; up again
got = a.diag(0x0015, "22F190")
if got != VIN:
    fail("0x0015 answered " + got)
subprocess.run(["ip", "link", "set", "vcan3", "down"], check=True)
until("canrigd saw vcan3 go down",
      lambda: "vcan3 (chassis): DOWN" in gw("status") or "vcan3 (chassis): HELD" in gw("status"))
# a asked nothing since its answer: it hears nothing (b's 22 to the
# quick path makes sure canrigd went through its events first)
open("go.2", "w").close()
got = b.diag(0x0012, "22F190")
if got != "62f19041":
    fail("0x0012 after vcan3 went down: " + got)
extra = a.ready()
if extra:
    fail("a tester that asked nothing got %r" % extra)
got = a.diag(0x0015, "22F190")
if got != "nack 06":
    fail("0x0015 with its bus down: " + got)
say("bus down: nothing unasked, nack 06")
subprocess.run(["ip", "link", "set", "vcan3", "up"], check=True)
until("canrigd saw vcan3 come back", lambda: "vcan3 (chassis): up" in gw("status"))
# the simulator's own socket may not have lived through the down: a
# fresh one, ready once it listens on the functional id (canrigd does not)
def listens(id_):
    return any(len(f) > 1 and f[0] == "vcan3" and f[1].lstrip("0").lower() == id_
               for f in (l.split() for l in open("/proc/net/can/rcvlist_sff")))
try:
    os.kill(int(os.environ["SIM"]), signal.SIGINT)
except ProcessLookupError:
    pass
until("the old simulator gone", lambda: not listens("7df"))
sim = subprocess.Popen([os.environ["CANRIG"], "ecu-sim", "-i", "vcan3", "-c", os.environ["SIMCFG"]],
                       stderr=open("sim2.log", "w"), env=dict(os.environ, ECUSIM_DIR=os.getcwd()))
until("the new simulator listening", lambda: listens("7df"))
got = a.diag(0x0015, "22F190")
if got != VIN:
    fail("0x0015 after its bus came back: " + got)
say("bus up again: 0x0015 answers")
a.close()
b.close()
sim.send_signal(signal.SIGINT)
sim.wait()
PY
	cat tester.log
	xrc 0 stats gw -s "$PWD/ctl.sock" stats
	xrc 0 status gw -s "$PWD/ctl.sock" status
	finish vcan0 can.log
	kill -TERM $GW
	wait $GW || true
	kill -INT $SIM 2>/dev/null || true
	wait $SIM || true
	kill $ecu
	wait $ecu || true
	stop $p1
	# dumpcap writes what it has on SIGINT: the messages checked below
	# left long before (the file may lack the last few, never these)
	stop $p2
	[ "$rc" = 0 ]
	# nothing of the refused requests on vcan0
	absent 'vcan0 7E3#' can.log
	# the busy 22 F190 to 0x0012 stayed in canrigd: only the later one
	# (with vcan3 down) is on vcan0
	[ "$(grep -c 'vcan0 7E2#0322F190' can.log)" = 1 ]
	has can.log 'vcan0 7E4#10172EF190'
	absent 'vcan0 7E4#2' can.log
	has stats 'doip ecu 0x0014 on vcan0: requests 1, answers 0, transfer errors 1'
	has stats 'doip ecu 0x0015 on vcan3: requests 2, answers 2, transfer errors 0'
	has stats 'too-large 1'
	has stats 'transfer-failed 1'
	has stats 'busy 1'
	tshark -r doip.pcapng -d tcp.port==13412,doip -Y doip -T fields -e doip.type \
		>types.txt 2>tshark.err
	tshark -r doip.pcapng -d tcp.port==13412,doip -Y _ws.malformed >malformed.txt 2>>tshark.err
	echo "    tshark: $(wc -l <types.txt) DoIP packets, $(wc -l <malformed.txt) malformed"
	grep -q 0x8003 types.txt
	[ ! -s malformed.txt ]
}
