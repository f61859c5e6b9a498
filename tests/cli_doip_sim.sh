#!/bin/bash
# cli_doip_sim.sh - DoIP end to end with no CAN bus: `canrig ecu-sim
# --doip` stands as a DoIP entity on loopback, and two testers talk to it:
# one nobody on the project wrote (Debian's python3-scapy, its DoIP and UDS
# packet classes building every request and dissecting every answer, field
# by field), and `canrig diag --doip`.  Where tshark can capture loopback
# (root), the whole exchange is dissected by it too, with no malformed
# packet.  Prints one PASS/FAIL line per check and "cli_doip_sim: N passed,
# N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
ROOT=$PWD
CONF=$ROOT/tests/data/ecu-sim/three-ecus.yaml
VIN=WVWZZZ1JZXW000001


listening() {
	"$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
		"$PORT" 2>/dev/null
}

# start_sim [FILE]: the simulator as a DoIP entity on $PORT, until it
# listens (on 127.0.0.1, or $SIM_ADDR)
start_sim() {
	PORT=$(free_port)
	ECUSIM_DIR=$PWD "$CANRIG" ecu-sim --doip "${SIM_ADDR:-127.0.0.1}:$PORT" -c "${1:-$CONF}" \
		-v 2>sim.log &
	PIDS="$PIDS $!"
	poll "ecu-sim --doip listening on $PORT" listening
}

# The independent tester: scapy builds each request and dissects each
# answer; every field is compared with what ISO 13400-2 and the
# configuration say.  One scenario per argument; exits 1 on a difference.
cat >"$WORK/tester.py" <<'EOF'
import socket
import sys
import time

from scapy.contrib.automotive.doip import DoIP
from scapy.contrib.automotive.uds import UDS, UDS_RDBI, UDS_RDBIPR, UDS_RC

port = int(sys.argv[1])
H = "127.0.0.1"
VIN = b"WVWZZZ1JZXW000001"
EID = bytes.fromhex("020000001000")
bad = 0


def expect(name, got, want):
    global bad
    ok = got == want
    print(f"{name}: {'ok' if ok else 'DIFFERS'} ({got!r}{'' if ok else f', wanted {want!r}'})")
    if not ok:
        bad += 1


def udp(pkt):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(bytes(pkt), (H, port))
    try:
        data, _ = s.recvfrom(4096)
    except socket.timeout:
        return None
    finally:
        s.close()
    return DoIP(data)


def read_exact(s, n):
    b = b""
    while len(b) < n:
        k = s.recv(n - len(b))
        if not k:
            return None
        b += k
    return b


def recv_msg(s):
    """One whole DoIP message off the stream, dissected by scapy (None: closed)."""
    h = read_exact(s, 8)
    if h is None:
        return None
    n = int.from_bytes(h[4:8], "big")
    body = read_exact(s, n) if n else b""
    return None if body is None else DoIP(h + body)


def closed(s):
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def tcp(sa=0x0E80):
    s = socket.create_connection((H, port), 2)
    s.settimeout(5)
    s.sendall(bytes(DoIP(payload_type=0x0005, source_address=sa, activation_type=0)))
    return s, recv_msg(s)


def vid(prefix, r):
    expect(prefix + " answered", r is not None, True)
    if r is None:
        return
    expect(prefix + " payload_type", r.payload_type, 0x0004)
    expect(prefix + " protocol_version", r.protocol_version, 0x02)
    expect(prefix + " inverse_version", r.inverse_version, 0xFD)
    expect(prefix + " vin", r.vin, VIN)
    expect(prefix + " logical_address", r.logical_address, 0x1000)
    expect(prefix + " eid", r.eid, EID)
    expect(prefix + " gid", r.gid, EID)
    expect(prefix + " further_action", r.further_action, 0)


def identification():
    vid("plain", udp(DoIP(payload_type=0x0001)))
    vid("by EID", udp(DoIP(payload_type=0x0002, eid=EID)))
    vid("by VIN", udp(DoIP(payload_type=0x0003, vin=VIN)))
    expect("another EID: no answer", udp(DoIP(payload_type=0x0002, eid=b"\x00" * 6)), None)
    expect("another VIN: no answer", udp(DoIP(payload_type=0x0003, vin=b"X" * 17)), None)


