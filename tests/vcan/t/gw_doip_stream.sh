# gw_doip_stream.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21, "TCP is a stream": canrig diag --doip flashes 1 MiB in two
#     TransferData blocks of 512 KiB, far over the ECU's max_len (4095),
#     through canrigd to ecu-sim on vcan0: each block is one ISO-TP
#     message (the 32-bit escape first frame on vcan0) and the image
#     arrives intact, while canrigd's peak memory grows by less than half
#     a block (it streams through a 64 KiB ring; holding a block whole
#     would add 512 KiB).  Then a tester that stalls mid-request gets
#     NACK 0x08 and the ECU's channel is free again; one that leaves
#     mid-request frees it too; a request over max_request gets NACK 0x04.
t_gw_doip_stream() {
	ip link set lo up
	# blocks of 512 KiB; S3 long enough for one block on an emulated bus,
	# and a block size that paces the gateway: blasted, 75,000 frames
	# overrun ecu-sim's socket under emulation
	sed -e 's/max_block: 0x402/max_block: 0x80002/' -e 's/s3_ms: 5000/s3_ms: 60000/' \
		-e '/tx: 0x7E8/a\    bs: 64' "$SIMCFG" >sim.yaml
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x100]}
doip:
  listen: 127.0.0.1
  port: 13420
  logical_address: 0x1000
  testers:
    - address: 0x0E80
      firewall: {allow: [0x10, 0x11, 0x22, 0x27, 0x2E, 0x31, 0x34, 0x36, 0x37, 0x3E]}
  ecus:
    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}
    - {address: 0x0011, interface: vcan0, tx: 0x7E1, rx: 0x7E9, max_request: 4095}
options: {control: $PWD/ctl.sock}
EOF
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 sim.yaml 7E0
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_rx vcan0 7E8 2
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13420'
	# a request through first: what canrigd needs for small ones is in
	xrc 0 vin diag --doip 127.0.0.1:13420 -e 0010 read F190
	has vin 'F190 VIN: "WVWZZZ1JZXW000001"'
	# its resident size now against its peak after: a block held whole
	# would add 512 KiB to the peak, the ring at most 64
	rss0=$(awk '/^VmRSS/ {print $2}' /proc/$GW/status)
	head -c 1048576 /dev/urandom >img.bin
	xrc 0 flash diag --doip 127.0.0.1:13420 -e 0010 session programming + \
		unlock 1 --key-cmd "$KEY1" + flash img.bin --address 100000 --check-crc
	has flash 'flash: 1048576 bytes in 2 blocks of up to 524288'
	cmp img.bin engine-flash.bin
	crc=$(grep -o 'CRC32 [0-9A-F]*' flash | cut -d' ' -f2)
	has flash "ECU answered $crc"
	hwm1=$(awk '/^VmHWM/ {print $2}' /proc/$GW/status)
	echo "canrigd VmRSS ${rss0} kB before the flash, VmHWM ${hwm1} kB after"
	# ASan's quarantine and shadow memory count in RSS: the bound is the
	# plain build's to check (make test); ASan still checks every access
	if ldd "$CANRIGD" | grep -q libasan; then
		echo "memory bound not judged on an ASan build"
	elif [ $((hwm1 - rss0)) -ge 256 ]; then
		echo "canrigd grew by $((hwm1 - rss0)) kB for 512 KiB blocks" >&2
		return 1
	fi
	rc=0
	/usr/bin/python3 - >tester.log 2>&1 <<'PY' || rc=1
import socket, struct, sys, time

def fail(msg):
    print("FAIL", msg)
    sys.exit(1)

def hdr(t, n):
    return struct.pack(">BBHI", 2, 0xFD, t, n)

class Tester:
    def __init__(self):
        self.t = socket.create_connection(("127.0.0.1", 13420), timeout=10)
        self.buf = b""
        self.t.sendall(hdr(5, 7) + struct.pack(">HB", 0x0E80, 0) + b"\0" * 4)
        t, p = self.msg()
        if t != 6 or p[4] != 0x10:
            fail("activation: %04x %s" % (t, p.hex()))
    def msg(self):
        while True:
            if len(self.buf) >= 8:
                n = 8 + struct.unpack(">I", self.buf[4:8])[0]
                if len(self.buf) >= n:
                    m, self.buf = self.buf[:n], self.buf[n:]
                    return struct.unpack(">H", m[2:4])[0], m[8:]
            d = self.t.recv(65536)
            if not d:
                fail("connection closed")
            self.buf += d
    def start(self, ta, total, first):
        self.t.sendall(hdr(0x8001, 4 + total) + struct.pack(">HH", 0x0E80, ta) + first)
    def answer(self):
        t, p = self.msg()
        if t == 0x8003:
            return "nack %02x" % p[4]
        if t != 0x8002:
            fail("ack: %04x %s" % (t, p.hex()))
        while True:
            t, p = self.msg()
            if t != 0x8001:
                fail("answer: %04x %s" % (t, p.hex()))
            if p[4:5] == b"\x7f" and p[6:7] == b"\x78":
                continue
            return p[4:].hex()

# stalls after 10 kB of a 100 kB request: NACK 0x08 on a socket still open
a = Tester()
t0 = time.monotonic()
a.start(0x0010, 100000, b"\x2e\xf1\x90" + b"\x55" * 10000)
got = a.answer()
if got != "nack 08":
    fail("stalled request: " + got)
print("stalled: nack 08 after %.1f s" % (time.monotonic() - t0))
# the rest of that message is read and dropped; then the ECU is free
a.t.sendall(b"\x55" * (100000 - 10003))
a.t.sendall(hdr(0x8001, 7) + struct.pack(">HH", 0x0E80, 0x0010) + bytes.fromhex("22F190"))
got = a.answer()
if got != (b"\x62\xf1\x90" + b"WVWZZZ1JZXW000001").hex():
    fail("after the stall: " + got)
print("ECU free after the stall")
# over 0x0011's max_request: NACK 0x04, the rest dropped
a.start(0x0011, 5000, b"\x22" * 5000)
got = a.answer()
if got != "nack 04":
    fail("over max_request: " + got)
print("over max_request: nack 04")
# leaves mid-request
a.t.close()
time.sleep(0.3)
b = Tester()
b.start(0x0010, 200000, b"\x2e\xf1\x90" + b"\x55" * 20000)
time.sleep(0.2)
b.t.close()
print("left mid-request")
PY
	cat tester.log
	[ "$rc" = 0 ]
	# the channel is free at once (no 7F 22 21), the ECU itself may still
	# wait out its N_Cr of the cut message
	poll "0x0010 never free after a tester left mid-request" \
		eval '"$CANRIG" diag --doip 127.0.0.1:13420 -e 0010 read F190 >vin2 2>&1'
	has vin2 'F190 VIN: "WVWZZZ1JZXW000001"'
	xrc 0 stats gw -s "$PWD/ctl.sock" stats
	cat stats
	kill -TERM $GW
	wait $GW || true
	finish vcan0 cd.log
	stop $p1
	kill -INT $SIM
	wait $SIM || true
	# each block one ISO-TP message: the escape first frame of 0x80002
	# bytes (36 01 ...), and of the stalled 100000-byte request
	has cd.log ' vcan0 7E0#1000000800023601'
	has cd.log ' vcan0 7E0#1000000186A02EF1'
	has stats 'doip ecu 0x0010 on vcan0: requests'
	has stats 'too-large 1'
	has stats 'transfer-failed 1'
}
