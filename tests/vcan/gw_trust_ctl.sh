# gw_trust_ctl.sh - the gateway's trust boundaries, control and privileges
# (issue 18 items 2, 6, 7, 8, 12): workshop mode across reloads and its
# expiry, one instance per control socket, connections at the fd limit,
# the privileges canrigd keeps, peer credentials, file and directory
# modes.  Sourced by run.sh (lib.sh, start_gw, run, DATA, CANRIGD).

# ws_cfg WORKSHOP: the firewall file with the control socket here and
# options.workshop as given.
ws_cfg() {
	sed -e "s|/tmp/canrigd-firewall.sock|$PWD/ctl.sock|" \
		-e "s|^options:|options:\n  workshop: $1|" "$DATA/gw/firewall.yaml" >gw.yaml
}

# marker N: a read request (allowed by the firewall) sent after what is
# checked, seen on vcan0: everything sent before it was routed or not.
marker() {
	cansend vcan2 "7E0#0322F1$1"
	wait_for pt.log " vcan0 7E0#0322F1$1"
}

# 26. Workshop mode follows the file: opened by command, a reload whose
#     file says workshop: false closes it, and a write (0x2E) no longer
#     reaches the ECU's bus.  Opened by the file, it is logged at start.
t_gw_trust_ws_reload() {
	candump -L -r 8388608 vcan0 >pt.log &
	p1=$!
	sync_listeners vcan0 pt.log
	ws_cfg false
	S="gw -s $PWD/ctl.sock"
	start_gw gw.yaml vcan2 7e0
	xrc 0 on $S workshop on
	cansend vcan2 7E0#032E0101
	marker 01
	has pt.log ' vcan0 7E0#032E0101'
	kill -HUP $GW
	wait_for gw.log 'reloaded'
	cansend vcan2 7E0#032E0102
	marker 02
	absent ' vcan0 7E0#032E0102' pt.log
	has gw.log 'workshop mode closed by the reload'
	xrc 0 st $S status
	has st 'workshop off'
	kill -TERM $GW
	wait $GW
	# the file opens it: logged at start, no expiry, status says so
	ws_cfg true
	start_gw gw.yaml vcan2 7e0
	has gw.log "workshop mode on from gw.yaml"
	xrc 0 st2 $S status
	has st2 'workshop on (from the file, no expiry)'
	cansend vcan2 7E0#032E0103
	marker 03
	has pt.log ' vcan0 7E0#032E0103'
	# and a reload of a file that says false closes it
	ws_cfg false
	xrc 0 rl $S reload
	cansend vcan2 7E0#032E0104
	marker 04
	absent ' vcan0 7E0#032E0104' pt.log
	kill -TERM $GW
	wait $GW
	stop $p1
}

# 27. Workshop mode opened by command closes by itself: 60 min by
#     default (status shows what is left), or the minutes asked for
#     (fractions too: 0.05 min is 3 s); the expiry is logged, and then a
#     write is blocked again.  Bad durations are refused.
t_gw_trust_ws_expiry() {
	candump -L -r 8388608 vcan0 >pt.log &
	p1=$!
	sync_listeners vcan0 pt.log
	ws_cfg false
	S="gw -s $PWD/ctl.sock"
	start_gw gw.yaml vcan2 7e0
	xrc 0 on $S workshop on
	has on 'workshop mode on for 60 min'
	xrc 0 st $S status
	has_re st 'workshop on \((60\.0|59\.[0-9]) min left\)' || { cat st >&2; false; }
	xrc 2 z $S workshop on 0
	xrc 2 big $S workshop on 1441
	xrc 2 nan $S workshop on soon
	# canrigd checks as well, whoever the client is
	python3 - "$PWD/ctl.sock" >raw.out <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"workshop on 1e9\n")
print(s.recv(4096).decode().strip())
PY
	has raw.out 'error: workshop on [MINUTES]'
	xrc 0 short $S workshop on 0.05
	has short 'workshop mode on for 0.05 min'
	wait_for gw.log 'workshop mode expired: closed'
	xrc 0 st2 $S status
	has st2 'workshop off'
	cansend vcan2 7E0#032E0105
	marker 05
	absent ' vcan0 7E0#032E0105' pt.log
	kill -TERM $GW
	wait $GW
	stop $p1
}