def routing_and_read():
    s, r = tcp()
    expect("ra payload_type", r.payload_type, 0x0006)
    expect("ra logical_address_tester", r.logical_address_tester, 0x0E80)
    expect("ra logical_address_doip_entity", r.logical_address_doip_entity, 0x1000)
    expect("ra routing_activation_response", r.routing_activation_response, 0x10)
    s.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x0010) /
                    UDS() / UDS_RDBI(identifiers=[0xF190])))
    a = recv_msg(s)
    expect("ack payload_type", a.payload_type, 0x8002)
    expect("ack source_address", a.source_address, 0x0010)
    expect("ack target_address", a.target_address, 0x0E80)
    expect("ack ack_code", a.ack_code, 0x00)
    d = recv_msg(s)
    expect("answer payload_type", d.payload_type, 0x8001)
    expect("answer source_address", d.source_address, 0x0010)
    expect("answer target_address", d.target_address, 0x0E80)
    expect("answer UDS service", d[UDS].service, 0x62)
    expect("answer dataIdentifier", d[UDS_RDBIPR].dataIdentifier, 0xF190)
    expect("answer VIN", bytes(d[UDS_RDBIPR].payload), VIN)
    # the second ECU, on the same socket
    s.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x0011) /
                    UDS() / UDS_RDBI(identifiers=[0xF18C])))
    expect("ecu 0x0011 ack", recv_msg(s).payload_type, 0x8002)
    d = recv_msg(s)
    expect("ecu 0x0011 source_address", d.source_address, 0x0011)
    expect("ecu 0x0011 answer", bytes(d[UDS_RDBIPR].payload), b"TCM-7781")
    s.close()


def nacks():
    s, r = tcp()
    expect("ra routing_activation_response", r.routing_activation_response, 0x10)
    s.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x0020) /
                    UDS() / UDS_RDBI(identifiers=[0xF190])))
    n = recv_msg(s)
    expect("unknown target payload_type", n.payload_type, 0x8003)
    expect("unknown target source_address", n.source_address, 0x0020)
    expect("unknown target target_address", n.target_address, 0x0E80)
    expect("unknown target nack_code", n.nack_code, 0x03)
    # the socket stays usable after 0x03
    s.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x0010) /
                    UDS() / UDS_RDBI(identifiers=[0xF190])))
    expect("after 0x03: ack", recv_msg(s).payload_type, 0x8002)
    expect("after 0x03: answer", recv_msg(s).payload_type, 0x8001)
    # a source address not activated on this socket: 0x02, and closed
    s.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E81, target_address=0x0010) /
                    UDS() / UDS_RDBI(identifiers=[0xF190])))
    n = recv_msg(s)
    expect("wrong source payload_type", n.payload_type, 0x8003)
    expect("wrong source nack_code", n.nack_code, 0x02)
    expect("wrong source target_address", n.target_address, 0x0E81)
    expect("wrong source: socket closed", closed(s), True)
    s.close()
    # a tester address outside the range: activation refused (0x00), closed
    s, r = tcp(0x0100)
    expect("refused ra payload_type", r.payload_type, 0x0006)
    expect("refused ra logical_address_tester", r.logical_address_tester, 0x0100)
    expect("refused ra routing_activation_response", r.routing_activation_response, 0x00)
    expect("refused ra: socket closed", closed(s), True)
    s.close()
    # no activation at all: a diagnostic message gets 0x02
    s = socket.create_connection((H, port), 2)
    s.settimeout(5)
    s.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x0010) /
                    UDS() / UDS_RDBI(identifiers=[0xF190])))
    n = recv_msg(s)
    expect("not activated nack_code", n.nack_code, 0x02)
    s.close()


def pending():
    s, r = tcp()
    expect("ra routing_activation_response", r.routing_activation_response, 0x10)
    t0 = time.monotonic()
    s.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x0010) /
                    UDS() / UDS_RC(routineControlType=1, routineIdentifier=0xFF00)))
    expect("ack", recv_msg(s).payload_type, 0x8002)
    npend = 0
    while True:
        d = recv_msg(s)
        expect("message type", d.payload_type, 0x8001)
        u = bytes(d[UDS])
        if u == bytes.fromhex("7F3178"):
            npend += 1
            continue
        expect("final answer", u.hex(), "7101ff0000")
        break
    # pending_ms 300, a 0x78 every 100 ms: each its own message
    expect("0x78 answers, each its own 0x8001, at least 2", npend >= 2, True)
    print(f"{npend} pending answers in {time.monotonic() - t0:.2f} s")
    s.close()


