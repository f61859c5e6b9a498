# lib.sh - helpers for the vcan integration tests (sourced by run.sh).
#
# Synchronisation is by frames, never by sleeping: listeners are "ready"
# once they have printed a sync frame (1FFFFFFE#5359) that we keep sending,
# and "done" once they have printed the end frame (1FFFFFFE#454E44).  A
# 29-bit id, so that cangen's random ids practically never collide with it.  Poll loops only
# wait for those conditions, with a generous deadline for TCG emulation.

SYNC=1FFFFFFE#5359
END=1FFFFFFE#454E44
# patterns that match both the log format and the screen format
SYNC_RE='5359|53 59'
END_RE='454E44|45 4E 44'
WAIT_SECS=${CANRIG_VCAN_WAIT:-90}

: "${CANRIG:?CANRIG must point at the canrig binary}"

# poll WHAT CMD...: run CMD every 50 ms until it succeeds; after WAIT_SECS
# say that WHAT never happened and fail.  CMD's arguments are expanded
# once, by the caller: a condition on live state (a count in a log) must
# be a function that reads it on every call.
poll() {
	local _what=$1 _n=0 _end=$((SECONDS + 3 * WAIT_SECS))
	shift
	until "$@"; do
		_n=$((_n + 1))
		# rounds, so a slow guest is not failed early; and a wall
		# bound, so a loaded host cannot stretch a failure for hours
		if [ "$_n" -gt $((WAIT_SECS * 20)) ] || [ "$SECONDS" -gt "$_end" ]; then
			echo "$_what" >&2
			return 1
		fi
		sleep 0.05
	done
}

has_re() { grep -qE -- "$2" "$1" 2>/dev/null; }

# wait_for FILE PATTERN: until FILE contains PATTERN (extended regex).
wait_for() {
	poll "timeout waiting for '$2' in $1" has_re "$1" "$2"
}

# sync_listeners IF FILE...: send sync frames on IF until every FILE has one.
sync_listeners() {
	_if=$1
	shift
	_n=0
	while :; do
		_all=1
		for _f in "$@"; do
			grep -qE "$SYNC_RE" "$_f" 2>/dev/null || _all=0
		done
		[ "$_all" = 1 ] && return 0
		_n=$((_n + 1))
		if [ "$_n" -gt $((WAIT_SECS * 5)) ]; then
			echo "listeners never became ready: $*" >&2
			return 1
		fi
		cansend "$_if" "$SYNC"
		sleep 0.2
	done
}

# finish IF FILE...: send the end frame on IF, wait for it in every FILE.
finish() {
	_if=$1
	shift
	cansend "$_if" "$END"
	for _f in "$@"; do
		wait_for "$_f" "$END_RE" || return 1
	done
}

# strip FILE: drop log timestamps and the sync/end frames.
strip() {
	sed -e 's/^([0-9.]*) //' "$1" | grep -vE '(^| )1FFFFFFE(#|  )' || true
}

# same FILE1 FILE2: compare stripped captures, show a diff on mismatch.
same() {
	strip "$1" >"$1.s"
	strip "$2" >"$2.s"
	if ! cmp -s "$1.s" "$2.s"; then
		echo "--- $1 vs $2 differ:" >&2
		diff "$1.s" "$2.s" | head -20 >&2
		return 1
	fi
	if [ ! -s "$1.s" ]; then
		echo "--- $1: empty capture" >&2
		return 1
	fi
}

# stop PID...: interrupt listeners and reap them.
stop() {
	for _p in "$@"; do
		kill -INT "$_p" 2>/dev/null || true
	done
	for _p in "$@"; do
		wait "$_p" 2>/dev/null || true
	done
}

# absent PATTERN FILE: fail if FILE has a line matching PATTERN (ERE).
# ("! grep" would not do: set -e ignores negated commands.)
absent() {
	if grep -qE -- "$1" "$2"; then
		echo "unexpected '$1' in $2:" >&2
		grep -E -- "$1" "$2" | head -3 >&2
		return 1
	fi
}

