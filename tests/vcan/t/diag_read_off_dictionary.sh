# diag_read_off_dictionary.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# fake_ecu IF: an ECU on the kernel's ISO-TP (requests 7E0, answers
# 7E8) that answers from the table below and logs each request in hex to
# ecu.log; ready once it listens.
fake_ecu() {
	/usr/bin/python3 -c '
import socket, sys
ans = {
	"22f190": "62f1903132",             # VIN as 2 bytes, not 17
	"22f190f18c": "62f1903132f18c4142",
	"22f18c": "62f18c4142",
	"22010c": "62010c0bb800",           # EngineSpeed as 3 bytes, not 2
	"22f191": "62f1924142",             # another DID echoed: malformed
}
s = socket.socket(socket.AF_CAN, socket.SOCK_DGRAM, socket.CAN_ISOTP)
s.bind((sys.argv[1], 0x7E0, 0x7E8))
while True:
	r = s.recv(4095).hex()
	print(r, flush=True)
	s.send(bytes.fromhex(ans.get(r, "6e" + r[2:6] if r[:2] == "2e" else "7f" + r[:2] + "31")))
' "$1" >ecu.log &
	ECU=$!
	wait_rx "$1" 7e0
}

# An ECU that answers differently from the dictionary: read shows the
#    bytes with a warning (exit 0); write sends hex bytes as given.
t_diag_read_off_dictionary() {
	fake_ecu vcan2
	D="diag -i vcan2 -e 7E0"
	rc_in vin $D read F190
	[ "$(cat vin.rc)" = 0 ] || { cat vin; false; }
	has vin 'F190 VIN: 31 32'
	has vin 'canrig diag: warning: read F190 VIN: the ECU answered 2 bytes, the dictionary says 17; shown raw'
	[ "$(wc -l <vin)" = 2 ]
	# JSON on stdout stays whole; the warning goes to stderr
	"$CANRIG" $D --json read F190 >vinj 2>vinj.err
	[ "$(cat vinj)" = '{"command":"read","dids":[{"did":"F190","name":"VIN","hex":"3132","raw":true}]}' ]
	has vinj.err 'warning: read F190 VIN'
	# two DIDs in one request do not split: one at a time, each shown
	rc_in two $D read F190 F18C
	[ "$(cat two.rc)" = 0 ] || { cat two; false; }
	has two 'reading one DID at a time'
	has two 'F190 VIN: 31 32'
	has two 'F18C ECUSerialNumber: "AB"'
	rc_in rpm $D --dids "$DATA/diag-dids.yaml" read EngineSpeed
	[ "$(cat rpm.rc)" = 0 ]
	has rpm '010C EngineSpeed: 0B B8 00'
	# an answer for another DID is still an error
	rc_in bad $D read F191
	[ "$(cat bad.rc)" = 1 ]
	has bad 'response too short or malformed'
	# hex bytes are written as given; other values through the dictionary
	rc_in w1 $D write F190 3132
	[ "$(cat w1.rc)" = 0 ] || { cat w1; false; }
	has w1 'F190: written, 2 bytes'
	rc_in w2 $D write VIN WVWZZZ1JZXW000001
	[ "$(cat w2.rc)" = 0 ]
	rc_in w3 $D --dids "$DATA/diag-dids.yaml" write EngineSpeed 1F40
	[ "$(cat w3.rc)" = 0 ]
	rc_in w4 $D --dids "$DATA/diag-dids.yaml" write EngineSpeed 750
	[ "$(cat w4.rc)" = 0 ]
	rc_in w5 $D write F190 WVW
	[ "$(cat w5.rc)" = 2 ]
	kill $ECU
	wait $ECU 2>/dev/null || true
	has ecu.log '2ef1903132'
	has ecu.log "2ef190$(printf WVWZZZ1JZXW000001 | od -An -tx1 | tr -d ' \n')"
	has ecu.log '2e010c1f40'
	has ecu.log '2e010c0bb8'
	[ "$(grep -c '^2e' ecu.log)" = 4 ]
}