# gone PID: PID has exited (a zombie until waited for counts as gone).
gone() {
	! kill -0 "$1" 2>/dev/null || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# 28. One canrigd per control socket: a second one on the same file is
#     refused with the first one's pid, before it touches the socket or
#     can-gw: the first one still answers and its kernel job stays.
t_gw_trust_single() {
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - {name: fast, from: vcan0, to: [vcan1], ids: [0x123]}
options:
  control: $PWD/ctl.sock
  offload: kernel
EOF
	S="gw -s $PWD/ctl.sock"
	"$CANRIGD" -f -v -c gw.yaml 2>gw.log &
	GW=$!
	wait_for gw.log 'offload: 1 of 1 routes'
	poll "no control socket" test -S ctl.sock
	cangw -L >jobs1 || true # it exits 1 after listing
	[ "$(grep -c -- '-s vcan0 -d vcan1' jobs1)" = 1 ] || { cat jobs1 >&2; false; }
	"$CANRIGD" -f -v -c gw.yaml >second.out 2>&1 &
	p2=$!
	poll "the second canrigd kept running" gone $p2
	rc=0
	wait $p2 || rc=$?
	[ "$rc" = 1 ] || { echo "second canrigd: exit $rc" >&2; cat second.out >&2; false; }
	has second.out "already running as pid $GW (lock $PWD/ctl.sock.lock)"
	absent 'offload|removed' second.out
	# the first one is untouched: its socket answers, its job is there
	xrc 0 st $S status
	has st 'vcan0 (powertrain): up'
	cangw -L >jobs2 || true
	cmp jobs1 jobs2
	kill -0 $GW
	kill -TERM $GW
	wait $GW
}

# ticks PID: user + system CPU time of PID so far, in clock ticks.
ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# fds_at PID N: PID has N file descriptors open (its limit: EMFILE next).
fds_at() {
	[ "$(ls "/proc/$1/fd" | wc -l)" -ge "$2" ]
}

# 29. Control connections at the fd limit: canrigd with 36 fds (some 11
#     its own), a client that keeps its backlog full.  Once canrigd has
#     all 36 open, it pauses its listener (EMFILE, or CTL_MAX_CONNS)
#     instead of spinning on the waiting connection: over 2 s it uses
#     far less CPU than a spinning loop (~200 ticks), and once the
#     connections are gone it answers again.
t_gw_trust_fdlimit() {
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x123]}
options:
  control: $PWD/ctl.sock
EOF
	S="gw -s $PWD/ctl.sock"
	(ulimit -n 36 && exec "$CANRIGD" -f -v -c gw.yaml 2>gw.log) &
	GW=$!
	wait_rx vcan0 123
	# connects every 10 ms, holding what it gets, until told to stop:
	# something always waits in canrigd's backlog
	python3 - "$PWD/ctl.sock" >py.out 2>&1 <<'PY' &
import os, socket, sys, time
held = []
while not os.path.exists("py.stop"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        if len(held) >= 900:
            raise BlockingIOError
        s.connect(sys.argv[1])
        held.append(s)
    except (BlockingIOError, InterruptedError):
        s.close()
        time.sleep(0.01)
print("held", len(held), flush=True)
for s in held:
    s.close()
PY
	py=$!
	poll "canrigd never used all its fds" fds_at $GW 36
	t0=$(ticks $GW)
	sleep 2
	t1=$(ticks $GW)
	echo "canrigd used $((t1 - t0)) ticks in 2 s"
	touch py.stop
	wait $py
	cat py.out
	[ $((t1 - t0)) -lt 50 ]
	# answers again (the listener goes on when connections close)
	poll "canrig gw status never worked again" "$CANRIG" $S status >/dev/null 2>&1
	xrc 0 st $S status
	has st 'canrigd'
	has gw.log 'control: accept: Too many open files; pausing the listener'
	kill -TERM $GW
	wait $GW
}

# status_of PID FIELD: a line of /proc/PID/status, whitespace squeezed.
status_of() {
	grep "^$2:" "/proc/$1/status" | tr -s ' \t' ' '
}

# gw_privs_check PID UID CAPS: canrigd PID runs as UID (real, effective,
# saved, fs) with exactly CAPS effective and permitted, an empty bounding
# set, nothing ambient and no_new_privs.
gw_privs_check() {
	status_of "$1" Uid >"privs.$1"
	status_of "$1" CapEff >>"privs.$1"
	status_of "$1" CapPrm >>"privs.$1"
	status_of "$1" CapBnd >>"privs.$1"
	status_of "$1" CapAmb >>"privs.$1"
	status_of "$1" NoNewPrivs >>"privs.$1"
	cat "privs.$1"
	has "privs.$1" "Uid: $2 $2 $2 $2"
	has "privs.$1" "CapEff: $3"
	has "privs.$1" "CapPrm: $3"
	has "privs.$1" 'CapBnd: 0000000000000000'
	has "privs.$1" 'CapAmb: 0000000000000000'
	has "privs.$1" 'NoNewPrivs: 1'
}

