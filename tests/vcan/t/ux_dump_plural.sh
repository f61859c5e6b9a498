# ux_dump_plural.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

ux_send_until_gone() { # IF PID
	kill -0 "$2" 2>/dev/null || return 0
	cansend "$1" 5A5#01
	return 1
}

t_ux_dump_plural() {
	"$CANRIG" dump -L -n 1 --stats vcan3 >one.log 2>err &
	p=$!
	# it exits after its first frame: send until it has one
	poll "canrig dump -n 1 never got a frame" ux_send_until_gone vcan3 $p
	wait $p
	has err 'canrig dump: 1 frame received, 0 dropped by the kernel (1 receive batch)'
}
