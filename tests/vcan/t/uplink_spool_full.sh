# uplink_spool_full.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# canrig uplink's spool filling up against a real broker (issue 24): the
# broker is stopped and numbered samples (message Seq, a 32-bit Count,
# about 1.1 kB of JSON each) flow until the 1 MB spool overflows.  While
# they flow the spool never holds more than max_mb plus one segment; each
# dropped segment is said on stderr and the drops are counted in the stop
# line; once the broker is back, what arrives is exactly the newest
# samples, Count k..N in order, nothing missing inside them.
# Uses upl_port, upl_broker_start and upl_broker_stop of uplink_basic.sh.

# upl_seq_dbc: Seq (0x200: Count, then 32 one-bit flags with long names,
# so a sample is large) and Sync (the markers, as in uplink_basic)
upl_seq_dbc() {
	/usr/bin/python3 - <<'EOF'
print('VERSION ""\n\nBU_: N\n')
print('BO_ 512 Seq: 8 N')
print(' SG_ Count : 0|32@1+ (1,0) [0|4294967295] "" N')
for i in range(32):
    print(' SG_ DoorLockStatusFrontLeft_%02d : %d|1@1+ (1,0) [0|1] "" N' % (i, 32 + i))
print()
print('BO_ 2684354558 Sync: 3 N')
for n, b in (('A', 0), ('B', 8), ('C', 16)):
    print(' SG_ %s : %d|8@1+ (1,0) [0|0] "" N' % (n, b))
EOF
}

# upl_seq_log FROM TO: a candump log of Seq frames with Count FROM..TO
upl_seq_log() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = a; i <= b; i++)
			printf "(%d.%06d) vcan0 200#%02X%02X%02X%02X%08X\n", i / 1000, (i % 1000) * 1000,
				i % 256, int(i / 256) % 256, int(i / 65536) % 256, int(i / 16777216),
				(i * 2654435761) % 4294967296
	}'
}

# upl_seq_cfg MAX_BYTES: the uplink's file, spool of 1 MB in ./spool
upl_seq_cfg() {
	cat >broker.conf <<EOF
listener $UPL_PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $PWD/
max_queued_messages 100000
user root
EOF
	cat >uplink.yaml <<EOF
vehicle: WVWZZZ1JZXW000001
broker: {host: 127.0.0.1, port: $UPL_PORT, keepalive: 5}
topic: fleet/{vehicle}/signals
dbc: seq.dbc
interfaces: [vcan0]
collect:
  - {message: Seq}
  - {message: Sync}
batch: {max_ms: 50, max_bytes: $1}
spool: {dir: spool, max_mb: 1}
EOF
}

# upl_seq_start: broker, a persistent subscriber and the uplink, all
# ready (a sync frame went the whole way)
upl_seq_start() {
	upl_broker_start
	mosquitto_sub -h 127.0.0.1 -p "$UPL_PORT" -q 1 -c -i canrig-test-sub \
		-t 'fleet/WVWZZZ1JZXW000001/signals' >sub.out 2>sub.err &
	"$CANRIG" uplink -c uplink.yaml >upl.out 2>upl.err &
	UPL=$!
	sync_listeners vcan0 sub.out
}

# the Count of every Seq sample of FILE (JSON lines), one a line, in order
upl_counts() {
	sed -n 's/^{.*"msg":"Seq","sig":{"Count":\([0-9]*\),.*/\1/p' "$1"
}

# upl_marker_spooled K: end marker K (upl_end K) is in a segment (the
# glob is expanded at each call: segments come and go)
upl_marker_spooled() {
	grep -q '"C":'$((48 + $1))'}' spool/*.seg 2>/dev/null
}

# the bytes of the spool's segments now (a file may go while we look:
# stat skips it)
upl_seg_bytes() {
	stat -c %s spool/*.seg 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'
}

t_uplink_spool_full() {
	local n=2500 max=0 b k rp said counted
	upl_seq_dbc >seq.dbc
	UPL_PORT=$(upl_port)
	upl_seq_cfg 16384
	upl_seq_start
	upl_broker_stop

	# the flood, watched: the largest spool seen while it runs
	upl_seq_log 1 $n >seq.log
	"$CANRIG" replay --rate 500 seq.log &
	rp=$!
	while ! gone $rp; do
		b=$(upl_seg_bytes)
		[ "$b" -gt "$max" ] && max=$b
		sleep 0.05
	done
	wait $rp
	upl_end 1
	poll "the end marker never reached the spool" upl_marker_spooled 1
	b=$(upl_seg_bytes)
	[ "$b" -gt "$max" ] && max=$b
	echo "largest spool seen: $max bytes, now $b in $(find spool -name "*.seg" | wc -l) segments"
	# max_mb (1 MiB) plus one segment (max_bytes / 16, at least 64 KiB)
	[ "$max" -le $((1048576 + 65536)) ]
	# and it did fill: at least 1 MiB minus a segment and a record
	[ "$b" -ge $((1048576 - 65536 - 16384)) ]
	grep -q 'spool full: dropped' upl.err
	absent 'dropped by the kernel' upl.err

	upl_broker_start
	wait_for sub.out '"C":49\}'
	stop "$UPL"
	cat upl.err
	# the stop line counts the records the drop lines name
	said=$(sed -n 's/.*spool full: dropped .*, \([0-9]*\) records not acknowledged).*/\1/p' upl.err |
		awk '{ n += $1 } END { print n + 0 }')
	counted=$(sed -n 's/.*, \([0-9]*\) dropped for space$/\1/p' upl.err)
	echo "records dropped: $said said, $counted counted"
	[ "$said" -gt 0 ]
	[ "$said" = "$counted" ]

	# exactly the newest samples, in order: k..n, k > 1
	upl_counts sub.out >got
	k=$(head -1 got)
	echo "arrived: Count $k..$(tail -1 got), $(wc -l <got) samples"
	[ "$k" -gt 1 ]
	seq "$k" $n >want
	if ! cmp -s want got; then
		echo "--- not exactly Count $k..$n in order:" >&2
		diff want got | head -10 >&2
		return 1
	fi
	upl_broker_stop
}
