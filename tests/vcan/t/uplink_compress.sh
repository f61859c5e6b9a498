# uplink_compress.sh - vcan test, run by tests/vcan/run.sh (lib.sh and the
# upl_* helpers of uplink_basic.sh are sourced).

# batch: {compress: deflate} through a real broker (Debian's mosquitto) to
# real subscribers (mosquitto_sub printing topic, content type and the
# payload in hex): on MQTT 5 each batch arrives with the content type
# application/x-ndjson+deflate, on 3.1.1 on the topic with /deflate
# appended; each payload is one zlib stream that python3's zlib inflates,
# and the samples inflated are those canrig dbc decode --json makes of
# candump's capture of the same traffic.

# upz_json SUB OUT: SUB's lines (topic|content type|hex) inflated into OUT;
# fails on a payload announced as what it is not; the number of deflated
# ones goes to OUT.n
upz_json() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys, zlib
out, n = [], 0
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line:
        continue
    topic, ctype, hexdata = line.split("|")
    data = bytes.fromhex(hexdata)
    deflated = topic.endswith("/deflate") or ctype == "application/x-ndjson+deflate"
    if ctype not in ("", "application/x-ndjson", "application/x-ndjson+deflate"):
        sys.exit("unexpected content type %r" % ctype)
    if ctype and topic.endswith("/deflate"):
        sys.exit("MQTT 5 announces by content type, not by topic: %s" % topic)
    if deflated:
        if data[:1] != b"\x78":
            sys.exit("announced deflate but no zlib header: %s" % hexdata[:16])
        data = zlib.decompress(data)
        n += 1
    elif data[:1] != b"{":
        sys.exit("announced JSON but is not: %s" % hexdata[:16])
    out.append(data.decode())
open(sys.argv[2], "w").write("".join(out))
open(sys.argv[2] + ".n", "w").write("%d\n" % n)
PY
}

upz_both_have() {
	upz_json sub5.out got5 && upz_json sub4.out got4 &&
		grep -q "$1" got5 && grep -q "$1" got4
}

upz_ready() {
	grep -q 5359 cd.log 2>/dev/null && upz_both_have '"data":"5359"'
}

t_uplink_compress() {
	local v n=0
	upl_demo_dbc
	UPL_PORT=$(upl_port)
	printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser root\n' "$UPL_PORT" >broker.conf
	for v in 5 4; do
		{
			echo "vehicle: V$v"
			echo "broker: {host: 127.0.0.1, port: $UPL_PORT, keepalive: 5," \
				"protocol: \"$([ "$v" = 5 ] && echo 5 || echo 3.1.1)\"}"
			echo "topic: fleet/{vehicle}/signals"
			echo "dbc: vcan.dbc"
			echo "interfaces: [vcan0]"
			echo "collect:"
			echo "  - {message: EngineData}"
			echo "  - {message: DoorStatus}"
			echo "  - {message: Sync}"
			echo "batch: {max_ms: 50, compress: deflate}"
			echo "spool: {dir: spool$v, max_mb: 1}"
		} >uplink$v.yaml
		"$CANRIG" uplink -n -c uplink$v.yaml
	done
	upl_broker_start
	mosquitto_sub -h 127.0.0.1 -p "$UPL_PORT" -V 5 -q 1 -F '%t|%C|%x' \
		-t 'fleet/V5/signals/#' >sub5.out 2>sub5.err &
	mosquitto_sub -h 127.0.0.1 -p "$UPL_PORT" -V 311 -q 1 -F '%t|%C|%x' \
		-t 'fleet/V4/signals/#' >sub4.out 2>sub4.err &
	candump -L -r 8388608 vcan0 >cd.log &
	"$CANRIG" uplink -c uplink5.yaml >upl5.out 2>upl5.err &
	UPL5=$!
	"$CANRIG" uplink -c uplink4.yaml >upl4.out 2>upl4.err &
	UPL4=$!
	# ready when a sync frame went all the way through both
	until upz_ready; do
		n=$((n + 1))
		if [ "$n" -gt $((WAIT_SECS * 5)) ]; then
			echo "the subscribers never got a sync sample" >&2
			return 1
		fi
		cansend vcan0 "$SYNC"
		sleep 0.2
	done

	upl_frames 20
	upl_end 1
	poll "the end marker never arrived inflated on both" upz_both_have '"C":49\}'
	"$CANRIG" dbc decode --json vcan.dbc cd.log >dec.json
	upl_samples dec.json | sort -u >want
	[ "$(wc -l <want)" -ge 40 ]
	for v in 5 4; do
		upl_samples got$v | sort -u >got$v.u
		if ! cmp -s want got$v.u; then
			echo "--- MQTT $v: inflated samples differ from candump's decoded capture:" >&2
			diff want got$v.u | head -10 >&2
			return 1
		fi
		# the bursts' batches were deflated (a lone small sample may not be)
		[ "$(cat got$v.n)" -ge 1 ]
	done
	grep -q '^fleet/V5/signals|application/x-ndjson+deflate|78' sub5.out
	grep -q '^fleet/V4/signals/deflate||78' sub4.out

	stop "$UPL5" "$UPL4"
	grep -q 'acknowledged' upl5.err
	grep -q 'deflate: [0-9]* bytes of JSON in [0-9]*$' upl4.err
	upl_broker_stop
}