def alive():
    # the address active on another socket: that socket is alive-checked;
    # it answers, so the newcomer gets 0x03 and is closed
    s1, r = tcp()
    expect("first ra", r.routing_activation_response, 0x10)
    s2 = socket.create_connection((H, port), 2)
    s2.settimeout(5)
    s2.sendall(bytes(DoIP(payload_type=0x0005, source_address=0x0E80, activation_type=0)))
    a = recv_msg(s1)
    expect("alive check payload_type", a.payload_type, 0x0007)
    expect("alive check payload_length", a.payload_length, 0)
    s1.sendall(bytes(DoIP(payload_type=0x0008, source_address=0x0E80)))
    r = recv_msg(s2)
    expect("alive: second ra payload_type", r.payload_type, 0x0006)
    expect("alive: second ra routing_activation_response", r.routing_activation_response, 0x03)
    expect("alive: second socket closed", closed(s2), True)
    s2.close()
    # the first socket still works
    s1.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x0010) /
                     UDS() / UDS_RDBI(identifiers=[0xF190])))
    expect("first still routed: ack", recv_msg(s1).payload_type, 0x8002)
    expect("first still routed: answer", recv_msg(s1).payload_type, 0x8001)
    # now it stays silent: after T_TCP_Alive_Check (500 ms) it is closed
    # and the newcomer takes its place
    s3 = socket.create_connection((H, port), 2)
    s3.settimeout(5)
    t0 = time.monotonic()
    s3.sendall(bytes(DoIP(payload_type=0x0005, source_address=0x0E80, activation_type=0)))
    expect("silent: alive check sent", recv_msg(s1).payload_type, 0x0007)
    r = recv_msg(s3)
    waited = time.monotonic() - t0
    expect("silent: third ra routing_activation_response", r.routing_activation_response, 0x10)
    expect("silent: waited the alive check's 500 ms", waited >= 0.45, True)
    expect("silent: first socket closed", closed(s1), True)
    s1.close()
    s3.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x0010) /
                     UDS() / UDS_RDBI(identifiers=[0xF190])))
    expect("third routed: ack", recv_msg(s3).payload_type, 0x8002)
    expect("third routed: answer", recv_msg(s3).payload_type, 0x8001)
    s3.close()


def mcts():
    # four testers hold every socket; a fifth is alive-checked against all
    # four, they answer, so it gets 0x01 and is closed
    held = []
    for i in range(4):
        s, r = tcp(0x0E01 + i)
        expect(f"tester {i} ra", r.routing_activation_response, 0x10)
        held.append(s)
    s5 = socket.create_connection((H, port), 2)
    s5.settimeout(5)
    s5.sendall(bytes(DoIP(payload_type=0x0005, source_address=0x0E05, activation_type=0)))
    for i, s in enumerate(held):
        expect(f"tester {i} alive check", recv_msg(s).payload_type, 0x0007)
        s.sendall(bytes(DoIP(payload_type=0x0008, source_address=0x0E01 + i)))
    r = recv_msg(s5)
    expect("fifth ra routing_activation_response", r.routing_activation_response, 0x01)
    expect("fifth closed", closed(s5), True)
    s5.close()
    # one of the four leaves: a newcomer is activated at once
    held.pop().close()
    time.sleep(0.2)
    s6, r = tcp(0x0E06)
    expect("after one left: ra", r.routing_activation_response, 0x10)
    for s in held + [s6]:
        s.close()


globals()[sys.argv[2]]()
print(f"{bad} differences")
sys.exit(1 if bad else 0)
EOF

scapy() {
	"$PY" "$WORK/tester.py" "$PORT" "$1" >out 2>&1 || { cat out; return 1; }
	cat out
	grep -qx '0 differences' out
}

scapy_identification() {
	start_sim
	scapy identification
	# every field above was compared: three answers of 9 and two silences
	[ "$(grep -c ': ok' out)" -eq 29 ]
}

scapy_routing_and_read() {
	start_sim
	scapy routing_and_read
}

scapy_nacks() {
	start_sim
	scapy nacks
}

scapy_pending() {
	start_sim
	scapy pending
}

scapy_alive_check() {
	start_sim
	scapy alive
}

scapy_mcts() {
	start_sim
	scapy mcts
}

