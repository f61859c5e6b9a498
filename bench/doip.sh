#!/bin/bash
# doip.sh - DoIP edge node benchmarks (issue 21), run where vcan exists
# (natively after vcan-setup.sh, or inside tests/vm/run-in-guest.sh).
# canrigd with a doip: section on 127.0.0.1 in front of one canrig ecu-sim
# per bus (vcan0..vcan3). Each ecu-sim holds two identical ECUs: 7E0/7E8,
# which canrigd serves (logical 0x0010..0x0013), and its twin 7E1/7E9,
# which canrigd does not know: the direct anchors talk to the twin, on the
# same bus, the same process, with canrigd running, in the same run.
#
# 14. flash throughput: 1 MiB of 0x36 blocks (max_block 4095: the ECU
#     entry's default max_len, so a block is one DoIP message) by
#     canrig diag --doip through canrigd, against canrig diag flashing the
#     same image directly over ISO-TP on the bus; classic CAN, then CAN FD
#     (TX_DL 64); BS 0 and STmin 0 on every hop; then, for scale, CAN FD
#     paced by the ECU's STmin (300 us per frame, as on a real FD bus),
#     which has no target. The figure is diag's own
#     (0x34 answered to 0x37 answered). Direct and gateway alternately,
#     twice each; the faster pass counts (a busy host only slows a pass).
# 15. parallelism: the four ECUs flashed at once through the one canrigd,
#     four testers on four sockets; aggregate bytes / wall time from the
#     start of the four to the end of the last, against one flash alone
#     timed the same way; classic CAN.  The issue's figure is paced: a
#     car's bus has a bit rate, vcan has none, so unpaced every transfer
#     runs as fast as the guest's CPUs let it and four at once share two
#     vCPUs with nine processes (that measures the CPU count, not whether
#     canrigd serialises ECUs).  Paced, every ECU's flow control asks
#     STmin 1 ms: about one consecutive frame per 1.1-1.3 ms, what an
#     8-byte classic frame takes on a 125 kbit/s body bus, 32 KiB each.
#     Not 200 us (a 500 kbit/s bus): a timer wake-up in the guest costs
#     some 150 us (a 200 us timerfd sleeps 340 us idle), as much as the
#     pacing, so that figure said how busy the guest was, not whether
#     canrigd serialises.  Not a tc qdisc: vcan
#     has no IFF_ECHO, so af_can hands a frame to the local sockets before
#     the device's qdisc; a qdisc would pace nothing that is read.  The
#     unpaced figure (256 KiB each, STmin 0) is printed too, labelled.
# 16. isolation: ECU 0x0010 answers a routine start with a 10 s chain of
#     0x78 (every 100 ms) to tester 0x0E81; meanwhile tester 0x0E80 reads
#     F190 from 0x0011..0x0013 in turn (bench/doip_lat.c, for at most 7 s
#     from the first 0x78): p50/p99; then the same with the chain over.
# 17. added latency: 22 F190 (a 20-byte answer: first frame, flow control,
#     two consecutive frames on classic CAN) request to answer, through
#     canrigd to 0x0011, minus the same exchange direct with its twin on
#     vcan1; the same probe (bench/doip_lat.c), 2 ms between requests.
#     Alternately, twice each; the pass with the lower p99 counts.
#
# Environment: CANRIG, CANRIGD (default: next to CANRIG), CANRIG_DOIP_LAT
# (the probe; default next to CANRIG), CANRIG_BENCH_DOIP_KIB (image of
# bench 14, 1024), CANRIG_BENCH_DOIP_PAR_KIB (each image of bench 15
# unpaced, 256), CANRIG_BENCH_DOIP_PACED_KIB (paced, 64),
# CANRIG_BENCH_DOIP_STMIN (the ECUs' STmin byte when paced, 0xF2),
# CANRIG_BENCH_DOIP_PROBES (requests per latency pass, 400),
# CANRIG_BENCH_DOIP_ONLY=15p (bench 15's paced pass alone).
# Figures and ratios only; no pass/fail on timings.
set -euo pipefail
cd "$(dirname "$0")/.."
CANRIG=${CANRIG:-$PWD/build/canrig}
CANRIGD=${CANRIGD:-$(dirname "$CANRIG")/canrigd}
LAT=${CANRIG_DOIP_LAT:-$(dirname "$CANRIG")/doip_lat}
KIB=${CANRIG_BENCH_DOIP_KIB:-1024}
PKIB=${CANRIG_BENCH_DOIP_PAR_KIB:-256}
QKIB=${CANRIG_BENCH_DOIP_PACED_KIB:-32}
QSTMIN=${CANRIG_BENCH_DOIP_STMIN:-0x01}
PROBES=${CANRIG_BENCH_DOIP_PROBES:-400}
ONLY=${CANRIG_BENCH_DOIP_ONLY:-}
PORT=13410
. tests/vcan/lib.sh
mkdir -p /dev/shm
mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm
W=$(mktemp -d /dev/shm/doip-bench.XXXXXX)
GW=
SIMS=()
BG=()

