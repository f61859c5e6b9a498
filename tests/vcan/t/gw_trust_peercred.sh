# gw_trust_peercred.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

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

# Peer credentials: members of control_group may read, not change;
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
