# gw_actions.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Three domains and every kind of action, on the wire: a 2,048-frame
#     cangen sweep on the powertrain reaches body and chassis exactly as
#     selected (nothing lost, nothing extra), and single frames check an
#     id set with AND/OR, an id add with an XOR checksum, a CRC8 (SAE
#     J1850, golden value from the check polynomial) and a rate limit.
t_gw_actions() {
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
  - {name: vcan2, domain: chassis}
routes:
  - {name: pt-body, from: vcan0, to: [vcan1], ids: [0x500-0x5FF]}
  - {name: pt-chassis, from: vcan0, to: [vcan2], masks: [{id: 0x600, mask: 0x700}]}
  - name: rewrite
    from: vcan0
    to: [vcan1]
    ids: [0x10000100]
    actions:
      - set_id: 0x10000321
      - and: {data: "F0 FF FF FF"}
      - or: {data: "00 80"}
  - name: xor
    from: vcan0
    to: [vcan2]
    ids: [0x10000200]
    actions:
      - add_id: 0x10
      - xor_checksum: {from: 0, to: 6, result: 7}
  - name: crc
    from: vcan1
    to: [vcan2]
    ids: [0x300]
    actions:
      - crc8: {from: 0, to: 6, result: 7, poly: 0x1D, init: 0xFF, xor: 0xFF, profile: none}
  - name: limited
    from: vcan2
    to: [vcan0]
    ids: [0x400]
    actions:
      - rate: {interval_ms: 60000, keep: first}
options:
  hop_limit: 1
  control: $PWD/ctl.sock
EOF
	for i in 0 1 2; do
		candump -L -r 8388608 vcan$i >c$i.log &
		eval p$i=\$!
	done
	for i in 0 1 2; do sync_listeners vcan$i c$i.log; done
	start_gw gw.yaml vcan0 10000100
	cangen vcan0 -g 1 -I i -L 8 -D i -n 2048
	cansend vcan0 10000100#12345678
	cansend vcan0 10000200#1122334455667000
	cansend vcan1 300#0102030405060700
	for i in 1 2 3; do cansend vcan2 400#0$i; done
	for i in 0 1 2; do finish vcan$i c$i.log; done
	stop $p0 $p1 $p2
	xrc 0 st gw -s $PWD/ctl.sock stats
	kill -TERM $GW
	wait $GW
	for i in 0 1 2; do strip c$i.log >s$i; done
	# the sweep: every selected id, in order, and nothing else
	grep -E '^vcan0 5[0-9A-F]{2}#' s0 | sed 's/^vcan0/vcan1/' >want1
	grep -E '^vcan1 5[0-9A-F]{2}#' s1 >got1
	grep -E '^vcan0 6[0-9A-F]{2}#' s0 | sed 's/^vcan0/vcan2/' >want2
	grep -E '^vcan2 6[0-9A-F]{2}#' s2 >got2
	[ "$(wc -l <want1)" = 256 ] && [ "$(wc -l <want2)" = 256 ]
	cmp want1 got1
	cmp want2 got2
	# the actions
	has s1 'vcan1 10000321#10B45678'
	has s2 'vcan2 10000210#1122334455667007'
	has s2 'vcan2 300#0102030405060744'
	# (the sweep's own 0x400 on vcan0 has 8 bytes)
	[ "$(grep -c '^vcan0 400#0[1-3]$' s0)" = 1 ]
	has s0 'vcan0 400#01'
	# nothing extra anywhere
	absent '^vcan1 ([0-46-9A-F][0-9A-F]{2}|1.......)#' <(grep -vE '^vcan1 (300|10000321)#' s1)
	absent '^vcan2 ([0-57-9A-F][0-9A-F]{2}|1.......)#' <(grep -vE '^vcan2 (300|400|10000210)#' s2)
	[ "$(grep -c '^vcan2 300#' s2)" = 1 ]
	has st 'route limited: matched 3, forwarded 1, rate-limited 2'
	has st 'route pt-body: matched 256, forwarded 256'
}
