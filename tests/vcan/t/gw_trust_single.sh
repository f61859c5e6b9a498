# gw_trust_single.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# One canrigd per control socket: a second one on the same file is
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
