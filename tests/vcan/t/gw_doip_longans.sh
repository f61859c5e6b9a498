# gw_doip_longans.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21, answers longer than the ECU's max_len (4095 here): ecu-sim
#     answers 0x23 ReadMemoryByAddress reads of 60 KiB to 512 KiB of a
#     random memory area (the 32-bit escape first frame on vcan0), and
#     canrigd streams each answer to its tester as one 0x8001 instead of
#     refusing it with FC overflow: canrig diag --doip and the scapy
#     tester get the area's bytes intact, while canrigd's peak memory
#     grows by less than half the largest answer.  A tester that stops
#     reading makes canrigd hold the ECU with FC WAIT (0x31 on vcan0),
#     and the answer completes once it reads again.  An ECU that stops
#     mid-answer gets its tester's socket closed (the DoIP message cannot
#     be cut short), counted as cut.
t_gw_doip_longans() {
	ip link set lo up
	/usr/bin/python3 - <<'PY'
import os
# random where a byte out of place shows, then the fill: a YAML of 128 KiB
# of hex, which ecu-sim reads in reasonable time under emulation
rnd = os.urandom(0x10000)
open("mem.bin", "wb").write(rnd + b"\x5a" * (0x80000 - len(rnd)))
with open("sim.yaml", "w") as f:
    f.write("""ecus:
  - name: big
    rx: 0x7E0
    tx: 0x7E8
    max_response: 0x100000
    s3_ms: 60000
    dids:
      - {id: 0xF190, ascii: "WVWZZZ1JZXW000001"}
    memory:
      - address: 0x100000
        size: 0x80000
        fill: 0x5A
        data: "%s"
""" % rnd.hex())
PY
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x100]}
doip:
  listen: 127.0.0.1
  port: 13430
  logical_address: 0x1000
  testers:
    - address: 0x0E80
      firewall: {allow: [0x22, 0x23, 0x3E]}
    - address: 0x0E81
      firewall: {allow: [0x22, 0x23, 0x3E]}
    - address: 0x0E82
      firewall: {allow: [0x22, 0x23, 0x3E]}
  ecus:
    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8, max_len: 4095}
options: {control: $PWD/ctl.sock}
EOF
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	# the gateway's frames to the ECU, line by line as they come: the
	# slow tester below waits for FC WAIT in it
	stdbuf -oL candump -L vcan0,7E0:7FF,1FFFFFFE:1FFFFFFF >fc.log &
	p2=$!
	sync_listeners vcan0 cd.log fc.log
	start_sim vcan0 sim.yaml 7E0
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_rx vcan0 7E8 2
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13430'
	xrc 0 vin diag --doip 127.0.0.1:13430 -e 0010 read F190
	has vin 'F190 VIN: "WVWZZZ1JZXW000001"'
	rss0=$(awk '/^VmRSS/ {print $2}' /proc/$GW/status)
	# canrig diag: 60000 bytes (its memory read stops at 65535)
	# (a deadline of its own: with P2 suspended it waits on canrigd)
	rc=0
	timeout 300 "$CANRIG" diag --doip 127.0.0.1:13430 -e 0010 --json memory read 100000 60000 \
		>mem 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		echo "canrig diag memory read: exit $rc" >&2
		cat mem >&2
		return 1
	fi
	/usr/bin/python3 - <<'PY'
import json, sys
j = json.loads(open("mem").read())
want = open("mem.bin", "rb").read()[:60000].hex()
if j.get("hex", "").lower() != want:
    sys.exit("canrig diag: memory read of 60000 bytes differs from mem.bin")
print("canrig diag --doip: 60000 bytes intact")
PY
	rc=0
	SIM=$SIM PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$DATA/../vcan /usr/bin/python3 - \
		>tester.log 2>&1 <<'PY' || rc=1
import os, signal, socket, struct, time
from doip_tester import Tester, fail, say, WAIT

ECU = 0x0010
mem = open("mem.bin", "rb").read()


def rmba(addr, size):
    return "2344%08X%08X" % (addr, size)


def waits():
    with open("fc.log", errors="replace") as f:
        return sum(1 for line in f if " vcan0 7E0#31" in line)


