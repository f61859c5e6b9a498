# diag_chain_offline.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# The chain check needs no bus: it runs before the interface is
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
