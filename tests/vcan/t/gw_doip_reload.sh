# gw_doip_reload.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21, reload of the doip: section: canrigd in front of canrig
#     ecu-sim's three ECUs on vcan0, a tester (0x0E80) connected all
#     along, canrig diag --doip as a second one (0x0E81).  A
#     reload adds an ECU (reachable at once), removes one (NACK 0x03),
#     moves the port (the new one answers, the old one refuses, the
#     connected tester's socket stays and works); an unrelated change
#     during a 1 MiB flash through canrigd leaves the flash intact; a
#     reload onto a port another program holds is refused whole (the ECU
#     it would add stays unknown, the port in force still answers); an
#     ECU removed while a request is being sent to it NACKs it 0x06.
drl_yaml() { # PORT ECUS... (lines of ecus:)
	_port=$1
	shift
	{
		cat <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes: []
doip:
  listen: 127.0.0.1
  port: $_port
  logical_address: 0x1000
  vin: ${DRL_VIN:-WVWZZZ1JZXW000001}
  testers:
    - address: 0x0E80
      firewall: {allow: [0x22]}
    - address: 0x0E81
      firewall: {allow: [0x10, 0x22, 0x27, 0x31, 0x34, 0x36, 0x37, 0x3E]}
EOF
		[ -z "${DRL_TESTER2:-}" ] || echo "    - {address: 0x0E82, firewall: {allow: [0x22]}}"
		echo "  ecus:"
		printf '    - %s\n' "$@"
		echo "options: {control: $PWD/ctl.sock}"
	} >gw.yaml
}

drl_phase() { grep -q "^$1 " tester.log 2>/dev/null || grep -q '^FAIL' tester.log 2>/dev/null; }
# drl_has PHASE-LINE: the tester said so, or fail showing canrigd's side
drl_has() {
	has tester.log "$1" || {
		grep -E 'tester|reload' gw.log | tail -12 >&2
		return 1
	}
}

t_gw_doip_reload() {
	ip link set lo up
	E10='{address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}'
	E11='{address: 0x0011, interface: vcan0, tx: 0x7E1, rx: 0x7E9}'
	E12='{address: 0x0012, interface: vcan0, tx: 0x7E2, rx: 0x7EA}'
	E13='{address: 0x0013, interface: vcan0, tx: 0x7E3, rx: 0x7EB}'
	S="gw -s $PWD/ctl.sock"
	# 8 KiB blocks paced by an STmin of 1 ms (one flow control per block:
	# none to miss on a loaded host, and ecu-sim loses no frame): a flash
	# of seconds
	sed -e 's/max_block: 0x402/max_block: 0x2002/' -e 's/s3_ms: 5000/s3_ms: 60000/' \
		-e '/tx: 0x7E8/a\    stmin: 1' -e '/tx: 0x7EA/a\    stmin: 0x7F' "$SIMCFG" >sim.yaml
	drl_yaml 13430 "$E10" "$E11"
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 sim.yaml 7E0
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_rx vcan0 7E8 2
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13430'
	/usr/bin/python3 - >tester.log 2>&1 <<'PY' &
import os, socket, struct, sys, time

def fail(msg):
    print("FAIL", msg, flush=True)
    sys.exit(1)

t = socket.create_connection(("127.0.0.1", 13430), timeout=90)
buf = b""
def msg():
    global buf
    while True:
        if len(buf) >= 8:
            n = 8 + struct.unpack(">I", buf[4:8])[0]
            if len(buf) >= n:
                m, buf = buf[:n], buf[n:]
                return struct.unpack(">H", m[2:4])[0], m[8:]
        d = t.recv(65536)
        if not d:
            fail("connection closed")
        buf += d

def diag(ta, uds="22F190"):
    uds = bytes.fromhex(uds)
    t.sendall(struct.pack(">BBHIHH", 2, 0xFD, 0x8001, 4 + len(uds), 0x0E80, ta) + uds)
    typ, p = msg()
    if typ == 0x8003:
        return "nack-%02x" % p[4]
    if typ != 0x8002:
        fail("ack: %04x %s" % (typ, p.hex()))
    while True:
        typ, p = msg()
        if typ != 0x8001:
            fail("answer: %04x %s" % (typ, p.hex()))
        if p[4:5] == b"\x7f" and p[6:7] == b"\x78":
            continue
        return "vin" if p[4:7] == b"\x62\xf1\x90" else p[4:].hex()

def wait(f):
    # idle meanwhile (a flash on a loaded host may take minutes): an
    # alive check answer nobody asked for keeps the socket from
    # T_TCP_General_Inactivity
    n = 0
    while not os.path.exists(f):
        time.sleep(0.05)
        n += 1
        if n % 200 == 0:
            t.sendall(struct.pack(">BBHIH", 2, 0xFD, 8, 2, 0x0E80))

t.sendall(struct.pack(">BBHIHB", 2, 0xFD, 5, 7, 0x0E80, 0) + b"\0" * 4)
typ, p = msg()
if typ != 6 or p[4] != 0x10:
    fail("activation: %04x %s" % (typ, p.hex()))
for n in range(1, 6):
    if n > 1:
        wait("go%d" % n)
    print("phase%d" % n, diag(0x10), diag(0x11), diag(0x12), diag(0x13), flush=True)
# 2001 bytes to 0x0012, whose STmin of 127 ms makes their sending last
# 36 s: the reload that removes it meanwhile NACKs them 0x06
wait("go6")
print("phase6", diag(0x12, "22" + "F190" * 1000), flush=True)
print("phase7", diag(0x10), diag(0x12), flush=True)
PY
	T=$!
	poll "phase 1" drl_phase phase1
	drl_has 'phase1 vin vin nack-03 nack-03'
	# an ECU added: reachable at once
	drl_yaml 13430 "$E10" "$E11" "$E12"
	xrc 0 rl1 $S reload
	has rl1 'reloaded'
	has gw.log '3 ECUs (1 added, 0 changed, 0 removed)'
	touch go2
	poll "phase 2" drl_phase phase2
	drl_has 'phase2 vin vin vin nack-03'
	# one removed: unknown at once
	drl_yaml 13430 "$E10" "$E12"
	xrc 0 rl2 $S reload
	touch go3
	poll "phase 3" drl_phase phase3
	drl_has 'phase3 vin nack-03 vin nack-03'
	# another port: it answers, the old one refuses, the tester stays
	drl_yaml 13431 "$E10" "$E12"
	xrc 0 rl3 $S reload
	has gw.log 'new listening sockets, tester sockets kept'
	xrc 0 vin1 diag --doip 127.0.0.1:13431 --sa 0E81 -e 0012 read F190
	has vin1 'F190 VIN: "WVWZZZ1JZXW000001"'
	xrc 1 old diag --doip 127.0.0.1:13430 --sa 0E81 -e 0010 read F190
	touch go4
	poll "phase 4" drl_phase phase4
	drl_has 'phase4 vin nack-03 vin nack-03'
	# a 16 KiB flash of 0x0010 through the new port; once its first
	# block is on vcan0, an unrelated reload (another VIN, a third
	# tester, 0x0011 back) while it runs
	head -c 16384 /dev/urandom >img.bin
	"$CANRIG" diag --doip 127.0.0.1:13431 --sa 0E81 -e 0010 session programming + \
		unlock 1 --key-cmd "$KEY1" + flash img.bin --address 100000 --check-crc >flash 2>&1 &
	FL=$!
	wait_for cd.log ' vcan0 7E0#1000000020023601'
	DRL_VIN=WVWZZZ1JZXW000002 DRL_TESTER2=1 drl_yaml 13431 "$E10" "$E12" "$E11"
	xrc 0 rl4 $S reload
	if ! kill -0 $FL 2>/dev/null; then
		echo "the flash ended before the reload: nothing shown" >&2
		return 1
	fi
	wait $FL || {
		cat flash
		grep -E 'doip|reload' gw.log | tail -20
		tail -5 sim.log
		return 1
	}
	has flash 'flash: 16384 bytes in 2 blocks of up to 8192'
	cmp img.bin engine-flash.bin
	crc=$(grep -o 'CRC32 [0-9A-F]*' flash | cut -d' ' -f2)
	has flash "ECU answered $crc"
	# a reload onto a port another program holds: refused, nothing changes
	/usr/bin/python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 13432)); s.listen(1)
