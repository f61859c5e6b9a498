# replay_blf.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# canrig replay reads a BLF (detected by its magic) like the candump log it
# was converted from: same frames, same interfaces (canrig's channel names),
# mapping and loops as for a log.
t_replay_blf() {
	: >in.log
	for i in $(seq 0 99); do
		printf '(1700000000.%06d) vcan0 %03X#%04X\n' $((i * 1000)) $((i % 0x7F0)) "$i" >>in.log
	done
	printf '(1700000000.100000) vcan0 12345678##1%s\n' "$(printf '%0128d' 1)" >>in.log
	printf '(1700000000.100001) vcan0 1ABCDEF0#R\n' >>in.log
	printf '(1700000000.100002) vcan2 111#22\n' >>in.log
	"$CANRIG" log convert --to blf in.log -o in.blf
	head -c 4 in.blf | grep -q LOGG
	candump -L -r 8388608 vcan1 >cd1.log &
	p1=$!
	sync_listeners vcan1 cd1.log
	# mapped: vcan0's frames go out on vcan1; vcan2's are skipped
	"$CANRIG" replay in.blf vcan1=vcan0
	"$CANRIG" replay -t -l 2 in.blf vcan1=vcan0
	finish vcan1 cd1.log
	stop $p1
	grep -v ' vcan2 ' in.log | sed 's/^([0-9.]*) vcan0 //' | sed 's/##1/##5/' >want1
	cat want1 want1 want1 >want
	strip cd1.log | sed 's/^vcan1 //' >got
	diff want got
}
