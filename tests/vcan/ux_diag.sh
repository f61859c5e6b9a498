# ux_diag.sh - what a new user hits first with canrig diag and isotp
# (issue 19, items 2, 3 and 5).  Sourced by tests/vcan/run.sh after the
# other tests: SIMCFG, KEY1, start_sim, xrc, has, absent come from there.

# rc_in NAME ARGS...: canrig ARGS, output in NAME, exit status in NAME.rc.
# A hang must fail the test, not stall the suite: SIGTERM after 60 s
# (canrig then exits 1, never the 2 these tests want).
rc_in() {
	_n=$1
	shift
	_rc=0
	timeout -k 5 60 "$CANRIG" "$@" >"$_n" 2>&1 </dev/null || _rc=$?
	echo "$_rc" >"$_n.rc"
}

# want NAME RC: canrig exited RC, with exactly one line of output
want() {
	if [ "$(cat "$1.rc")" != "$2" ] || [ "$(wc -l <"$1")" -ne 1 ]; then
		echo "$1: exit $(cat "$1.rc"), wanted $2, with one line:" >&2
		cat "$1" >&2
		return 1
	fi
}

# 2. CAN FD asked of a classic interface (mtu 16): one clear line at once,
#    exit 2, from every command; nothing put on the bus.
t_diag_fd_on_classic() {
	ip link set vcan3 down
	ip link set vcan3 mtu 16
	ip link set vcan3 up
	# the other tests want vcan3 FD again, whatever happens here
	trap 'ip link set vcan3 down; ip link set vcan3 mtu 72; ip link set vcan3 up' EXIT
	candump -L vcan3 >cd.log &
	p1=$!
	sync_listeners vcan3 cd.log
	msg='vcan3: interface is classic CAN (mtu 16); CAN FD needs an FD interface (mtu 72)'
	echo "01 02 03 04 05 06 07 08 09 0A" >pdu
	_rc=0
	timeout -k 5 60 "$CANRIG" isotp send -s 7E0 -d 7E8 -L 72:64:0 vcan3 <pdu \
		>isend 2>&1 || _rc=$?
	echo $_rc >isend.rc
	want isend 2
	has isend "canrig isotp: $msg"
	rc_in irecv isotp recv -s 7E8 -d 7E0 -L 72:64:0 vcan3
	want irecv 2
	has irecv "canrig isotp: $msg"
	rc_in dfd diag -i vcan3 -e 7E0 --fd read F190
	want dfd 2
	has dfd "canrig diag: $msg"
	rc_in dfd2 diag -i vcan3 -e 7E0 --fd=16 session extended + read F190
	want dfd2 2
	has dfd2 "canrig diag: $msg"
	rc_in ofd obd -i vcan3 --fd vin
	want ofd 2
	has ofd "canrig obd: $msg"
	rc_in sfd send vcan3 123#11 123##1AABB
	want sfd 2
	has sfd "canrig send: $msg"
	# replay learns it at the first FD frame: the same line, not EINVAL
	printf '(0.000000) vcan3 123##1AABB\n' >fd.log
	rc_in rfd replay -t fd.log
	[ "$(cat rfd.rc)" != 0 ]
	has rfd "canrig replay: $msg"
	# classic frames on the classic interface still go
	rc_in ok send vcan3 123#11
	[ "$(cat ok.rc)" = 0 ]
	finish vcan3 cd.log
	stop $p1
	# only the classic frame went out, and nothing of the refused ones
	absent ' vcan3 7E[08]' cd.log
	[ "$(grep -c ' vcan3 123#11$' cd.log)" = 1 ]
}

# 2. A send the kernel refuses ends the transfer at once with the reason,
#    instead of waiting forever for a confirmation (here: "any" is no
#    interface to send on, ENXIO).
t_diag_send_error_surfaces() {
	rc_in isend isotp send -s 7E0 -d 7E8 -D 20 any
	[ "$(cat isend.rc)" = 1 ]
	has isend 'canrig isotp: send:'
	rc_in dany diag -i any -e 7E0 read F190
	[ "$(cat dany.rc)" = 1 ]
	has dany 'canrig diag: read:'
	absent 'timeout|interrupted' dany
}

