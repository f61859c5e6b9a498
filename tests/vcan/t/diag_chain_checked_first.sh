# diag_chain_checked_first.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# A '+' chain is checked whole before the first byte goes out: a
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
