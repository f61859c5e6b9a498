# gw_offload.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Kernel offload: a route can-gw expresses exactly (an id rewrite and
#     an XOR on a byte) goes into the kernel with our uid, a route that
#     changes nothing goes in as a plain job (no uid, no modification: the
#     kernel clones its frames), a rate-limited one stays in user space;
#     cangw -L shows exactly those two jobs, frames on the wire carry the
#     rewrite, the kernel's counters show in the stats, a reload that
#     changes nothing offloaded keeps the jobs, one that changes the
#     rewrite keeps the plain job (not doubled, its counters carried on),
#     a killed canrigd's jobs are removed by the next one, and exit
#     removes them all.
t_gw_offload() {
	cangw -F || true
	cat >gw.yaml <<EOF
interfaces:
  - {name: vcan0, domain: powertrain}
  - {name: vcan1, domain: body}
  - {name: vcan2, domain: chassis}
routes:
  - name: fast
    from: vcan0
    to: [vcan1]
    ids: [0x123]
    actions:
      - set_id: 0x321
      - xor: {data: "00 FF"}
  - name: slow
    from: vcan0
    to: [vcan2]
    ids: [0x200]
    actions:
      - rate: {interval_ms: 10000, keep: first}
  - {name: plain, from: vcan0, to: [vcan1], ids: [0x125]}
options:
  offload: kernel
  control: $PWD/ctl.sock
EOF
	S="gw -s $PWD/ctl.sock"
	start_gw gw.yaml vcan0 200
	wait_for gw.log 'offload: 2 of 3 routes'
	cangw -L >L1 || true # it exits 1 after listing
	[ "$(grep -c -- '-s vcan0' L1)" = 2 ]
	grep -qE -- '-s vcan0 -d vcan1 .*-u C4A[0-9A-F]{5} .*-f 123:' L1
	grep -qE -- '^cangw -A -s vcan0 -d vcan1 -e -l 1 -f 125:C00007FF #' L1
	[ "$(grep -c . ctl.sock.jobs)" = 2 ] # a comment and the plain job
	xrc 0 ro $S routes
	has ro 'fast: vcan0 -> vcan1, 1 id selections, 2 actions, kernel can-gw (1 jobs)'
	has ro 'slow: vcan0 -> vcan2, 1 id selections, 1 actions, user space (not offloaded: '
	candump -L vcan1 >b.log &
	p1=$!
	candump -L vcan2 >c.log &
	p2=$!
	sync_listeners vcan1 b.log
	sync_listeners vcan2 c.log
	for i in 1 2 3; do cansend vcan0 123#11223344; cansend vcan0 200#0$i; done
	cansend vcan0 124#00
	cansend vcan0 125#AA
	cansend vcan0 125#BB
	# a remote frame: the kernel job takes data frames only (its hashed
	# path); canrigd routes this one
	cansend vcan0 125#R
	finish vcan1 b.log
	finish vcan2 c.log
	stop $p1 $p2
	[ "$(grep -c ' vcan1 321#11DD3344' b.log)" = 3 ]
	[ "$(grep -cE ' vcan1 125#(AA|BB)$' b.log)" = 2 ]
	[ "$(grep -cE ' vcan1 125#R' b.log)" = 1 ]
	absent ' vcan1 (123|124|200)#' b.log
	[ "$(grep -c ' vcan2 200#' c.log)" = 1 ]
	xrc 0 st $S stats
	has st 'route fast: matched 3, forwarded 3'
	has st 'route slow: matched 3, forwarded 1, rate-limited 2'
	has st 'route plain: matched 3, forwarded 3'
	# nothing offloaded changes: the same jobs stay
	kill -HUP $GW
	wait_for gw.log 'reloaded'
	cangw -L >L2 || true # it exits 1 after listing
	[ "$(grep -o -- '-u C4A[0-9A-F]*' L1)" = "$(grep -o -- '-u C4A[0-9A-F]*' L2)" ]
	has L2 '# 3 handled 0 dropped 0 deleted'
	grep -qE -- '-f 125:[0-9A-F]+ # 2 handled' L2
	xrc 0 st2 $S stats
	has st2 'route fast: matched 3, forwarded 3'
	# the rewrite changes: fast gets a new job, plain keeps its own
	sed -i 's/xor: {data: "00 FF"}/xor: {data: "00 F0"}/' gw.yaml
	"$CANRIG" $S reload >rl.out
	cangw -L >L4 || true # it exits 1 after listing
	[ "$(grep -c -- '-s vcan0' L4)" = 2 ]
	[ "$(grep -o -- '-u C4A[0-9A-F]*' L1)" != "$(grep -o -- '-u C4A[0-9A-F]*' L4)" ]
	grep -qE -- '-f 125:[0-9A-F]+ # 2 handled' L4
	cansend vcan0 125#CC
	xrc 0 st3 $S stats
	has st3 'route plain: matched 4, forwarded 4'
	has st3 'route fast: matched 3, forwarded 3'
	# offload turned off by a reload: no job left, canrigd routes it all,
	# the counters go on; turned on again: the jobs are back
	sed -i 's/^  offload: kernel$/  offload: none/' gw.yaml
	xrc 0 off $S reload
	cangw -L >L7 || true # it exits 1 after listing
	absent '-s vcan0' L7
	[ ! -e ctl.sock.jobs ]
	xrc 0 ro2 $S routes
	has ro2 'plain: vcan0 -> vcan1, 1 id selections, 0 actions, user space'
	candump -L vcan1 >b2.log &
	p1=$!
	sync_listeners vcan1 b2.log
	cansend vcan0 125#DD
	cansend vcan0 123#11223344
	finish vcan1 b2.log
	stop $p1
	[ "$(grep -cE ' vcan1 (125#DD|321#11D23344)$' b2.log)" = 2 ]
	xrc 0 st4 $S stats
	has st4 'route plain: matched 5, forwarded 5'
	has st4 'route fast: matched 4, forwarded 4'
	sed -i 's/^  offload: none$/  offload: kernel/' gw.yaml
	xrc 0 on $S reload
	cangw -L >L8 || true # it exits 1 after listing
	[ "$(grep -c -- '-s vcan0' L8)" = 2 ]
	# killed: its jobs stay in the kernel, and the next canrigd removes them
	kill -KILL $GW
	wait $GW || true
	cangw -L >L5 || true # it exits 1 after listing
	[ "$(grep -c -- '-s vcan0' L5)" = 2 ]
	start_gw gw.yaml vcan0 200
	wait_for gw.log 'offload: 2 of 3 routes'
	has gw.log 'removed 1 can-gw jobs left from before'
	has gw.log 'removed 1 plain can-gw jobs listed in'
	cangw -L >L6 || true # it exits 1 after listing
	[ "$(grep -c -- '-s vcan0' L6)" = 2 ]
	[ "$(grep -c -- '-f 125:' L6)" = 1 ]
	kill -TERM $GW
	wait $GW
	cangw -L >L3 || true # it exits 1 after listing
	absent 'C4A' L3
	absent '-f 125:' L3
	[ ! -e ctl.sock.jobs ]
}
