# diag_flash_1mib.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# A 1 MiB download: block counter wraps, CRC-32 checked, TesterPresent
#     keeps the programming session alive meanwhile.
t_diag_flash_1mib() {
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 "$SIMCFG" 7e2
	head -c 1048576 /dev/urandom >img.bin
	xrc 0 flash diag -i vcan0 -e 7E0 session programming + \
		unlock 1 --key-cmd "$KEY1" + flash img.bin --address 100000 --check-crc
	has flash 'flash: 1048576 bytes in 1024 blocks of up to 1024'
	cmp img.bin engine-flash.bin
	crc=$(grep -o 'CRC32 [0-9A-F]*' flash | cut -d' ' -f2)
	has flash "ECU answered $crc"
	# flashing outside the programming session is refused (the reset
	# ends the session that TesterPresent kept alive so far)
	xrc 3 nrc diag -i vcan0 -e 7E0 reset hard + flash img.bin --address 100000
	has nrc 'RequestDownload: negative response 0x7F'
	finish vcan0 cd.log
	stop $p1
	kill -TERM $SIM
	wait $SIM
	# block 256 carries counter 00 (FF 0x402 bytes: 36 00 ...)
	has cd.log ' vcan0 7E0#14023600'
}
