#!/bin/bash
# gw_buses.sh - bench 13: how many buses one gateway holds at a 1 Mbit/s
# bus's frame rate with zero loss, canrigd against the kernel's can-gw in
# the same run.  Runs as root where vcan exists (natively after
# vcan-setup.sh, or inside tests/vm/run-in-guest.sh); vcan4 and vcan5 are
# made here when missing and removed again.
#
# K buses (2, 4, 6), one route per bus: vcan(i) -> vcan(i+1 mod K) for
# id 0x10i, the id the sender on vcan(i) uses.  The routes form a cycle in
# the interface graph, as two-way routes between domains do, so the file
# sets hop_limit: 1 (canrigd refuses a cycle without it); every other
# option keeps its default.  canrigd runs as shipped: its defaults for queues and socket
# buffers, no CPU placement, in the foreground.  On each bus a sender
# (bench/gw_lat.c) sends RATE frames/s (default 8,000: a 1 Mbit/s bus
# carries about 8,000 8-byte frames/s) of its own id 0x10i with sequence
# numbers, for SECS seconds, all buses at once; a counter on the next bus
# counts that id.  Lost = sent - received (gaps, plus those that never
# came).  The anchor, can-gw, gets the same routes (cangw -A -s vcan(i)
# -d vcan(i+1) -e -f 10i:C00007FF).
#
# Prints one row per K and gateway and "most buses held with zero loss"
# for each.  Figures only; no pass/fail on timings.
#
# Environment: CANRIG, CANRIGD (default: next to CANRIG), CANRIG_GW_LAT,
# CANRIG_BENCH_BUS_RATE (8000), CANRIG_BENCH_BUS_SECS (5),
# CANRIG_BENCH_BUS_K ("2 4 6"), CANRIG_BENCH_BUS_ROUNDS (passes per bus
# count and gateway, 2), CANRIG_BENCH_GW_BEFORE (another canrigd
# binary, an older build say: measured as "before" in the same run, for a
# before/after figure of a change).
set -euo pipefail
cd "$(dirname "$0")/.."
CANRIG=${CANRIG:-$PWD/build/canrig}
CANRIGD=${CANRIGD:-$(dirname "$CANRIG")/canrigd}
GW_LAT=${CANRIG_GW_LAT:-$(dirname "$CANRIG")/gw_lat}
RATE=${CANRIG_BENCH_BUS_RATE:-8000}
SECS=${CANRIG_BENCH_BUS_SECS:-5}
KS=${CANRIG_BENCH_BUS_K:-2 4 6}
ROUNDS=${CANRIG_BENCH_BUS_ROUNDS:-2}
BEFORE=${CANRIG_BENCH_GW_BEFORE:-}
GWS="can-gw canrigd${BEFORE:+ before}"
COUNT=$((RATE * SECS))
WAIT_SECS=30
. tests/vcan/lib.sh

# not /tmp: in the qemu guest that is the host's 9p share, which cannot
# hold canrigd's control socket (and canrigd refuses to start without it)
mkdir -p /dev/shm
mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm
W=$(mktemp -d /dev/shm/gw-buses.XXXXXX)
GW=
MADE=()
BG=()
cleanup() {
	local p
	for p in "${BG[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	if [ -n "$GW" ]; then
		kill -TERM "$GW" 2>/dev/null || true
		wait "$GW" 2>/dev/null || true
	fi
	cangw -F 2>/dev/null || true
	for p in "${MADE[@]}"; do
		ip link del "$p" 2>/dev/null || true
	done
	rm -rf "$W"
}
trap cleanup EXIT

[ -x "$CANRIGD" ] || { echo "gw_buses.sh: no canrigd at $CANRIGD" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "gw_buses.sh: needs root (can-gw rules, vcan4/5)" >&2; exit 1; }
if [ -n "$(cangw -L 2>/dev/null || true)" ]; then
	echo "gw_buses.sh: can-gw has rules already (cangw -L); not touching them" >&2
	exit 1
fi
if [ ! -x "$GW_LAT" ]; then
	GW_LAT=$W/gw_lat
	cc -O2 -o "$GW_LAT" bench/gw_lat.c
fi
for i in 0 1 2 3 4 5; do
	if [ ! -d "/sys/class/net/vcan$i" ]; then
		ip link add dev "vcan$i" type vcan
		MADE+=("vcan$i")
	fi
	ip link set "vcan$i" mtu 72 up
