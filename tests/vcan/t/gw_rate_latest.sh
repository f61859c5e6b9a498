# gw_rate_latest.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# A keep-latest rate limit sends the newest held frame when its interval
#     ends, with no frame arriving to wake canrigd: only its timer armed
#     for the engine's deadline (gwd_arm_rate) does.  Three frames in one
#     burst: the first goes at once, the second is replaced by the third,
#     and the third comes out by itself later.
t_gw_rate_latest() {
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
routes:
  - name: latest
    from: vcan0
    to: [vcan1]
    ids: [0x400]
    actions:
      - rate: {interval_ms: 3000, keep: latest}
options:
  control: $PWD/ctl.sock
EOF
	candump -L vcan1 >c1.log &
	p1=$!
	sync_listeners vcan1 c1.log
	start_gw gw.yaml vcan0 400
	# one process, one burst: all three well inside the interval
	xrc 0 send.out send vcan0 400#01 400#02 400#03
	wait_for c1.log 'vcan1 400#01'
	# nothing more is sent on vcan0: the timer alone releases it
	wait_for c1.log 'vcan1 400#03'
	finish vcan1 c1.log
	stop $p1
	kill -TERM $GW
	wait $GW
	strip c1.log | grep '^vcan1 400#' >got
	printf 'vcan1 400#01\nvcan1 400#03\n' >want
	cmp want got
}
