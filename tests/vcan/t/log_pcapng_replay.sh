# log_pcapng_replay.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# canrig replay reads a pcapng (and a pcap) through the same readers as a
# candump log: each puts the very frames of the log on the bus.
t_log_pcapng_replay() {
	: >in.log
	for i in $(seq 0 39); do
		printf '(1700000000.%06d) vcan0 %03X#%04X\n' $((i * 1000)) $((i * 37 % 0x7F0)) "$i" >>in.log
	done
	{
		echo '(1700000000.100000) vcan0 1ABCDEF0#11223344'
		echo '(1700000000.100001) vcan0 123#R'
		echo '(1700000000.100002) vcan0 7FF#R3'
		printf '(1700000000.100003) vcan0 321##5%s\n' "$(printf '%0128d' 7)"
		echo '(1700000000.100004) vcan0 0AB##7AABBCCDDEEFF0011'
		echo '(1700000000.100005) vcan0 234##4'
	} >>in.log
	"$CANRIG" log convert --to pcapng in.log -o in.pcapng
	"$CANRIG" log convert --to pcap in.log -o in.pcap 2>/dev/null
	candump -L -r 8388608 vcan1 >cd.log &
	p=$!
	sync_listeners vcan1 cd.log
	"$CANRIG" replay -t in.log vcan1=vcan0
	"$CANRIG" replay -t in.pcapng vcan1=vcan0
	# pcap has no names: its frames are can0's
	"$CANRIG" replay -t in.pcap vcan1=can0
	finish vcan1 cd.log
	stop $p
	sed 's/^([0-9.]*) vcan0 //' in.log >want
	strip cd.log | sed 's/^vcan1 //' >got
	[ "$(wc -l <want)" -eq 46 ]
	cat want want want | diff - got
}
