# dump_matches_candump.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# cansend/cangen frames: canrig dump -L == candump -L, and the default
#    screen format too; classic, FD, extended, RTR and error frames.
t_dump_matches_candump() {
	candump -L -r 8388608 vcan0,0:0,#FFFFFFFF >cd.log &
	p1=$!
	"$CANRIG" dump -L -r 8388608 vcan0,0:0,#FFFFFFFF >cr.log &
	p2=$!
	candump -r 8388608 vcan0,0:0,#FFFFFFFF >cd.txt &
	p3=$!
	"$CANRIG" dump -r 8388608 vcan0,0:0,#FFFFFFFF >cr.txt &
	p4=$!
	candump -x -L -r 8388608 vcan0,0:0,#FFFFFFFF >cdx.log &
	p5=$!
	"$CANRIG" dump -x -L -r 8388608 vcan0,0:0,#FFFFFFFF >crx.log &
	p6=$!
	sync_listeners vcan0 cd.log cr.log cd.txt cr.txt cdx.log crx.log
	for f in 123#DEADBEEF 000# 7FF#0102030405060708 12345678#11 00000000#AABB \
		1FFFFFFF#R 123#R 123#R4 456#R8 123##0 123##1AABB 123##2 \
		123##311223344556677889900AABB 1ABCDEF0##1$(printf '%0128d' 7) \
		20000080#0000000000000000 20000004#0004000000000000 \
		2000008A#0A00080A00000305 123#11.22.33; do
		cansend vcan0 "$f"
	done
	cangen vcan0 -m -g 1 -n 300 -p 100
	cangen vcan0 -e -f -b -g 1 -n 100 -L i -p 100
	finish vcan0 cd.log cr.log cd.txt cr.txt cdx.log crx.log
	stop $p1 $p2 $p3 $p4 $p5 $p6
	same cd.log cr.log
	same cd.txt cr.txt
	same cdx.log crx.log
	# every class of frame was really there
	grep -q '##' cd.log.s
	grep -q '#R' cd.log.s
	grep -q '^vcan0 20000' cd.log.s
	n=$(wc -l <cd.log.s)
	[ "$n" -eq 418 ] || { echo "candump saw $n frames, want 418" >&2; false; }
}