print("bound", flush=True); time.sleep(600)' >hold.log 2>&1 &
	H=$!
	wait_for hold.log '^bound'
	DRL_VIN=WVWZZZ1JZXW000002 DRL_TESTER2=1 drl_yaml 13432 "$E10" "$E12" "$E11" "$E13"
	xrc 1 rl5 $S reload
	has rl5 'reload refused, old rules kept: doip: TCP port 13432 on 127.0.0.1: Address already in use'
	# TERM: a background job of this shell ignores SIGINT, and the
	# holder would sleep its 600 s out
	kill -TERM "$H"
	wait "$H" 2>/dev/null || true
	touch go5
	poll "phase 5" drl_phase phase5
	drl_has 'phase5 vin vin vin nack-03'
	xrc 0 vin2 diag --doip 127.0.0.1:13431 --sa 0E81 -e 0011 read F190
	has vin2 'F190 VIN: "WVWZZZ1JZXW000001"'
	/usr/bin/python3 - >udp.log 2>&1 <<'PY' || { cat udp.log; return 1; }
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(10)
u.sendto(bytes.fromhex("02FD000100000000"), ("127.0.0.1", 13431))
a = u.recv(512)
assert a[8:25] == b"WVWZZZ1JZXW000002", a.hex()
PY
	xrc 0 stats $S stats
	cat stats
	has stats 'doip ecu 0x0012 on vcan0: requests 5, answers 5'
	# 0x0012 removed while the long request is being sent to it
	touch go6
	wait_for cd.log ' vcan0 7E2#17D122F190'
	DRL_VIN=WVWZZZ1JZXW000002 DRL_TESTER2=1 drl_yaml 13431 "$E10" "$E11"
	xrc 0 rl6 $S reload
	poll "phase 7" drl_phase phase7
	drl_has 'phase6 nack-06'
	drl_has 'phase7 vin nack-03'
	has gw.log "ECU 0x0012 left while tester 0x0E80's request was being sent: NACK 0x06"
	wait $T || { cat tester.log; return 1; }
	xrc 0 stats2 $S stats
	cat stats2
	kill -TERM $GW
	wait $GW || true
	kill -INT $SIM
	wait $SIM || true
	stop $p1
	has stats2 'doip tester 0x0E82: activations 0'
	has stats2 'doip tester 0x0E80: activations 1, activations refused 0, requests 23, forwarded 14, answers 13, unknown-target 9, unreachable 1'
	absent 'doip ecu 0x001[23]' stats2
}
