# diag_functional_ff_ignored.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# ISO 15765-2 allows single frames only on functional addressing: a
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
