# diag_bad_input.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# Bad arguments and files: one line each, exit 2 (a file that cannot be
# read: 1), nothing sent.
t_diag_bad_input() {
	candump -L vcan0 >cd.log &
	p1=$!
	sync_listeners vcan0 cd.log
	xrc 2 e1 diag -i nosuch0 read F190
	has e1 'canrig diag: nosuch0: no such interface'
	xrc 2 e2 diag -i vcan0 -e zz read F190
	has e2 "canrig diag: bad value 'zz' for -e"
	xrc 2 e3 diag -i vcan0 read F190 + frob
	has e3 "canrig diag: unknown command 'frob'"
	xrc 2 e4 diag -i vcan0 read
	has e4 'read DID...'
	xrc 2 e5 diag -i vcan0 unlock 1
	has e5 'unlock needs --key-cmd'
	xrc 1 e6 diag -i vcan0 flash /nonexistent --address 0
	has e6 '/nonexistent: No such file or directory'
	xrc 2 e7 diag -i vcan0 --dids "$DATA/bad-dids.yaml" read F190
	has e7 "bad-dids.yaml:4:49: unknown key 'lenght'"
	xrc 2 e8 diag -i vcan0 write F190 12345
	has e8 'write: bad data'
	xrc 2 e9 obd -i vcan0 read ZZ
	has e9 'read: bad PID'
	xrc 2 e10 ecu-sim -i vcan0 -c "$DATA/ecu-sim/bad-key.yaml"
	has e10 "bad-key.yaml:5:5: unknown key 'pading'"
	ECUSIM_DIR=/tmp xrc 2 e11 ecu-sim -i nosuch0 -c "$SIMCFG"
	has e11 'nosuch0: no such interface'
	for f in e1 e2 e3 e4 e5 e6 e7 e8 e9 e10 e11; do
		[ "$(wc -l <$f)" -eq 1 ] || { cat $f; false; }
	done
	finish vcan0 cd.log
	stop $p1
	# none of them put a frame on the bus
	absent ' vcan0 7[0-9A-F]{2}#' cd.log
}