# 3. A '+' chain is checked whole before the first byte goes out: a
#    missing flash file must not leave the ECU in its programming session.
t_diag_chain_checked_first() {
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 "$SIMCFG" 7e2
	D="diag -i vcan0 -e 7E0"
	rc_in flash $D session programming + unlock 1 --key-cmd "$KEY1" + \
		flash /nonexist.bin --address 100000
	want flash 1
	has flash 'flash: /nonexist.bin: No such file or directory'
	# a directory is no image either
	rc_in fdir $D session programming + flash /tmp --address 100000
	want fdir 1
	has fdir 'flash: /tmp: Is a directory'
	# flash without --address
	head -c 100 /dev/zero >img.bin
	rc_in noaddr $D session programming + flash img.bin
	want noaddr 2
	# a key library that does not load, a key source that is missing
	rc_in klib $D session programming + unlock 1 --key-lib /nonexist.so + read F190
	want klib 1
	has klib 'unlock:'
	rc_in nokey $D session extended + unlock 1 + write 0100 1234
	want nokey 2
	has nokey 'unlock needs --key-cmd'
	# numbers and names anywhere in the chain
	rc_in wr $D session extended + write 0100 1234 + write 0100 zz
	want wr 2
	rc_in rt $D session programming + routine start FF00 + routine begin FF00
	want rt 2
	rc_in io $D session extended + io 4F10 adjust 05 --mask zz
	want io 2
	rc_in mem $D session extended + memory read 20000000 0
	want mem 2
	rc_in dtc $D session extended + dtc snapshot 1000000
	want dtc 2
	rc_in sl $D session extended + sleep forever
	want sl 2
	rc_in rd $D session extended + read F190 NoSuchName
	want rd 2
	rc_in sess $D session programming + session bootloader
	want sess 2
	rc_in plus $D session programming + read F190 +
	want plus 2
	rc_in plus2 $D session programming + + read F190
	want plus2 2
	finish vcan0 cd.log
	stop $p1
	# not one request went out, and the ECU never changed its session
	absent ' vcan0 7[0-9A-F]{2}#' cd.log
	absent '<-|<= func' sim.log
	# the same simulator does see a good chain (so the check can fail)
	xrc 0 good $D session programming + read F190
	wait_for sim.log 'engine <- 10 02'
	kill -TERM $SIM
	wait $SIM
}

# 3. The chain check needs no bus: it runs before the interface is
#    opened (this one also passes on a host without AF_CAN).
t_diag_chain_offline() {
	rc_in f1 diag -i nosuch0 session programming + unlock 1 --key-cmd true + \
		flash /nonexist.bin --address 100000
	want f1 1
	has f1 'canrig diag: flash: /nonexist.bin: No such file or directory'
	rc_in f2 diag -i nosuch0 session programming + sleep x
	want f2 2
	has f2 'sleep SECONDS'
}

# fake_ecu IF: an ECU on the kernel's ISO-TP (requests 7E0, answers
# 7E8) that answers from the table below and logs each request in hex to
# ecu.log; ready once it listens.
fake_ecu() {
	/usr/bin/python3 -c '
import socket, sys
ans = {
	"22f190": "62f1903132",             # VIN as 2 bytes, not 17
	"22f190f18c": "62f1903132f18c4142",
	"22f18c": "62f18c4142",
	"22010c": "62010c0bb800",           # EngineSpeed as 3 bytes, not 2
	"22f191": "62f1924142",             # another DID echoed: malformed
}
s = socket.socket(socket.AF_CAN, socket.SOCK_DGRAM, socket.CAN_ISOTP)
s.bind((sys.argv[1], 0x7E0, 0x7E8))
while True:
	r = s.recv(4095).hex()
	print(r, flush=True)
	s.send(bytes.fromhex(ans.get(r, "6e" + r[2:6] if r[:2] == "2e" else "7f" + r[:2] + "31")))
' "$1" >ecu.log &
	ECU=$!
	wait_rx "$1" 7e0
}