# 30. Privileges: started as root without user:, canrigd becomes nobody
#     (no user canrigd here) when it makes its control directory, with
#     no capabilities, an empty bounding set and no_new_privs, and still
#     removes its socket at exit; with offload: kernel and user: nobody
#     it keeps CAP_NET_ADMIN alone (its jobs come out at exit); with a
#     control directory only root can write, it stays uid 0 but without
#     capabilities, and says so.
t_gw_trust_privs() {
	# the test directory is root's (0700 above it): like /run, a
	# directory everyone may pass, where canrigd makes its own
	CD=$(mktemp -d /dev/shm/canrig-priv.XXXXXX)
	chmod 755 "$CD"
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x123]}
options:
  control: $CD/run/ctl.sock
EOF
	start_gw gw.yaml vcan0 123
	poll "no control socket" test -S "$CD/run/ctl.sock"
	gw_privs_check $GW 65534 0000000000000000
	[ "$(stat -c %U:%a "$CD/run")" = nobody:750 ]
	[ "$(stat -c %U:%a "$CD/run/ctl.sock")" = nobody:660 ]
	xrc 0 st gw -s "$CD/run/ctl.sock" status
	kill -TERM $GW
	wait $GW
	[ ! -e "$CD/run/ctl.sock" ] || { echo "socket left after exit" >&2; false; }
	# offload: CAP_NET_ADMIN alone, and the jobs still come out at exit
	cat >gw2.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - {name: fast, from: vcan0, to: [vcan1], ids: [0x123]}
options:
  control: $CD/run/ctl.sock
  offload: kernel
  user: nobody
EOF
	"$CANRIGD" -f -v -c gw2.yaml 2>gw2.log &
	GW=$!
	wait_for gw2.log 'offload: 1 of 1 routes'
	poll "no control socket" test -S "$CD/run/ctl.sock"
	gw_privs_check $GW 65534 0000000000001000
	[ "$(cangw -L | grep -c -- '-s vcan0 -d vcan1')" = 1 ]
	# its plain job listed as nobody, for a next instance after a kill
	[ "$(grep -c . "$CD/run/ctl.sock.jobs")" = 2 ]
	kill -TERM $GW
	wait $GW
	[ "$(cangw -L | grep -c -- '-s vcan0 -d vcan1')" = 0 ]
	[ ! -e "$CD/run/ctl.sock" ]
	[ ! -e "$CD/run/ctl.sock.jobs" ]
	absent 'removing can-gw jobs|cannot|Permission denied' gw2.log
	# a directory only root can write: uid 0 stays, capabilities do not
	sed "s|$CD/run/|$PWD/|" gw.yaml >gw3.yaml
	"$CANRIGD" -f -v -c gw3.yaml 2>gw3.log &
	GW=$!
	poll "no control socket" test -S ctl.sock
	gw_privs_check $GW 0 0000000000000000
	has gw3.log "staying uid 0 (capabilities dropped): 'nobody' cannot write"
	# root's socket, group too: the group it may be read by is root's
	[ "$(stat -c %U:%G:%a ctl.sock)" = root:root:660 ]
	xrc 0 st3 gw -s $PWD/ctl.sock status
	kill -TERM $GW
	wait $GW
	rm -rf "$CD"
}

# as NOBODY / OTHER: canrig as uid 65534 (group nogroup) or as uid 65533
# with no group at all, through a socket directory they can reach.
as_uid() {
	_u=$1
	_want=$2
	_out=$3
	shift 3
	_rc=0
	setpriv --reuid="$_u" --regid="$_u" --clear-groups "$CANRIG" "$@" >"$_out" 2>&1 || _rc=$?
	if [ "$_rc" -ne "$_want" ]; then
		echo "uid $_u: canrig $*: exit $_rc, wanted $_want:" >&2
		cat "$_out" >&2
		return 1
	fi
}

# 31. Peer credentials: members of control_group may read, not change;
#     control_users may change; root always may.  A peer the socket's
#     mode lets in but that has no rights (the mode loosened by hand) is
#     refused all the same, and every refusal is logged with its uid.
t_gw_trust_peercred() {
	CD=$(mktemp -d /dev/shm/canrig-ctl.XXXXXX)
	chmod 755 "$CD"
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x123]}
options:
  control: $CD/ctl.sock
  control_group: nogroup
