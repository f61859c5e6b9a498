#!/bin/bash
# capture.sh - candump and canrig dump listen on vcan0 together while cangen
# floods it; report frames received, kernel drops and CPU time per frame.
# Runs where vcan exists (natively or inside tests/vm/run-in-guest.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
CANRIG=${CANRIG:-$PWD/build/canrig}
N=${CANRIG_BENCH_FRAMES:-200000}
# tmpfs sink for both: 9p writes would measure the share, not the tools
mkdir -p /dev/shm
mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm
W=$(mktemp -d /dev/shm/capture.XXXXXX)
trap 'rm -rf "$W"' EXIT
# shellcheck source=SCRIPTDIR/proc_cpu.sh
. bench/proc_cpu.sh

one_run() { # $1 = label, $2 = receive buffer option ("" for default)
	local rb=$2 p1 p2 c1 c2
	# shellcheck disable=SC2086
	candump -d -L $rb vcan0 >"$W/cd.log" &
	p1=$!
	# shellcheck disable=SC2086
	"$CANRIG" dump --stats --drops -L $rb vcan0 >"$W/cr.log" 2>"$W/cr.stats" &
	p2=$!
	until grep -q 5359 "$W/cd.log" 2>/dev/null && grep -q 5359 "$W/cr.log" 2>/dev/null; do
		cansend vcan0 7FE#5359
		sleep 0.2
	done
	cangen vcan0 -g 0 -p 10 -n "$N" -I 5A5 -L 8 -D i
	cansend vcan0 7FE#454E44
	for f in "$W/cd.log" "$W/cr.log"; do
		for _ in $(seq 600); do
			grep -q 454E44 "$f" && break
			sleep 0.1
		done
	done
	c1=$(cpu_of $p1)
	c2=$(cpu_of $p2)
	echo "$1: candump $(split_of $p1); canrig $(split_of $p2)"
	kill -INT $p1 $p2
	wait $p1 $p2 || true
	local r1 r2 d1 d2
	r1=$(grep -c ' 5A5#' "$W/cd.log" || true)
	r2=$(grep -c ' 5A5#' "$W/cr.log" || true)
	d1=$( (grep DROPCOUNT "$W/cd.log" || true) | tail -1 | sed 's/.*total drops \([0-9]*\).*/\1/')
	d2=$( (grep DROPCOUNT "$W/cr.log" || true) | tail -1 | sed 's/.*total drops \([0-9]*\).*/\1/')
	printf '%-22s %-10s received %7d/%d  kernel drops %6d  cpu %6.2f s  %6.2f us/frame\n' \
		"$1" candump "$r1" "$N" "${d1:-0}" "$c1" "$(awk -v c="$c1" -v n="$r1" 'BEGIN{print n ? c * 1e6 / n : 0}')"
	printf '%-22s %-10s received %7d/%d  kernel drops %6d  cpu %6.2f s  %6.2f us/frame\n' \
		"$1" canrig "$r2" "$N" "${d2:-0}" "$c2" "$(awk -v c="$c2" -v n="$r2" 'BEGIN{print n ? c * 1e6 / n : 0}')"
	cat "$W/cr.stats"
	awk -v c1="$c1" -v c2="$c2" -v r1="$r1" -v r2="$r2" -v l="$1" 'BEGIN {
		if (r1 && r2 && c1 > 0)
			printf "%s: canrig/candump cpu per frame = %.2f (target <= 0.5); canrig received %s\n",
				l, (c2 / r2) / (c1 / r1),
				(r2 >= r1 ? "at least as many frames as candump" : "FEWER frames than candump")
	}'
}

one_run "rcvbuf 8 MiB" "-r 8388608"
one_run "default rcvbuf" ""
