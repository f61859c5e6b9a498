# diag_send_error_surfaces.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# A send the kernel refuses ends the transfer at once with the reason,
#    instead of waiting forever for a confirmation (here: "any" is no
#    interface to send on, ENXIO).
t_diag_send_error_surfaces() {
	rc_in isend isotp send -s 7E0 -d 7E8 -D 20 any
	[ "$(cat isend.rc)" = 1 ]
	has isend 'canrig isotp: send:'
	rc_in dany diag -i any -e 7E0 read F190
	[ "$(cat dany.rc)" = 1 ]
	has dany 'canrig diag: read:'
	absent 'timeout|interrupted' dany
}