# the harness's tester, scapy's fields: what the tester checks can fail
scapy_tester_sees_a_difference() {
	start_sim
	sed 's/"ra routing_activation_response", r.routing_activation_response, 0x10/&+1/' \
		"$WORK/tester.py" >bad.py
	! "$PY" bad.py "$PORT" routing_and_read >out 2>&1
	cat out
	grep -q '^ra routing_activation_response: DIFFERS (16, wanted 17)$' out
	grep -qx '1 differences' out
}

diag() {
	"$CANRIG" diag --doip "127.0.0.1:$PORT" "$@"
}

diag_read_vin() {
	start_sim
	run 0 out err diag -e 0010 read F190
	is out "F190 VIN: \"$VIN\""
	[ ! -s err ]
	run 0 out err diag -e 0011 --json read F18C
	is out '{"command":"read","dids":[{"did":"F18C","name":"ECUSerialNumber","hex":"54434D2D37373831","value":"TCM-7781"}]}'
}

diag_dtc_read() {
	start_sim
	run 0 out err diag -e 0012 dtc read
	cat out
	grep -qx 'C12100 U0121-00 status 0x08 confirmedDTC' out
	grep -qx '500100 C1001-00 status 0x24 pendingDTC,testFailedSinceLastClear' out
	grep -qx '2 DTCs (status availability mask 0xFF)' out
}

# 0xFF00 answers 0x78 for 300 ms, every 100 ms: P2 (--p2 50, far below the
# 300 ms) would fail the request if a 0x78 did not move it to P2*
diag_pending_routine() {
	start_sim
	run 0 out err diag -e 0010 -v --p2 50 routine start FF00
	is out 'routine FF00: ok, 00'
	cat err
	[ "$(grep -c '^canrig diag: ECU busy (0x78 responsePending), waiting$' err)" -ge 2 ]
}

# a chain on one connection: the session answer's P2 is adopted, the
# session kept by TesterPresent through the sleep
diag_chain() {
	start_sim
	run 0 out err diag -e 0010 session extended + sleep 0.2 + read 0100 + tester + read F18C
	cat out
	grep -qx 'session 0x03: ok, ECU P2 50 ms, P2\* 5000 ms' out
	grep -qx '0100: 00 00' out
	grep -qx 'tester 0x00: ok' out
	[ "$(tail -n1 out)" = 'F18C ECUSerialNumber: "SN-0000042"' ]
}

# a whole download over DoIP: session, seed and key, 1 MiB in blocks
# of 0x400, the ECU's CRC-32 compared with the image's, the file the same
diag_flash() {
	start_sim
	head -c 1048576 /dev/urandom >img.bin
	run 0 out err diag -e 0010 session programming + \
		unlock 1 --key-cmd 'printf "%08X" $((0x{seed} ^ 0x12345678))' + \
		flash img.bin --address 100000 --check-crc
	cat out
	grep -q '^flash: 1048576 bytes in 1024 blocks of up to 1024, ' out
	cmp img.bin engine-flash.bin
}

# alive checks are answered, and a bare 0x8002 before the answer is taken:
# an entity scapy plays (it sends 0x0007 before it answers anything)
cat >"$WORK/alive.py" <<'EOF'
import socket
import sys

from scapy.contrib.automotive.doip import DoIP

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(1)
print(ls.getsockname()[1], flush=True)
s, _ = ls.accept()
s.settimeout(5)


def recv_msg():
    h = b""
    while len(h) < 8:
        h += s.recv(8 - len(h))
    n = int.from_bytes(h[4:8], "big")
    b = b""
    while len(b) < n:
        b += s.recv(n - len(b))
    return DoIP(h + b)


ra = recv_msg()
assert ra.payload_type == 0x0005 and ra.source_address == 0x0E80, ra
s.sendall(bytes(DoIP(payload_type=0x0006, logical_address_tester=0x0E80,
                     logical_address_doip_entity=0x1000, routing_activation_response=0x10)))
req = recv_msg()
assert req.payload_type == 0x8001 and req.target_address == 0x0010, req
if len(sys.argv) > 1 and sys.argv[1] == "close":
    # gone in the middle of the request
    print("closing", flush=True)
    s.close()
    sys.exit(0)
s.sendall(bytes(DoIP(payload_type=0x0007)))
al = recv_msg()
print(f"alive answer: type 0x{al.payload_type:04X} source 0x{al.source_address:04X}", flush=True)
s.sendall(bytes(DoIP(payload_type=0x8002, source_address=0x0010, target_address=0x0E80,
                     ack_code=0)))
