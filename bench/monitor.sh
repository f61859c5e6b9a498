#!/bin/bash
# monitor.sh - bench 18: canrig monitor beside candump on two CAN FD vcan
# interfaces flooded by cangen -g 0 (64-byte FD frames with BRS, every id,
# random data, so every frame of the monitor is decoded with a DBC that
# knows every id): frames received, kernel drops and CPU time per frame of
# each, and the ratio.  Figures only, no pass/fail on timing (issue 23's
# target: the monitor at most a quarter of candump's CPU per frame).
# Runs where vcan exists (natively or inside tests/vm/run-in-guest.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
CANRIG=${CANRIG:-$PWD/build/canrig}
N=${CANRIG_BENCH_MON_FRAMES:-50000} # per interface
mkdir -p /dev/shm
mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm
W=$(mktemp -d /dev/shm/monitor.XXXXXX)
trap 'rm -rf "$W"' EXIT
# shellcheck source=SCRIPTDIR/proc_cpu.sh
. bench/proc_cpu.sh
RB="-r 8388608"

listeners() { # IF N: at least N sockets take every frame of IF
	[ "$(grep -cE "^ +$1 " /proc/net/can/rcvlist_all 2>/dev/null)" -ge "$2" ]
}

# a DBC for every 11-bit id cangen -I i sends: 64 bytes, eight 16-bit
# signals (scaled, one with a choice table) per message
awk 'BEGIN {
	print "VERSION \"\"\n\nBU_: N\n"
	for (id = 0; id < 2048; id++) {
		printf "BO_ %d M%03X: 64 N\n", id, id
		for (s = 0; s < 8; s++)
			printf " SG_ S%d : %d|16@1+ (0.01,-50) [-50|605.35] \"u\" N\n", s, s * 64
		printf "\n"
	}
	for (id = 0; id < 2048; id++)
		printf "VAL_ %d S0 0 \"Off\" 1 \"On\" ;\n", id
}' >"$W/flood.dbc"

one_run() { # $1 label, $2... monitor options
	local label=$1 pc pm c1 c2 i
	shift
	# shellcheck disable=SC2086
	candump -d -L $RB vcan0 vcan1 >"$W/cd.log" &
	pc=$!
	# shellcheck disable=SC2086
	"$CANRIG" monitor --once 100000 --json $RB "$@" vcan0 vcan1 >"$W/m.json" 2>"$W/m.err" &
	pm=$!
	for i in $(seq 600); do
		listeners vcan0 2 && listeners vcan1 2 && break
		sleep 0.1
	done
	# sync and end on a 29-bit id: cangen -I i sends every 11-bit one
	until grep -q 5359 "$W/cd.log" 2>/dev/null; do
		cansend vcan0 1FFFFFFE#5359
		sleep 0.2
	done
	cangen vcan0 -g 0 -p 10 -f -b -I i -L 64 -D r -n "$N" &
	i=$!
	cangen vcan1 -g 0 -p 10 -f -b -I i -L 64 -D r -n "$N"
	wait $i
	cansend vcan0 1FFFFFFE#454E44
	cansend vcan1 1FFFFFFE#454E44
	for _ in $(seq 600); do
		[ "$(grep -c 454E44 "$W/cd.log")" -ge 2 ] && break
		sleep 0.1
	done
	c1=$(cpu_of $pc)
	c2=$(cpu_of $pm)
	echo "$label: candump $(split_of $pc); canrig monitor $(split_of $pm)"
	kill -INT $pc $pm
	wait $pc $pm || true
	python3 - "$label" "$W/cd.log" "$W/m.json" "$c1" "$c2" "$N" <<'EOF'
import json, sys
label, cdlog, mjson, c1, c2, n = sys.argv[1:]
c1, c2, n = float(c1), float(c2), int(n)
rx = {"vcan0": 0, "vcan1": 0}
dropped = {}  # candump: per socket, the last "total drops"
for l in open(cdlog):
    w = l.split()
    if l.startswith("DROPCOUNT"):
        dropped[l.split("'")[1]] = int(l.rsplit(" ", 1)[1].strip(")\n"))
    elif len(w) == 3 and w[1] in rx and not w[2].startswith("1FFFFFFE#"):
        rx[w[1]] += 1
d = json.load(open(mjson))
mrx = {k: sum(m["count"] for m in d["messages"] if m["bus"] == k and m["id"] != 0x1FFFFFFE)
       for k in rx}
mdrops = sum(v["drops"] for v in d["interfaces"].values())
drops = sum(dropped.values())
r1, r2 = sum(rx.values()), sum(mrx.values())
for who, r, dr, c in (("candump -L", r1, drops, c1), ("canrig monitor", r2, mdrops, c2)):
    print("%-24s %-15s received %7d/%d  kernel drops %6d  cpu %6.2f s  %6.2f us/frame" %
          (label, who, r, 2 * n, dr, c, c * 1e6 / r if r else 0))
if r1 and r2 and c1 > 0:
    print("%s: monitor/candump cpu per frame = %.2f (target <= 0.25); rows %d" %
          (label, (c2 / r2) / (c1 / r1), len(d["messages"])))
EOF
}

echo "== bench 18: canrig monitor beside candump, two FD vcan interfaces flooded (cangen -g 0 -f -b -L 64), $N frames each"
one_run "monitor -d (2048 msgs)" -d "$W/flood.dbc"
one_run "monitor (no DBC)"
