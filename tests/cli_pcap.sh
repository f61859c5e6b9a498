#!/bin/bash
# cli_pcap.sh - pcapng and pcap (issue 22) against a reader and writer
# nobody on the project wrote: tshark reads canrig's files frame for frame
# (interface names, FD flags, RTR, error frames, nanosecond times) with no
# malformed packet, and canrig reads what tshark and editcap write back to
# the same frames.  Also: detection by magic number, pipes, torn and
# corrupt files, the lossy pcap note.  Prints one PASS/FAIL line per check
# and "cli_pcap: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
D=$PWD/tests/data
MIX=$D/mixed-fd-ns.log
# its CAN payload heuristics take test data for AUTOSAR NM and call it malformed
TSHARK=(tshark --disable-protocol autosar-nm --disable-protocol signal_pdu
	--disable-protocol ipdum)
FIELDS=(frame.interface_name frame.time_epoch can.id can.flags.xtd can.flags.rtr
	can.flags.err can.len canfd.flags.brs canfd.flags.esi data.data can.err.ctrl
	can.err.buserror can.err.restarted _ws.malformed _ws.expert.severity)

# tshark_fields FILE: one tab-separated line per frame, FIELDS in order
tshark_fields() {
	local a=() f
	for f in "${FIELDS[@]}"; do a+=(-e "$f"); done
	"${TSHARK[@]}" -r "$1" -T fields -E occurrence=f "${a[@]}" 2>tshark.err
}

# same_frames LOG TSV [names]: the frames of candump LOG are those tshark
# printed, in order; names=0 when the file holds none (pcap)
same_frames() {
	"$PY" - "$1" "$2" "${3:-1}" <<'EOF'
import sys
log, tsv, names = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
want = []
for l in open(log):
    l = l.split()
    if not l:
        continue
    ts, ifn, fr = l[0][1:-1], l[1], l[2]
    sec, frac = ts.split(".")
    ns = int(sec) * 10**9 + int(frac.ljust(9, "0"))
    cid, rest = fr.split("#", 1)
    v = int(cid, 16)
    err = len(cid) == 8 and v & 0x20000000 != 0
    ext = len(cid) == 8 and not err
    fd = rest.startswith("#")
    rtr = rest.startswith("R")
    brs = esi = 0
    data = ""
    if fd:
        fl = int(rest[1], 16)
        brs, esi, data = fl & 1, (fl >> 1) & 1, rest[2:].lower()
        n = len(data) // 2
    elif rtr:
        n = int(rest[1:] or "0")
    else:
        data = rest.lower()
        n = len(data) // 2
    cls = v & 0x1FFFFFFF if err else 0
    want.append((ifn if names else "-", ns, 0 if err else v & 0x1FFFFFFF, int(ext), int(rtr),
                 int(err), n, int(fd), brs, esi, "" if rtr or err else data,
                 (cls >> 2) & 1 if err else 0, (cls >> 7) & 1 if err else 0,
                 (cls >> 8) & 1 if err else 0))
got = []
for l in open(tsv):
    f = l.rstrip("\n").split("\t")
    (ifn, t, cid, xtd, rtr, err, n, brs, esi, data, ctrl, buse, rest, mal, sev) = f
    if mal or sev in ("error", "warning") or sev.isdigit() and int(sev) >= 6291456:
        sys.exit(f"tshark: malformed or expert error: {l!r}")
    sec, frac = t.split(".")
    b = lambda s: int(s or "0")
    fd = brs != ""
    err = b(err)
    got.append((ifn if names else "-", int(sec) * 10**9 + int(frac.ljust(9, "0")[:9]),
                0 if err else b(cid), b(xtd), b(rtr), err, b(n), int(fd), b(brs), b(esi),
                "" if b(rtr) or err else data, b(ctrl), b(buse), b(rest)))
if want != got:
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            sys.exit(f"frame {i + 1}: want {w} got {g}")
    sys.exit(f"{len(want)} frames in the log, {len(got)} from tshark")
print(f"{len(got)} frames alike")
EOF
}

tshark_reads_our_pcapng() {
	for f in "$MIX" "$D/sample.log" "$D/asc2log-err.log"; do
		"$CANRIG" log convert --to pcapng "$f" -o ours.pcapng
		tshark_fields ours.pcapng >ours.tsv
		same_frames "$f" ours.tsv
		[ ! -s tshark.err ] || grep -v '^Running as user' tshark.err | { ! grep .; }
	done
	# frame count: every line of the log is a packet
	[ "$(wc -l <ours.tsv)" -eq "$(wc -l <"$D/asc2log-err.log")" ]
}

