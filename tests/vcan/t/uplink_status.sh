# uplink_status.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# canrig uplink --status against a real broker (Debian's mosquitto) and
# subscriber, with uplink_basic.sh's helpers (upl_port, upl_broker_*,
# upl_frames, upl_end): the counters move with the frames and agree with
# what mosquitto_sub received; with the broker stopped it says
# disconnected, with the error, and counts what waits in the spool; a
# second uplink on the same spool is refused with the first one's pid;
# the socket's rights; a kill -9 leaves a lock and a socket that block
# nothing; with no uplink running, --status is one line and exit 1.

# ust_ok [-q] EXPR FILE...: EXPR (python) holds of the status objects in
# FILE..., named a, b, c... in that order; said on failure unless -q (a
# poll's condition fails quietly until its deadline)
ust_ok() {
	local q=0
	[ "$1" = -q ] && q=1 && shift
	$PY - "$q" "$@" <<'PY'
import json, sys
q, expr, files = sys.argv[1] == "1", sys.argv[2], sys.argv[3:]
env = {}
for i, f in enumerate(files):
    env[chr(ord("a") + i)] = json.load(open(f))
if not eval("(" + expr + ")", env):
    if not q:
        print("status check failed: %s on %s" % (expr, files), file=sys.stderr)
        for f in files:
            print("  %s: %s" % (f, open(f).read().strip()), file=sys.stderr)
    sys.exit(1)
PY
}

ust_status() { "$CANRIG" uplink --status --json --ctl "$UST_CTL" >"$1"; }

# samples the subscriber got (each on its own line)
ust_nsub() { grep -c '^{' sub.out || true; }

# everything collected is acknowledged and nothing waits: the status in st.json
ust_settled() {
	ust_status st.json &&
		ust_ok -q 'a["in_flight"] == 0 and a["spooled"] == 0 and
			   a["samples"] == a["acknowledged_samples"]' st.json
}

ust_down() {
	ust_status st.json &&
		ust_ok -q 'not a["connected"] and a["last_error"] is not None' st.json
}

# the outage's 11 samples (5 + 5 + the end marker) are in the spool
ust_spooled() {
	ust_status st.json &&
		ust_ok -q 'a["samples"] - b["samples"] == 11 and a["spooled"] >= 1 and
			   a["spooled_bytes"] > 0' st.json b.json
}

ust_as() { # UID WANT OUT: canrig uplink --status as UID, exit WANT
	local rc=0
	setpriv --reuid="$1" --regid="$1" --clear-groups "$CANRIG" uplink --status --ctl "$UST_CTL" \
		>"$3" 2>&1 || rc=$?
	[ "$rc" = "$2" ] || {
		echo "uid $1: exit $rc, wanted $2:" >&2
		cat "$3" >&2
		return 1
	}
}

