#!/bin/bash
# cli_uplink.sh - canrig uplink without a bus or a broker: -n on the
# issue's minimal file, FILE:LINE:COL errors with exit 2 for a wrong file,
# 1 for one that cannot be read.  Prints one PASS/FAIL line per check and
# "cli_uplink: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
SRC=$PWD

minimal_checks() {
	(cd "$SRC" && "$CANRIG" uplink -n -c tests/data/uplink.yaml) >out
	grep -qx 'tests/data/uplink.yaml: ok: 2 messages, 5 signals from 1 interface to 127.0.0.1:1883 topic fleet/WVWZZZ1JZXW000001/signals' out
}

bad_file_is_2() {
	sed 's/DoorStatus/DoorStatuz/' "$SRC/tests/data/uplink.yaml" |
		sed "s|tests/data/demo.dbc|$SRC/tests/data/demo.dbc|" >bad.yaml
	rc=0
	"$CANRIG" uplink -n -c bad.yaml 2>err || rc=$?
	[ "$rc" -eq 2 ]
	[ "$(wc -l <err)" -eq 1 ]
	grep -q "^canrig uplink: bad.yaml:8:15: no message 'DoorStatuz' in " err
	printf 'vehicle: v\nwhen: 1\n' >bad2.yaml
	rc=0
	"$CANRIG" uplink -n -c bad2.yaml 2>err || rc=$?
	[ "$rc" -eq 2 ]
	grep -q "^canrig uplink: bad2.yaml:2:1: unknown key 'when'" err
}

unreadable_is_1() {
	rc=0
	"$CANRIG" uplink -n -c "$WORK/none.yaml" 2>err || rc=$?
	[ "$rc" -eq 1 ]
	grep -q "^canrig uplink: .*none.yaml: No such file or directory" err
}