tshark_reads_our_pcap() {
	"$CANRIG" log convert --to pcap "$MIX" -o ours.pcap 2>err
	tshark_fields ours.pcap >ours.tsv
	same_frames "$MIX" ours.tsv 0
	# said once what pcap cannot hold
	[ "$(grep -c 'pcap cannot hold the interface names: lost' err)" -eq 1 ]
	[ "$(grep -c 'pcap cannot hold the text after the frames: lost' err)" -eq 1 ]
	[ "$(grep -c 'pcap cannot hold the FD flags without FDF: lost' err)" -eq 1 ]
	[ "$(wc -l <err)" -eq 3 ]
}

# canrig reads back what tshark writes, in each format it offers
we_read_tsharks() {
	"$CANRIG" log convert --to pcapng "$MIX" -o ours.pcapng
	tshark -r ours.pcapng -F pcapng -w ts.pcapng 2>/dev/null
	"$CANRIG" log convert --to candump ts.pcapng -o back.log
	cmp "$MIX" back.log # names, precision, FD flags, R/T all kept
	tshark -r ours.pcapng -F nsecpcap -w ts-ns.pcap 2>/dev/null
	"$CANRIG" log convert --to candump ts-ns.pcap -o ns.log
	tshark_fields ts-ns.pcap >ns.tsv
	same_frames ns.log ns.tsv 0
	# the frames of the original, every name can0, R/T gone, FD with FDF
	sed -E 's/^(\([0-9.]*\)) [^ ]+ ([^ ]+).*/\1 can0 \2/; s/##0/##4/; s/##1/##5/;
		s/##2/##6/; s/##3/##7/' "$MIX" >want.log
	"$PY" - want.log <<'EOF' >want9.log
import sys
for l in open(sys.argv[1]):
    ts, rest = l.split(")", 1)
    sec, frac = ts[1:].split(".")
    print(f"({sec}.{frac.ljust(9, '0')}){rest}", end="")
EOF
	cmp want9.log ns.log
	tshark -r ours.pcapng -F pcap -w ts-us.pcap 2>/dev/null
	"$CANRIG" log convert --to candump ts-us.pcap -o us.log
	# microseconds: the nanosecond digits are cut
	sed -E 's/^\(([0-9]+\.[0-9]{6})[0-9]*\)/(\1)/' want.log >want6.log
	cmp want6.log us.log
}

we_read_editcap() {
	command -v editcap >/dev/null
	"$CANRIG" log convert --to pcapng "$MIX" -o ours.pcapng
	editcap -F pcapng ours.pcapng ed.pcapng
	"$CANRIG" log convert --to candump ed.pcapng | cmp "$MIX" -
	# a slice: editcap -r keeps packets 5-9, with their interfaces
	editcap -r ours.pcapng part.pcapng 5-9
	"$CANRIG" log convert --to candump part.pcapng | cmp <(sed -n 5,9p "$MIX") -
	# two captures merged: several sections or interfaces, all read
	"$CANRIG" log convert --to pcapng "$D/sample.log" -o s.pcapng
	mergecap -F pcapng -w merged.pcapng s.pcapng ours.pcapng
	[ "$("$CANRIG" log convert --to candump merged.pcapng | wc -l)" -eq \
		$(($(wc -l <"$MIX") + $(wc -l <"$D/sample.log"))) ]
}

# no --from: the magic number decides, for every tool that reads logs
detected_everywhere() {
	"$CANRIG" log convert --to pcapng "$D/demo.log" -o demo.pcapng
	"$CANRIG" log convert --to pcap "$D/demo.log" -o demo.pcap 2>/dev/null
	"$CANRIG" log convert --to candump demo.pcapng | cmp "$D/demo.log" -
	"$CANRIG" dbc decode "$D/demo.dbc" "$D/demo.log" >a
	"$CANRIG" dbc decode "$D/demo.dbc" demo.pcapng >b
	cmp a b
	"$CANRIG" dbc decode "$D/demo.dbc" - <demo.pcapng >c
	cmp a c
	# pcap: the same signals, the interface is can0 and times have 9 digits
	"$CANRIG" dbc decode -s "$D/demo.dbc" demo.pcap | sed 's/^.* :: //' >d
	"$CANRIG" dbc decode -s "$D/demo.dbc" "$D/demo.log" | sed 's/^.* :: //' >e
	cmp d e
	# --from overrides: a candump log named pcapng is not one
	rc=0
	"$CANRIG" log convert --from pcapng --to candump "$D/demo.log" >/dev/null 2>err || rc=$?
	[ "$rc" -eq 1 ]
	grep -q 'no section header block first' err
}