# 5. An ECU that answers differently from the dictionary: read shows the
#    bytes with a warning (exit 0); write sends hex bytes as given.
t_diag_read_off_dictionary() {
	fake_ecu vcan2
	D="diag -i vcan2 -e 7E0"
	rc_in vin $D read F190
	[ "$(cat vin.rc)" = 0 ] || { cat vin; false; }
	has vin 'F190 VIN: 31 32'
	has vin 'canrig diag: warning: read F190 VIN: the ECU answered 2 bytes, the dictionary says 17; shown raw'
	[ "$(wc -l <vin)" = 2 ]
	# JSON on stdout stays whole; the warning goes to stderr
	"$CANRIG" $D --json read F190 >vinj 2>vinj.err
	[ "$(cat vinj)" = '{"command":"read","dids":[{"did":"F190","name":"VIN","hex":"3132","raw":true}]}' ]
	has vinj.err 'warning: read F190 VIN'
	# two DIDs in one request do not split: one at a time, each shown
	rc_in two $D read F190 F18C
	[ "$(cat two.rc)" = 0 ] || { cat two; false; }
	has two 'reading one DID at a time'
	has two 'F190 VIN: 31 32'
	has two 'F18C ECUSerialNumber: "AB"'
	rc_in rpm $D --dids "$DATA/diag-dids.yaml" read EngineSpeed
	[ "$(cat rpm.rc)" = 0 ]
	has rpm '010C EngineSpeed: 0B B8 00'
	# an answer for another DID is still an error
	rc_in bad $D read F191
	[ "$(cat bad.rc)" = 1 ]
	has bad 'response too short or malformed'
	# hex bytes are written as given; other values through the dictionary
	rc_in w1 $D write F190 3132
	[ "$(cat w1.rc)" = 0 ] || { cat w1; false; }
	has w1 'F190: written, 2 bytes'
	rc_in w2 $D write VIN WVWZZZ1JZXW000001
	[ "$(cat w2.rc)" = 0 ]
	rc_in w3 $D --dids "$DATA/diag-dids.yaml" write EngineSpeed 1F40
	[ "$(cat w3.rc)" = 0 ]
	rc_in w4 $D --dids "$DATA/diag-dids.yaml" write EngineSpeed 750
	[ "$(cat w4.rc)" = 0 ]
	rc_in w5 $D write F190 WVW
	[ "$(cat w5.rc)" = 2 ]
	kill $ECU
	wait $ECU 2>/dev/null || true
	has ecu.log '2ef1903132'
	has ecu.log "2ef190$(printf WVWZZZ1JZXW000001 | od -An -tx1 | tr -d ' \n')"
	has ecu.log '2e010c1f40'
	has ecu.log '2e010c0bb8'
	[ "$(grep -c '^2e' ecu.log)" = 4 ]
}

# --- issue 19 (helper A): flashing, signals, functional addressing, obd

# flash_ok OUT: the README's flash example succeeded, the CRC checked
flash_ok() {
	if [ "$(cat "$1.rc")" != 0 ]; then
		echo "$1: exit $(cat "$1.rc"):" >&2
		cat "$1" >&2
		return 1
	fi
	has "$1" 'flash: 65536 bytes in 64 blocks of up to 1024'
}

# 1. The README's flash example against ecu-sim -v, ten times in a row:
#    every run must pass.  The session answer announces P2 50 ms; a
#    tester that waits only that + 200 ms times out whenever the host is
#    busy (5 of 7 in the issue).  The download goes to tmpfs, not the
#    README's /tmp: in the guest /tmp is the host's over 9p, where one
#    write can stall the simulator past ISO-TP's own N_Bs (1 s).
t_diag_flash_readme_repeat() {
	dl=$PWD
	ECUSIM_DIR=$dl "$CANRIG" ecu-sim -v -i vcan0 -c "$SIMCFG" 2>sim.log &
	SIM=$!
	wait_rx vcan0 7e2
	head -c 65536 /dev/urandom >app.bin
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rc_in f$i diag -i vcan0 -e 7E0 session programming + \
			unlock 1 --key-cmd "$KEY1" + flash app.bin --address 100000 --check-crc
		flash_ok f$i
		cmp app.bin "$dl/engine-flash.bin"
		rm -f "$dl/engine-flash.bin"
	done
	kill -TERM $SIM
	wait $SIM
}