# every frame, all signals: byte for byte what dbc decode --json prints
# for the collected messages, on each log the DBCs decode
same_as_decode() {
	local dbc log
	for p in demo.dbc:demo.log demo.dbc:dbc-json.log test.dbc:mixed-fd.log; do
		dbc=$SRC/tests/data/${p%%:*} log=$SRC/tests/data/${p#*:}
		"$CANRIG" dbc decode --json "$dbc" "$log" >dec
		[ "$(grep -vc '"msg":null' dec)" -gt 0 ]
		$PY "$SRC/tests/uplink_expect.py" yaml dec all.yaml "$dbc" all
		"$CANRIG" uplink -c all.yaml --from-log "$log" >got
		grep -v '"msg":null' dec >want
		cmp want got
	done
}

# selected signals, every_ms and on_change: the samples the decoder's
# objects say there must be (tests/uplink_expect.py)
modes_as_decode() {
	local dbc log m
	for p in demo.dbc:demo.log test.dbc:mixed-fd.log; do
		dbc=$SRC/tests/data/${p%%:*} log=$SRC/tests/data/${p#*:}
		"$CANRIG" dbc decode --json "$dbc" "$log" >dec
		for m in select every_ms on_change; do
			$PY "$SRC/tests/uplink_expect.py" yaml dec $m.yaml "$dbc" $m
			$PY "$SRC/tests/uplink_expect.py" expect dec $m.yaml >want.$m
			[ -s want.$m ]
			"$CANRIG" uplink -c $m.yaml --from-log "$log" >got.$m
			$PY "$SRC/tests/uplink_expect.py" same want.$m got.$m
		done
		# demo.log repeats its messages: there the modes thin the stream
		[ "${p#*:}" = demo.log ] || continue
		[ "$(wc -l <got.every_ms)" -lt "$(grep -vc '"msg":null' dec)" ]
		[ "$(wc -l <got.on_change)" -lt "$(grep -vc '"msg":null' dec)" ]
	done
}

# when: with before_ms / after_ms: the samples tests/uplink_expect.py's own
# reading of the conditions and windows selects from the decoder's objects,
# in order, on a log made to hit the windows' bounds; the windows must
# matter on it (without them, fewer samples)
when_as_decode() {
	local dbc=$SRC/tests/data/demo.dbc log=when.log
	$PY "$SRC/tests/uplink_expect.py" when-log "$log"
	"$CANRIG" dbc decode --json "$dbc" "$log" >dec
	$PY "$SRC/tests/uplink_expect.py" when-yaml dec when.yaml "$dbc"
	grep -q 'before_ms: 100' when.yaml
	grep -q 'after_ms: 50' when.yaml
	grep -q '!(' when.yaml
	$PY "$SRC/tests/uplink_expect.py" when-expect dec when.yaml "$dbc" >want
	"$CANRIG" uplink -c when.yaml --from-log "$log" >got
	$PY "$SRC/tests/uplink_expect.py" same-order want got
	[ -s got ]
	[ "$(wc -l <got)" -lt "$(grep -vc '"msg":null' dec)" ]
	sed -e 's/, before_ms: [0-9]*//' -e 's/, after_ms: [0-9]*//' when.yaml >bare.yaml
	"$CANRIG" uplink -c bare.yaml --from-log "$log" >bare
	[ "$(wc -l <bare)" -lt "$(wc -l <got)" ]
}

# a bad condition: exit 2, one line, the column of the bad token
when_bad_is_2() {
	sed 's|{message: DoorStatus}|{message: DoorStatus, when: "DriverDoor == 1 \&\& Bogus > 1"}|' \
		"$SRC/tests/data/uplink.yaml" |
		sed "s|tests/data/demo.dbc|$SRC/tests/data/demo.dbc|" >bad.yaml
	grep -q Bogus bad.yaml
	rc=0
	"$CANRIG" uplink -n -c bad.yaml 2>err || rc=$?
	[ "$rc" -eq 2 ]
	[ "$(wc -l <err)" -eq 1 ]
	grep -q "^canrig uplink: bad.yaml:8:53: when: no signal 'Bogus' in the DBC" err
}

# batch: compress: deflate: --raw prints one zlib stream per batch, which
# python3's zlib inflates to exactly the JSON batches made without it;
# without --raw, --from-log prints that JSON
compress_payload() {
	local dbc=$SRC/tests/data/demo.dbc log=$SRC/tests/data/demo.log
	"$CANRIG" dbc decode --json "$dbc" "$log" >dec
	$PY "$SRC/tests/uplink_expect.py" yaml dec plain.yaml "$dbc" all
	cp plain.yaml z.yaml
	echo 'batch: {max_bytes: 1024}' >>plain.yaml
	echo 'batch: {max_bytes: 1024, compress: deflate}' >>z.yaml
	"$CANRIG" uplink -c plain.yaml --from-log "$log" >plain
	"$CANRIG" uplink -c z.yaml --from-log "$log" --raw >raw
	n=$($PY "$SRC/tests/uplink_expect.py" inflate raw inflated)
	[ "$n" -gt 1 ]
	cmp plain inflated
	[ "$(wc -c <raw)" -lt "$(($(wc -c <plain) / 2))" ]
	"$CANRIG" uplink -c z.yaml --from-log "$log" >json
	cmp plain json
	grep -vq '"msg":null' plain
	rc=0
	"$CANRIG" uplink -c z.yaml --raw 2>err || rc=$?
	[ "$rc" -eq 2 ]
}

usage_is_2() {
	rc=0
	"$CANRIG" uplink -n 2>err || rc=$?
	[ "$rc" -eq 2 ]
	grep -q "^canrig uplink: needs -c FILE.yaml" err
	rc=0
	"$CANRIG" uplink -c x extra 2>err || rc=$?
	[ "$rc" -eq 2 ]
}

# --status and its options: bad combinations are 2; nothing answering
# (no socket, or a dead one's) is one line and 1
status_checks() {
	local o
	sed -e "s|tests/data/demo.dbc|$SRC/tests/data/demo.dbc|" \
		-e "s|/tmp/canrig-uplink|$PWD/spool|" "$SRC/tests/data/uplink.yaml" >s.yaml
	for o in "--json -c s.yaml" "--status -n -c s.yaml" "--status" "--status --ctl ''" \
		"--status --from-log x.log -c s.yaml" "--ctl c --from-log x.log -c s.yaml"; do
		rc=0
		eval "\"\$CANRIG\" uplink $o" 2>err || rc=$?
		[ "$rc" -eq 2 ]
		grep -q "^canrig uplink: " err
	done
	rc=0
	"$CANRIG" uplink --status -c s.yaml >out 2>err || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s out ]
	[ "$(wc -l <err)" -eq 1 ]
	grep -qx "canrig uplink: no uplink answers at $PWD/spool/ctl: No such file or directory" err
	# a socket file whose process died
	mkdir -p spool
	$PY -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' spool/ctl
	rc=0
	"$CANRIG" uplink --status --json --ctl spool/ctl >out 2>err || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s out ]
	[ "$(wc -l <err)" -eq 1 ]
	grep -qx "canrig uplink: no uplink answers at spool/ctl: Connection refused" err
	"$CANRIG" uplink --help | grep -q -- '--ctl PATH'
}

