# dump_error_text.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# error frames in words (-e), compared with candump -e.
t_dump_error_text() {
	candump -e vcan0,0:0,#FFFFFFFF >cd.txt &
	p1=$!
	"$CANRIG" dump -e vcan0,0:0,#FFFFFFFF >cr.txt &
	p2=$!
	sync_listeners vcan0 cd.txt cr.txt
	cansend vcan0 20000004#0004000000000000
	cansend vcan0 2000008A#0A00080A00000305
	cansend vcan0 20000040#0000000000000000
	finish vcan0 cd.txt cr.txt
	stop $p1 $p2
	same cd.txt cr.txt
	grep -q 'controller-problem{rx-error-warning}' cr.txt
}