# wait_rx IF ID [N]: until N (default 1) sockets on IF receive ID (hex),
# as the kernel's receive lists show; how a receiver (isotprecv, canrig
# isotp recv) says "ready" without a frame of its own.
wait_rx() {
	_id=$2
	# 29-bit ids are listed with the EFF flag (bit 31) set
	[ ${#_id} -eq 8 ] && _id=$(printf '%08x' $((0x$_id | 0x80000000)))
	poll "nothing ever listened for $2 on $1" rx_listeners "$1" "$_id" "${3:-1}"
}

rx_listeners() { # IF ID N: at least N receivers of ID on IF
	[ "$(cat /proc/net/can/rcvlist_sff /proc/net/can/rcvlist_eff 2>/dev/null |
		grep -ciE "^ +$1 +0*$2 ")" -ge "$3" ]
}

# hexmsg N: N bytes "01 02 .. FF 00 01 .." as isotpsend reads them
hexmsg() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "%02X ", i % 256; print "" }'
}

# samebytes A B: the same hex bytes, whatever the spacing
samebytes() {
	if [ "$(tr -d ' \n' <"$1")" != "$(tr -d ' \n' <"$2")" ]; then
		echo "--- $1 and $2 differ ($(wc -c <"$1") vs $(wc -c <"$2") chars)" >&2
		return 1
	fi
}

# xrc WANT OUT ARGS...: run canrig ARGS with stdout and stderr in OUT; fail
# unless it exits WANT.
xrc() {
	_want=$1
	_out=$2
	shift 2
	_rc=0
	"$CANRIG" "$@" >"$_out" 2>&1 || _rc=$?
	if [ "$_rc" -ne "$_want" ]; then
		echo "canrig $*: exit $_rc, wanted $_want:" >&2
		cat "$_out" >&2
		return 1
	fi
}

# has FILE STRING: FILE has a line containing STRING (fixed), or fail
# showing FILE.
has() {
	if ! grep -qF -- "$2" "$1"; then
		echo "no '$2' in $1:" >&2
		head -20 "$1" >&2
		return 1
	fi
}

# start_sim IF FILE RXID: canrig ecu-sim on IF with its download files in
# the current directory; ready once something listens on RXID (hex).
start_sim() {
	ECUSIM_DIR=$PWD "$CANRIG" ecu-sim -i "$1" -c "$2" -v 2>sim.log &
	SIM=$!
	wait_rx "$1" "$3"
}

# --- used by several tests

# start_gw FILE IF ID: canrigd in the foreground, ready once it listens
# for ID on IF.
start_gw() {
	"$CANRIGD" -f -v -c "$1" 2>gw.log &
	GW=$!
	wait_rx "$2" "$3"
}

# reload_yaml FILE ROUTES OPTIONS: vcan0 (64 MiB rcvbuf) and vcan1, the
# route lines given, options OPTIONS plus the test's control socket.
reload_yaml() {
	{
		echo "interfaces:"
		echo "  - {name: vcan0, domain: powertrain, rcvbuf: 0x4000000}"
		echo "  - {name: vcan1, domain: body}"
		echo "routes:"
		printf '%s\n' "$2"
		echo "options: {$3control: $PWD/ctl.sock}"
	} >"$1"
}

# reloads_ge N: gw.log reports at least N finished reloads.
reloads_ge() { [ "$(grep -c 'reloaded ' gw.log)" -ge "$1" ]; }

# reload10 LOG: replays LOG at $RATE frames/s and meanwhile swaps gw.yaml
# between gw-b.yaml and gw-a.yaml 10 times, by SIGHUP and by canrig gw
# reload in turn; returns once canrigd has sent what it was given.
#
# vcan hands every frame to the kernel backlog of the CPU that sent it:
# a sender the scheduler moves between the guest's two CPUs can overtake
# its own frames, and a backlog starved under emulation drops (softnet
# "dropped"). A real controller's queue has neither, and either looked
# like a gap in canrigd's output (seen twice in ~100 runs); so the sender
# and canrigd each keep one CPU here, the backlog is raised for the run,
# and the kernel's own drops are printed.
reload10() {
	_bl=$(cat /proc/sys/net/core/netdev_max_backlog)
	echo 100000 >/proc/sys/net/core/netdev_max_backlog
	_sd0=$(softnet_drops)
	[ "$(nproc)" -ge 2 ] && taskset -a -p 2 $GW >/dev/null
	taskset -c 0 "$CANRIG" replay --rate $RATE "$1" &
	_r=$!
	_t0=$(date +%s.%N)
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		if [ $((_i % 2)) = 1 ]; then
			cp gw-b.yaml gw.yaml
			kill -HUP $GW
			# done before the next copy, or its parse could read that one
			poll "reload $_i never finished" reloads_ge "$_i"
		else
			cp gw-a.yaml gw.yaml
			xrc 0 rl$_i gw -s $PWD/ctl.sock reload
		fi
	done
	echo "    10 reloads in $(echo "$(date +%s.%N) - $_t0" | bc) s"
	# the sender was still going: every reload happened under load
	kill -0 $_r
	wait $_r
	echo "    $N frames at $RATE/s sent in $(echo "$(date +%s.%N) - $_t0" | bc) s"
	# the last frames have left canrigd once its tx count stops moving
	settle
	echo "$_bl" >/proc/sys/net/core/netdev_max_backlog
	echo "    kernel backlog drops during the run: $(($(softnet_drops) - _sd0))"
}

