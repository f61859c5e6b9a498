# isotp_kernel_interop.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# 11. canrig's ISO-TP against the kernel's can-isotp (isotpsend /
#     isotprecv), both directions: classic and FD, padding on and off,
#     block size and STmin set on either side, extended addressing, and
#     lengths at every frame-layout edge.
isotp_pair() { # DIR LEN "canrig opts" "kernel opts"
	local dir=$1 len=$2 copts=$3 kopts=$4 tag
	tag="$dir-$len-$(echo "$copts $kopts" | tr -c 'A-Za-z0-9' _)"
	hexmsg "$len" >"$tag.in"
	# canrig sends on 7E0 (kernel FCs on 7E8); the kernel on 7E1 / 7E9
	if [ "$dir" = to-kernel ]; then
		# shellcheck disable=SC2086
		isotprecv -s 7E8 -d 7E0 $kopts vcan1 >"$tag.out" &
		wait_rx vcan1 7e0
		# shellcheck disable=SC2086
		"$CANRIG" isotp send -s 7E0 -d 7E8 $copts vcan1 <"$tag.in"
	else
		# shellcheck disable=SC2086
		"$CANRIG" isotp recv -s 7E9 -d 7E1 $copts vcan1 >"$tag.out" &
		wait_rx vcan1 7e1
		# shellcheck disable=SC2086
		isotpsend -s 7E1 -d 7E9 $kopts vcan1 <"$tag.in"
	fi
	wait $!
	samebytes "$tag.in" "$tag.out"
	echo "ok $tag"
}

t_isotp_kernel_interop() {
	candump -L -r 8388608 vcan1 >cd.log &
	p1=$!
	sync_listeners vcan1 cd.log
	for dir in to-kernel from-kernel; do
		for len in 1 7 8 62 63 4095; do
			isotp_pair $dir $len "" ""
		done
		isotp_pair $dir 300 "-p CC:CC" "-p CC:CC -P a"
		isotp_pair $dir 302 "-p AA" "-p AA"
		# block size and STmin are the receiver's to ask for
		if [ $dir = to-kernel ]; then
			isotp_pair $dir 200 "" "-b 3 -m 5"
			isotp_pair $dir 100 "" "-b 1 -m F5"
		else
			isotp_pair $dir 200 "-b 3 -m 5" ""
			isotp_pair $dir 100 "-b 1 -m F5" ""
		fi
		isotp_pair $dir 200 "-x 55" "-x 55"
		for len in 7 8 62 63 64 4095 4096; do
			isotp_pair $dir $len "-L 72:64:0" "-L 72:64:0"
		done
		isotp_pair $dir 1000 "-L 72:16:0 -p 00" "-L 72:16:0 -p 00"
	done
	finish vcan1 cd.log
	stop $p1
	# our frames on the wire: the address byte first with -x, padding
	# with -p (302 bytes end in a CF with 2 bytes and 5 of padding), none
	# without (the last CF of 8 bytes is 2 long), FD frames with -L
	grep -q ' vcan1 7E0#5510C8' cd.log
	grep -qE ' vcan1 7E0#2[0-9A-F]{5}AAAAAAAAAA$' cd.log
	grep -qE ' vcan1 7E0#210708$' cd.log
	grep -qE ' vcan1 7E0##4' cd.log
	# and the FCs we sent as a receiver: BS 3 STmin 5, BS 1 STmin F5
	grep -q ' vcan1 7E9#300305$' cd.log
	grep -q ' vcan1 7E9#3001F5$' cd.log
}
