# diag_signal_exit.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# SIGTERM and SIGINT while diag waits: a clean end, exit 143 / 130,
#    and nothing of the chain after it goes out.
t_diag_signal_exit() {
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 "$SIMCFG" 7e2
	for sig in TERM INT; do
		"$CANRIG" diag -i vcan0 -e 7E0 session extended + sleep 60 + read F190 \
			>s$sig.out 2>s$sig.err &
		d=$!
		wait_for s$sig.out 'session 0x03: ok'
		kill -$sig $d
		rc=0
		wait $d || rc=$?
		if [ $sig = TERM ]; then [ "$rc" = 143 ]; else [ "$rc" = 130 ]; fi
		has s$sig.err "canrig diag: sleep: interrupted by SIG$sig"
		[ "$(wc -l <s$sig.err)" = 1 ]
	done
	finish vcan0 cd.log
	stop $p1
	# the read after the sleep never went out
	absent ' vcan0 7E0#0322F190' cd.log
	kill -TERM $SIM
	wait $SIM
}
