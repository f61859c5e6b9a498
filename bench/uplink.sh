#!/bin/bash
# uplink.sh - benches 19-22 (issue 24): canrig uplink against a real
# mosquitto started here on loopback, a mosquitto_sub as the backend, and
# a busy bus: 125 messages of 8 signals (1,000 signals) sent at
# CANRIG_BENCH_UPL_RATE (8,000) frames/s by canrig replay --rate.
#  19. CPU per frame of the uplink (every frame of every message collected,
#      published at QoS 1 through its spool on tmpfs) against
#      `canrig dump -d x.dbc --json > /dev/null` listening to the same
#      traffic in the same run (the decode alone); target <= 1.5x.
#  20. the uplink's resident memory (VmRSS, VmHWM) at steady state, after
#      bench 19's traffic; again at the end (after 21's drain); target <= 16 MB.
#  21. the broker stopped, the same traffic (twice as fast) until the 16 MB spool is full
#      (it drops its oldest segment), then the broker started: time until
#      the subscriber has the last spooled sample.
#  22. the broker stopped for 2 s while the bus stays busy, then started:
#      time until the uplink is connected and until samples arrive again
#      (target <= 1 s).
# Times of arrival are mosquitto_sub's own (-F %U, the realtime clock);
# the uplink's stderr lines are stamped on arrival by a perl filter.
# Figures only, no pass/fail on timing.  Runs where vcan exists (natively
# as root, or inside tests/vm/run-in-guest.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
CANRIG=${CANRIG:-$PWD/build/canrig}
RATE=${CANRIG_BENCH_UPL_RATE:-8000}
SECS=${CANRIG_BENCH_UPL_SECS:-3}
# bench 21 fills the spool faster: what the uplink cannot take the kernel drops
FILL=${CANRIG_BENCH_UPL_FILL_RATE:-$((2 * RATE))}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
mkdir -p /dev/shm
mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm
W=$(mktemp -d /dev/shm/uplink.XXXXXX)
# shellcheck source=SCRIPTDIR/proc_cpu.sh
. bench/proc_cpu.sh
ip link set lo up 2>/dev/null || true
# what is still running of what this script started (its jobs) is stopped
cleanup() {
	local p
	for p in $(jobs -p); do
		kill -TERM "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"

N=$((RATE * SECS))
VEH=WVWZZZ1JZXW000001

# the DBC: 125 messages 0x100..0x17C, eight scaled 8-bit signals each, one
# with a choice table; and Sync (29-bit 0x1FFFFFFE) for the markers
awk 'BEGIN {
	print "VERSION \"\"\n\nBU_: N\n"
	for (m = 0; m < 125; m++) {
		printf "BO_ %d M%03X: 8 N\n", 256 + m, 256 + m
		for (s = 0; s < 8; s++)
			printf " SG_ S%d : %d|8@1+ (0.5,-20) [-20|107.5] \"u\" N\n", s, s * 8
		printf "\n"
	}
	print "BO_ 2684354558 Sync: 3 N"
	print " SG_ A : 0|8@1+ (1,0) [0|0] \"\" N"
	print " SG_ B : 8|8@1+ (1,0) [0|0] \"\" N"
	print " SG_ C : 16|8@1+ (1,0) [0|0] \"\" N\n"
	for (m = 0; m < 125; m++)
		printf "VAL_ %d S0 0 \"Off\" 1 \"On\" ;\n", 256 + m
}' >x.dbc
# the traffic: the 125 ids in turn, random data (fixed seed)
awk -v n="$N" -v r="$RATE" 'BEGIN {
	srand(24)
	for (i = 0; i < n; i++) {
		printf "(%.6f) vcan0 %03X#", i / r, 256 + i % 125
		for (b = 0; b < 8; b++)
			printf "%02X", int(rand() * 256)
		printf "\n"
	}
}' >traffic.log

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >broker.conf <<EOF
listener $port 127.0.0.1
allow_anonymous true
persistence true
persistence_location $W/
max_queued_messages 1000000
user root
EOF
{
	echo "vehicle: $VEH"
	echo "broker: {host: 127.0.0.1, port: $port}"
	echo "topic: fleet/{vehicle}/signals"
	echo "dbc: x.dbc"
	echo "interfaces: [vcan0]"
	echo "collect:"
	awk 'BEGIN { for (m = 0; m < 125; m++) printf "  - {message: M%03X}\n", 256 + m }'
	echo "  - {message: Sync}"
	echo "batch: {max_ms: 1000, max_bytes: 65536}"
	echo "spool: {dir: spool, max_mb: 16}"
} >up.yaml
"$CANRIG" uplink -n -c up.yaml