s.sendall(bytes(DoIP(payload_type=0x8001, source_address=0x0010, target_address=0x0E80) /
                (bytes.fromhex("62F190") + b"WVWZZZ1JZXW000001")))
s.close()
EOF

diag_answers_alive_check() {
	"$PY" "$WORK/alive.py" >entity.out 2>&1 &
	PIDS="$PIDS $!"
	poll "scapy entity listening" grep -q '^[0-9][0-9]*$' entity.out
	PORT=$(head -n1 entity.out)
	run 0 out err diag -e 0010 read F190
	is out "F190 VIN: \"$VIN\""
	poll "entity done" grep -q '^alive answer' entity.out
	grep -qx 'alive answer: type 0x0008 source 0x0E80' entity.out
}

# the entity closing in the middle of a request: one line, status 1
diag_entity_closes() {
	# a file of its own: the checks share one directory
	"$PY" "$WORK/alive.py" close >closing.out 2>&1 &
	PIDS="$PIDS $!"
	poll "scapy entity listening" grep -q '^[0-9][0-9]*$' closing.out
	PORT=$(head -n1 closing.out)
	run 1 out err diag -e 0010 read F190
	is err 'canrig diag: read: DoIP connection: closed by the entity'
}

diag_discover() {
	start_sim
	run 0 out err diag discover
	cat out
	grep -qx "127.0.0.1: VIN $VIN, address 1000, EID 02:00:00:00:10:00, GID 02:00:00:00:10:00, further action 0x00" out
	grep -qx '1 DoIP entity answered' out
	run 0 out err diag --json scan
	is out "{\"command\":\"discover\",\"entities\":[{\"ip\":\"127.0.0.1\",\"vin\":\"$VIN\",\"address\":\"1000\",\"eid\":\"020000001000\",\"gid\":\"020000001000\",\"further_action\":0}]}"
	# nobody there: said, and status 1
	PORT=$(free_port)
	run 1 out err diag discover
	is out '0 DoIP entities answered'
}

# a broadcast address asks every entity: one bound to the wildcard
# address hears it on loopback's broadcast address
diag_discover_broadcast() {
	SIM_ADDR=0.0.0.0 start_sim
	run 0 out err "$CANRIG" diag --doip "127.255.255.255:$PORT" discover
	cat out
	grep -q ": VIN $VIN, address 1000, " out
	grep -qx '1 DoIP entity answered' out
}

diag_errors() {
	PORT=$(free_port)
	# no entity listening: one line, status 1
	run 1 out err diag -e 0010 read F190
	is err "canrig diag: DoIP 127.0.0.1:$PORT: Connection refused"
	[ ! -s out ]
	start_sim
	# a tester address the entity does not take: the code, named
	run 1 out err diag --sa 0100 -e 0010 read F190
	is err "canrig diag: DoIP 127.0.0.1:$PORT: routing activation refused for tester 0x0100: code 0x00 (unknown source address)"
	# an ECU address nobody has: the 0x8003 code, named
	run 1 out err diag -e 0020 read F190
	is err 'canrig diag: read: DoIP negative acknowledgement 0x03 (unknown target address) from 0x0020'
	# an NRC over DoIP is an NRC, as over CAN
	run 3 out err diag -e 0010 read 1234
	is err 'canrig diag: read: negative response 0x31 requestOutOfRange'
	# usage: what does not go with --doip
	run 2 out err diag --doip "127.0.0.1:$PORT" read F190
	is err "canrig diag: --doip needs -e ADDR, the ECU's logical address (hex)"
	run 2 out err diag -i lo -e 0010 read F190
	is err 'canrig diag: give -i or --doip, not both'
	run 2 out err diag -e 0010 raw 3E00 --functional
	is err "canrig diag: raw --functional over DoIP: -e is then a functional address (E000..EFFF, e.g. E400); try 'canrig diag --help'"
	# a functional -e collects every answer: raw only
	run 2 out err diag -e E400 read F190
	is err "canrig diag: -e E400 is a functional address: only raw (each ECU's answer printed); try 'canrig diag --help'"
	run 2 out err "$CANRIG" diag --doip 127.0.0.1:0 -e 10 read F190
	is err "canrig diag: bad value '127.0.0.1:0' for --doip (HOST[:PORT]); try 'canrig diag --help'"
	run 2 out err "$CANRIG" ecu-sim --doip 127.0.0.1:x -c "$CONF"
	is err "canrig ecu-sim: bad value '127.0.0.1:x' for --doip (ADDR[:PORT]); try 'canrig ecu-sim --help'"
	# the port taken: a runtime error, said
	ECUSIM_DIR=$PWD run 1 out err "$CANRIG" ecu-sim --doip "127.0.0.1:$PORT" -c "$CONF"
	is err "canrig ecu-sim: doip: UDP port $PORT on 127.0.0.1: Address already in use"
}