from_a_pipe() {
	"$CANRIG" log convert --to pcapng "$MIX" | "$CANRIG" log convert --to candump | cmp "$MIX" -
	"$CANRIG" log convert --to pcap "$MIX" 2>/dev/null | "$CANRIG" log convert --to candump >p.log
	[ "$(wc -l <p.log)" -eq "$(wc -l <"$MIX")" ]
}

torn_and_corrupt() {
	"$CANRIG" log convert --to pcapng "$MIX" -o ours.pcapng
	n=$(stat -c %s ours.pcapng)
	head -c $((n - 10)) ours.pcapng >torn.pcapng
	rc=0
	"$CANRIG" log convert --to candump torn.pcapng >out 2>err || rc=$?
	[ "$rc" -eq 1 ]
	# every frame before the torn block, then where it tore
	cmp out <(head -n -1 "$MIX")
	last=$((n - $(tail -c 4 ours.pcapng | od -An -tu4 | tr -d ' ')))
	grep -qx "torn.pcapng: truncated at byte $last: the block there needs .* bytes, .* left" err
	# the same from a pipe
	rc=0
	"$CANRIG" log convert --to candump <torn.pcapng >out 2>err || rc=$?
	[ "$rc" -eq 1 ]
	grep -q "<stdin>: truncated at byte $last" err
	# a block length that does not match its trailer: its offset named
	cp ours.pcapng bad.pcapng
	printf '\x2c\x00\x00\x00' | dd of=bad.pcapng bs=1 seek=$((last + 4)) conv=notrunc 2>/dev/null
	rc=0
	"$CANRIG" log convert --to candump bad.pcapng >/dev/null 2>err || rc=$?
	[ "$rc" -eq 1 ]
	grep -qx "bad.pcapng: corrupt block at byte $last: length 44 does not match its trailer .*" err
	# pcap: a torn record
	"$CANRIG" log convert --to pcap "$MIX" -o ours.pcap 2>/dev/null
	head -c 100 ours.pcap >torn.pcap
	rc=0
	"$CANRIG" log convert --to candump torn.pcap >/dev/null 2>err || rc=$?
	[ "$rc" -eq 1 ]
	grep -qx 'torn.pcap: truncated at byte 24: the record there needs 88 bytes, 76 left' err
}

# --skip-bad passes over a bad packet, never a torn file: that is data lost,
# so the exit status says so; every whole frame before the tear is written,
# to stdout and to -o alike (docs/log-formats.md, "Bad input")
torn_skip_bad() {
	"$CANRIG" log convert --to pcapng "$MIX" -o ours.pcapng
	n=$(stat -c %s ours.pcapng)
	head -c $((n - 10)) ours.pcapng >torn.pcapng
	last=$((n - $(tail -c 4 ours.pcapng | od -An -tu4 | tr -d ' ')))
	run 1 out err "$CANRIG" log convert --skip-bad --to candump torn.pcapng
	head -n -1 "$MIX" | cmp - out
	grep -qx "torn.pcapng: truncated at byte $last: the block there needs .* bytes, .* left" err
	[ "$(wc -l <err)" -eq 1 ]
	run 1 out err "$CANRIG" log convert --skip-bad --to candump torn.pcapng -o o.log
	head -n -1 "$MIX" | cmp - o.log
	[ ! -s out ]
	[ "$(ls)" = "$(ls | grep -v '\.tmp\.')" ]
	# the same from a pipe, and for pcap
	"$CANRIG" log convert --skip-bad --to candump <torn.pcapng >out 2>err && exit 1
	head -n -1 "$MIX" | cmp - out
	"$CANRIG" log convert --to pcap "$MIX" -o ours.pcap 2>/dev/null
	head -c 100 ours.pcap >torn.pcap
	run 1 out err "$CANRIG" log convert --skip-bad --to candump torn.pcap
	is err 'torn.pcap: truncated at byte 24: the record there needs 88 bytes, 76 left'
}

