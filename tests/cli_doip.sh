#!/bin/bash
# cli_doip.sh - the DoIP codec (doip/) against an implementation nobody on
# the project wrote: Debian's python3-scapy dissects every message our
# codec builds, our parser reads every message scapy builds, and each
# field must agree.  Prints one PASS/FAIL line per check and
# "cli_doip: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
ENC=${DOIP_ENCODE:-$(dirname "$CANRIG")/doip_encode}

# the comparator: for each "NAME HEX" line on stdin, our parser's fields
# (doip_encode parse) against scapy's dissection of the same bytes
cat >"$WORK/cmp.py" <<'EOF'
import subprocess
import sys

from scapy.contrib.automotive.doip import DoIP

enc = sys.argv[1]
lines = [l.split() for l in sys.stdin.read().splitlines() if l.strip()]
ours = subprocess.run([enc, "parse"], input="".join(f"{n} {h}\n" for n, h in lines),
                      capture_output=True, text=True, check=True).stdout.splitlines()
assert len(ours) == len(lines), (len(ours), len(lines))
bad = 0
for (name, hx), line in zip(lines, ours):
    raw = bytes.fromhex(hx)
    got = dict(kv.split("=", 1) for kv in line.split()[1:])
    if "nack" in got and name != "hdr_nack":
        print(f"{name}: our parser refused it: {line}")
        bad += 1
        continue
    pkt = DoIP(raw)
    for key, val in got.items():
        if key == "data":
            if pkt.payload_type == 0x8001:
                theirs = bytes(pkt.payload).hex()
            else:  # scapy keeps no field for an ACK's previous message
                theirs = raw[13:].hex()
        else:
            theirs = pkt.getfieldval(key)
            if isinstance(theirs, bytes) and key in ("vin", "eid", "gid"):
                theirs = theirs.hex()
            elif isinstance(theirs, bytes):  # 2.5.0 keeps reserved_oem as bytes
                theirs = str(int.from_bytes(theirs, "big"))
            else:
                theirs = str(theirs)
        if theirs != val:
            print(f"{name}: {key}: ours {val}, scapy {theirs}")
            bad += 1
    # scapy read exactly the message we did, no more, no less
    if pkt.payload_length != len(raw) - 8:
        print(f"{name}: payload_length {pkt.payload_length}, {len(raw)} bytes")
        bad += 1
print(f"{len(lines)} messages, {bad} differences")
sys.exit(1 if bad else 0)
EOF

# what scapy builds, one of each payload type (with the optional fields:
# the OEM field, the sync status, the max data size)
cat >"$WORK/build.py" <<'EOF'
from scapy.contrib.automotive.doip import DoIP
from scapy.contrib.automotive.uds import UDS, UDS_RDBI

vin = b"WVWZZZ1JZXW000002"
pkts = {
    "hdr_nack": DoIP(payload_type=0, nack=2),
    "vid_req": DoIP(payload_type=1),
    "vid_req_eid": DoIP(payload_type=2, eid=b"\x01\x02\x03\x04\x05\x06"),
    "vid_req_vin": DoIP(payload_type=3, vin=vin),
    "vid_rsp": DoIP(payload_type=4, vin=vin, logical_address=0x1001,
                    eid=b"\x01\x02\x03\x04\x05\x06", gid=b"\x0a\x0b\x0c\x0d\x0e\x0f",
                    further_action=0, vin_gid_status=0x10),
    "ra_req": DoIP(payload_type=5, source_address=0x0E80, activation_type=1,
                   reserved_oem=b"\x00\x00\x00\x07"),
    "ra_rsp": DoIP(payload_type=6, logical_address_tester=0x0E80,
                   logical_address_doip_entity=0x1000, routing_activation_response=0x10),
    "alive_req": DoIP(payload_type=7),
    "alive_rsp": DoIP(payload_type=8, source_address=0x0E81),
    "status_req": DoIP(payload_type=0x4001),
    "status_rsp": DoIP(payload_type=0x4002, node_type=0, max_open_sockets=8,
                       cur_open_sockets=3, max_data_size=4095),
    "power_req": DoIP(payload_type=0x4003),
    "power_rsp": DoIP(payload_type=0x4004, diagnostic_power_mode=1),
    "diag": DoIP(payload_type=0x8001, source_address=0x0E80, target_address=0x0010)
            / UDS() / UDS_RDBI(identifiers=[0xF190]),
    "diag_ack": DoIP(payload_type=0x8002, source_address=0x0010, target_address=0x0E80),
    "diag_nack": DoIP(payload_type=0x8003, source_address=0x0010, target_address=0x0E80,
                      nack_code=3),
    "v2019": DoIP(protocol_version=3, inverse_version=0xFC, payload_type=8,
                  source_address=1),
}
for name, p in pkts.items():
    print(name, bytes(p).hex())
EOF

ours_dissected_by_scapy() {
	"$ENC" build >msgs
	# every payload type of ISO 13400-2 is there
	[ "$(wc -l <msgs)" -eq 16 ]
	"$PY" "$WORK/cmp.py" "$ENC" <msgs >out
	cat out
	grep -qx '16 messages, 0 differences' out
}

scapys_parsed_by_ours() {
	"$PY" "$WORK/build.py" >msgs
	[ "$(wc -l <msgs)" -eq 17 ]
	"$PY" "$WORK/cmp.py" "$ENC" <msgs >out
	cat out
	grep -qx '17 messages, 0 differences' out
}

# the comparator can fail: a parser misreading one field is caught
comparator_sees_a_difference() {
	printf '#!/bin/sh\n"%s" "$@" | sed s/response=3/response=4/\n' "$ENC" >bad_enc
	chmod +x bad_enc
	"$ENC" build >msgs
	! "$PY" "$WORK/cmp.py" ./bad_enc <msgs >out
	cat out
	grep -qx 'ra_rsp: routing_activation_response: ours 4, scapy 3' out
	grep -qx '16 messages, 1 differences' out
}

# scapy's malformed messages: our parser names the standard's NACK code
scapy_malformed_refused() {
	"$PY" - >msgs <<'EOF'
from scapy.contrib.automotive.doip import DoIP
print("inverse", bytes(DoIP(payload_type=7, inverse_version=0xFC)).hex())
print("version1", bytes(DoIP(payload_type=7, protocol_version=1, inverse_version=0xFE)).hex())
print("unknown", bytes(DoIP(payload_type=0x1234)).hex())
print("short", bytes(DoIP(payload_type=8, source_address=1, payload_length=1)).hex())
EOF
	"$ENC" parse <msgs >out
	cat out
	grep -qx 'inverse nack=0' out
	grep -qx 'version1 nack=0' out
	grep -qx 'unknown nack=1' out
	grep -qx 'short nack=4' out
}

check ours_dissected_by_scapy ours_dissected_by_scapy
check scapys_parsed_by_ours scapys_parsed_by_ours
check comparator_sees_a_difference comparator_sees_a_difference
check scapy_malformed_refused scapy_malformed_refused
summary
