# uplink_spool_torn.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# A damaged spool against a real broker (issue 24): numbered samples are
# spooled while the broker is down, the uplink is killed (-9), then one
# record in the middle of the oldest segment is corrupted (dd, one byte of
# its payload) and the newest segment's last record is torn (cut in half,
# as a power cut leaves it).  After a restart with the broker up each is
# skipped with a message, and every other spooled sample arrives, in
# order, exactly once.  Uses the helpers of uplink_basic.sh and
# uplink_spool_full.sh.

# upl_marker_until K: send end marker K until the subscriber has it (the
# uplink may not listen yet when the first goes)
upl_marker_until() {
	local _
	for _ in $(seq 1 $((WAIT_SECS * 2))); do
		upl_end "$1"
		grep -q '"C":'$((48 + $1))'}' sub.out && return 0
		sleep 0.5
	done
	echo "marker $1 never arrived" >&2
	return 1
}

t_uplink_spool_torn() {
	local path off size
	upl_seq_dbc >seq.dbc
	UPL_PORT=$(upl_port)
	upl_seq_cfg 4096
	upl_seq_start
	upl_broker_stop
	upl_seq_log 1 300 >seq.log
	"$CANRIG" replay --rate 500 seq.log
	upl_end 1
	poll "the end marker never reached the spool" upl_marker_spooled 1
	kill -KILL "$UPL"
	wait "$UPL" 2>/dev/null || true

	# the records as written (the documented format: magic "UPLR", u32
	# length, u64 seq, u32 crc, payload); the victim has a record after
	# it in its segment, so that it is mid-segment, not a torn tail
	/usr/bin/python3 - >damage <<'EOF'
import glob, re, struct
recs = []
for p in sorted(glob.glob("spool/*.seg")):
    b = open(p, "rb").read()
    o = 0
    while o + 20 <= len(b):
        magic, n, seq, crc = struct.unpack_from("<IIQI", b, o)
        assert magic == 0x524C5055, (p, o)
        pay = b[o + 20:o + 20 + n]
        counts = [int(c) for c in re.findall(rb'"msg":"Seq","sig":\{"Count":(\d+)', pay)]
        recs.append((p, o, n, counts))
        o += 20 + n
    assert o == len(b), p
mid = [i for i in range(len(recs) - 1) if recs[i][3] and recs[i + 1][0] == recs[i][0]]
assert len(mid) >= 3 and len(recs) >= 4, "too few records"
v = mid[0] if recs[mid[0]][0] != recs[-1][0] else None
assert v is not None and v != len(recs) - 1, "the oldest segment is the newest"
v = [i for i in mid if recs[i][0] == recs[v][0]]
v = v[len(v) // 2]
p, o, n, c = recs[v]
print("corrupt %s %d" % (p, o + 20 + n // 2))
p, o, n, c = recs[-1]
print("tear %s %d" % (p, o + 20 + n // 2))
with open("want", "w") as f:
    for i, r in enumerate(recs):
        if i not in (v, len(recs) - 1):
            f.writelines("%d\n" % x for x in r[3])
with open("lost", "w") as f:
    f.write("%d samples in the corrupt record, %d in the torn one, of %d records\n"
            % (len(recs[v][3]), len(recs[-1][3]), len(recs)))
EOF
	cat damage lost
	read -r _ path off <<<"$(grep '^corrupt' damage)"
	printf '#' | dd of="$path" bs=1 seek="$off" conv=notrunc status=none
	read -r _ path size <<<"$(grep '^tear' damage)"
	truncate -s "$size" "$path"

	upl_broker_start
	"$CANRIG" uplink -c uplink.yaml >>upl.out 2>upl2.err &
	UPL=$!
	upl_marker_until 2
	stop "$UPL"
	cat upl2.err
	has upl2.err 'corrupt record at offset'
	has upl2.err 'torn record at offset'
	upl_counts sub.out >got
	echo "arrived: $(wc -l <got) of the $(wc -l <want) samples not damaged"
	if ! cmp -s want got; then
		echo "--- the undamaged samples did not arrive exactly, in order:" >&2
		diff want got | head -10 >&2
		return 1
	fi
	upl_broker_stop
}
