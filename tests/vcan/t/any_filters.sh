# any_filters.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# 'any' with filters: exactly what candump shows with the same filters.
t_any_filters() {
	flt="any,123:7FF,1FFFFFFE:1FFFFFFF,400~700,12345678:1FFFFFFF,#00000004"
	candump -L -r 8388608 "$flt" >cd.log &
	p1=$!
	"$CANRIG" dump -L -r 8388608 "$flt" >cr.log &
	p2=$!
	candump -L -r 8388608 any,1FFFFFFE:1FFFFFFF,0~0,#FFFFFFFF >cde.log &
	p3=$!
	"$CANRIG" dump -L -r 8388608 any,1FFFFFFE:1FFFFFFF,0~0,#FFFFFFFF >cre.log &
	p4=$!
	sync_listeners vcan0 cd.log cr.log cde.log cre.log
	for ifc in vcan0 vcan1 vcan2 vcan3; do
		for f in 123#01 124#02 523#03 423#04 12345678#05 12345479#06 123##1AA \
			20000004#0004000000000000 20000080#0000000000000000 00000123#07; do
			cansend "$ifc" "$f"
		done
	done
	cangen vcan2 -g 1 -n 100 -I i -p 100
	finish vcan0 cd.log cr.log cde.log cre.log
	stop $p1 $p2 $p3 $p4
	same cd.log cr.log
	same cde.log cre.log
	# the filters really filtered, on several interfaces
	# 423: id & 700 == 400 fails the inverted filter and matches no other
	absent ' 423#04' cr.log.s
	grep -q '^vcan2 124#02' cr.log.s
	grep -q '^vcan3 123#01' cr.log.s
	grep -q '^vcan1 12345678#05' cr.log.s
	absent '12345479#06' cr.log.s
	grep -q '20000004#' cr.log.s
	absent '20000080#' cr.log.s
	# the error-only listener saw error frames and no data frames
	test "$(grep -vc '#0004000000000000\|#0000000000000000' cre.log.s)" -eq 0
}
