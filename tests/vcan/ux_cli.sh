# ux_cli.sh - issue 19, the streaming commands on a bus: Ctrl-C (SIGINT)
# stops dump, replay and isotp recv/send/dump cleanly with exit 130 and a
# one-line summary, and dump still writes every frame queued before the
# signal into its pipe; --drops is candump's -d; replay takes canplayer's
# -g and says when a mapping matched no frame; reading a log from a
# terminal says so; counts are "1 frame".  The host-side half is
# tests/cli_stream.sh.  Sourced by run.sh.

# the frames of FILE with an id (hex, as candump -L prints it)
ux_count() { # FILE ID
	grep -c " $2#" "$1" || true
}

ux_at_least() { # FILE ID N
	[ "$(ux_count "$1" "$2")" -ge "$3" ]
}

# ux_bg_pid FILE: the pid a subshell wrote to FILE
ux_bg_pid() {
	poll "no pid in $1" test -s "$1"
	cat "$1"
}

t_ux_dump_sigint() {
	candump -L -r 8388608 vcan0 >cd.log &
	c1=$!
	# 'canrig dump | reader': its pid and exit status go to files
	("$CANRIG" dump -L -r 8388608 vcan0 2>err &
		echo $! >pid
		rc=0
		wait $! || rc=$?
		echo $rc >rc) | cat >out.log &
	d=$(ux_bg_pid pid)
	sync_listeners vcan0 cd.log out.log
	# stopped, it reads nothing: the frames wait in its socket, and the
	# signal is the first thing it sees when it goes on
	kill -STOP "$d"
	cangen vcan0 -g 1 -n 50 -I 5A5 -L 8 -D i
	finish vcan0 cd.log
	kill -INT "$d"
	kill -CONT "$d"
	poll "canrig dump did not exit after SIGINT" test -s rc
	stop $c1
	wait
	echo "exit status $(cat rc)"
	[ "$(cat rc)" -eq 130 ]
	# every frame queued before the signal reached the pipe
	[ "$(ux_count out.log 5A5)" -eq 50 ]
	grep -qE "$END_RE" out.log
	n=$(wc -l <out.log)
	has err "canrig dump: interrupted; $n frames received, 0 dropped by the kernel"
	[ "$(wc -l <err)" -eq 1 ]
}

# --drops is candump's -d: DROPCOUNT lines when the socket dropped frames
# (a small buffer, the reader stopped); the summary counts them too
t_ux_dump_drops() {
	("$CANRIG" dump -L --drops -r 4096 vcan3 2>err &
		echo $! >pid
		rc=0
		wait $! || rc=$?
		echo $rc >rc) >out.log &
	d=$(ux_bg_pid pid)
	sync_listeners vcan3 out.log
	kill -STOP "$d"
	cangen vcan3 -g 0 -n 300 -I 123 -L 8
	kill -CONT "$d"
	# the frame after the drops carries the kernel's count
	finish vcan3 out.log
	kill -INT "$d"
	poll "canrig dump did not exit after SIGINT" test -s rc
	wait
	echo "exit status $(cat rc)"
	[ "$(cat rc)" -eq 130 ]
	grep -E '^DROPCOUNT' out.log
	grep -qE "^DROPCOUNT: dropped [0-9]+ CAN frames? on 'vcan3' socket \(total drops [0-9]+\)$" \
		out.log
	total=$(grep '^DROPCOUNT' out.log | tail -1 | sed 's/.*total drops \([0-9]*\))$/\1/')
	[ "$total" -gt 0 ]
	n=$(grep -vc '^DROPCOUNT' out.log)
	cat err
	grep -qx "canrig dump: interrupted; $n frames received, $total dropped by the kernel" err
}

t_ux_dump_plural() {
	"$CANRIG" dump -L -n 1 --stats vcan3 >one.log 2>err &
	p=$!
	# it exits after its first frame: send until it has one
	poll "canrig dump -n 1 never got a frame" ux_send_until_gone vcan3 $p
	wait $p
	has err 'canrig dump: 1 frame received, 0 dropped by the kernel (1 receive batch)'
}

ux_send_until_gone() { # IF PID
	kill -0 "$2" 2>/dev/null || return 0
	cansend "$1" 5A5#01
	return 1
}