BROKER=
broker_up() { mosquitto_pub -h 127.0.0.1 -p "$port" -t canrig/probe -m x 2>/dev/null; }
broker_start() { # sets T0: the realtime just before the broker starts
	T0=$EPOCHREALTIME
	"$MOSQUITTO" -c broker.conf >>broker.log 2>&1 &
	BROKER=$!
}
broker_stop() {
	kill -TERM "$BROKER"
	wait "$BROKER" 2>/dev/null || true
}
# the backend: a persistent session (-c), so what the broker takes while
# the subscriber is away is kept for it; each message's first line starts
# with its arrival time
SUB=
sub_start() {
	mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -c -i canrig-bench-sub \
		-t "fleet/$VEH/signals" -F '%U %p' >>"$1" 2>>sub.err &
	SUB=$!
}
sub_stop() { # it may have gone already when the broker went
	kill -TERM "$SUB" 2>/dev/null || true
	wait "$SUB" 2>/dev/null || true
}
has() { grep -qE -- "$2" "$1" 2>/dev/null; }
# spooled RE: the newest segment has RE (the glob at each call)
spooled() { grep -qE -- "$1" "$(find spool -name '*.seg' | sort | tail -1)" 2>/dev/null; }
poll() { # WHAT CMD...: every 50 ms until CMD succeeds, at most 300 s of wall time
	local what=$1 end=$((SECONDS + 300))
	shift
	until "$@"; do
		if [ "$SECONDS" -gt "$end" ]; then
			echo "uplink.sh: $what never happened" >&2
			return 1
		fi
		sleep 0.05
	done
}
# until_marker K CMD...: send marker K every second until CMD succeeds
# (a busy socket's queue may drop one), at most 300 s
until_marker() {
	local k=$1 end=$((SECONDS + 300))
	shift
	until "$@"; do
		if [ "$SECONDS" -gt "$end" ]; then
			echo "uplink.sh: marker $k never got through" >&2
			return 1
		fi
		marker "$k"
		sleep 1
	done
}
settled() { # PID: its CPU time did not move for half a second
	local a b
	a=$(cpu_of "$1")
	sleep 0.5
	b=$(cpu_of "$1")
	[ "$a" = "$b" ]
}
mem_of() { # "VmRSS X kB, VmHWM Y kB" of PID
	awk '/^VmRSS|^VmHWM/ { v[$1] = $2 } END { printf "VmRSS %d kB, VmHWM %d kB", v["VmRSS:"], v["VmHWM:"] }' \
		"/proc/$1/status"
}
# arrivals FILE [T0] [C]: what the subscriber got (parse.py below); with C,
# when the marker whose Sync sample has that C arrived
arrivals() { /usr/bin/python3 parse.py "$@"; }
cat >parse.py <<'EOF'
import json, re, sys
path = sys.argv[1]
t0 = float(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else None
marker = sys.argv[3] if len(sys.argv) > 3 else None
start = re.compile(r'^(\d+\.\d+) (\{.*)$')
msgs = samples = nbytes = syncs = 0
first = at = live = None
for line in open(path, errors="replace"):
    line = line.rstrip("\n")
    m = start.match(line)
    if m:
        at = float(m.group(1))
        line = m.group(2)
        msgs += 1
        if first is None:
            first = at
    if not line.startswith("{"):
        continue
    samples += 1
    nbytes += len(line) + 1
    s = json.loads(line)
    syncs += s["msg"] == "Sync"
    if t0 is not None and live is None and s["t"] >= t0:
        live = at
    if marker and s["msg"] == "Sync" and s["sig"].get("C") == int(marker):
        print("marker_at=%.6f" % at)
print("msgs=%d samples=%d bytes=%d" % (msgs, samples, nbytes))
print("syncs=%d" % syncs)
if first is not None:
    print("first_at=%.6f" % first)
if live is not None:
    print("live_at=%.6f" % live)
EOF
# val KEY: the value of KEY=... in the last arrivals output
val() { sed -n "s/^$1=//p" arr.txt; }
# stamped TEXT: the time of the first line of upl.err after T0 containing TEXT
stamped() { awk -v t0="$T0" -v s="$1" 'index($0, s) && $1 >= t0 { print $1; exit }' upl.err; }
since() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "?"; else printf "%.3f", a - b }'; }

