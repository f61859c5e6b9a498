# diag_timeout_message.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# A timeout names the timer, its value and the option that raises it.
t_diag_timeout_message() {
	# nothing answers 7E5
	rc_in to diag -i vcan0 -e 7E5 --p2 300 read F190
	want to 1
	has to 'canrig diag: read: no response (P2 timeout): waited 300 ms; --p2 MS raises it'
	rc_in cap diag -i vcan0 -e 7E5 --timeout 200 read F190
	want cap 1
	has cap 'canrig diag: read: no response (cap timeout): no final answer in 200 ms; --timeout MS raises it'
}