# a classic frame's DLC 9..15 (can_frame.len8_dlc, candump's _X suffix, as
# can-utils since 2021 print and read it) goes through pcapng and pcap and
# back; formats without room for it say so once; tshark reads the packets
len8_dlc() {
	printf '%s\n' '(1700000000.000001) can0 123#1122334455667788_C' \
		'(1700000000.000002) can0 12345678#R8_F' \
		'(1700000000.000003) can0 124#1122334455667788' \
		'(1700000000.000004) can0 125#1122334455667788_9' >l8.log
	"$CANRIG" log convert --to candump l8.log | cmp l8.log -
	"$CANRIG" log convert --to pcapng l8.log -o l8.pcapng
	"$CANRIG" log convert --to candump l8.pcapng | cmp l8.log -
	"$CANRIG" log convert --to pcap l8.log -o l8.pcap 2>/dev/null
	"$CANRIG" log convert --us --to candump l8.pcap | cmp l8.log -
	# the DLC is the byte after the length's padding (the kernel's len8_dlc)
	[ "$(od -An -tx1 -j$((24 + 16 + 7)) -N1 l8.pcap | tr -d ' ')" = 0c ]
	"${TSHARK[@]}" -r l8.pcapng -T fields -e can.id -e can.len -e _ws.malformed >ts
	[ "$(cut -f2 ts | sort -u)" = 8 ]
	[ "$(wc -l <ts)" -eq 4 ]
	[ -z "$(cut -f3 ts | tr -d '\n')" ]
	for f in asc blf trc; do
		"$CANRIG" log convert --to $f l8.log >/dev/null 2>err
		[ "$(grep -c "^canrig log: $f cannot hold the DLC 9-15 of classic frames (candump's _X): lost$" err)" -eq 1 ]
	done
	# candump's grammar: only after 8 bytes, one digit 9-F
	for bad in '123#11_C' '123#1122334455667788_8' '123#1122334455667788_CC' '123#R_9'; do
		echo "(1700000000.000001) can0 $bad" >bad.log
		run 1 out err "$CANRIG" log convert --to candump bad.log
		grep -q '_DLC must be one hex digit 9-F after 8 bytes' err
	done
}

# CAN XL packets in a pcapng (as Wireshark 4.2+ and the kernel write them):
# skipped, counted, said once; the CAN frames around them are read
can_xl_skipped() {
	"$PY" - <<'EOF'
import struct
def blk(t, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", t, n) + body + struct.pack("<I", n)
shb = blk(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
name = b"can0"
opts = struct.pack("<HH", 2, len(name)) + name + b"\0" * (-len(name) % 4)
opts += struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
idb = blk(1, struct.pack("<HHI", 227, 0, 0) + opts)
def epb(ns, pkt):
    return blk(6, struct.pack("<IIIII", 0, ns >> 32, ns & 0xFFFFFFFF, len(pkt), len(pkt)) + pkt)
def can(cid, data):
    return struct.pack(">I", cid) + bytes([len(data), 0, 0, 0]) + data.ljust(8, b"\0")
def xl(prio, data):
    # priority/VCID, flags (XLF), SDU type, length, acceptance field, data
    return struct.pack(">I", prio) + bytes([0x80, 0x01]) + struct.pack("<HI", len(data), 0) + data
t = 1700000000 * 10**9
pk = [can(0x123, b"\x01"), xl(0x242, bytes(range(16))), xl(0x243, bytes(100)),
      can(0x124, b"\x02\x03"), xl(0x244, bytes(1))]
open("xl.pcapng", "wb").write(shb + idb + b"".join(epb(t + i * 1000, p) for i, p in enumerate(pk)))
EOF
	run 0 out err "$CANRIG" log convert --to candump xl.pcapng
	printf '%s\n' '(1700000000.000000000) can0 123#01' '(1700000000.000003000) can0 124#0203' |
		diff - out
	is err 'canrig log: xl.pcapng: 3 CAN XL frames skipped (canrig reads CAN and CAN FD)'
	# dbc decode says it too
	"$CANRIG" dbc decode "$D/demo.dbc" xl.pcapng >/dev/null 2>err || true
	grep -qx 'canrig dbc: xl.pcapng: 3 CAN XL frames skipped (canrig reads CAN and CAN FD)' err
}

check tshark_reads_our_pcapng tshark_reads_our_pcapng
check tshark_reads_our_pcap tshark_reads_our_pcap
check we_read_tsharks we_read_tsharks
check we_read_editcap we_read_editcap
check detected_everywhere detected_everywhere
check from_a_pipe from_a_pipe
check torn_and_corrupt torn_and_corrupt
check torn_skip_bad torn_skip_bad
check len8_dlc len8_dlc
check can_xl_skipped can_xl_skipped
summary
