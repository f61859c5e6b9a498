# gw_trust_files.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Files others could change are refused: a configuration writable
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
