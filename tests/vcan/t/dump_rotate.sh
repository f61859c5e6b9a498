# dump_rotate.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# the files of a recording, in order: x-0001.log x-0002.log ...
rot_files() {
	for _f in "$1"-[0-9][0-9][0-9][0-9]*."$2"; do
		[ ! -e "$_f" ] || echo "$_f"
	done | sort -V
}

# rot_has_end BASE EXT: the recording holds the end frame (in whichever file)
rot_has_end() {
	# shellcheck disable=SC2046 # the names have no blanks
	grep -qE "$END_RE" $(rot_files "$1" "$2") </dev/null
}

# canrig dump -l x.log --rotate 20K (and x.trc, x.pcapng, x.blf beside it)
# under a paced flood: rotated while running and while draining after
# SIGINT (SIGTERM for the .trc one), every file complete, together exactly
# the frames candump saw, none lost at a rotation.
t_dump_rotate() {
	# BLF first: it holds its frames in a container until the file ends,
	# so it cannot show a sync frame; ready once the kernel lists its socket
	n0=$(rcv_count vcan0)
	("$CANRIG" dump -l x.blf --rotate 20K -r 8388608 vcan0 2>err.blf &
		echo $! >pid.blf
		rc=0
		wait $! || rc=$?
		echo $rc >rc.blf) &
	poll "no pid from canrig dump" test -s pid.blf
	db=$(cat pid.blf)
	poll "canrig dump -l x.blf never bound" rcv_more vcan0 "$n0"
	# -x: TRC has an Rx/Tx column, so the .log keeps the direction too
	candump -x -L -r 8388608 vcan0 >cd.log &
	c1=$!
	("$CANRIG" dump -x -l x.log --rotate 20K -r 8388608 vcan0 2>err.log &
		echo $! >pid.log
		rc=0
		wait $! || rc=$?
		echo $rc >rc.log) &
	("$CANRIG" dump -l x.trc --rotate 20K -r 8388608 vcan0 2>err.trc &
		echo $! >pid.trc
		rc=0
		wait $! || rc=$?
		echo $rc >rc.trc) &
	("$CANRIG" dump -x -l x.pcapng --rotate 20K -r 8388608 vcan0 2>err.pcapng &
		echo $! >pid.pcapng
		rc=0
		wait $! || rc=$?
		echo $rc >rc.pcapng) &
	poll "no pid from canrig dump" test -s pid.pcapng
	dp=$(cat pid.pcapng)
	poll "no pid from canrig dump" test -s pid.log
	poll "no pid from canrig dump" test -s pid.trc
	dl=$(cat pid.log)
	dt=$(cat pid.trc)
	# both write their first file at once; ready once the sync frame is in
	sync_listeners vcan0 cd.log x-0001.log x-0001.trc
	# pcapng is binary: ready once the sync frame reads back from it
	poll "x-0001.pcapng never held the sync frame" pcapng_synced
	# rotations while they run: classic, 29-bit, RTR and FD frames
	cangen vcan0 -m -g 1 -n 700
	# ... and while they drain after the signal: stopped, they read
	# nothing; the signal is the first thing they see when they go on
	kill -STOP "$dl" "$dt" "$dp" "$db"
	cangen vcan0 -g 1 -n 700 -L 8
	finish vcan0 cd.log
	kill -INT "$dl"
	kill -TERM "$dt"
	kill -INT "$dp" "$db"
	kill -CONT "$dl" "$dt" "$dp" "$db"
	# each has a deadline: one that hangs fails the test, and run() ends it
	poll "canrig dump -l x.log did not exit after SIGINT" test -s rc.log
	poll "canrig dump -l x.trc did not exit after SIGTERM" test -s rc.trc
	poll "canrig dump -l x.pcapng did not exit after SIGINT" test -s rc.pcapng
	poll "canrig dump -l x.blf did not exit after SIGINT" test -s rc.blf
	stop $c1
	wait
	echo "exit status $(cat rc.log) $(cat rc.trc) $(cat rc.pcapng) $(cat rc.blf)"
	[ "$(cat rc.log)" -eq 130 ]
	[ "$(cat rc.trc)" -eq 143 ]
	[ "$(cat rc.pcapng)" -eq 130 ]
	[ "$(cat rc.blf)" -eq 130 ]
	rot_has_end x log
	rot_has_end x trc
	# the candump series: numbered from 1 without a gap, each file but
	# the last stopped at the first frame past 20K, each whole lines
	n=$(rot_files x log | wc -l)
	echo "$n .log files"
	[ "$n" -ge 3 ]
	i=0
	for f in $(rot_files x log); do
		i=$((i + 1))
		[ "$f" = "$(printf 'x-%04d.log' $i)" ]
		sz=$(stat -c %s "$f")
		if [ "$i" -lt "$n" ]; then
			if [ "$sz" -lt 20480 ] || [ "$sz" -ge $((20480 + 200)) ]; then
				echo "$f: $sz bytes, not the first frame past 20K" >&2
				false
			fi
		fi
		[ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" = '\n' ]
		"$CANRIG" log convert --from candump --to candump "$f" >/dev/null
	done
	# shellcheck disable=SC2046
	cat $(rot_files x log) >all.log
	same cd.log all.log
	n=$(grep -c . cd.log.s)
	[ "$n" -ge 1400 ] || { echo "candump saw only $n frames" >&2; false; }
	has err.log "canrig dump: interrupted; $(grep -c . all.log) frames received, 0 dropped"
	[ "$(wc -l <err.log)" -eq 1 ]
	# the TRC series: each file a whole TRC of its own (header, lines
	# that read back), together the same frames at the same microseconds
	n=$(rot_files x trc | wc -l)
	echo "$n .trc files"
	[ "$n" -ge 3 ]
	: >all.trc.log
	for f in $(rot_files x trc); do
		head -1 "$f" | grep -qx ";\$FILEVERSION=2.1"
		[ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" = '\n' ]
		"$CANRIG" log convert --to candump "$f" >>all.trc.log
	done
	# bus 1 reads back as can0, Rx without candump's R, and the kernel's
	# FDF bit (##5) is not in TRC
	# (the sync frames each saw are left out: one may have bound later)
	grep -v ' 1FFFFFFE#' all.log |
		sed -E 's/ vcan0 / can0 /; s/ R$//; s/##4/##0/; s/##5/##1/; s/##6/##2/; s/##7/##3/' \
			>want.trc.log
	grep -v ' 1FFFFFFE#' all.trc.log >got.trc.log || true
	cmp want.trc.log got.trc.log || { diff want.trc.log got.trc.log | head >&2; false; }
	has err.trc "canrig dump: trc cannot hold the interface names: lost"
	has err.trc "canrig dump: trc cannot hold the FD flag bits other than BRS and ESI: lost"
	# and nothing else but the end line (kernel stamps have nanoseconds)
	if grep -vqE 'interrupted; |interface names: lost|FD flag bits .*: lost|time below a microsecond: lost' err.trc; then
		cat err.trc >&2
		false
	fi
	# the pcapng series: every file opens in tshark with as many frames as
	# canrig reads from it, and together they are the .log's frames, names,
	# flags, R/T and times included (sync frames left out, as above)
	n=$(rot_files x pcapng | wc -l)
	echo "$n .pcapng files"
	[ "$n" -ge 3 ]
	: >all.pcapng.log
	for f in $(rot_files x pcapng); do
		"$CANRIG" log convert --to candump "$f" >one.log
		[ "$(tshark -r "$f" 2>/dev/null | wc -l)" -eq "$(wc -l <one.log)" ]
		cat one.log >>all.pcapng.log
	done
	grep -v ' 1FFFFFFE#' all.log >want.pcapng.log
	grep -v ' 1FFFFFFE#' all.pcapng.log >got.pcapng.log || true
	cmp want.pcapng.log got.pcapng.log ||
		{ diff want.pcapng.log got.pcapng.log | head >&2; false; }
	# the BLF series: every file reads whole in canrig, in python-can's
	# BLFReader and in tshark, frame for frame; each but the last within
	# one container of 20K (docs/log-formats.md: never more than a frame
	# past it; its objects, before deflating, reach it); together they are
	# exactly the .log's frames, times and names included (sync frames
	# left out: the BLF dump bound first and saw more of them)
	n=$(rot_files x blf | wc -l)
	echo "$n .blf files"
	[ "$n" -ge 3 ]
	: >all.blf.log
	# python-can's counts, one process for all (its start-up is slow here)
	# shellcheck disable=SC2046
	/usr/bin/python3 -c 'import sys, can
for f in sys.argv[1:]:
    print(f, sum(1 for _ in can.BLFReader(f)))' $(rot_files x blf) >pycan.blf
	i=0
	for f in $(rot_files x blf); do
		i=$((i + 1))
		[ "$f" = "$(printf 'x-%04d.blf' $i)" ]
		"$CANRIG" log convert --to candump "$f" >one.log
		[ -s one.log ]
		k=$(sed -n "s/^$f //p" pycan.blf)
		[ "$k" -eq "$(wc -l <one.log)" ] || { echo "$f: python-can $k frames" >&2; false; }
		k=$(tshark -r "$f" 2>/dev/null | wc -l)
		[ "$k" -eq "$(wc -l <one.log)" ] || { echo "$f: tshark $k frames" >&2; false; }
		if [ "$i" -lt "$n" ]; then
			sz=$(stat -c %s "$f")
			raw=$(od -An -tu8 -j24 -N8 "$f" | tr -d ' ')
			echo "$f: $sz bytes, $raw before deflating"
			[ "$sz" -le $((20480 + 512)) ] && [ "$raw" -ge $((20480 - 64)) ] ||
				{ echo "$f: $sz bytes ($raw before deflating) for --rotate 20K" >&2; false; }
		fi
		cat one.log >>all.blf.log
	done
	# the kernel's FDF bit (##5) is kept, R/T only with -x (not given here)
	grep -v ' 1FFFFFFE#' all.log | sed -E 's/ [RT]$//' >want.blf.log
	grep -v ' 1FFFFFFE#' all.blf.log >got.blf.log || true
	cmp want.blf.log got.blf.log || { diff want.blf.log got.blf.log | head >&2; false; }
	has err.blf "canrig dump: interrupted; $(grep -c . all.blf.log) frames received, 0 dropped"
	[ "$(wc -l <err.blf)" -eq 1 ]
}

# rcv_count IF: the receive filters the kernel lists on IF (every socket
# bound to it has at least one)
rcv_count() {
	cat /proc/net/can/rcvlist_* 2>/dev/null | grep -cE "^ +$1 " || true
}

# rcv_more IF N: more than N of them
rcv_more() { [ "$(rcv_count "$1")" -gt "$2" ]; }

# pcapng_synced: x-0001.pcapng reads back with the sync frame in it (one
# more is sent each time: its listener may have bound after the others)
pcapng_synced() {
	cansend vcan0 "$SYNC"
	[ -s x-0001.pcapng ] &&
		"$CANRIG" log convert --to candump x-0001.pcapng 2>/dev/null | grep -qE "$SYNC_RE"
}
