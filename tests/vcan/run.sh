#!/bin/bash
# run.sh - the vcan integration tests against can-utils and the kernel.
# Needs vcan0..vcan3 up (./vcan-setup.sh), can-utils on PATH and CANRIG
# pointing at the binary (canrigd is taken from the same directory).
# One test is one file, tests/vcan/t/NAME.sh, defining t_NAME; helpers
# shared by several tests are in lib.sh.  `run.sh NAME...` (or
# `make check-vcan T="NAME..."`) runs only those; without arguments every
# test runs, in name order.  Prints one PASS/FAIL line per test and
# "N passed, N failed" at the end.
set -u
cd "$(dirname "$0")/../.." || exit 1
CANRIG=${CANRIG:-$PWD/build/canrig}
export CANRIG
DATA=$PWD/tests/data
. tests/vcan/lib.sh

# captures go to tmpfs: in the guest /tmp is the host's over 9p, and a
# listener that flushes every frame there falls far behind the bus
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	WORK=$(mktemp -d /dev/shm/canrig-vcan.XXXXXX)
else
	WORK=$(mktemp -d /tmp/canrig-vcan.XXXXXX)
fi
# CANRIG_VCAN_KEEP=DIR keeps every capture there for a post-mortem
if [ -n "${CANRIG_VCAN_KEEP:-}" ]; then
	trap 'mkdir -p "$CANRIG_VCAN_KEEP"; (cd "$WORK" && find . ! -type s ! -type d -exec cp --parents {} "$CANRIG_VCAN_KEEP"/ \;); rm -rf "$WORK"' EXIT
else
	trap 'rm -rf "$WORK"' EXIT
fi
pass=0
fail=0
failed=""
# arguments: run only the tests so named (and refuse a name with no file)
ONLY=" $* "
for _t in "$@"; do
	if [ ! -f "tests/vcan/t/$_t.sh" ]; then
		echo "run.sh: no test $_t (tests/vcan/t/$_t.sh)" >&2
		exit 2
	fi
done

# cangw_clear: delete the kernel's can-gw jobs between test interfaces
# (vcan0-3, the vx* vxcan pairs); `cangw -L` prints each job as the -A
# command that made it, so the same line with -D removes it
cangw_clear() {
	cangw -L 2>/dev/null | sed -n 's/^cangw -A \(.*-s \(vcan[0-3]\|vx[a-z]*\) .*-d \(vcan[0-3]\|vx[a-z]*\) [^#]*\).*/\1/p' |
		while read -r _job; do
			# shellcheck disable=SC2086
			cangw -D $_job >/dev/null 2>&1
		done
}

run() {
	name=$1
	[ "$ONLY" != "  " ] && [ "${ONLY#* "$name" }" = "$ONLY" ] && return
	dir="$WORK/$name"
	mkdir -p "$dir"
	start=$(date +%s)
	# not inside 'if' or '&&': bash ignores set -e in such contexts, and
	# then only a test's last command could fail it.  The test runs as a
	# job of its own (set -m), so everything it starts shares its process
	# group, and the cleanup below signals that group only: a native run
	# never touches the user's own canrigd, candump or simulator.
	set -m
	(
		cd "$dir" || exit 1
		set -e
		"t_$name"
	) </dev/null >"$dir/out" 2>&1 &
	tpg=$!
	set +m
	wait "$tpg"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $name ($(($(date +%s) - start))s)"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL $name"
		sed 's/^/    /' "$dir/out" | tail -30
		# a daemon still alive says where it is stuck (per thread)
		for g in $(pgrep -g "$tpg" -x canrigd); do
			for t in /proc/$g/task/*; do
				echo "    canrigd $g thread ${t##*/}: $(cut -d' ' -f3 $t/stat) in $(cat $t/wchan 2>/dev/null)," \
					$(grep -E '^(SigPnd|ShdPnd|SigBlk)' $t/status)
			done
		done
	fi
	# what the test left running must not route, capture or answer in the
	# next test: TERM first (canrigd removes its can-gw jobs), then KILL
	if pgrep -g "$tpg" >/dev/null; then
		kill -TERM -- -"$tpg" 2>/dev/null
		for _i in 1 2 3 4 5 6 7 8 9 10; do
			pgrep -g "$tpg" >/dev/null || break
			sleep 0.1
		done
		kill -KILL -- -"$tpg" 2>/dev/null
	fi
	# a killed canrigd leaves its can-gw jobs in the kernel: remove those
	# on the test interfaces only, not every job of the host
	cangw_clear
	return 0
}

# settings the tests share
# --- UDS: canrig diag against canrig ecu-sim, and the kernel's ISO-TP
SIMCFG=$DATA/ecu-sim/three-ecus.yaml
SEEDKEY=$(dirname "$CANRIG")/seedkey_example.so
# the engine ECU's level 1: key = seed XOR 12345678
KEY1='printf "%08X" $((0x{seed} ^ 0x12345678))'
# --- the gateway, canrigd
CANRIGD=$(dirname "$CANRIG")/canrigd
UX_FRAMES="0C0#0C804000 3B4#01 1A0##1030405060708090A0B0C0D0E0F101112
	18FEF100#FF0500FFFFFFFF00 0C0#0D704100 123#R 12345678#11 123##3AABB
	20000080#0000000000000000 0C0#0C80"
for f in tests/vcan/t/*.sh; do
	. "$f"
done
for f in tests/vcan/t/*.sh; do
	n=${f##*/}
	run "${n%.sh}"
done

echo "vcan: $pass passed, $fail failed${failed:+ (failed:$failed)}"
echo "$pass passed, $fail failed"
# the totals also go to a file when asked (run-all.sh): from the guest the
# output above crosses a serial port, which a loaded host can garble
if [ -n "${CANRIG_VCAN_RESULT:-}" ]; then
	echo "$pass passed, $fail failed${failed:+ (failed:$failed)}" >"$CANRIG_VCAN_RESULT"
fi
[ "$fail" -eq 0 ]
