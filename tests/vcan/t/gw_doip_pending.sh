# gw_doip_pending.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21: 0x78 chains through canrigd's DoIP entity, and no head-of-line
#     blocking.  canrig ecu-sim on vcan0 stands for two ECUs: "slow"
#     (0x0010) delays 0x22 by 1 s and 0x19 by 10 minutes, with a 0x78
#     every 200 ms; "quick" (0x0011) answers at once.
#     1. 22 F190 to slow: every 7F 22 78 seen on vcan0 reaches the tester
#        as its own 0x8001 from 0x0010, then the final answer.
#     2. While slow is in its 0x19 chain (its final answer never comes
#        within the test), 22 F190 to quick from the same tester socket
#        and from a second tester are both answered, and slow's 0x78s
#        keep coming after them: the chain delays no other ECU.
#     3. A 22 F190 from the second tester to slow, while the first awaits
#        slow's answer, is refused 7F 22 21 by the gateway (never on
#        vcan0), and slow's next 0x78 still goes to the first tester.
#     The DoIP traffic is captured on lo and dissected by tshark: every
#     message is DoIP and none is malformed.
t_gw_doip_pending() {
	ip link set lo up
	cat >sim.yaml <<'EOF'
ecus:
  - name: slow
    rx: 0x7E0
    tx: 0x7E8
    pending_interval_ms: 200
    pending:
      - {sid: 0x22, ms: 1000}
      - {sid: 0x19, ms: 600000}
    dids:
      - {id: 0xF190, ascii: "WVWZZZ1JZXW000001"}
  - name: quick
    rx: 0x7E1
    tx: 0x7E9
    dids:
      - {id: 0xF190, ascii: "WVWZZZ1JZXW000001"}
EOF
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
routes: []
doip:
  listen: 127.0.0.1
  port: 13410
  logical_address: 0x1000
  vin: WVWZZZ1JZXW000001
  testers:
    - address: 0x0E80
      firewall: {allow: [0x22, 0x19, 0x3E]}
    - address: 0x0E81
      firewall: {allow: [0x22, 0x19, 0x3E]}
  ecus:
    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}
    - {address: 0x0011, interface: vcan0, tx: 0x7E1, rx: 0x7E9}
options: {control: $PWD/ctl.sock}
EOF
	candump -L -r 8388608 vcan0 >can.log &
	p1=$!
	sync_listeners vcan0 can.log
	dumpcap -i lo -f 'port 13410' -w doip.pcapng 2>dumpcap.log &
	p2=$!
	wait_for dumpcap.log 'Capturing on'
	start_sim vcan0 sim.yaml 7E1
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_rx vcan0 7E9 1
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13410'
	rc=0
	PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$DATA/../vcan /usr/bin/python3 - >tester.log 2>&1 <<'PY' || rc=1
import time
from doip_tester import Tester, fail, say, is_pending, WAIT

SLOW, QUICK = 0x0010, 0x0011
vin = (b"\x62\xf1\x90" + b"WVWZZZ1JZXW000001").hex()
a = Tester(13410, 0x0E80)
b = Tester(13410, 0x0E81)

# 1. a 0x78 chain passed through, each pending answer on its own
pend = []
got = a.diag(SLOW, "22F190", pend)
if got != vin:
    fail("slow 22 F190 answered " + got)
if len(pend) < 2 or any(p != "7f2278" for p in pend):
    fail("slow's pending answers: %r" % pend)
say("chain: %d x 7F 22 78 from 0x0010, then 62 F1 90" % len(pend))
with open("pendings", "w") as f:
    f.write("%d\n" % len(pend))

# 2. slow in a chain that outlasts the test; quick answers meanwhile
a.send(SLOW, "1902FF")
if a.ack(SLOW) != "ack":
    fail("19 02 to slow not acknowledged")
first = a.msg()
if first.source_address != SLOW or not is_pending(bytes(first.payload)):
    fail("slow's first answer to 19: %r" % first)