t_uplink_status() {
	PY=/usr/bin/python3
	upl_demo_dbc
	upl_demo_cfg
	# the socket where others may reach it (for the rights below)
	UST_DIR=$(mktemp -d /dev/shm/canrig-uplctl.XXXXXX)
	chmod 755 "$UST_DIR"
	UST_CTL=$UST_DIR/ctl
	upl_broker_start
	mosquitto_sub -h 127.0.0.1 -p "$UPL_PORT" -q 1 -c -i canrig-status-sub \
		-t 'fleet/WVWZZZ1JZXW000001/signals' >sub.out 2>sub.err &
	"$CANRIG" uplink -c uplink.yaml --ctl "$UST_CTL" >upl.out 2>upl.err &
	UPL=$!
	sync_listeners vcan0 sub.out
	# every sync frame went before this marker: none comes later
	upl_end 0
	wait_for sub.out '"C":48\}'

	# 1: connected; the counters move with the frames and agree with the
	#    subscriber
	poll "the status never settled" ust_settled
	cp st.json a.json
	nsub_a=$(ust_nsub)
	ust_ok "a['connected'] and a['pid'] == $UPL and a['port'] == $UPL_PORT and
		a['last_error'] is None and a['last_error_at'] is None" a.json
	"$CANRIG" uplink --status --ctl "$UST_CTL" >a.txt
	grep -q "^broker 127.0.0.1:$UPL_PORT: connected since 20" a.txt
	frames_a=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["frames"])' a.json)
	grep -q "^collected: $frames_a frames" a.txt
	grep -qx 'last error: none' a.txt
	upl_frames 10
	upl_end 1
	wait_for sub.out '"C":49\}'
	poll "the status never settled after the frames" ust_settled
	cp st.json b.json
	nsub_b=$(ust_nsub)
	# 10 of each of four messages and the marker; 10 EngineData, 10
	# DoorStatus and the marker collected, published, acknowledged, received
	ust_ok 'all(b[k] - a[k] == n for k, n in (("frames", 41), ("samples", 21),
		("published_samples", 21), ("acknowledged_samples", 21))) and
		b["acknowledged"] - a["acknowledged"] == b["published"] - a["published"] >= 1' \
		a.json b.json
	[ "$((nsub_b - nsub_a))" = 21 ]

	# 2: the broker stopped: disconnected, with the error; what comes
	#    waits in the spool, and goes once it is back
	upl_broker_stop
	poll "the status never said disconnected" ust_down
	"$CANRIG" uplink --status --ctl "$UST_CTL" >d.txt
	grep -q "^broker 127.0.0.1:$UPL_PORT: disconnected since 20" d.txt
	grep -qE '^last error: .+ at 20[0-9-]+T' d.txt
	upl_frames 5
	upl_end 2
	poll "the outage's samples never showed as spooled" ust_spooled
	upl_broker_start
	wait_for sub.out '"C":50\}'
	poll "the status never settled after the outage" ust_settled
	cp st.json c.json
	# the error stays to be seen after the reconnect
	ust_ok 'b["connected"] and b["acknowledged_samples"] - a["acknowledged_samples"] == 11 and
		b["last_error"] is not None and b["last_error_at"] is not None' b.json c.json
	[ "$(($(ust_nsub) - nsub_b))" -ge 11 ]

	# 3: one uplink per spool: the second is refused, the first goes on
	rc=0
	"$CANRIG" uplink -c uplink.yaml >second.out 2>second.err || rc=$?
	[ "$rc" = 1 ]
	[ "$(wc -l <second.err)" = 1 ]
	grep -qx "canrig uplink: spool spool in use by pid $UPL (lock spool/lock)" second.err
	# and one on another spool never takes the first one's socket
	sed 's/dir: spool,/dir: spool2,/' uplink.yaml >other.yaml
	rc=0
	"$CANRIG" uplink -c other.yaml --ctl "$UST_CTL" >other.out 2>other.err || rc=$?
	[ "$rc" = 1 ]
	grep -qx "canrig uplink: control socket $UST_CTL: in use by a running process" other.err
	ust_status e.json
	ust_ok "a['pid'] == $UPL" e.json

	# 4: rights: the socket's mode keeps others out; with the mode
	#    loosened their credentials do; a member of the group may read
	[ "$(stat -c %a "$UST_CTL")" = 660 ]
	ust_as 65534 1 r1
	grep -q 'Permission denied' r1
	chmod 666 "$UST_CTL"
	ust_as 65534 1 r2
	grep -qx "canrig uplink: $UST_CTL: permission denied" r2
	grep -q "control: 'status' refused to uid 65534 pid" upl.err
	rc=0
	setpriv --reuid=65533 --regid=65533 --groups=0 "$CANRIG" uplink --status \
		--ctl "$UST_CTL" >r3 2>&1 || rc=$?
	[ "$rc" = 0 ] || {
		cat r3 >&2
		false
	}
	grep -q '^broker ' r3

	# 5: stopped, the socket goes: one line, exit 1
	stop "$UPL"
	[ ! -e "$UST_CTL" ]
	rc=0
	"$CANRIG" uplink --status --ctl "$UST_CTL" >n.out 2>n.err || rc=$?
	[ "$rc" = 1 ]
	[ ! -s n.out ]
	[ "$(wc -l <n.err)" = 1 ]
	grep -q "^canrig uplink: no uplink answers at $UST_CTL: " n.err

	# 6: a kill -9 leaves its lock and socket (default SPOOLDIR/ctl): they
	#    block nothing, and --status meanwhile is one line, exit 1
	"$CANRIG" uplink -c uplink.yaml >>upl.out 2>>upl.err &
	UPL=$!
	poll "no socket at spool/ctl" test -S spool/ctl
	kill -KILL "$UPL"
	wait "$UPL" 2>/dev/null || true
	[ -S spool/ctl ]
	rc=0
	"$CANRIG" uplink --status -c uplink.yaml >k.out 2>k.err || rc=$?
	[ "$rc" = 1 ]
	[ "$(wc -l <k.err)" = 1 ]
	grep -qx "canrig uplink: no uplink answers at spool/ctl: Connection refused" k.err
	"$CANRIG" uplink -c uplink.yaml >>upl.out 2>>upl.err &
	UPL=$!
	poll "the uplink never answered after the kill -9" "$CANRIG" uplink --status -c uplink.yaml
	"$CANRIG" uplink --status --json -c uplink.yaml >f.json
	ust_ok "a['pid'] == $UPL" f.json
	stop "$UPL"
	upl_broker_stop
	rm -rf "$UST_DIR"
}
