#!/bin/bash
# isotp.sh - ISO-TP benchmarks for "make bench", run where vcan exists
# (natively, or inside tests/vm/run-in-guest.sh):
#  7. throughput: 1 MiB (16 PDUs of 64 KiB), STmin 0, BS 0, classic CAN:
#     the kernel's can-isotp (sender and receiver through Python's socket
#     module, as isotpsend/isotprecv stop at 5000 bytes) against canrig
#     isotp send/recv, in the same run, on the same interface
#  8. STmin accuracy: 5 ms asked for by the receiver; gaps between our
#     consecutive frames from candump's kernel timestamps
set -euo pipefail
cd "$(dirname "$0")/.."
CANRIG=${CANRIG:-$PWD/build/canrig}
. tests/vcan/lib.sh
mkdir -p /dev/shm
mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm
W=$(mktemp -d /dev/shm/isotp-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
PY=/usr/bin/python3
IF=vcan3
PDU=65536
N=16

now() { date +%s.%N; }

echo "== bench 7: ISO-TP throughput, $N x $PDU bytes, STmin 0, BS 0, classic CAN"
cat >"$W/k.py" <<'PY'
import socket, sys, time
mode, ifname, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_CAN, socket.SOCK_DGRAM, socket.CAN_ISOTP)
if mode == "recv":
    s.bind((ifname, 0x7E0, 0x7E8))
    got = 0
    for _ in range(n):
        got += len(s.recv(size + 16))
    print(got)
else:
    s.bind((ifname, 0x7E8, 0x7E0))
    data = bytes(((i % 255) + 1) for i in range(size))
    for _ in range(n):
        s.send(data)
PY
# kernel -> kernel
$PY "$W/k.py" recv $IF $N $PDU >"$W/k.out" &
rp=$!
wait_rx $IF 7e0
t0=$(now)
$PY "$W/k.py" send $IF $N $PDU
wait $rp
t1=$(now)
kt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
kb=$(cat "$W/k.out")
# canrig -> canrig
"$CANRIG" isotp recv -l -s 7E8 -d 7E0 $IF >"$W/c.out" &
rp=$!
wait_rx $IF 7e0
t0=$(now)
"$CANRIG" isotp send -s 7E0 -d 7E8 -D $PDU --count $N $IF
# the receiver prints each PDU as hex: wait for all N lines
while [ "$(wc -l <"$W/c.out")" -lt $N ]; do sleep 0.01; done
t1=$(now)
kill -INT $rp
wait $rp || true
ct=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
cb=$(awk '{ n += NF } END { print n }' "$W/c.out")
echo "kernel can-isotp -> can-isotp: $kb bytes in ${kt} s: $(awk -v b="$kb" -v t="$kt" 'BEGIN { printf "%.0f", b / t }') B/s"
echo "canrig isotp     -> canrig:    $cb bytes in ${ct} s: $(awk -v b="$cb" -v t="$ct" 'BEGIN { printf "%.0f", b / t }') B/s"
echo "throughput ratio canrig/kernel: $(awk -v a="$kt" -v b="$ct" 'BEGIN { printf "%.2f", a / b }')x (target >= 1.0)"

echo
echo "== bench 8: STmin accuracy, receiver asks 5 ms, 200 consecutive frames (199 CF-CF gaps)"
candump -L -r 8388608 $IF,7E0:C00007FF >"$W/cd.log" &
cp=$!
wait_rx $IF 7e0
isotprecv -s 7E8 -d 7E0 -m 5 $IF >/dev/null &
rp=$!
wait_rx $IF 7e0 2
"$CANRIG" isotp send -s 7E0 -d 7E8 -D 1400 $IF
wait $rp
isotprecv -s 7E8 -d 7E0 -m 5 $IF >/dev/null &
rp=$!
wait_rx $IF 7e0 2
# the anchor: the kernel's own sender, same receiver
cansend $IF 7E0#00 # a marker frame between the two runs
$PY - "$IF" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_CAN, socket.SOCK_DGRAM, socket.CAN_ISOTP)
s.bind((sys.argv[1], 0x7E8, 0x7E0))
s.send(bytes(((i % 255) + 1) for i in range(1400)))
PY
wait $! || true
wait $rp
cansend $IF 7E0#0000 # the end marker
wait_for "$W/cd.log" '7E0#0000$'
kill -INT $cp 2>/dev/null || true
wait $cp 2>/dev/null || true
# gaps between consecutive CFs (2x) within each run, in ms: STmin is the
# gap between two CFs (ISO 15765-2:2016 9.6.5.4); the FF -> first CF gap
# holds the receiver's FC turnaround instead and is shown on its own
awk '
BEGIN { run = 0 }
/7E0#00(00)?$/ { run++; last = 0; next }
{ split($3, a, "#"); pci = substr(a[2], 1, 1)
  t = substr($1, 2, length($1) - 2) + 0
  if (pci == "2" && last) gaps[run] = gaps[run] " " (t - last) * 1000
  if (pci == "2" && ff) first[run] = (t - ff) * 1000
  ff = pci == "1" ? t : 0
  last = pci == "2" ? t : 0 }
END { print gaps[0] > "'"$W"'/g0"; print gaps[1] > "'"$W"'/g1"
      printf "FF -> first CF (FC turnaround included): canrig %.3f ms, kernel %.3f ms\n", first[0], first[1] }' "$W/cd.log"
stats() { tr ' ' '\n' <"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END {
	p = int(NR * 0.99); if (p < 1) p = 1
	printf "%d gaps, min %.3f ms, median %.3f ms, p99 %.3f ms, max %.3f ms", NR, v[1], v[int((NR + 1) / 2)], v[p], v[NR] }'; }
echo "canrig sender: $(stats "$W/g0")"
echo "kernel sender: $(stats "$W/g1")"
min=$(tr ' ' '\n' <"$W/g0" | grep . | sort -n | head -1)
awk -v m="$min" 'BEGIN { exit !(m >= 5.0) }' &&
	echo "STmin: no canrig gap below 5 ms" ||
	echo "STmin: a canrig gap fell below 5 ms (min $min ms)"
