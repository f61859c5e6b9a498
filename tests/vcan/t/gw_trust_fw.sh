# gw_trust_fw.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# fw_mark N: an allowed read sent after what is checked, seen on vcan0:
# everything sent before it was routed or not by then.
fw_mark() {
	cansend vcan2 "7E0#0322F1$1CCCCCCCC"
	wait_for pt.log " vcan0 7E0#0322F1$1CCCCCCCC"
}

# fw_refused NAME EXPECT: canrigd -n refuses NAME.yaml (written by the
# caller) with exit 2 and the one-line message EXPECT (fixed string).
fw_refused() {
	_rc=0
	"$CANRIGD" -n -c "$1.yaml" >"$1.out" 2>&1 || _rc=$?
	[ "$_rc" = 2 ] || { echo "canrigd -n $1.yaml: exit $_rc, wanted 2" >&2; cat "$1.out" >&2; return 1; }
	has "$1.out" "$2"
}

# The firewall on the wire: tests/data/gw/fw_trust.yaml between the
#     OBD bus (vcan2, untrusted) and the powertrain (vcan0).
t_gw_trust_fw() {
	candump -L -r 8388608 vcan0 >pt.log &
	p1=$!
	sync_listeners vcan0 pt.log
	sed -e "s|^options:|options:\n  control: $PWD/ctl.sock|" \
		"$DATA/gw/fw_trust.yaml" >gw.yaml
	start_gw gw.yaml vcan2 7e0
	# extended addressing: both listed targets, nothing else; a normal-
	# addressed write read one byte late used to look like a CF and pass
	cansend vcan2 6F1#F10322F190CCCCCC
	cansend vcan2 6F1#210322F190CCCCCC
	cansend vcan2 6F1#550322F190CCCCCC
	cansend vcan2 6F1#032E0100CCCCCCCC
	cansend vcan2 6F1#0227010000000000
	# a CF with no request open; then an allowed request and its CF
	cansend vcan2 7E0#2101020304050607
	cansend vcan2 7E0#101422F190F18CF1
	cansend vcan2 7E0#2101020304050607
	# a refused write, long and short: the short one fails the first
	# route's length and falls through onto the second route's firewall
	cansend vcan2 7E0#052E01001234CCCC
	cansend vcan2 7E0#042E0100
	# session control: 03 allowed, 02 only in workshop mode (not on)
	cansend vcan2 7E0#021003CCCCCCCCCC
	cansend vcan2 7E0#021002CCCCCCCCCC
	fw_mark 01
	has pt.log ' vcan0 6F2#F10322F190CCCCCC'
	has pt.log ' vcan0 6F2#210322F190CCCCCC'
	absent ' vcan0 6F2#55' pt.log
	absent ' vcan0 6F2#03' pt.log
	absent ' vcan0 6F2#02' pt.log
	has pt.log ' vcan0 7E0#101422F190F18CF1'
	[ "$(grep -c ' vcan0 7E0#2101020304050607' pt.log)" = 1 ]
	grep -A1 ' vcan0 7E0#101422F190F18CF1' pt.log | grep -q ' vcan0 7E0#2101020304050607'
	absent ' vcan0 7E0#0[0-9A-F]2E' pt.log
	has pt.log ' vcan0 7E0#021003CCCCCCCCCC'
	absent ' vcan0 7E0#021002' pt.log
	kill -TERM $GW
	wait $GW
	stop $p1
	grep -E 'route obd-extended: .*firewall [0-9]+' gw.log
	# files refused with FILE:LINE:COL naming what to fix: a catch-all
	# beside the firewalled route, a data action on it, a bare route from
	# an untrusted interface, 'any', subs: on a SID without sub-functions
	printf '%s\n' 'interfaces:' '  - {name: vcan0}' '  - {name: vcan2}' 'routes:' \
		'  - {name: diag, from: vcan2, to: vcan0, ids: [0x7E0], firewall: {allow: [0x22]}}' \
		'  - {name: all, from: vcan2, to: vcan0}' >catchall.yaml
	fw_refused catchall "catchall.yaml:6:5: route 'all': may send ids that the firewall of 'diag' guards from vcan2 to vcan0, without a firewall of its own"
	printf '%s\n' 'interfaces:' '  - {name: vcan0}' '  - {name: vcan2}' 'routes:' \
		'  - name: diag' '    from: vcan2' '    to: vcan0' '    firewall: {allow: [0x22]}' \
		'    actions: [{xor: {data: "00 0C"}}]' >xor.yaml
	fw_refused xor "xor.yaml:5:5: route 'diag': a firewalled route may not change data or length"
	printf '%s\n' 'interfaces:' '  - {name: vcan0}' '  - {name: vcan2, untrusted: true}' \
		'routes:' '  - {name: bare, from: vcan2, to: vcan0, ids: [0x7DF]}' >bare.yaml
	fw_refused bare "bare.yaml:5:5: route 'bare': vcan2 is untrusted: every route from it needs a firewall"
	printf '%s\n' 'interfaces:' '  - {name: any}' 'routes: []' >any.yaml
	fw_refused any "any.yaml:2:12: 'any' is not an interface"
	printf '%s\n' 'interfaces:' '  - {name: vcan0}' '  - {name: vcan2}' 'routes:' \
		'  - {name: diag, from: vcan2, to: vcan0, firewall: {allow: [{sid: 0x22, subs: [1]}]}}' \
		>subs.yaml
	fw_refused subs "subs.yaml:5:79: SID 0x22 has no sub-functions"
}
