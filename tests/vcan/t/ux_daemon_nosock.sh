# ux_daemon_nosock.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# The socket's directory passes the checks but the socket cannot be
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