# the doip: section: addresses, identity and tester range from the file
ecusim_doip_section() {
	cat >sim.yaml <<'EOF'
doip:
  logical_address: 0x2000
  vin: VINFROMDOIPSECT01
  eid: "00 11 22 33 44 55"
  gid: "66 77 88 99 AA BB"
  further_action: 0x10
  tester_range: [0x0F00, 0x0F10]
ecus:
  - name: a
    rx: 0x7E0
    tx: 0x7E8
    doip_address: 0x0042
    dids:
      - {id: 0xF190, ascii: "WVWZZZ1JZXW000001"}
EOF
	start_sim sim.yaml
	run 0 out err diag discover
	head -n1 out >first
	is first "127.0.0.1: VIN VINFROMDOIPSECT01, address 2000, EID 00:11:22:33:44:55, GID 66:77:88:99:AA:BB, further action 0x10"
	run 0 out err diag --sa 0F05 -e 0042 read F190
	is out "F190 VIN: \"$VIN\""
	run 1 out err diag -e 0042 read F190
	grep -q 'refused for tester 0x0E80: code 0x00' err
	# an ECU on the entity's own address is refused with its place
	sed -i 's/doip_address: 0x0042/doip_address: 0x2000/' sim.yaml
	run 2 out err "$CANRIG" ecu-sim -n -c sim.yaml
	is err "canrig ecu-sim: sim.yaml:9:5: ECU 'a' has the entity's DoIP address 0x2000"
}

# tshark, where it can capture loopback: every message of a diag session
# and of scapy's scenarios is DoIP to it, none malformed
tshark_dissects() {
	if ! command -v tshark >/dev/null; then
		echo "SKIP: no tshark (scripts/deps.sh installs it)"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: capturing on lo needs root"
		return 0
	fi
	start_sim
	tshark -q -i lo -f "port $PORT" -w cap.pcapng 2>tshark.err &
	local tpid=$!
	PIDS="$PIDS $tpid"
	poll "tshark capturing" grep -q 'Capturing on' tshark.err
	diag -e 0010 read F190 >/dev/null
	diag -e 0010 routine start FF00 >/dev/null
	diag -e 0020 read F190 >/dev/null 2>&1 || :
	diag discover >/dev/null
	"$PY" "$WORK/tester.py" "$PORT" nacks >/dev/null
	# let the last segments be written, then stop it cleanly
	sleep 0.5
	kill -INT "$tpid"
	wait "$tpid" || :
	local dec="-d tcp.port==$PORT,doip -d udp.port==$PORT,doip"
	# shellcheck disable=SC2086
	tshark -r cap.pcapng $dec -Y doip -T fields -e doip.type >types
	sort types | uniq -c
	# shellcheck disable=SC2086
	[ "$(tshark -r cap.pcapng $dec -Y _ws.malformed | wc -l)" -eq 0 ]
	for t in 0x0001 0x0004 0x0005 0x0006 0x8001 0x8002 0x8003; do
		grep -q "$t" types || { echo "no DoIP type $t dissected"; return 1; }
	done
}

check scapy_identification scapy_identification
check scapy_routing_and_read scapy_routing_and_read
check scapy_nacks scapy_nacks
check scapy_pending scapy_pending
check scapy_alive_check scapy_alive_check
check scapy_mcts scapy_mcts
check scapy_tester_sees_a_difference scapy_tester_sees_a_difference
check diag_read_vin diag_read_vin
check diag_dtc_read diag_dtc_read
check diag_pending_routine diag_pending_routine
check diag_chain diag_chain
check diag_flash diag_flash
check diag_answers_alive_check diag_answers_alive_check
check diag_entity_closes diag_entity_closes
check diag_discover diag_discover
check diag_discover_broadcast diag_discover_broadcast
check diag_errors diag_errors
check ecusim_doip_section ecusim_doip_section
check tshark_dissects tshark_dissects
summary
