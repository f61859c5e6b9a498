# diag_services.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Every service, and the session and security rules with their NRCs.
t_diag_services() {
	candump -L -r 8388608 vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	start_sim vcan0 "$SIMCFG" 7e2
	D="diag -i vcan0 -e 7E0"
	xrc 0 read $D read F190 F18C
	has read 'F190 VIN: "WVWZZZ1JZXW000001"'
	has read 'F18C ECUSerialNumber: "SN-0000042"'
	xrc 0 json $D --json read F190
	[ "$(cat json)" = '{"command":"read","dids":[{"did":"F190","name":"VIN","hex":"5756575A5A5A314A5A5857303030303031","value":"WVWZZZ1JZXW000001"}]}' ]
	# computed DIDs: the counter counts reads
	xrc 0 cnt $D --dids "$DATA/diag-dids.yaml" read 0200 + read ReadCounter
	has cnt '0200 ReadCounter: 0'
	has cnt '0200 ReadCounter: 1'
	# session and security rules
	xrc 3 nrc31 $D write 0100 1234
	has nrc31 'write: negative response 0x31 requestOutOfRange'
	xrc 3 nrc7f $D raw 34004411000000000100
	has nrc7f 'negative response 0x7F serviceNotSupportedInActiveSession'
	xrc 3 nrc33 $D session extended + write 0100 1234
	has nrc33 'negative response 0x33 securityAccessDenied'
	xrc 3 nrc24 $D session extended + raw 2702
	has nrc24 'negative response 0x24 requestSequenceError'
	xrc 3 unk $D read 1234
	has unk 'negative response 0x31'
	xrc 0 wr $D session extended + unlock 1 --key-cmd "$KEY1" + write 0100 1234 + read 0100
	has wr 'level 0x01: unlocked'
	has wr '0100: written, 2 bytes'
	has wr '0100: 12 34'
	xrc 3 nrc13 $D session extended + unlock 1 --key-cmd "$KEY1" + write 0100 12
	has nrc13 'negative response 0x13 incorrectMessageLengthOrInvalidFormat'
	xrc 0 lib $D session extended + unlock 3 --key-lib "$SEEDKEY" + read 0300
	has lib 'level 0x03: unlocked'
	has lib '0300: CA FE'
	# DTCs, with a DID dictionary for the snapshot
	xrc 0 dtc $D --dids "$DATA/diag-dids.yaml" dtc read + dtc count 08 + \
		dtc snapshot 042011 + dtc extended 042011 02
	has dtc '042011 P0420-11 status 0x2F testFailed,testFailedThisOperationCycle,pendingDTC,confirmedDTC,testFailedSinceLastClear'
	has dtc 'C10000 U0100-00 status 0x08 confirmedDTC'
	has dtc '3 DTCs (status availability mask 0xFF)'
	has dtc '2 DTCs match mask 0x08'
	has dtc 'record 0x01 010C EngineSpeed: 750 rpm'
	has dtc 'record 0x01 0105 CoolantTemp: 50 degC'
	has dtc 'record 0x02 010C EngineSpeed: 1000 rpm'
	has dtc 'record 0x02: 00 10'
	xrc 0 dtcj $D --json dtc read 04
	[ "$(cat dtcj)" = '{"command":"dtc","sub":2,"availability":255,"count":2,"dtcs":[{"dtc":"042011","sae":"P0420-11","status":47,"status_bits":["testFailed","testFailedThisOperationCycle","pendingDTC","confirmedDTC","testFailedSinceLastClear"]},{"dtc":"012345","sae":"P0123-45","status":4,"status_bits":["pendingDTC"]}]}' ]
	# routines: one answers 0x78 first, one needs security
	xrc 0 rt $D -v routine start FF00 + routine result FF00
	has rt 'ECU busy (0x78 responsePending)'
	has rt 'routine FF00: ok, 00'
	# its own session: the last command's may have timed out (S3 5 s) on
	# a slow guest, and the default session knows no such routine (0x31)
	xrc 3 rt33 $D session extended + routine result 0203
	has rt33 'negative response 0x33'
	xrc 0 rt2 $D session extended + unlock 1 --key-cmd "$KEY1" + routine start 0203 + routine result 0203
	has rt2 'routine 0203: ok, AA BB'
	# IO control, memory, communication control, DTC setting
	xrc 0 io $D session extended + io 4F10 adjust 05 + io 4F10 return
	has io 'io 4F10: ok, 03 05'
	xrc 0 mem $D session extended + memory read 20000000 8 + memory write 20000000 01020304 + memory read 20000000 4
	has mem '20000000  DE AD BE EF 00 00 00 00'
	has mem '20000000: written, 4 bytes'
	has mem '20000000  01 02 03 04'
	xrc 3 mem31 $D session extended + memory read 40000000 4
	has mem31 'negative response 0x31'
	xrc 0 cc $D comm disable + dtc off + dtc on + comm enable + tester
	has cc 'comm 0x03 type 0x01: ok'
	has cc 'dtc-setting 0x02: ok'
	# clearing answers 0x78 first; then nothing is left
	xrc 0 clr $D dtc clear + dtc read
	has clr 'DTCs cleared (group FFFFFF)'
	has clr '0 DTCs'
	# a reset ends the session: writing is refused again
	xrc 3 rst $D session extended + unlock 1 --key-cmd "$KEY1" + reset hard + write 0100 1234
	has rst 'reset 0x01: ok'
	has rst 'negative response 0x31'
	# an idle extended session outlives S3 (5 s): TesterPresent
	xrc 0 s3 $D session extended + unlock 1 --key-cmd "$KEY1" + sleep 6.5 + write 0100 5678
	has s3 '0100: written, 2 bytes'
	# the suppress bit: no answer is success
	xrc 0 spr $D raw 1081
	has spr 'no answer (suppressed positive response)'
	# three wrong keys lock the level out: 0x35, 0x35, 0x36, then 0x37
	for want in 35 35 36; do
		xrc 3 bad$want $D session extended + unlock 1 --key-cmd 'echo 00000000'
		has bad$want "negative response 0x$want"
	done
	xrc 3 delay $D session extended + unlock 1 --key-cmd "$KEY1"
	has delay 'negative response 0x37 requiredTimeDelayNotExpired'
	finish vcan0 cd.log
	stop $p1
	kill -TERM $SIM
	wait $SIM
	# on the wire: padded requests, 0x78 answers
	has cd.log ' vcan0 7E0#0322F190CCCCCCCC'
	has cd.log ' vcan0 7E8#037F3178'
	has cd.log ' vcan0 7E8#037F1478'
	[ "$(grep -c ' vcan0 7DF#023E80CCCCCCCCCC$' cd.log)" -ge 3 ]
}
