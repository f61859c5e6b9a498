# gw_doip_isotp_opts.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Issue 21: per-ECU ISO-TP options behind canrigd's DoIP entity: ECU
#     0x0016 on vcan1 with 29-bit normal fixed ids (18DA16F1/18DAF116),
#     ECU 0x0017 on vcan2 with CAN FD frames of up to 64 bytes; each
#     played by canrig ecu-sim with the same options, each asked 22 F190
#     by a DoIP tester; candump shows each exchange in its own format.
t_gw_doip_isotp_opts() {
	ip link set lo up
	cat >sim29.yaml <<'EOF'
ecus:
  - name: body29
    address29: 0x16
    dids:
      - {id: 0xF190, ascii: "WVWZZZ1JZXW000001"}
EOF
	cat >simfd.yaml <<'EOF'
ecus:
  - name: chassisfd
    rx: 0x7E0
    tx: 0x7E8
    tx_dl: 64
    dids:
      - {id: 0xF190, ascii: "WVWZZZ1JZXW000001"}
EOF
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan1, domain: body}
  - {name: vcan2, domain: chassis, fd: true}
routes: []
doip:
  listen: 127.0.0.1
  port: 13413
  logical_address: 0x1000
  vin: WVWZZZ1JZXW000001
  testers:
    - address: 0x0E80
      firewall: {allow: [0x22]}
  ecus:
    - {address: 0x0016, interface: vcan1, tx: 0x18DA16F1, rx: 0x18DAF116}
    - {address: 0x0017, interface: vcan2, tx: 0x7E0, rx: 0x7E8, tx_dl: 64}
options: {control: $PWD/ctl.sock}
EOF
	candump -L -r 8388608 vcan1 vcan2 >can.log &
	p1=$!
	sync_listeners vcan1 can.log
	"$CANRIG" ecu-sim -i vcan1 -c sim29.yaml 2>sim29.log &
	s1=$!
	"$CANRIG" ecu-sim -i vcan2 -c simfd.yaml 2>simfd.log &
	s2=$!
	wait_rx vcan1 18DA16F1 1
	wait_rx vcan2 7E0 1
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_rx vcan1 18DAF116 1
	wait_rx vcan2 7E8 1
	wait_for gw.log 'doip: entity 0x1000 on 127.0.0.1:13413'
	rc=0
	PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$DATA/../vcan /usr/bin/python3 - >tester.log 2>&1 <<'PY' || rc=1
from doip_tester import Tester, fail, say

VIN = (b"\x62\xf1\x90" + b"WVWZZZ1JZXW000001").hex()
t = Tester(13413, 0x0E80)
for ta in (0x0016, 0x0017):
    got = t.diag(ta, "22F190")
    if got != VIN:
        fail("0x%04X answered %s" % (ta, got))
    say("0x%04X: VIN" % ta)
t.close()
PY
	cat tester.log
	finish vcan1 can.log
	kill -TERM $GW
	wait $GW || true
	kill -INT $s1 $s2
	wait $s1 || true
	wait $s2 || true
	stop $p1
	[ "$rc" = 0 ]
	# 29-bit: request, the answer's first frame, canrigd's flow control
	has can.log 'vcan1 18DA16F1#0322F190'
	has can.log 'vcan1 18DAF116#101462F190'
	grep -qE 'vcan1 18DA16F1#30' can.log
	absent 'vcan1 (7E0|7E8)#' can.log
	# FD: the request and the whole 20-byte answer each in one FD frame
	grep -qE 'vcan2 7E0##[0-9A-F]0322F190' can.log
	grep -qE 'vcan2 7E8##[0-9A-F]001462F190' can.log
	absent 'vcan2 7E[08]#[0-9A-F]' can.log
}