a.send(QUICK, "22F190")
slow_before = 0
acked = False
while True:
    m = a.msg()
    data = bytes(m.payload)
    if m.source_address == SLOW:
        if m.payload_type != 0x8001 or not is_pending(data):
            fail("slow answered before quick did: %r" % m)
        slow_before += 1
        continue
    if m.source_address != QUICK:
        fail("answer from 0x%04X: %r" % (m.source_address, m))
    if not acked:
        if m.payload_type != 0x8002:
            fail("quick: %r" % m)
        acked = True
        continue
    if m.payload_type != 0x8001 or data.hex() != vin:
        fail("quick answered %r" % m)
    break
say("same socket: quick answered while slow pends (%d x 0x78 from slow meanwhile)"
    % slow_before)
got = b.diag(QUICK, "22F190")
if got != vin:
    fail("second tester: quick answered " + got)
# what a holds now came before b's answer, or with it: none of it is
# slow's final answer, and slow still pends afterwards
for m in a.ready():
    if m.source_address != SLOW or not is_pending(bytes(m.payload)):
        fail("tester 1 got %r" % m)
m = a.msg()
if m.source_address != SLOW or not is_pending(bytes(m.payload)):
    fail("after quick's answers: %r" % m)
say("second tester: quick answered while slow pends; slow still pends after")

# 3. the second tester asks slow itself while the first awaits slow's
# answer: refused busy by the gateway, and slow's answers stay the first's
got = b.diag(SLOW, "22F190")
if got != "7f2221":
    fail("second tester to slow while the first awaits it: " + got)
end = time.monotonic() + WAIT
while time.monotonic() < end:
    mb = b.ready()
    if mb:
        fail("the first tester's answers went to the second: %r" % mb)
    ma = a.ready()
    if ma:
        if any(m.source_address != SLOW or not is_pending(bytes(m.payload)) for m in ma):
            fail("tester 1 got %r" % ma)
        break
    time.sleep(0.05)
else:
    fail("slow's next 0x78 never came")
say("second tester to slow: 7F 22 21; slow's 0x78s still go to the first")
a.close()
b.close()
PY
	cat tester.log
	xrc 0 stats gw -s "$PWD/ctl.sock" stats
	finish vcan0 can.log
	kill -TERM $GW
	wait $GW || true
	kill -INT $SIM
	wait $SIM || true
	stop $p1
	# dumpcap writes what it has on SIGINT: the messages checked below
	# left long before (the file may lack the last few, never these)
	stop $p2
	[ "$rc" = 0 ]
	# every 0x78 on the bus (before the 0x19 went out) reached the tester
	n78=$(sed -n '/7E0#031902FF/q;p' can.log | grep -c 'vcan0 7E8#037F2278')
	echo "    7F 22 78 on vcan0: $n78, at the tester: $(cat pendings)"
	[ "$n78" = "$(cat pendings)" ]
	has can.log 'vcan0 7E0#031902FF'
	has can.log 'vcan0 7E1#0322F190'
	# the second tester's 22 to slow stayed in the gateway
	[ "$(sed -n '/7E0#031902FF/,$p' can.log | grep -c 'vcan0 7E0#0322F190')" = 0 ]
	has stats 'answers dropped 0'
	# tshark: DoIP messages both ways, none malformed
	tshark -r doip.pcapng -d tcp.port==13410,doip -Y doip -T fields -e doip.type \
		>types.txt 2>tshark.err
	tshark -r doip.pcapng -d tcp.port==13410,doip -Y _ws.malformed >malformed.txt 2>>tshark.err
	echo "    tshark: $(wc -l <types.txt) DoIP packets, $(wc -l <malformed.txt) malformed"
	grep -q 0x8001 types.txt
	grep -q 0x8002 types.txt
	grep -q 0x0006 types.txt
	[ ! -s malformed.txt ]
}