marker() { cansend vcan0 "1FFFFFFE#454E3$1"; } # the Sync sample with C = 48 + $1

echo "== bench 19-22 (issue 24): canrig uplink to a local mosquitto, $RATE frames/s of 125 messages x 8 signals (1,000 signals)"
broker_start
poll "mosquitto listening on $port" broker_up
sub_start sub1.out
"$CANRIG" dump --stats -d x.dbc --json vcan0 >/dev/null 2>dump.err &
PD=$!
poll "canrig dump bound to vcan0" grep -qE '^ +vcan0 ' /proc/net/can/rcvlist_all
"$CANRIG" uplink -c up.yaml >/dev/null 2> >(perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%.6f %s", time, $_' >upl.err) &
PU=$!
# ready: a sync frame went through uplink, broker and subscriber
nsync=0
for _ in $(seq 1500); do
	has sub1.out 5359 && break
	cansend vcan0 1FFFFFFE#5359
	nsync=$((nsync + 1))
	sleep 0.2
done
has sub1.out 5359
sleep 1 # what the first sync frames started is over
u0=$(cpu_of $PU)
d0=$(cpu_of $PD)
b0=$(cpu_of $BROKER)
q0=$(cpu_of $SUB)
t=$EPOCHREALTIME
"$CANRIG" replay --rate "$RATE" traffic.log
t=$(since "$EPOCHREALTIME" "$t")
marker 1
poll "the subscriber got the end marker" has sub1.out '"C":49\}'
for _ in $(seq 120); do settled $PU && settled $PD && break; done
u1=$(cpu_of $PU)
d1=$(cpu_of $PD)
b1=$(cpu_of $BROKER)
q1=$(cpu_of $SUB)
mem1=$(mem_of $PU)
memd=$(mem_of $PD)
arrivals sub1.out >arr.txt
read -r s1m s1s s1b < <(sed -n 's/^msgs=\([0-9]*\) samples=\([0-9]*\) bytes=\([0-9]*\)/\1 \2 \3/p' arr.txt)
kill -INT $PD
wait $PD 2>/dev/null || true
# frames of the traffic each one took in: the uplink's are the samples
# that arrived (every frame is collected), the dump's its received count,
# both without the sync and marker frames
fu=$((s1s - $(val syncs)))
fd=$(($(sed -n 's/.* \([0-9]*\) frames* received.*/\1/p' dump.err | tail -1) - nsync - 1))
echo "bench 19: $N frames sent in $t s; the uplink took $fu (its samples at the subscriber), the dump $fd"
echo "bench 19: anchor: $(tail -1 dump.err)"
drops=$(grep -c 'dropped by the kernel' upl.err || true)
[ "$drops" -eq 0 ] || echo "bench 19: the uplink reported kernel drops: $(grep 'dropped by the kernel' upl.err | tail -1 | cut -d' ' -f2-)"
awk -v u="$(since "$u1" "$u0")" -v d="$(since "$d1" "$d0")" -v fu="$fu" -v fd="$fd" -v s="$s1s" -v b="$s1b" -v m="$s1m" -v t="$t" -v n="$N" 'BEGIN {
	printf "bench 19: dump -d x.dbc --json > /dev/null (anchor) %.2f s cpu, %.2f us/frame; uplink %.2f s cpu, %.2f us/frame\n",
		d, d * 1e6 / fd, u, u * 1e6 / fu
	printf "bench 19: uplink/decode cpu per frame = %.2f (target <= 1.5)\n", (u / fu) / (d / fd)
	printf "bench 19: %.0f bytes per sample, %.0f samples (%.1f kB) per MQTT message; %.1f messages/s, %.0f kB/s of payload at %.0f frames/s\n",
		b / s, s / m, b / m / 1024, m / t, b / t / 1024, n / t }'
