# ux_replay_tty.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# on_tty WANT INPUT CMD...: run CMD on a pseudo terminal; once it printed
# WANT, type INPUT and Ctrl-D; print what it wrote, exit with its status
# (99 when WANT never came)
ux_on_tty() {
	/usr/bin/python3 - "$WAIT_SECS" "$@" <<'PY'
import os, pty, select, sys, time
secs, want, data, argv = float(sys.argv[1]), sys.argv[2].encode(), sys.argv[3], sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, sent, end = b"", False, time.time() + secs
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent and want in out:
        os.write(fd, data.encode() + b"\x04")
        sent = True
else:
    os.kill(pid, 9)
sys.stdout.write(out.decode(errors="replace"))
_, st = os.waitpid(pid, 0)
sys.exit(99 if not sent else os.waitstatus_to_exitcode(st))
PY
}

t_ux_replay_tty() {
	candump -L -r 8388608 vcan1 >cd.log &
	c1=$!
	sync_listeners vcan1 cd.log
	ux_on_tty 'end it with Ctrl-D' $'(1700000000.000000) vcan0 321#AA\n' \
		"$CANRIG" replay - vcan1=vcan0 >tty.out
	cat tty.out
	grep -q '^canrig replay: reading a log from the terminal; end it with Ctrl-D' tty.out
	finish vcan1 cd.log
	stop $c1
	[ "$(ux_count cd.log 321)" -eq 1 ]
}
