#!/bin/bash
# dbc.sh - DBC benchmarks for "make bench", against cantools in the same run
# when it can be imported (CANTOOLS_PYTHONPATH=dir, or on python3's path;
# cantools is not a canrig dependency and is never fetched by the build).
#  3. load time of a large real DBC (opendbc's ford_lincoln_base_pt.dbc from
#     ../shared/dbc-corpus when present, else a synthetic file of that size)
#  4. library decode rate, signals/s, over the same frames for both
#  5. CLI: canrig dbc decode --json vs cantools decode on a 1,000,000-frame log
#  6. a 50 MB DBC: load time, and memory against a 5 MB one (linear?)
set -euo pipefail
cd "$(dirname "$0")/.."
CANRIG=${CANRIG:-$PWD/build/canrig}
DBCB=${DBCB:-$PWD/build/dbc_bench}
FRAMES=${BENCH_DBC_FRAMES:-1000000}
W=$(mktemp -d /tmp/canrig-dbcbench.XXXXXX)
trap 'rm -rf "$W"' EXIT
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if [ -n "${CANTOOLS_PYTHONPATH:-}" ]; then
	export PYTHONPATH="$CANTOOLS_PYTHONPATH${PYTHONPATH:+:$PYTHONPATH}"
fi
if $PY -c 'import cantools' 2>/dev/null; then
	CT=1
	echo "anchor: cantools $($PY -c 'import cantools; print(cantools.__version__)')"
else
	CT=0
	echo "anchor: cantools not importable here (set CANTOOLS_PYTHONPATH); canrig figures only"
fi
kv() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

FORD=${CANRIG_DBC_CORPUS:-../shared/dbc-corpus}/opendbc/ford_lincoln_base_pt.dbc
if [ -f "$FORD" ]; then
	DBC=$FORD
else
	"$DBCB" gen-dbc 0.8 "$W/ford-sized.dbc"
	DBC=$W/ford-sized.dbc
fi
echo
echo "== bench 3: load $(basename "$DBC") ($(du -k "$DBC" | cut -f1) KB)"
c=$("$DBCB" load "$DBC" 10)
cl=$(echo "$c" | kv load_ms)
echo "canrig:   $c  (best of 10)"
if [ "$CT" = 1 ]; then
	p=$($PY bench/cantools_bench.py load "$DBC")
	pl=$(echo "$p" | kv load_ms)
	echo "cantools: $p  (best of 3)"
	echo "ratio: canrig loads $(ratio "$pl" "$cl")x faster (target: <= 20 ms)"
else
	echo "target: <= 20 ms"
fi

echo
echo "== bench 4: library decode, random frames of every message of that file"
"$DBCB" gen-log "$DBC" "$FRAMES" "$W/frames.log"
c=$("$DBCB" decode "$DBC" "$W/frames.log" 3)
cs=$(echo "$c" | kv signals_per_s)
echo "canrig:   $c  (one core, lookup included, best of 3)"
if [ "$CT" = 1 ]; then
	head -n 100000 "$W/frames.log" >"$W/frames100k.log"
	p=$($PY bench/cantools_bench.py decode "$DBC" "$W/frames100k.log")
	ps=$(echo "$p" | kv signals_per_s)
	echo "cantools: $p  (Message.decode, best of 3)"
	echo "ratio: $(ratio "$cs" "$ps")x (target: >= 20 M signals/s)"
fi

echo
echo "== bench 5: CLI, decode --json of a $FRAMES-frame log"
# best of 3, output to /dev/null (a 700 MB file would time the disk)
cw=999
for i in 1 2 3; do
	/usr/bin/time -o "$W/t" -f '%e' "$CANRIG" dbc decode --json "$DBC" "$W/frames.log" >/dev/null
	cw=$(awk -v a="$(cat "$W/t")" -v b="$cw" 'BEGIN { print (a < b ? a : b) }')
done
echo "canrig dbc decode --json: ${cw} s wall (best of 3), $("$CANRIG" dbc decode --json "$DBC" "$W/frames.log" | wc -l) lines"
if [ "$CT" = 1 ]; then
	/usr/bin/time -o "$W/t" -f '%e' $PY -m cantools decode "$DBC" <"$W/frames.log" >"$W/ct.txt"
	pw=$(cat "$W/t")
	echo "cantools decode:          ${pw} s wall, $(grep -c '::' "$W/ct.txt") frames"
	echo "ratio: canrig is $(ratio "$pw" "$cw")x faster (target: >= 50x)"
fi

echo
echo "== bench 6: a 50 MB DBC"
"$DBCB" gen-dbc 5 "$W/5mb.dbc"
"$DBCB" gen-dbc 50 "$W/50mb.dbc"
a=$("$DBCB" load "$W/5mb.dbc" 3)
b=$("$DBCB" load "$W/50mb.dbc" 3)
echo "5 MB:  $a"
echo "50 MB: $b"
ha=$(echo "$a" | kv mem_kb)
hb=$(echo "$b" | kv mem_kb)
echo "memory (resident, first load) 50 MB / 5 MB: $(ratio "$hb" "$ha")x for $(ratio "$(du -k "$W/50mb.dbc" | cut -f1)" "$(du -k "$W/5mb.dbc" | cut -f1)")x the bytes (linear means about the same); target: well under 1 s"