# one uplink per spool: a held SPOOLDIR/lock refuses the second with the
# holder's pid, before anything in the spool is touched; a dead holder's
# lock refuses nothing
lock_refuses() {
	sed -e "s|tests/data/demo.dbc|$SRC/tests/data/demo.dbc|" \
		-e "s|/tmp/canrig-uplink|$PWD/spool|" "$SRC/tests/data/uplink.yaml" >s.yaml
	mkdir spool
	printf 'torn' >spool/0000000000000000.seg
	# the holder: one process that writes its pid and locks, as an uplink does
	$PY -c 'import fcntl, os, sys, time
f = open(sys.argv[1], "w")
f.write("%d\n" % os.getpid())
f.flush()
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(600)' spool/lock &
	holder=$!
	PIDS="$PIDS $holder"
	until ! flock -n spool/lock true; do sleep 0.05; done
	rc=0
	"$CANRIG" uplink -c s.yaml 2>err || rc=$?
	[ "$rc" -eq 1 ]
	[ "$(wc -l <err)" -eq 1 ]
	grep -qx "canrig uplink: spool $PWD/spool in use by pid $holder (lock $PWD/spool/lock)" err
	[ "$(cat spool/0000000000000000.seg)" = torn ] # not scanned, not cut
	kill -KILL "$holder"
	wait "$holder" 2>/dev/null || true
	rc=0
	"$CANRIG" uplink -c s.yaml 2>err || rc=$?
	# on a host without AF_CAN it stops at the interface, past the lock
	if grep -q "in use by pid" err; then
		cat err >&2
		return 1
	fi
}

# the systemd unit as make install writes it: systemd-analyze finds nothing
# to say, and its user and group are the ones its sysusers file makes
unit_verifies() {
	local bindir
	bindir=$(cd "$(dirname "$CANRIG")" && pwd)
	sed "s|@BINDIR@|$bindir|g" "$SRC/dist/canrig-uplink.service.in" >canrig-uplink.service
	systemd-analyze verify --man=no "$PWD/canrig-uplink.service" >out 2>&1
	if [ -s out ]; then
		cat out >&2
		return 1
	fi
	grep -qx 'User=canrig-uplink' canrig-uplink.service
	grep -qx 'Group=canrig' canrig-uplink.service
	grep -qE '^u +canrig-uplink ' "$SRC/dist/canrig-uplink.sysusers"
	grep -qE '^g +canrig ' "$SRC/dist/canrig-uplink.sysusers"
	grep -qx 'RestrictAddressFamilies=AF_CAN AF_INET AF_INET6 AF_UNIX' canrig-uplink.service
}

check minimal_checks minimal_checks
check bad_file_is_2 bad_file_is_2
check unreadable_is_1 unreadable_is_1
check usage_is_2 usage_is_2
check same_as_decode same_as_decode
check modes_as_decode modes_as_decode
check when_as_decode when_as_decode
check when_bad_is_2 when_bad_is_2
check compress_payload compress_payload
CHECK_OWN_DIR=1 check status_checks status_checks
CHECK_OWN_DIR=1 check lock_refuses lock_refuses
CHECK_OWN_DIR=1 check unit_verifies unit_verifies
summary