echo "bench 19: for information, on the same CPUs: mosquitto $(since "$b1" "$b0") s cpu, mosquitto_sub $(since "$q1" "$q0") s"
echo "bench 20: uplink at steady state: $mem1 (target <= 16 MB); dump -d --json: $memd"

echo
T0=$EPOCHREALTIME
broker_stop
sub_stop
t=$EPOCHREALTIME
"$CANRIG" replay --rate "$FILL" -l i traffic.log &
PR=$!
poll "the spool full" has upl.err 'spool full: dropped'
kill -TERM $PR
wait $PR 2>/dev/null || true
t=$(since "$EPOCHREALTIME" "$t")
# the marker's batch is on disk (max_ms 1 s)
until_marker 2 spooled '"C":50\}'
bytes=$(cat spool/*.seg | wc -c)
segs=$(ls spool/*.seg | wc -l)
ndrop=$(grep -c 'spool full: dropped' upl.err)
broker_start
sub_start sub3.out
n2=$(cat spool/*.seg | grep -ao '"C":50}' | wc -l)
got2() { [ "$(grep -ao '"C":50}' sub3.out | wc -l)" -ge "$n2" ]; }
poll "the subscriber got the last spooled sample" got2
arrivals sub3.out "" 50 >arr.txt
tc=$(stamped 'connected')
read -r s3m s3s s3b < <(sed -n 's/^msgs=\([0-9]*\) samples=\([0-9]*\) bytes=\([0-9]*\)/\1 \2 \3/p' arr.txt)
tl=$(val marker_at | tail -1)
echo "bench 21: broker down, $t s of traffic at $FILL frames/s filled the 16 MB spool: $bytes bytes in $segs segments, $ndrop segment(s) dropped for space"
echo "bench 21: broker started; uplink connected after $(since "$tc" "$T0") s; the subscriber had the last spooled sample after $(since "$tl" "$T0") s"
awk -v d="$(since "$tl" "$tc")" -v b="$s3b" -v s="$s3s" -v m="$s3m" 'BEGIN {
	printf "bench 21: drain from connect to the last sample %.3f s: %d samples, %d bytes in %d messages, %.1f MB/s\n",
		d, s, b, m, d > 0 ? b / d / 1e6 : 0 }'
mem3=$(mem_of $PU)

echo
"$CANRIG" replay --rate "$RATE" -l i traffic.log &
PR=$!
sleep 1
broker_stop
sub_stop
sleep 2
broker_start
sub_start sub4.out
poll "samples flowing again" has sub4.out '^[0-9]+\.[0-9]+ \{'
tr=$EPOCHREALTIME
poll "live samples (frames after the restart) arriving" awk -v t0="$T0" -F'"t":' '$2 + 0 >= t0 { f = 1; exit } END { exit !f }' sub4.out
kill -TERM $PR
wait $PR 2>/dev/null || true
until_marker 3 has sub4.out '"C":51\}'
arrivals sub4.out "$T0" >arr.txt
tc=$(stamped 'connected')
echo "bench 22: broker stopped for 2 s at $RATE frames/s, then started: uplink connected after $(since "$tc" "$T0") s,"
echo "bench 22: first samples at the subscriber after $(since "$(val first_at)" "$T0") s (target <= 1 s), the first sample of a frame received after the restart after $(since "$(val live_at)" "$T0") s"
echo "bench 22: (the subscriber is started with the broker: its own connect is in these times; polled by the script at $(since "$tr" "$T0") s)"

kill -INT $PU
wait $PU 2>/dev/null || true
# the stamping filter writes it after the uplink's exit
poll "the uplink's stop line" has upl.err 'acknowledged'
echo "bench 20: uplink at the end, after the 16 MB drain: $mem3"
echo "uplink: $(grep 'frames, ' upl.err | tail -1 | cut -d' ' -f2-)"
