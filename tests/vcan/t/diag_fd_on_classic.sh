# diag_fd_on_classic.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# CAN FD asked of a classic interface (mtu 16): one clear line at once,
#    exit 2, from every command; nothing put on the bus.
t_diag_fd_on_classic() {
	ip link set vcan3 down
	ip link set vcan3 mtu 16
	ip link set vcan3 up
	# the other tests want vcan3 FD again, whatever happens here
	trap 'ip link set vcan3 down; ip link set vcan3 mtu 72; ip link set vcan3 up' EXIT
	candump -L vcan3 >cd.log &
	p1=$!
	sync_listeners vcan3 cd.log
	msg='vcan3: interface is classic CAN (mtu 16); CAN FD needs an FD interface (mtu 72)'
	echo "01 02 03 04 05 06 07 08 09 0A" >pdu
	_rc=0
	timeout -k 5 60 "$CANRIG" isotp send -s 7E0 -d 7E8 -L 72:64:0 vcan3 <pdu \
		>isend 2>&1 || _rc=$?
	echo $_rc >isend.rc
	want isend 2
	has isend "canrig isotp: $msg"
	rc_in irecv isotp recv -s 7E8 -d 7E0 -L 72:64:0 vcan3
	want irecv 2
	has irecv "canrig isotp: $msg"
	rc_in dfd diag -i vcan3 -e 7E0 --fd read F190
	want dfd 2
	has dfd "canrig diag: $msg"
	rc_in dfd2 diag -i vcan3 -e 7E0 --fd=16 session extended + read F190
	want dfd2 2
	has dfd2 "canrig diag: $msg"
	rc_in ofd obd -i vcan3 --fd vin
	want ofd 2
	has ofd "canrig obd: $msg"
	rc_in sfd send vcan3 123#11 123##1AABB
	want sfd 2
	has sfd "canrig send: $msg"
	# replay learns it at the first FD frame: the same line, not EINVAL
	printf '(0.000000) vcan3 123##1AABB\n' >fd.log
	rc_in rfd replay -t fd.log
	[ "$(cat rfd.rc)" != 0 ]
	has rfd "canrig replay: $msg"
	# classic frames on the classic interface still go
	rc_in ok send vcan3 123#11
	[ "$(cat ok.rc)" = 0 ]
	finish vcan3 cd.log
	stop $p1
	# only the classic frame went out, and nothing of the refused ones
	absent ' vcan3 7E[08]' cd.log
	[ "$(grep -c ' vcan3 123#11$' cd.log)" = 1 ]
}