EOF
	S="gw -s $CD/ctl.sock"
	start_gw gw.yaml vcan0 123
	poll "no control socket" test -S "$CD/ctl.sock"
	[ "$(stat -c %G:%a "$CD/ctl.sock")" = nogroup:660 ]
	# the group reads
	as_uid 65534 0 r1 $S status
	has r1 'workshop off'
	as_uid 65534 0 r2 $S stats
	as_uid 65534 0 r3 $S routes
	# a supplementary member too (SO_PEERGROUPS)
	rc=0
	setpriv --reuid=65533 --regid=65533 --groups=65534 "$CANRIG" $S status >r4 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat r4 >&2; false; }
	# and changes nothing
	as_uid 65534 1 w1 $S workshop on
	has w1 'canrig gw: permission denied'
	as_uid 65534 1 w2 $S reload
	has w2 'canrig gw: permission denied'
	has gw.log "'workshop on' refused to uid 65534 pid"
	has gw.log "'reload' refused to uid 65534 pid"
	xrc 0 st $S status
	has st 'workshop off'
	# outside the group: the file mode keeps it out ...
	as_uid 65533 1 o1 $S status
	has o1 'Permission denied'
	# ... and with the mode loosened, its credentials do
	chmod 666 "$CD/ctl.sock"
	as_uid 65533 1 o2 $S status
	has o2 'canrig gw: permission denied'
	has gw.log "'status' refused to uid 65533 pid"
	# control_users may change (read at reload), root may anything
	echo "  control_users: [nobody]" >>gw.yaml
	xrc 0 rl $S reload
	as_uid 65534 0 w3 $S workshop on 5
	has w3 'workshop mode on for 5 min'
	has gw.log 'workshop mode on for 5 min by uid 65534'
	as_uid 65533 1 o3 $S workshop off
	xrc 0 off $S workshop off
	kill -TERM $GW
	wait $GW
	rm -rf "$CD"
}

# 32. Files others could change are refused: a configuration writable
#     by group or others or owned by another user (at start, with -n,
#     and at reload), and a control directory writable by everyone
#     (/dev/shm itself, sticky or not) or by another group.  The
#     offload job list's temporary file: tests/test_gw_cgw.c.
t_gw_trust_files() {
	cp "$DATA/gw/minimal.yaml" gw.yaml
	echo "options: {control: $PWD/ctl.sock}" >>gw.yaml
	chmod 644 gw.yaml
	"$CANRIGD" -n -c gw.yaml
	# (as root: a group other than root's may not write it either)
	chgrp 12345 gw.yaml
	for m in 666 664 646; do
		chmod $m gw.yaml
		rc=0
		"$CANRIGD" -n -c gw.yaml >n$m 2>&1 || rc=$?
		[ "$rc" = 2 ] || { echo "mode $m: exit $rc" >&2; cat n$m >&2; false; }
		has n$m 'gw.yaml: writable by'
	done
	chmod 644 gw.yaml
	chgrp 0 gw.yaml
	chown 65534 gw.yaml
	rc=0
	"$CANRIGD" -n -c gw.yaml >own 2>&1 || rc=$?
	[ "$rc" = 2 ]
	has own 'gw.yaml: owned by uid 65534, not root: refused'
	chown 0 gw.yaml
	# control directories others could write
	mkdir -m 777 open
	mkdir -m 775 grp
	chgrp 12345 grp
	for c in /dev/shm/canrig-trust-$$.sock $PWD/open/ctl.sock $PWD/grp/ctl.sock; do
		sed "s|control: .*}|control: $c}|" gw.yaml >d.yaml
		"$CANRIGD" -f -c d.yaml >dir.out 2>&1 &
		p2=$!
		poll "canrigd ran with control $c" gone $p2
		rc=0
		wait $p2 || rc=$?
		[ "$rc" = 1 ] || { echo "$c: exit $rc" >&2; cat dir.out >&2; false; }
		has dir.out 'writable by'
		has dir.out ': refused'
		[ ! -e "$c" ]
		[ ! -e "$c.lock" ]
	done
	# at reload: the old rules stay
	start_gw gw.yaml vcan0 123
	chmod 666 gw.yaml
	xrc 1 rl gw -s $PWD/ctl.sock reload
	has rl 'reload refused, old rules kept: gw.yaml: writable by everyone'
	chmod 644 gw.yaml
	xrc 0 rl2 gw -s $PWD/ctl.sock reload
	kill -TERM $GW
	wait $GW
}

run gw_trust_ws_reload
run gw_trust_ws_expiry
run gw_trust_single
run gw_trust_fdlimit
run gw_trust_privs
run gw_trust_peercred
run gw_trust_files
