# gw_doip_power.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21: canrigd's DoIP power mode (0x4004) from a DBC signal
#     (doip: power_mode:, the DBC next to the YAML).  A scapy tester asks
#     0x4003 while frames of VehicleState (0x321, a socket of this test
#     sends them) carry VehiclePowerMode: "not ready" before any frame,
#     "ready" for Run (2) and Crank (3), "not ready" for Acc (1), "not
#     ready" again once the frames stop for timeout_ms (stale, counted), an
#     empty frame counted "without the signal".  gw status names the
#     source, `gw doip power ready` is refused while the signal sets the
#     mode, a reload re-reads ready: (and the DBC).  The route vcan1 ->
#     vcan0 still carries 0x100 and not 0x321: the signal's own socket
#     leaves the routing sockets' filters alone.
t_gw_doip_power() {
	ip link set lo up
	cat >body.dbc <<'EOF'
VERSION ""

NS_ :

BS_:

BU_: VCU BCM

BO_ 801 VehicleState: 8 VCU
 SG_ VehiclePowerMode : 0|3@1+ (1,0) [0|7] "" BCM
 SG_ Counter : 8|8@1+ (1,0) [0|255] "" BCM

VAL_ 801 VehiclePowerMode 0 "Off" 1 "Acc" 2 "Run" 3 "Crank" ;
EOF
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - {name: body-to-pt, from: vcan1, to: [vcan0], ids: [0x100]}
doip:
  listen: 127.0.0.1
  port: 13412
  logical_address: 0x1000
  testers:
    - address: 0x0E80
      firewall: {allow: [0x22]}
  ecus:
    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}
  power_mode:
    dbc: body.dbc
    interface: vcan1
    signal: VehiclePowerMode
    ready: [Run, 3]
    timeout_ms: 3000
options: {control: $PWD/ctl.sock}
EOF
	"$CANRIGD" -n -c gw.yaml >check.out 2>&1 || { cat check.out; false; }
	candump -L vcan0 >can.log &
	p1=$!
	sync_listeners vcan0 can.log
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13412'
	# the signal's socket: a receiver of 0x321 on vcan1
	wait_rx vcan1 321
	xrc 0 st0 gw -s "$PWD/ctl.sock" status
	rc=0
	CTL=$PWD/ctl.sock /usr/bin/python3 - >tester.log 2>&1 <<'PY' || rc=1
import os, socket, struct, subprocess, sys, time
from scapy.contrib.automotive.doip import DoIP

def fail(msg):
    print("FAIL", msg, flush=True)
    sys.exit(1)

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
can = socket.socket(socket.AF_CAN, socket.SOCK_RAW, socket.CAN_RAW)
can.bind(("vcan1",))

def mode():
    u.sendto(bytes(DoIP(payload_type=0x4003)), ("127.0.0.1", 13412))
    a = DoIP(u.recv(512))
    if a.payload_type != 0x4004:
        fail("0x4003 answered %r" % a)
    return a.diagnostic_power_mode

def frame(data):
    can.send(struct.pack("=IB3x8s", 0x321, len(data), data.ljust(8, b"\0")))

def gw(*args):
    return subprocess.run([os.environ["CANRIG"], "gw", "-s", os.environ["CTL"]] + list(args),
                          capture_output=True, text=True)

# until the entity answers want, sending data meanwhile (None: nothing)
def until(want, data, what):
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if data is not None:
            frame(data)
        if mode() == want:
            print(what, flush=True)
            return
        time.sleep(0.1)
    fail("never " + what)

if mode() != 0:
    fail("ready before any frame")
print("not ready before any frame", flush=True)
until(1, b"\x02\x07", "ready for Run (2)")
frame(b"\x02\x07")  # fresh for what follows, however slow the guest
st = gw("status").stdout
if "doip: power mode ready from signal VehicleState.VehiclePowerMode on vcan1 (raw 2)" not in st:
    fail("status: " + st)
frame(b"\x02\x07")
r = gw("doip", "power", "not-ready")
if r.returncode != 1 or "follows signal VehicleState.VehiclePowerMode on vcan1" not in r.stderr:
    fail("doip power by command: %d %r %r" % (r.returncode, r.stdout, r.stderr))
if mode() != 1:
    fail("the command changed the mode")