cleanup() {
	local p
	for p in $GW "${SIMS[@]}" "${BG[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $GW "${SIMS[@]}" "${BG[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$W"
}
trap cleanup EXIT

for f in "$CANRIG" "$CANRIGD" "$LAT"; do
	[ -x "$f" ] || { echo "doip.sh: no $f (make bench builds it)" >&2; exit 1; }
done
ip link set lo up

# sim_yaml N DL [STMIN]: the two ECUs of bus N (0..3), TX_DL DL (8:
# classic CAN), their flow control asking STMIN (default 0); S3 60 s: on
# a starved guest one paced block took over 5 s and the session ended
# (0x36 refused 0x7F), a failed run where a slower figure was due
sim_yaml() {
	local i
	echo "ecus:"
	for i in 0 1; do
		cat <<EOF
  - name: ecu$1-$i
    rx: 0x7E$i
    tx: 0x7E$((8 + i))
    tx_dl: $2
    stmin: ${3:-0}
    s3_ms: 60000
    pending_interval_ms: 100
    dids:
      - {id: 0xF190, ascii: "WVWZZZ1JZXW00000$1"}
    routines:
      - {id: 0xFF00, pending_ms: 10000}
    download: {address: 0x0, size: 0x1000000, max_block: 4095}
EOF
	done
}

# gw_yaml DL: canrigd with the four 7E0 ECUs, every hop at TX_DL DL
gw_yaml() {
	local fd=false i
	[ "$1" = 8 ] || fd=true
	echo "interfaces:"
	for i in 0 1 2 3; do
		echo "  - {name: vcan$i, fd: $fd}"
	done
	cat <<EOF
routes:
  - {name: unused, from: vcan0, to: [vcan1], ids: [0x100]}
doip:
  listen: 127.0.0.1
  port: $PORT
  logical_address: 0x1000
  vin: WVWZZZ1JZXW000000
  max_testers: 8
  testers:
EOF
	for i in 0 1 2 3; do
		echo "    - {address: 0x0E8$i, firewall: {allow: [0x10, 0x22, 0x31, 0x34, 0x36, 0x37, 0x3E]}}"
	done
	echo "  ecus:"
	for i in 0 1 2 3; do
		echo "    - {address: 0x001$i, interface: vcan$i, tx: 0x7E0, rx: 0x7E8, tx_dl: $1, bs: 0, stmin: 0}"
	done
	echo "options: {control: $W/ctl.sock}"
}

# up DL [STMIN]: the four ecu-sims and canrigd, every hop at TX_DL DL,
# the ECUs asking STMIN
up() {
	local i
	SIMS=()
	for i in 0 1 2 3; do
		sim_yaml $i "$1" "${2:-0}" >"$W/sim$i.yaml"
		"$CANRIG" ecu-sim -i vcan$i -c "$W/sim$i.yaml" 2>"$W/sim$i.log" &
		SIMS+=($!)
	done
	gw_yaml "$1" >"$W/gw.yaml"
	"$CANRIGD" -f -c "$W/gw.yaml" 2>"$W/gw.log" &
	GW=$!
	for i in 0 1 2 3; do
		wait_rx vcan$i 7e1
		wait_rx vcan$i 7e8
	done
	wait_for "$W/gw.log" 'doip: entity 0x1000 on 127.0.0.1'
}

# canrigd's DoIP counters, when a run failed: where the request or the
# answer went (transfer and receive errors, answers dropped)
gw_counters() {
	"$CANRIG" gw -s "$W/ctl.sock" stats | grep '^doip ' | sed 's/^/  canrigd: /' || true
}

down() {
	kill -TERM $GW "${SIMS[@]}" 2>/dev/null || true
	wait $GW "${SIMS[@]}" 2>/dev/null || true
	GW=
	SIMS=()
}

head -c $((KIB * 1024)) /dev/urandom >"$W/image.bin"
head -c $((PKIB * 1024)) /dev/urandom >"$W/par.bin"
head -c $((QKIB * 1024)) /dev/urandom >"$W/paced.bin"

# diag's own rate of the flash whose output is in FILE
flash_rate() {
	sed -n 's/^flash: .*(\([0-9.]*\) kB\/s).*/\1/p' "$1"
}
# P2 5 s for both: on a host shared with other guests a late answer is
# a slower figure, not a failed run
# direct_flash IF DL IMAGE OUT: to the twin (7E1), over ISO-TP on IF
direct_flash() {
	local fd=()
	[ "$2" = 8 ] || fd=(--fd="$2")
	"$CANRIG" diag -i "$1" -e 7E1 "${fd[@]}" --p2 5000 session programming + \
		flash "$3" --address 0 --check-crc >"$4" 2>"$4.err"
}
# doip_flash ECU SA IMAGE OUT: through canrigd
doip_flash() {
	"$CANRIG" diag --doip 127.0.0.1:$PORT --sa "$2" -e "$1" --p2 5000 session programming + \
		flash "$3" --address 0 --check-crc >"$4" 2>"$4.err"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
verdict() {
	if awk -v r="$1" -v l="$3" -v op="$2" 'BEGIN { exit !(op == ">=" ? r >= l : r < l) }'; then
		echo "target met"
	else
		echo "target missed"
	fi
}
faster() { awk -v a="$1" -v b="${2:-0}" 'BEGIN { exit !(a > b) }'; }
# load PREFIX "k=v k=v ...": sets PREFIX_k=v
load() {
	local kv
	for kv in $2; do
		printf -v "$1_${kv%%=*}" '%s' "${kv#*=}"
	done
}
now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
lat_line() { # LABEL PREFIX
	local p=$2
	eval "printf '%-27s p50 %6d us  p90 %6d us  p99 %6d us  max %7d us  (%d answers, %d failed)\n' \
		\"\$1\" \"\$${p}_p50\" \"\$${p}_p90\" \"\$${p}_p99\" \"\$${p}_max\" \"\$${p}_n\" \"\$${p}_fail\""
}

if [ "$ONLY" != 15p ]; then
	echo "== bench 14: flash throughput through canrigd (DoIP -> ISO-TP -> ecu-sim), $KIB KiB in 0x36 blocks of 4093 bytes, BS 0, STmin 0"
	echo "   direct and through the gateway alternately, twice each; the faster pass counts"
	for dl in 8 64 64p; do
		name=classic
		img=$W/image.bin
		stmin=0
		tgt="(target >= 0.9): "
		[ "$dl" = 8 ] || name="CAN FD (TX_DL 64)"
		if [ "$dl" = 64p ]; then
			# not the issue's figure: the ECUs' STmin 300 us, about a
			# 64-byte frame's time on a 500 kbit/s / 2 Mbit/s FD bus, so
			# the block's bus time is there as in a car
			dl=64
			name="CAN FD (TX_DL 64) paced, STmin 0xF3, $PKIB KiB (not the issue's figure)"
			img=$W/par.bin
			stmin=0xF3
			tgt=
		fi
		echo "-- $name"
		up "$dl" "$stmin"
		best_d=0
		best_g=0
		for round in 1 2; do
			direct_flash vcan0 "$dl" "$img" "$W/direct.out" ||
				echo "direct flash FAILED: $(cat "$W/direct.out.err")"
			doip_flash 0010 0E80 "$img" "$W/doip.out" ||
				echo "DoIP flash FAILED: $(cat "$W/doip.out.err")"
			d=$(flash_rate "$W/direct.out")
			g=$(flash_rate "$W/doip.out")
			echo "round $round: canrig diag -i vcan0 (anchor) $(grep '^flash:' "$W/direct.out")"
			echo "         canrig diag --doip canrigd    $(grep '^flash:' "$W/doip.out")"
			[ -n "$g" ] || gw_counters
			! faster "$d" "$best_d" || best_d=$d
			! faster "$g" "$best_g" || best_g=$g
		done
		down
		r=$(ratio "$best_g" "$best_d")
		echo "flash through the gateway, $name: $best_g kB/s vs $best_d kB/s direct: ratio ${r}x ${tgt:+$tgt$(verdict "$r" '>=' 0.9)}"
	done
fi

echo
# par IMAGE KIB: one flash alone, then the four at once, through canrigd
# as it is up; sets PAR_ONE, PAR_ALL (kB/s) and PAR_R (their ratio)
par() {
	local t0 t1 p i bad=0
	t0=$(now_ns)
	doip_flash 0010 0E80 "$1" "$W/one.out" || echo "flash FAILED: $(cat "$W/one.out.err")"
	t1=$(now_ns)
	PAR_ONE=$(awk -v a="$t0" -v b="$t1" -v k="$2" 'BEGIN { printf "%.1f", k * 1024 / ((b - a) / 1e9) / 1000 }')
	echo "one ECU alone: $2 KiB in $(secs "$t0" "$t1") s wall: $PAR_ONE kB/s (diag's own figure: $(flash_rate "$W/one.out") kB/s)"
	t0=$(now_ns)
	for i in 0 1 2 3; do
		doip_flash 001$i 0E8$i "$1" "$W/par$i.out" &
		BG+=($!)
	done
	for p in "${BG[@]}"; do
		wait "$p" || bad=$((bad + 1))
	done
	BG=()
	t1=$(now_ns)
	PAR_ALL=$(awk -v a="$t0" -v b="$t1" -v k="$2" 'BEGIN { printf "%.1f", 4 * k * 1024 / ((b - a) / 1e9) / 1000 }')
	for i in 0 1 2 3; do
		echo "  ECU 0x001$i: $(grep '^flash:' "$W/par$i.out" || cat "$W/par$i.out.err")"
	done
	if [ "$bad" != 0 ]; then
		echo "  $bad of the four flashes FAILED"
		gw_counters
	fi
	PAR_R=$(ratio "$PAR_ALL" "$PAR_ONE")
	echo "four at once: $((4 * $2)) KiB in $(secs "$t0" "$t1") s wall: $PAR_ALL kB/s aggregate"
}

echo "== bench 15: parallelism, four ECUs on vcan0..vcan3 flashed at once through one canrigd, classic CAN"
echo "-- paced like a 125 kbit/s bus: every ECU asks STmin $QSTMIN, $QKIB KiB each (the issue's figure)"
up 8 "$QSTMIN"
par "$W/paced.bin" "$QKIB"
down
# Four paced buses cannot beat four times one: a ratio above that means
# the one-ECU pass ran slower than its pacing, as an idle guest wakes late
# from each STmin timer (the busy one does not), and the figure is void.
if awk -v r="$PAR_R" 'BEGIN { exit !(r > 4.2) }'; then
	echo "four at once, paced: ratio ${PAR_R}x one ECU: NOT VALID (above 4x: the one-ECU pass" \
		"ran slower than its STmin allows, an idle guest waking late from each STmin timer;" \
		"the floor for $QKIB KiB at STmin $QSTMIN is" \
		"$(awk -v k="$QKIB" -v m=$((QSTMIN)) 'BEGIN { st = m >= 241 ? (m - 240) * 1e-4 : m * 1e-3
			printf "%.2f", k * 1024 / 7 * st }') s)"
else
	echo "four at once, paced: ratio ${PAR_R}x one ECU (target >= 3.5): $(verdict "$PAR_R" '>=' 3.5)"
fi
[ "$ONLY" != 15p ] || exit 0
echo "-- unpaced (STmin 0), $PKIB KiB each: vcan has no bit rate, so this measures the CPUs, not the gateway"
up 8
par "$W/par.bin" "$PKIB"
echo "four at once, unpaced: ratio ${PAR_R}x one ECU (not the issue's figure: this guest has $(nproc) CPU(s) for 4 ecu-sims, 4 testers and canrigd)"

echo
echo "== bench 17: added latency, 22 F190 request to answer, $PROBES requests 2 ms apart, vcan1"
echo "   direct and through the gateway alternately, twice each; the pass with the lower p99 counts"
for round in 1 2; do
	load d "$("$LAT" isotp vcan1 7E1 7E9 "$PROBES" 2000)"
	lat_line "round $round: direct (anchor)" d
	load g "$("$LAT" doip 127.0.0.1:$PORT 0E80 0011 "$PROBES" 2000)"
	lat_line "         through canrigd" g
	[ "$g_fail" = 0 ] || gw_counters
	if [ "$round" = 1 ] || [ "$d_p99" -lt "$D_p99" ]; then
		for k in p50 p90 p99 max n fail; do eval "D_$k=\$d_$k"; done
	fi
	if [ "$round" = 1 ] || [ "$g_p99" -lt "$G_p99" ]; then
		for k in p50 p90 p99 max n fail; do eval "G_$k=\$g_$k"; done
	fi
done
echo "added by the gateway: p50 $((G_p50 - D_p50)) us, p99 $((G_p99 - D_p99)) us (through canrigd p50 $G_p50 / p99 $G_p99 us, direct p50 $D_p50 / p99 $D_p99 us)"

echo
echo "== bench 16: isolation, ECU 0x0010 in a 10 s 0x78 chain (every 100 ms) while 0x0011..0x0013 are read in turn, up to $PROBES requests 2 ms apart in 7 s"
"$CANRIG" diag --doip 127.0.0.1:$PORT --sa 0E81 -e 0010 -v \
	routine start FF00 >"$W/chain.out" 2>"$W/chain.err" &
chain=$!
BG=("$chain")
wait_for "$W/chain.err" 'responsePending'
t0=$(now_ns)
# at most 7 s of requests: all inside the 10 s chain even on a slow host
load i "$("$LAT" -t 7000 doip 127.0.0.1:$PORT 0E80 0011,0012,0013 "$PROBES" 2000)"
t1=$(now_ns)
during=no
kill -0 "$chain" 2>/dev/null && during=yes
crc=0
wait "$chain" || crc=$?
BG=()
lat_line "during the chain" i
[ "$i_fail" = 0 ] || gw_counters
echo "  the chain: $(grep -c responsePending "$W/chain.err") x 0x78 to tester 0x0E81, then \"$(head -1 "$W/chain.out")\" (exit $crc); the $i_n requests ($(secs "$t0" "$t1") s) all inside it: $during"
# the control: the same probe with the chain over, at once (a shared
# host's load changes by the minute)
load a "$("$LAT" -t 7000 doip 127.0.0.1:$PORT 0E80 0011,0012,0013 "$PROBES" 2000)"
lat_line "the same, chain over" a
echo "  (the probe to 0x0011 alone in bench 17: p50 $G_p50 us, p99 $G_p99 us)"
echo "isolation: p99 $(awk -v p="$i_p99" 'BEGIN { printf "%.2f", p / 1000 }') ms while another ECU is pending (target < 20 ms): $(verdict "$i_p99" '<' 20000)"
down
