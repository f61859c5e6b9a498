#!/bin/bash
# capture_blf.sh - issue 22's benchmark 4: recording a cangen flood on vcan0
# to BLF (canrig dump -l x.blf) against printing the candump log (canrig
# dump -L > x.log), both listening at once in the same run, on tmpfs.
# Reports each one's frames, kernel drops and CPU per frame, and the ratio
# (target: BLF <= 1.0x).  The CPU is the whole process's, its threads
# included (BLF deflates on worker threads), up to its exit (the last
# container is deflated and written after SIGINT): /usr/bin/time's rusage.
# /proc/PID/stat (utime+stime, all threads), read once the flood is
# drained and before SIGINT, is printed beside it.
# Runs where vcan exists (natively or inside tests/vm/run-in-guest.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
CANRIG=${CANRIG:-$PWD/build/canrig}
N=${CANRIG_BENCH_FRAMES:-200000}
RUNS=${CANRIG_BENCH_RUNS:-2}
mkdir -p /dev/shm
mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm
W=$(mktemp -d /dev/shm/capture-blf.XXXXXX)
trap 'rm -rf "$W"' EXIT
# shellcheck source=SCRIPTDIR/proc_cpu.sh
. bench/proc_cpu.sh

# rcv_count IF: receive filters the kernel lists on IF (one per socket at least)
rcv_count() {
	cat /proc/net/can/rcvlist_* 2>/dev/null | grep -cE "^ +$1 " || true
}

# settled PID: its CPU time did not move for half a second (queue drained)
settled() {
	local a b
	a=$(cpu_of "$1")
	sleep 0.5
	b=$(cpu_of "$1")
	[ "$a" = "$b" ]
}

one_run() {
	local n0 pl pb ql qb sl sb
	rm -f "$W"/x*.blf "$W/x.log" "$W"/*.time "$W"/*.err
	n0=$(rcv_count vcan0)
	/usr/bin/time -o "$W/log.time" -f '%U %S' \
		"$CANRIG" dump --stats -L -r 8388608 vcan0 >"$W/x.log" 2>"$W/log.err" &
	pl=$!
	/usr/bin/time -o "$W/blf.time" -f '%U %S' \
		"$CANRIG" dump --stats -l "$W/x.blf" -r 8388608 vcan0 2>"$W/blf.err" &
	pb=$!
	# both bound: the kernel lists two more sockets on vcan0
	for _ in $(seq 600); do
		[ "$(rcv_count vcan0)" -ge $((n0 + 2)) ] && break
		sleep 0.1
	done
	# the dumps, not /usr/bin/time: their pids are the time processes' children
	ql=$(pgrep -P $pl)
	qb=$(pgrep -P $pb)
	cangen vcan0 -g 0 -p 10 -n "$N" -I 5A5 -L 8 -D i
	cansend vcan0 7FE#454E44
	for _ in $(seq 600); do
		grep -q 454E44 "$W/x.log" && break
		sleep 0.1
	done
	for _ in $(seq 120); do
		settled "$qb" && break
	done
	sl=$(cpu_of "$ql")
	sb=$(cpu_of "$qb")
	kill -INT "$ql" "$qb"
	wait $pl $pb || true
	rl=$(grep -c ' 5A5#' "$W/x.log" || true)
	rb=$("$CANRIG" log convert --to candump "$W/x.blf" | grep -c ' 5A5#' || true)
	dl=$(sed -n 's/.*, \([0-9]*\) dropped by the kernel.*/\1/p' "$W/log.err")
	db=$(sed -n 's/.*, \([0-9]*\) dropped by the kernel.*/\1/p' "$W/blf.err")
	cl=$(tail -1 "$W/log.time" | awk '{ print $1 + $2 }')
	cb=$(tail -1 "$W/blf.time" | awk '{ print $1 + $2 }')
	for w in "dump -L > x.log:$rl:${dl:-?}:$cl:$sl:$(stat -c %s "$W/x.log")" \
		"dump -l x.blf:$rb:${db:-?}:$cb:$sb:$(stat -c %s "$W/x.blf")"; do
		IFS=: read -r what r d c s sz <<<"$w"
		printf '%-16s received %7d/%d  kernel drops %6s  cpu %6.2f s (%6.2f s before SIGINT)  %6.2f us/frame  file %s bytes\n' \
			"$what" "$r" "$N" "$d" "$c" "$s" \
			"$(awk -v c="$c" -v n="$r" 'BEGIN{print n ? c * 1e6 / n : 0}')" "$sz"
	done
	awk -v cl="$cl" -v cb="$cb" -v rl="$rl" -v rb="$rb" 'BEGIN {
		if (rl && rb && cl > 0)
			printf "BLF 4: dump -l x.blf / dump -L cpu per frame = %.2f (target <= 1.0)\n",
				(cb / rb) / (cl / rl)
	}'
}

echo "== BLF 4 (issue 22): recording a cangen -g 0 flood of $N frames, BLF against dump -L"
for r in $(seq "$RUNS"); do
	echo "run $r:"
	one_run
done
