# gw_trust_fdlimit.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# ticks PID: user + system CPU time of PID so far, in clock ticks.
ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# fds_at PID N: PID has N file descriptors open (its limit: EMFILE next).
fds_at() {
	[ "$(ls "/proc/$1/fd" | wc -l)" -ge "$2" ]
}

# Control connections at the fd limit: canrigd with 36 fds (some 11
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
