# diag_flash_block_refused.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# The ECU refuses a TransferData (download.fail_block): 0x37 follows,
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
