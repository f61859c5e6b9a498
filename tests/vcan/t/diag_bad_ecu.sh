# diag_bad_ecu.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# bg_rc NAME ARGS...: canrig ARGS, output in NAME, exit status in NAME.rc
bg_rc() {
	_n=$1
	shift
	_rc=0
	"$CANRIG" "$@" >"$_n" 2>&1 || _rc=$?
	echo "$_rc" >"$_n.rc"
}

# An ECU (the kernel's ISO-TP) that is missing, answers garbage or
#     answers 0x78 forever: every wait ends, with its own error.
t_diag_bad_ecu() {
	D="diag -i vcan2 -e 7E0"
	xrc 1 none $D --p2 300 read F190
	has none 'read: no response (P2 timeout)'
	isotprecv -s 7E8 -d 7E0 vcan2 >req.txt &
	wait_rx vcan2 7e0
	bg_rc garbage $D read F190 &
	wait_for req.txt '22 F1 90'
	echo "6E F1 90" | isotpsend -s 7E8 -d 7E0 vcan2
	poll "diag never ended" test -s garbage.rc
	[ "$(cat garbage.rc)" = 1 ]
	has garbage 'wrong SID echo'
	# 0x78 again and again: the --timeout cap ends it
	isotprecv -s 7E8 -d 7E0 vcan2 >req2.txt &
	wait_rx vcan2 7e0
	bg_rc pending $D --timeout 1500 read F190 &
	wait_for req2.txt '22 F1 90'
	while [ ! -s pending.rc ]; do
		echo "7F 22 78" | isotpsend -s 7E8 -d 7E0 vcan2
		sleep 0.3
	done
	[ "$(cat pending.rc)" = 1 ]
	has pending 'no response (cap timeout)'
	# a multi-frame answer that stops half-way: N_Cr
	isotprecv -s 7E8 -d 7E0 vcan2 >req3.txt &
	wait_rx vcan2 7e0
	# (a P2 long enough that a busy host cannot make it expire before the
	# first frame: N_Cr is what this case is about)
	bg_rc broken $D --p2 10000 read F190 &
	wait_for req3.txt '22 F1 90'
	cansend vcan2 7E8#101462F190575657
	poll "diag never ended" test -s broken.rc
	[ "$(cat broken.rc)" = 1 ]
	has broken 'ISO-TP error: N_Cr timeout'
}