# softnet_drops: frames the kernel's per-CPU backlogs dropped, all CPUs
# (column 2 of /proc/net/softnet_stat, hexadecimal).
softnet_drops() {
	_n=0
	while read -r _a _d _rest; do _n=$((_n + 0x$_d)); done </proc/net/softnet_stat
	echo $_n
}

settle() { # until canrigd's vcan1 tx count is the same twice, 0.3 s apart
	_prev=x
	for _i in $(seq 40); do
		_tx=$("$CANRIG" gw -s "$PWD/ctl.sock" stats | sed -n 's/^interface vcan1: .* tx \([0-9]*\),.*/\1/p')
		[ "$_tx" = "$_prev" ] && return 0
		_prev=$_tx
		sleep 0.3
	done
}

# ws_cfg WORKSHOP: the firewall file with the control socket here and
# options.workshop as given.
ws_cfg() {
	sed -e "s|/tmp/canrigd-firewall.sock|$PWD/ctl.sock|" \
		-e "s|^options:|options:\n  workshop: $1|" "$DATA/gw/firewall.yaml" >gw.yaml
}

# marker N: a read request (allowed by the firewall) sent after what is
# checked, seen on vcan0: everything sent before it was routed or not.
marker() {
	cansend vcan2 "7E0#0322F1$1"
	wait_for pt.log " vcan0 7E0#0322F1$1"
}

# gone PID: PID has exited (a zombie until waited for counts as gone).
gone() {
	! kill -0 "$1" 2>/dev/null || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# matched_ge ROUTE N: canrigd's engine has seen N frames on ROUTE.
matched_ge() {
	_m=$("$CANRIG" gw -s "$PWD/ctl.sock" stats 2>/dev/null |
		sed -n "s/^route $1: matched \([0-9]*\),.*/\1/p")
	[ "${_m:-0}" -ge "$2" ]
}

# the frames of FILE with an id (hex, as candump -L prints it)
ux_count() { # FILE ID
	grep -c " $2#" "$1" || true
}

# ux_bg_pid FILE: the pid a subshell wrote to FILE
ux_bg_pid() {
	poll "no pid in $1" test -s "$1"
	cat "$1"
}

# ux_gone PID: PID has exited (or is a zombie nobody reaped yet)
ux_gone() {
	! kill -0 "$1" 2>/dev/null || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# ux_settled PID IF ID: PID exited, or it is routing (something listens
# for ID on IF): either way the start is over
ux_settled() {
	ux_gone "$1" || rx_listeners "$2" "$3" 1
}

# ux_cfg FILE IF2 [SOCK]: vcan0 -> IF2 for 0x123, control socket SOCK
# (default $PWD/ctl.sock; routes last: tests append to them)
ux_cfg() {
	cat >"$1" <<EOF
options:
  control: ${3:-$PWD/ctl.sock}
interfaces:
  - {name: vcan0}
  - {name: $2}
routes:
  - {name: a, from: vcan0, to: [$2], ids: [0x123]}
EOF
	chmod 644 "$1"
}

# rc_in NAME ARGS...: canrig ARGS, output in NAME, exit status in NAME.rc.
# A hang must fail the test, not stall the suite: SIGTERM after 60 s
# (canrig then exits 1, never the 2 these tests want).
rc_in() {
	_n=$1
	shift
	_rc=0
	timeout -k 5 60 "$CANRIG" "$@" >"$_n" 2>&1 </dev/null || _rc=$?
	echo "$_rc" >"$_n.rc"
}

# want NAME RC: canrig exited RC, with exactly one line of output
want() {
	if [ "$(cat "$1.rc")" != "$2" ] || [ "$(wc -l <"$1")" -ne 1 ]; then
		echo "$1: exit $(cat "$1.rc"), wanted $2, with one line:" >&2
		cat "$1" >&2
		return 1
	fi
}

# no sync/end frames: log, screen, decoded text and JSON alike
ux_nosync() {
	grep -vE '(^| )1FFFFFFE(#|  )|"msg":"Sync"' "$1" || true
}
