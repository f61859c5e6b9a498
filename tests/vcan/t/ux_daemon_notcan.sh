# ux_daemon_notcan.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# An interface that exists but is not CAN (lo): refused at start (exit
#    2, one line with file:line:col), by -n, and at reload (the old rules
#    stay and route); an absent one (nosuch9) is a warning from -n only.
t_ux_daemon_notcan() {
	ux_cfg lo.yaml lo
	"$CANRIGD" -f -c lo.yaml >start.out 2>&1 &
	p=$!
	poll "canrigd neither routed nor exited" ux_settled $p vcan0 123
	rc=0
	if ! ux_gone $p; then
		echo "canrigd started with lo:" >&2
		kill -TERM $p
	fi
	wait $p || rc=$?
	cat start.out
	[ "$rc" = 2 ]
	[ "$(cat start.out)" = "canrigd: lo.yaml:5:12: lo: not a CAN interface (loopback): refused" ]
	rc=0
	"$CANRIGD" -n -c lo.yaml >n.out 2>&1 || rc=$?
	[ "$rc" = 2 ]
	has n.out 'canrigd: lo.yaml:5:12: lo: not a CAN interface (loopback): refused'
	# absent: a warning, and still ok
	ux_cfg absent.yaml nosuch9
	"$CANRIGD" -n -c absent.yaml >a.out 2>a.err
	[ "$(cat a.out)" = "absent.yaml: ok, 2 interfaces, 1 route" ]
	[ "$(cat a.err)" = "canrigd: warning: absent.yaml:5:12: nosuch9: no such interface (yet): opened when it appears" ]
	# a reload to lo is refused, the old rules stay
	ux_cfg gw.yaml vcan1
	start_gw gw.yaml vcan0 123
	sed -i 's/vcan1/lo/g' gw.yaml
	xrc 1 rl gw -s "$PWD/ctl.sock" reload
	[ "$(cat rl)" = "canrig gw: reload refused, old rules kept: gw.yaml:5:12: lo: not a CAN interface (loopback): refused" ]
	cansend vcan0 123#01
	xrc 0 st gw -s "$PWD/ctl.sock" stats
	has st 'route a: matched 1, forwarded 1'
	has st 'interface vcan1: up'
	kill -TERM $GW
	wait $GW
}