# 20 s of log, interrupted after a few frames: exit 130, where it stopped
t_ux_replay_sigint() {
	awk 'BEGIN { for (i = 0; i < 2000; i++) { t = i * 10000
		printf "(%d.%06d) vcan0 321#%04X\n", 1700000000 + int(t / 1000000), t % 1000000, i } }' \
		>in.log
	candump -L -r 8388608 vcan1 >cd.log &
	c1=$!
	sync_listeners vcan1 cd.log
	"$CANRIG" replay in.log vcan1=vcan0 2>err &
	p=$!
	poll "replay sent no 5 frames" ux_at_least cd.log 321 5
	kill -INT $p
	rc=0
	wait $p || rc=$?
	finish vcan1 cd.log
	stop $c1
	cat err
	echo "exit status $rc"
	[ "$rc" -eq 130 ]
	n=$(ux_count cd.log 321)
	[ "$n" -lt 2000 ]
	grep -qx "canrig replay: interrupted after in.log:$n: $n of 2000 frames sent" err
	[ "$(wc -l <err)" -eq 1 ]
	# and that line of the log is the last frame on the bus
	[ "$(grep ' 321#' cd.log | tail -1 | cut -d' ' -f3)" = \
		"$(sed -n "${n}p" in.log | cut -d' ' -f3)" ]
}

# canplayer's -g MS: it sends what is due, then sleeps MS; frames due in
# between go out at the next look.  A mapping that took no frame says so.
t_ux_replay_gap() {
	: >in.log
	for i in 0 1 2 3 4 5 6 7 8 9; do
		printf '(1700000000.%06d) vcan0 321#%02X\n' $((i * 10000)) $i >>in.log
	done
	printf '(1700000000.095000) vcan3 321#FF\n' >>in.log
	candump -L -r 8388608 vcan1 >cd.log &
	c1=$!
	sync_listeners vcan1 cd.log
	"$CANRIG" replay -g 300 in.log vcan1=vcan0 vcan2=vcan9 2>err
	finish vcan1 cd.log
	stop $c1
	cat err
	[ "$(ux_count cd.log 321)" -eq 10 ]
	# 321#00 at once, 321#01 (due at 10 ms) at the look 300 ms on; load
	# can only delay it
	gap=$(awk '$3 == "321#00" { a = substr($1, 2) + 0 }
		$3 == "321#01" { b = substr($1, 2) + 0 } END { printf "%.3f", b - a }' cd.log)
	echo "gap $gap s (>= 0.29)"
	awk -v g="$gap" 'BEGIN { exit !(g >= 0.29) }'
	grep -qx 'canrig replay: mapping vcan2=vcan9 matched no frame in in.log (its frames are on vcan3)' err
	[ "$(wc -l <err)" -eq 1 ]
}

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

# isotp recv, send and dump: SIGINT mid-PDU ends each with 130 and a line
t_ux_isotp_sigint() {
	"$CANRIG" isotp dump -s 7E1 -d 7E9 vcan2 >idump.txt 2>idump.err &
	id=$!
	wait_rx vcan2 7e9
	candump -L -r 8388608 vcan2 >cd.log &
	c1=$!
	sync_listeners vcan2 cd.log
	"$CANRIG" isotp recv -l -s 7E9 -d 7E1 vcan2 >recv.out 2>recv.err &
	r=$!
	wait_rx vcan2 7e1 2
	echo '01 02 03' | "$CANRIG" isotp send -s 7E1 -d 7E9 vcan2
	wait_for recv.out '01 02 03'
	# 4095 bytes, 200 ms between consecutive frames: 585 of them, two
	# minutes of sending; stopped after the first, the sender waits and
	# the receiver has part of the PDU
	hexmsg 4095 | "$CANRIG" isotp send -f 200000000 -s 7E1 -d 7E9 vcan2 2>send.err &
	s=$!
	wait_for cd.log ' 7E1#21'
	kill -STOP $s
	kill -INT $r
	rc=0
	wait $r || rc=$?
	cat recv.err
	echo "exit status $rc"
	[ "$rc" -eq 130 ]
	# ", one stopped ..." unless the receiver's N_Cr (1 s) ran out first
	# on a slow guest: then a timeout line comes before it
	grep -qxE 'canrig isotp: recv: interrupted; 1 PDU received \(3 bytes\)(, one stopped after [0-9]+ of 4095 bytes)?' \
		recv.err
	kill -INT $s
	kill -CONT $s
	rc=0
	wait $s || rc=$?
	cat send.err
	echo "exit status $rc"
	[ "$rc" -eq 130 ]
	grep -qxE 'canrig isotp: send: interrupted; 0 of 1 PDU sent, the next stopped after [0-9]+ of 4095 bytes' \
		send.err
	[ "$(wc -l <send.err)" -eq 1 ]
	finish vcan2 cd.log
	stop $c1
	kill -INT $id
	rc=0
	wait $id || rc=$?
	cat idump.err
	echo "exit status $rc"
	[ "$rc" -eq 130 ]
	n=$(wc -l <idump.txt)
	[ "$n" -ge 4 ]
	grep -qx "canrig isotp: dump: interrupted; $n frames shown" idump.err
}

run ux_dump_sigint
run ux_dump_drops
run ux_dump_plural
run ux_replay_sigint
run ux_replay_gap
run ux_replay_tty
run ux_isotp_sigint
