# gw_trust_ws_expiry.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Workshop mode opened by command closes by itself: 60 min by
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
