# ux_daemon.sh - issue 19, the daemon: the README's gateway tour works in
# the guest (its default control socket under /run), a control socket
# that cannot be made stops canrigd at start (no half-start without
# control), a relative -c still reloads after daemon() went to /, an
# interface that is not CAN is refused (start, -n, reload) while an
# absent one only gets a warning from -n, and canrig gw prints canrigd's
# refusals as "canrig gw: ...".  Sourced by run.sh (lib.sh, run, DATA,
# CANRIG, CANRIGD).

# ux_gone PID: PID has exited (or is a zombie nobody reaped yet)
ux_gone() {
	! kill -0 "$1" 2>/dev/null || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# ux_settled PID IF ID: PID exited, or it is routing (something listens
# for ID on IF): either way the start is over
ux_settled() {
	ux_gone "$1" || rx_listeners "$2" "$3" 1
}

# ux_cfg FILE IF2 [SOCK]: vcan0 -> IF2 for 0x123, control socket SOCK
# (default $PWD/ctl.sock; routes last: tests append to them)
ux_cfg() {
	cat >"$1" <<EOF
options:
  control: ${3:-$PWD/ctl.sock}
interfaces:
  - {name: vcan0}
  - {name: $2}
routes:
  - {name: a, from: vcan0, to: [$2], ids: [0x123]}
EOF
	chmod 644 "$1"
}

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

# 1. The README's tour ("Gateway: canrigd"), as written: the default
#    control socket /run/canrigd/control.sock, which the guest (a tmpfs on
#    /run, as on a real system) can hold; every canrig gw command answers.
t_ux_daemon_tour() {
	root=$(cd "$DATA/../.." && pwd)
	(cd "$root" && "$CANRIGD" -n -c tests/data/gw/minimal.yaml) >n.out
	has n.out 'tests/data/gw/minimal.yaml: ok, 2 interfaces, 1 routes'
	(cd "$root" && exec "$CANRIGD" -f -c tests/data/gw/minimal.yaml) 2>gw.log &
	GW=$!
	poll "canrigd neither routed nor exited" ux_settled $GW vcan0 123
	if ux_gone $GW; then
		cat gw.log >&2
		false
	fi
	[ -S /run/canrigd/control.sock ] ||
		{ echo "no /run/canrigd/control.sock:" >&2; cat gw.log >&2; false; }
	xrc 0 st gw status
	has st 'config tests/data/gw/minimal.yaml, 2 interfaces (2 up), 1 routes, workshop off'
	cansend vcan0 123#01
	cansend vcan0 2AB#02
	xrc 0 js gw stats --json
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' js
	xrc 0 ro gw routes
	has ro 'pt-to-body: vcan0 -> vcan1, 2 id selections, 0 actions, user space'
	xrc 0 ws gw workshop on
	has ws 'workshop mode on for 60 min'
	kill -HUP $GW
	wait_for gw.log 'reloaded tests/data/gw/minimal.yaml: 1 routes'
	xrc 0 st2 gw stats
	has st2 'route pt-to-body: matched 2, forwarded 2'
	# the file says no workshop: the reload closed it
	xrc 0 st3 gw status
	has st3 'workshop off'
	kill -TERM $GW
	wait $GW
	[ ! -e /run/canrigd/control.sock ]
}

# 2. The socket's directory passes the checks but the socket cannot be
#    made (here a directory, then a file, is in its place; on a 9p root
#    bind() fails): exit 1 before routing, one line on stderr naming the
#    path, the reason and what to set.
t_ux_daemon_nosock() {
	ux_cfg gw.yaml vcan1
	for kind in dir file; do
		rm -rf ctl.sock
		if [ $kind = dir ]; then mkdir -m 755 ctl.sock; else : >ctl.sock; fi
		"$CANRIGD" -f -c gw.yaml >start.out 2>&1 &
		p=$!
		poll "canrigd neither routed nor exited" ux_settled $p vcan0 123
		rc=0
		if ! ux_gone $p; then
			echo "canrigd routes without a control socket:" >&2
			kill -TERM $p
		fi
		wait $p || rc=$?
		cat start.out
		[ "$rc" = 1 ]
		[ "$(wc -l <start.out)" = 1 ]
		has start.out "canrigd: cannot create the control socket $PWD/ctl.sock: File exists; set options: control: to a path in a writable local directory"
		# what was there is left alone
		if [ $kind = dir ]; then [ -d ctl.sock ]; else [ -f ctl.sock ]; fi
	done
}

# 3. canrigd in the background (daemon(): its cwd is /) started with a
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

# has_re_cmd "ARGS" RE: canrig ARGS prints a line matching RE
has_re_cmd() {
	# shellcheck disable=SC2086
	"$CANRIG" $1 2>/dev/null | grep -qE -- "$2"
}

# 4. An interface that exists but is not CAN (lo): refused at start (exit
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
	[ "$(cat a.out)" = "absent.yaml: ok, 2 interfaces, 1 routes" ]
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

run ux_daemon_tour
run ux_daemon_nosock
run ux_daemon_relpath
run ux_daemon_notcan
