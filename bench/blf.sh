#!/bin/bash
# blf.sh - the BLF benchmarks of issue 22, host-side, each against its
# anchors measured in the same run on the same files:
#  BLF 1. candump -> BLF, 1,000,000 frames: canrig log convert --to blf
#     against python3-can doing the same job (its candump reader into its
#     BLFWriter); target >= 14x, under 0.4 s.
#  BLF 2. BLF -> candump on canrig's file of BLF 1: canrig log convert --to
#     candump against python3-can's BLFReader merely iterating the frames
#     (no output: the anchor does less work than canrig) and tshark
#     rewriting the file as pcapng (no dissection); target >= 8x python-can
#     and faster than tshark.
# Wall and CPU seconds are each command's best of 3; the ratios are of wall
# time, with the CPU ratio beside them (on a loaded machine wall time waits
# for a CPU, CPU time does not).
set -euo pipefail
cd "$(dirname "$0")/.."
CANRIG=${CANRIG:-$PWD/build/canrig}
LINES=${BENCH_LINES:-1000000}
PY=/usr/bin/python3
W=$(mktemp -d /tmp/canrig-bench-blf.XXXXXX)
trap 'rm -rf "$W"' EXIT
export TZ=UTC

# best-of-3 wall and CPU seconds of a command: prints "wall cpu"
best3() {
	local best_w=999999 best_c=0 i w c
	for i in 1 2 3; do
		/usr/bin/time -o "$W/time" -f '%e %U %S' "$@" >/dev/null 2>&1
		w=$(awk '{print $1}' "$W/time")
		c=$(awk '{print $2 + $3}' "$W/time")
		if awk -v a="$w" -v b="$best_w" 'BEGIN { exit !(a < b) }'; then
			best_w=$w
			best_c=$c
		fi
	done
	echo "$best_w $best_c"
}

row() { # LABEL WALL CPU
	printf '%-44s %8s s wall  %8s s cpu\n' "$1" "$2" "$3"
}

ratio() { # WHAT ANCHOR_WALL ANCHOR_CPU WALL CPU TARGET
	awk -v w="$1" -v aw="$2" -v ac="$3" -v cw="$4" -v cc="$5" -v t="$6" 'BEGIN {
		printf "%s: %.1fx wall, %.1fx cpu (target %s)\n", w, aw / cw, ac / cc, t }'
}

if ! "$PY" -c 'import can' 2>/dev/null; then
	echo "== BLF benchmarks: skipped (no python3-can for the anchors: apt-get install python3-can)"
	exit 0
fi

awk -v n="$LINES" -f bench/gen-log.awk >"$W/in.log"
cat >"$W/py_write.py" <<'EOF'
import sys, can
with can.BLFWriter(sys.argv[2]) as w:
    for m in can.CanutilsLogReader(sys.argv[1]):
        w.on_message_received(m)
EOF
cat >"$W/py_read.py" <<'EOF'
import sys, can
n = 0
for m in can.BLFReader(sys.argv[1]):
    n += 1
print(n)
EOF

echo "== BLF 1: $LINES-frame candump log -> BLF"
echo "input: $(wc -l <"$W/in.log") lines, $(du -h "$W/in.log" | cut -f1)"
read -r pw pc < <(best3 "$PY" "$W/py_write.py" "$W/in.log" "$W/py.blf")
read -r cw cc < <(best3 "$CANRIG" log convert --to blf "$W/in.log" -o "$W/canrig.blf")
row "python3-can log -> BLFWriter (anchor)" "$pw" "$pc"
row "canrig log convert --to blf" "$cw" "$cc"
"$CANRIG" log convert --to candump "$W/canrig.blf" -o "$W/back.log"
if cmp -s "$W/in.log" "$W/back.log"; then
	echo "BLF 1: canrig's BLF reads back byte for byte ($(du -h "$W/canrig.blf" | cut -f1));" \
		"python3-can's is $(du -h "$W/py.blf" | cut -f1)"
else
	echo "BLF 1: ROUND TRIP DIFFERS"
fi
ratio "BLF 1 candump -> BLF vs python3-can" "$pw" "$pc" "$cw" "$cc" ">= 14x, < 0.4 s"

echo
echo "== BLF 2: BLF -> candump, canrig's file of BLF 1"
read -r rw rc < <(best3 "$PY" "$W/py_read.py" "$W/canrig.blf")
read -r tw tc < <(best3 tshark -r "$W/canrig.blf" -F pcapng -w "$W/tshark.pcapng")
read -r kw kc < <(best3 "$CANRIG" log convert --to candump "$W/canrig.blf" -o "$W/out.log")
row "python3-can BLFReader, iterating (anchor)" "$rw" "$rc"
row "tshark -r x.blf -w x.pcapng (anchor)" "$tw" "$tc"
row "canrig log convert --to candump" "$kw" "$kc"
ratio "BLF 2 BLF -> candump vs python3-can" "$rw" "$rc" "$kw" "$kc" ">= 8x"
ratio "BLF 2 BLF -> candump vs tshark" "$tw" "$tc" "$kw" "$kc" "> 1x"
cmp -s "$W/in.log" "$W/out.log"
