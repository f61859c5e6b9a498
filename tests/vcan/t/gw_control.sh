# gw_control.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# The control socket never holds up routing: a client that sends
#     nothing is dropped after 5 s (it reads EOF), a command sent in two
#     pieces 1.5 s apart is put together and answered (the loop did not
#     wait for it: frames sent meanwhile are routed), three reloads asked
#     at once are each answered, a command line too long is refused, and
#     a reload parses on a thread: its answer says how long routing paused.
t_gw_control() {
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
	candump -L vcan1 >out.log &
	p1=$!
	sync_listeners vcan1 out.log
	start_gw gw.yaml vcan0 123
	# idle: connects, sends nothing, reports what it saw; split: "sta",
	# then "ts" 1.5 s later; both wait for the server to end the talk
	python3 - "$PWD/ctl.sock" >py.out 2>&1 <<'PY' &
import socket, sys, time
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    return s
idle, split = conn(), conn()
split.sendall(b"sta")
open("py.ready", "w").close()
time.sleep(1.5)
split.sendall(b"ts\n")
out = b""
while True:
    b = split.recv(65536)
    if not b:
        break
    out += b
print("split:", out.decode().splitlines()[0] if out else "nothing")
idle.settimeout(30)
t0 = time.monotonic()
print("idle:", "closed by canrigd" if idle.recv(1) == b"" else "data")
PY
	py=$!
	poll "the client never connected" test -e py.ready
	for i in 1 2 3 4 5; do cansend vcan0 123#0$i; done
	xrc 0 st $S stats
	has st 'route pt-to-body: matched 5, forwarded 5'
	wait $py
	has py.out 'split: interface vcan0: up'
	has py.out 'idle: closed by canrigd'
	# three reloads at once: each answered, none lost
	rp=()
	for i in 1 2 3; do
		"$CANRIG" $S reload >rl$i.out 2>&1 &
		rp+=($!)
	done
	wait "${rp[@]}"
	for i in 1 2 3; do
		has rl$i.out 'reloaded'
		has_re rl$i.out 'ms \(YAML [0-9.]+ ms, rules [0-9.]+ ms\), routing paused' ||
			{ cat rl$i.out >&2; false; }
	done
	# a file with a mistake: refused, with file:line:col, old rules kept
	echo "  - {name: x, from: vcan9, to: [vcan1]}" >>gw.yaml
	xrc 1 bad $S reload
	has bad 'reload refused, old rules kept:'
	has bad 'gw.yaml:8:'
	cansend vcan0 123#06
	# longer than a command can be
	python3 - "$PWD/ctl.sock" >long.out <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"x" * 200)
print(s.recv(4096).decode().strip())
PY
	has long.out 'error: command line too long'
	finish vcan1 out.log
	stop $p1
	[ "$(grep -c ' vcan1 123#' out.log)" = 6 ]
	kill -TERM $GW
	wait $GW
}