def small_rcvbuf(sa):
    """A tester whose socket buffers little: canrigd's output fills soon."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(WAIT)
    s.connect(("127.0.0.1", 13430))
    t = Tester.__new__(Tester)
    t.sa, t.t, t.buf = sa, s, b""
    t.activate()
    return t


# 1. 320 KiB through the scapy tester, then a short answer on the same socket
a = Tester(13430, 0x0E80)
got = a.diag(ECU, rmba(0x100000, 0x50000))
if got != (b"\x63" + mem[:0x50000]).hex():
    fail("0x23 of 0x50000 bytes: %d bytes back, differing" % (len(got) // 2))
say("0x23 of 0x50000: %d bytes of answer, intact" % (len(got) // 2))
got = a.diag(ECU, "22F190")
if got != (b"\x62\xf1\x90" + b"WVWZZZ1JZXW000001").hex():
    fail("22 F190 after the long answer: " + got)
say("22 F190 after it on the same socket")
a.close()

# 2. a tester that stops reading: canrigd holds the ECU with FC WAIT
b = small_rcvbuf(0x0E81)
w0 = waits()
b.send(ECU, rmba(0x100000, 0x80000))
if b.ack(ECU) != "ack":
    fail("slow tester: no ack")
end = time.monotonic() + WAIT
while waits() < w0 + 2:
    if time.monotonic() > end:
        fail("no FC WAIT on vcan0 while the tester did not read")
    time.sleep(0.02)
say("tester not reading: FC WAIT on vcan0")
got = b.answer(ECU)
if got != (b"\x63" + mem[:0x80000]).hex():
    fail("slow tester: %d bytes back, differing" % (len(got) // 2))
say("slow tester: 0x80001 bytes of answer, intact, after %d FC WAIT" % (waits() - w0))
b.close()

# 3. the ECU stops mid-answer: the tester's socket is closed before the
# message is complete
c = Tester(13430, 0x0E82)
c.send(ECU, rmba(0x100000, 0x80000))
if c.ack(ECU) != "ack":
    fail("cut: no ack")
n = len(c.buf)
end = time.monotonic() + WAIT
while n < 50000:
    d = c.t.recv(65536)
    if not d or time.monotonic() > end:
        fail("cut: the answer did not start")
    n += len(d)
os.kill(int(os.environ["SIM"]), signal.SIGKILL)
closed = False
while time.monotonic() < end:
    try:
        d = c.t.recv(65536)
    except ConnectionResetError:
        d = b""
    if not d:
        closed = True
        break
    n += len(d)
if not closed:
    fail("cut: the socket stayed open")
if n >= 8 + 4 + 0x80001:
    fail("cut: the whole answer came (%d bytes)" % n)
say("ECU killed mid-answer: socket closed after %d of %d bytes" % (n, 12 + 0x80001))
PY
	cat tester.log
	if [ "$rc" != 0 ]; then
		grep -v ' connected$\| code 0x10$' gw.log | tail -15
		return 1
	fi
	hwm1=$(awk '/^VmHWM/ {print $2}' /proc/$GW/status)
	echo "canrigd VmRSS ${rss0} kB before the long answers, VmHWM ${hwm1} kB after"
	# the largest answer held whole would add 512 KiB (see gw_doip_stream.sh
	# on ASan builds)
	if ldd "$CANRIGD" | grep -q libasan; then
		echo "memory bound not judged on an ASan build"
	elif [ $((hwm1 - rss0)) -ge 256 ]; then
		echo "canrigd grew by $((hwm1 - rss0)) kB for answers of up to 512 KiB" >&2
		return 1
	fi
	xrc 0 stats gw -s "$PWD/ctl.sock" stats
	cat stats
	has stats 'doip ecu 0x0010: long answers streamed 4, cut 1'
	has gw.log 'a DoIP message cannot be cut short'
	kill -TERM $GW
	wait $GW || true
	finish vcan0 cd.log fc.log
	stop $p1
	stop $p2
	wait $SIM 2>/dev/null || true
	# the ECU's answers: 32-bit escape first frames, 63 first
	has cd.log ' vcan0 7E8#10000005000163'
	has cd.log ' vcan0 7E8#10000008000163'
	has cd.log ' vcan0 7E8#10000000EA6163'
}
