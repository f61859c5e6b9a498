# bad_input_exit_2.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# bad interface / bad frame: documented one-line error and exit code 2.
t_bad_input_exit_2() {
	set +e
	"$CANRIG" dump nosuch0 2>err1
	r1=$?
	"$CANRIG" send nosuch0 123#11 2>err2
	r2=$?
	"$CANRIG" send vcan0 123#1G 2>err3
	r3=$?
	"$CANRIG" dump vcan0,12x:7FF 2>err4
	r4=$?
	"$CANRIG" send vcan0 123##1$(printf '11%.0s' $(seq 13)) 2>err5
	r5=$?
	ip link set vcan3 down
	"$CANRIG" dump vcan3 2>err6
	r6=$?
	ip link set vcan3 up
	"$CANRIG" replay /dev/null nosuch1=vcan0 2>err7
	r7=$?
	"$CANRIG" dump lo 2>err8
	r8=$?
	set -e
	cat err1 err2 err3 err4 err5 err6 err7 err8
	test "$r1$r2$r3$r4$r5$r6$r7$r8" = 22222222
	grep -qx 'canrig dump: nosuch0: no such interface; run ./vcan-setup.sh (or check .ip link show.)' err1
	grep -q 'nosuch0: no such interface; run ./vcan-setup.sh' err2
	grep -qx "canrig send: '123#1G':6: bad hex digit in data" err3
	grep -q "filter '12x:7FF'" err4
	grep -q 'invalid payload length' err5
	grep -qx "canrig dump: vcan3: interface is down; run 'ip link set vcan3 up'" err6
	grep -q 'nosuch1: no such interface' err7
	grep -q 'lo: not a CAN interface' err8
	for f in err1 err2 err3 err4 err5 err6 err7 err8; do test "$(wc -l <$f)" -eq 1; done
}