print("the command refused, the signal's mode kept", flush=True)
until(0, b"\x01\x07", "not ready for Acc (1)")
until(1, b"\x0b\x07", "ready for Crank (3, upper bits another signal's)")
# the frames stop: stale after timeout_ms
until(0, None, "not ready once stale")
st = gw("status").stdout
if "(stale: no frame for 3000 ms)" not in st:
    fail("status when stale: " + st)
# an empty frame has no signal: nothing changes, counted
frame(b"")
until(1, b"\x02", "ready again after an empty frame")
frame(b"\x02")
st = gw("stats").stdout
line = [l for l in st.splitlines() if l.startswith("doip power mode signal ")]
if not line or ", without the signal 1, stale " not in line[0]:
    fail("stats: " + st)
stale = int(line[0].split(", stale ")[1].split(",")[0])
frames = int(line[0].split(": frames ")[1].split(",")[0])
if stale < 1 or frames < 4:
    fail("stats: " + line[0])
print("counted: an empty frame, stale %s" % ("once" if stale == 1 else "%d times" % stale),
      flush=True)
# the route's id passes, the signal's is not routed
frame(b"\x02")
can.send(struct.pack("=IB3x8s", 0x100, 2, b"\xab\xcd".ljust(8, b"\0")))
print("sent", flush=True)
PY
	cat tester.log
	xrc 0 pw gw -s "$PWD/ctl.sock" doip power
	xrc 0 stats gw -s "$PWD/ctl.sock" stats
	xrc 0 json gw -s "$PWD/ctl.sock" stats --json
	# a reload re-reads ready: Acc is ready now
	sed -i 's/ready: \[Run, 3\]/ready: [Acc]/' gw.yaml
	xrc 0 rl gw -s "$PWD/ctl.sock" reload
	CTL=$PWD/ctl.sock /usr/bin/python3 - >tester2.log 2>&1 <<'PY' || rc=1
import socket, struct, sys, time
from scapy.contrib.automotive.doip import DoIP
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
can = socket.socket(socket.AF_CAN, socket.SOCK_RAW, socket.CAN_RAW)
can.bind(("vcan1",))
def mode():
    u.sendto(bytes(DoIP(payload_type=0x4003)), ("127.0.0.1", 13412))
    return DoIP(u.recv(512)).diagnostic_power_mode
end = time.monotonic() + 30
seen = set()
while time.monotonic() < end and seen != {0, 1}:
    can.send(struct.pack("=IB3x8s", 0x321, 1, (b"\x01" if 1 not in seen else b"\x02").ljust(8, b"\0")))
    time.sleep(0.1)
    m = mode()
    if m == 1 and 1 not in seen:
        seen.add(1)
        print("after the reload: ready for Acc", flush=True)
    elif m == 0 and 1 in seen:
        seen.add(0)
        print("after the reload: not ready for Run", flush=True)
if seen != {0, 1}:
    print("FAIL after the reload: saw", seen)
    sys.exit(1)
PY
	cat tester2.log
	xrc 0 st1 gw -s "$PWD/ctl.sock" status
	finish vcan0 can.log
	stop $p1
	kill -TERM $GW
	wait $GW || true
	[ "$rc" = 0 ]
	has check.out 'gw.yaml: ok'
	has st0 'doip: power mode not-ready from signal VehicleState.VehiclePowerMode on vcan1 (no frame yet)'
	for s in 'not ready before any frame' 'ready for Run (2)' \
		'the command refused, the signal' 'not ready for Acc (1)' \
		'ready for Crank (3, upper bits' 'not ready once stale' 'ready again after an empty frame' \
		'counted: an empty frame, stale'; do
		has tester.log "$s"
	done
	has tester2.log 'after the reload: ready for Acc'
	has tester2.log 'after the reload: not ready for Run'
	has pw ' (from signal VehicleState.VehiclePowerMode on vcan1)'
	has stats 'doip power mode signal VehicleState.VehiclePowerMode on vcan1: frames '
	has stats ', without the signal 1, stale '
	has stats ', socket errors 0'
	has json '"power_mode":{"signal":"VehicleState.VehiclePowerMode","interface":"vcan1","mode":"'
	has st1 'doip: power mode not-ready from signal VehicleState.VehiclePowerMode on vcan1 ('
	has gw.log 'doip: power mode signal VehicleState.VehiclePowerMode on vcan1: no frame for 3000 ms'
	# routing untouched: 0x100 crossed to vcan0, 0x321 never did
	has can.log ' vcan0 100#ABCD'
	absent ' vcan0 321#' can.log
}