done

ring_up() { # GATEWAY K
	local i
	case $1 in
	can-gw)
		for ((i = 0; i < $2; i++)); do
			cangw -A -s "vcan$i" -d "vcan$(((i + 1) % $2))" -e \
				-f "$(printf '%X' $((0x100 + i)))":C00007FF
		done
		;;
	canrigd | before)
		{
			echo "interfaces:"
			for ((i = 0; i < $2; i++)); do
				echo "  - {name: vcan$i}"
			done
			echo "routes:"
			for ((i = 0; i < $2; i++)); do
				echo "  - {name: r$i, from: vcan$i, to: [vcan$(((i + 1) % $2))]," \
					"ids: [0x$(printf '%X' $((0x100 + i)))]}"
			done
			echo "options:"
			echo "  hop_limit: 1"
			echo "  control: $W/ctl.sock"
		} >"$W/ring$2.yaml"
		if [ "$1" = before ]; then
			"$BEFORE" -f -c "$W/ring$2.yaml" 2>>"$W/canrigd.log" &
		else
			"$CANRIGD" -f -c "$W/ring$2.yaml" 2>>"$W/canrigd.log" &
		fi
		GW=$!
		poll "canrigd never listened on every bus" ring_ready "$2"
		# a canrigd that refused to start listens for nothing: say why
		kill -0 "$GW" 2>/dev/null || {
			echo "gw_buses.sh: canrigd did not start: $(tail -1 "$W/canrigd.log")" >&2
			exit 1
		}
		;;
	esac
}

ring_ready() { # K: canrigd listens for each bus's id, or it has exited
	local i
	kill -0 "$GW" 2>/dev/null || return 0
	for ((i = 0; i < $1; i++)); do
		rx_listeners "vcan$i" "$(printf '%x' $((0x100 + i)))" 1 || return 1
	done
}

ring_down() {
	if [ -n "$GW" ]; then
		kill -TERM "$GW"
		wait "$GW" || true
		GW=
	fi
	cangw -F
}

# one pass: K senders at RATE, K counters; prints "received lost"
pass() { # K
	local i d id rx=0 lost=0 r m n
	BG=()
	for ((i = 0; i < $1; i++)); do
		d=$(((i + 1) % $1))
		id=$(printf '%X' $((0x100 + i)))
		"$GW_LAT" count "vcan$d" "$id" "$COUNT" 3000 1000 >"$W/count$i" &
		BG+=($!)
		wait_rx "vcan$d" "$id"
	done
	for ((i = 0; i < $1; i++)); do
		"$GW_LAT" send "vcan$i" "$(printf '%X' $((0x100 + i)))" "$RATE" "$COUNT" \
			>"$W/send$i" &
		BG+=($!)
	done
	for p in "${BG[@]}"; do
		wait "$p" || true
	done
	BG=()
	for ((i = 0; i < $1; i++)); do
		r=$(sed -n 's/.*frames=\([0-9]*\).*/\1/p' "$W/count$i")
		rx=$((rx + ${r:-0}))
		lost=$((lost + COUNT - ${r:-0}))
	done
	echo "$rx $lost"
}

echo "== bench 13: buses held at a 1 Mbit/s bus's frame rate ($RATE frames/s each, ${SECS} s), one route per bus, canrigd as shipped"
echo "   every gateway $ROUNDS times per bus count, alternately; a pass without loss counts (a busy host only adds loss)"
declare -A BEST=([can-gw]=0 [canrigd]=0 [before]=0)
for k in $KS; do
	for ((round = 1; round <= ROUNDS; round++)); do
		for gw in $GWS; do
			ring_up "$gw" "$k"
			read -r rx lost < <(pass "$k")
			ring_down
			printf '%-8s %d buses: %d of %d frames forwarded, %d lost\n' "$gw" "$k" \
				"$rx" $((k * COUNT)) "$lost"
			if [ "$lost" -eq 0 ] && [ "$k" -gt "${BEST[$gw]}" ]; then
				BEST[$gw]=$k
			fi
		done
	done
done
echo "buses held with zero loss: canrigd ${BEST[canrigd]}${BEFORE:+, before ${BEST[before]}}, can-gw (anchor) ${BEST[can-gw]}"
