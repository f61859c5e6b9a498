# gw_trust_privs.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

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

# Privileges: started as root without user:, canrigd becomes nobody
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
