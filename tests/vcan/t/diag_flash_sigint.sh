# diag_flash_sigint.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

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