# 1. A timeout names the timer, its value and the option that raises it.
t_diag_timeout_message() {
	# nothing answers 7E5
	rc_in to diag -i vcan0 -e 7E5 --p2 300 read F190
	want to 1
	has to 'canrig diag: read: no response (P2 timeout): waited 300 ms; --p2 MS raises it'
	rc_in cap diag -i vcan0 -e 7E5 --timeout 200 read F190
	want cap 1
	has cap 'canrig diag: read: no response (cap timeout): no final answer in 200 ms; --timeout MS raises it'
}

# sig_when PATTERN SIG PID: sends SIG to PID once the capture cd.log
# shows PATTERN (frames, not time, say how far a transfer got)
sig_when() {
	wait_for cd.log "$1"
	kill "-$2" "$3"
}

# 1, 2. SIGINT in the middle of a download: no TransferData after it,
#    RequestTransferExit (0x37) on the bus, one line saying what the ECU
#    accepted and where it is left, exit 130.
t_diag_flash_sigint() {
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 "$SIMCFG" 7e2
	head -c 1048576 /dev/urandom >img.bin
	"$CANRIG" diag -i vcan0 -e 7E0 session programming + unlock 1 --key-cmd "$KEY1" + \
		flash img.bin --address 100000 >fl.out 2>fl.err &
	fl=$!
	# the first frame of block 5 (0x402 bytes: 36 05 ...)
	sig_when ' vcan0 7E0#14023605' INT $fl
	rc=0
	wait $fl || rc=$?
	cat fl.err
	[ "$rc" = 130 ]
	has fl.err 'canrig diag: flash: interrupted by SIGINT after '
	has fl.err ' of 1024 blocks ('
	has fl.err 'bytes accepted); RequestTransferExit refused (0x24 requestSequenceError)'
	has fl.err 'the ECU stays in session 0x02 programming with an incomplete image at 100000'
	[ "$(wc -l <fl.err)" = 1 ]
	finish vcan0 cd.log
	stop $p1
	# the ECU saw 0x37 and answered it; after it not one frame to 7E0
	has cd.log ' vcan0 7E0#0137CCCCCCCCCCCC'
	has cd.log ' vcan0 7E8#037F3724'
	awk '/ vcan0 7E0#0137/ { x = 1; next } x && / vcan0 7E0#/' cd.log >after
	[ ! -s after ] || { cat after; false; }
	# the blocks the line says were accepted are the ECU's
	n=$(sed -n 's/.*after \([0-9]*\) of 1024 blocks.*/\1/p' fl.err)
	[ "$(grep -c 'engine -> 76 ' sim.log)" = "$n" ]
	kill -TERM $SIM
	wait $SIM
}

# 2. SIGTERM and SIGINT while diag waits: a clean end, exit 143 / 130,
#    and nothing of the chain after it goes out.
t_diag_signal_exit() {
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 "$SIMCFG" 7e2
	for sig in TERM INT; do
		"$CANRIG" diag -i vcan0 -e 7E0 session extended + sleep 60 + read F190 \
			>s$sig.out 2>s$sig.err &
		d=$!
		wait_for s$sig.out 'session 0x03: ok'
		kill -$sig $d
		rc=0
		wait $d || rc=$?
		if [ $sig = TERM ]; then [ "$rc" = 143 ]; else [ "$rc" = 130 ]; fi
		has s$sig.err "canrig diag: sleep: interrupted by SIG$sig"
		[ "$(wc -l <s$sig.err)" = 1 ]
	done
	finish vcan0 cd.log
	stop $p1
	# the read after the sleep never went out
	absent ' vcan0 7E0#0322F190' cd.log
	kill -TERM $SIM
	wait $SIM
}

