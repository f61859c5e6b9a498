# ux_daemon_relpath.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# ux_answers SOCK: canrigd answers status on SOCK
ux_answers() {
	"$CANRIG" gw -s "$1" status >/dev/null 2>&1
}

# ux_stop_daemon LOCK: stop the daemonized canrigd whose pid LOCK names,
# if it is still the canrigd holding LOCK (never any other process)
ux_stop_daemon() {
	local pid f held=0
	pid=$(cat "$1" 2>/dev/null) || return 0
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = canrigd ] || return 0
	for f in "/proc/$pid/fd/"*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$1" ] && held=1
	done
	[ "$held" = 1 ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	poll "canrigd $pid did not stop" ux_gone "$pid"
}

# has_re_cmd "ARGS" RE: canrig ARGS prints a line matching RE
has_re_cmd() {
	# shellcheck disable=SC2086
	"$CANRIG" $1 2>/dev/null | grep -qE -- "$2"
}

# canrigd in the background (daemon(): its cwd is /) started with a
#    relative -c: reloads asked through the socket and by SIGHUP read the
#    file it was given (new routes route), and their messages name the
#    file as given, good or refused.  It runs as nobody (its control
#    directory is one nobody can reach), and the test directory is below
#    one only root may pass: the file is read from where canrigd started
#    with no more rights than a relative path needed there.  The daemon is
#    stopped by its pid (the lock file), whatever happens.
t_ux_daemon_relpath() {
	CD=$(mktemp -d /dev/shm/canrig-rel.XXXXXX)
	chmod 755 "$CD"
	trap 'ux_stop_daemon "$CD/run/ctl.sock.lock"; rm -rf "$CD"' EXIT
	ux_cfg gw.yaml vcan1 "$CD/run/ctl.sock"
	"$CANRIGD" -c gw.yaml
	poll "canrigd never answered on its control socket" ux_answers "$CD/run/ctl.sock"
	pid=$(cat "$CD/run/ctl.sock.lock")
	[ "$(cat "/proc/$pid/comm")" = canrigd ]
	[ "$(readlink "/proc/$pid/cwd")" = / ]
	grep -q '^Uid:.*65534' "/proc/$pid/status"
	S="gw -s $CD/run/ctl.sock"
	echo "  - {name: b, from: vcan0, to: [vcan1], ids: [0x124]}" >>gw.yaml
	xrc 0 rl $S reload
	has rl 'reloaded gw.yaml: 2 routes'
	echo "  - {name: c, from: vcan0, to: [vcan1], ids: [0x125]}" >>gw.yaml
	kill -HUP "$pid"
	poll "the SIGHUP reload never showed" has_re_cmd "$S routes" '^c: vcan0 -> vcan1'
	for id in 123 124 125 126; do cansend vcan0 $id#01; done
	xrc 0 st $S stats
	has st 'route b: matched 1, forwarded 1'
	has st 'route c: matched 1, forwarded 1'
	echo "  - {name: x, from: vcan9, to: [vcan1]}" >>gw.yaml
	xrc 1 bad $S reload
	has bad "canrig gw: reload refused, old rules kept: gw.yaml:10:21: unknown interface 'vcan9'"
	ux_stop_daemon "$CD/run/ctl.sock.lock"
	ux_gone "$pid"
	[ ! -e "$CD/run/ctl.sock" ]
}