# 1. The ECU refuses a TransferData (download.fail_block): 0x37 follows,
#    and the state is said in one line; exit 3 with the NRC named.
t_diag_flash_block_refused() {
	printf '%s\n' 'ecus:' '  - name: boot' '    rx: 0x7E0' '    tx: 0x7E8' \
		'    sessions: [{id: default}, {id: programming}]' \
		'    download: {address: 0x100000, size: 0x10000, fail_block: 3}' >fail.yaml
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 fail.yaml 7e0
	head -c 8192 /dev/urandom >img.bin
	rc_in fl diag -i vcan0 -e 7E0 session programming + flash img.bin --address 100000
	cat fl
	[ "$(cat fl.rc)" = 3 ]
	has fl 'canrig diag: flash: TransferData block 3 (counter 0x03, offset 2048): negative response 0x72 generalProgrammingFailure'
	has fl 'canrig diag: flash: stopped after 2 of 8 blocks (2048 of 8192 bytes accepted); RequestTransferExit refused (0x24 requestSequenceError), the download may still be open (ECUReset ends it); the ECU stays in session 0x02 programming with an incomplete image at 100000'
	finish vcan0 cd.log
	stop $p1
	has cd.log ' vcan0 7E8#037F3672'
	awk '/ vcan0 7E8#037F3672/ { x = 1; next } x && / vcan0 7E0#/' cd.log >after
	# the next request to the ECU is 0x37
	[ "$(head -1 after | grep -c ' vcan0 7E0#0137CCCCCCCCCCCC')" = 1 ] || { cat after; false; }
	kill -TERM $SIM
	wait $SIM
}

# 3. ISO 15765-2 allows single frames only on functional addressing: a
#    first frame to 7DF gets no flow control from any simulated ECU (as
#    the kernel's can-isotp), while a functional single frame is still
#    answered by every ECU.
t_diag_functional_ff_ignored() {
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 "$SIMCFG" 7e2
	cansend vcan0 7DF#100A22F190F18C55
	cansend vcan0 7DF#023E00
	# the ECUs handle frames in order: an FC to the first frame would
	# be on the bus before these answers
	wait_for cd.log ' vcan0 7E8#027E00'
	wait_for cd.log ' vcan0 7E9#027E00'
	wait_for cd.log ' vcan0 7EA#027E00'
	finish vcan0 cd.log
	stop $p1
	absent ' vcan0 7E[89A]#3' cd.log
	absent 'request dropped|N_Cr' sim.log
	has sim.log 'engine <= func 3E 00'
	kill -TERM $SIM
	wait $SIM
}

# 4. obd lists ECUs by id, not in the order their answers arrived: here
#    7E8 answers 0x78 first and 7E9 is done long before it.
t_obd_sorted_by_id() {
	printf '%s\n' 'ecus:' \
		'  - {name: slow, rx: 0x7E0, tx: 0x7E8, pending: [{sid: 0x09, ms: 300}],' \
		'     obd: {vin: "SLOW0000000000001"}}' \
		'  - {name: fast, rx: 0x7E1, tx: 0x7E9, obd: {vin: "FAST0000000000002"}}' >two.yaml
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 two.yaml 7e1
	rc_in vin obd -i vcan0 vin
	cat vin
	[ "$(cat vin.rc)" = 0 ]
	finish vcan0 cd.log
	stop $p1
	# on the bus the fast ECU's answer came first ...
	first=$(grep -m1 -oE ' vcan0 7E[89]#1014' cd.log)
	[ "$first" = ' vcan0 7E9#1014' ]
	# ... in the list the lower id is first
	[ "$(grep -c VIN vin)" = 2 ]
	[ "$(grep VIN vin | head -1 | grep -c SLOW0000000000001)" = 1 ]
	[ "$(grep VIN vin | tail -1 | grep -c FAST0000000000002)" = 1 ]
	kill -TERM $SIM
	wait $SIM
}

run diag_fd_on_classic
run diag_send_error_surfaces
run diag_chain_checked_first
run diag_chain_offline
run diag_read_off_dictionary
run diag_flash_readme_repeat
run diag_timeout_message
run diag_flash_sigint
run diag_signal_exit
run diag_flash_block_refused
run diag_functional_ff_ignored
run obd_sorted_by_id
