# monitor_once.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# mon_listeners IF N: at least N sockets on IF take every frame (no id
# filter: the kernel's rcvlist_all); how canrig monitor, which prints
# nothing until its snapshot, says it is ready
mon_listeners() {
	[ "$(grep -cE "^ +$1 " /proc/net/can/rcvlist_all 2>/dev/null)" -ge "$2" ]
}

# mon_counts: "bus id count" per message of a monitor JSON on stdin, the
# sync id (sent before candump listened) left out
mon_counts() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
for m in d["messages"]:
    if m["id"] != 0x1FFFFFFE:
        print(m["bus"], "%X" % m["id"], "E" if m["ext"] else "S", m["count"])
' | sort
}

# the same out of a candump -L log
cd_counts() {
	awk '{ split($3, a, "#"); id = a[1]
		if (id == "1FFFFFFE") next
		v = 0
		for (i = 1; i <= length(id); i++)
			v = v * 16 + index("0123456789ABCDEF", substr(id, i, 1)) - 1
		n[$2 " " sprintf("%X", v) " " (length(id) == 8 ? "E" : "S")]++ }
		END { for (k in n) print k, n[k] }' "$1" | sort
}

# canrig monitor --once --json on vcan0 (classic and FD frames) and vcan1
# (FD with BRS) while cangen and cansend run: its counts per id are
# candump's in the same run, and the interfaces' totals add up
t_monitor_once() {
	"$CANRIG" monitor --once 600 --json -r 8388608 vcan0 vcan1 >m.json 2>m.err &
	pm=$!
	poll "canrig monitor never listened on vcan0" mon_listeners vcan0 1
	poll "canrig monitor never listened on vcan1" mon_listeners vcan1 1
	candump -L -r 8388608 vcan0 vcan1 >cd.log &
	pc=$!
	sync_listeners vcan0 cd.log
	sync_listeners vcan1 cd.log
	cangen vcan0 -g 1 -n 300 -I i -L 8 -D i
	cangen vcan0 -e -g 1 -n 100 -I 1ABCDE0 -L 4
	cangen vcan1 -f -b -g 1 -n 200 -p 100
	for f in 123#DEADBEEF 123#DEADBEEF 123#DEADBEEF 7FF#R 456##1$(printf '%0128d' 5); do
		cansend vcan0 "$f"
	done
	cansend vcan0 20000080#0000000000000000 # an error frame: counted, not a row
	finish vcan0 cd.log
	finish vcan1 cd.log
	# SIGINT: the table so far (what the kernel queued included), exit 130
	kill -INT $pm
	rc=0
	wait $pm || rc=$?
	stop $pc
	[ "$rc" -eq 130 ] || { echo "monitor exit $rc" >&2; cat m.err >&2; false; }
	mon_counts <m.json >got
	grep -v ' 20000080#' cd.log >cd.data
	cd_counts cd.data >want
	[ "$(wc -l <want)" -ge 300 ]
	diff want got
	python3 - m.json cd.log <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
lines = [l.split() for l in open(sys.argv[2])]
for bus in ("vcan0", "vcan1"):
    i = d["interfaces"][bus]
    n = sum(1 for l in lines if l[1] == bus and not l[2].startswith("20000080#"))
    assert i["frames"] == n, (bus, i, n)
    assert i["drops"] == 0, (bus, i)
    assert i["load"] is None, (bus, i)  # vcan has no bitrate
assert d["interfaces"]["vcan0"]["errors"] == 1, d["interfaces"]
# the FD frames arrived as FD: lengths past 8
assert any(m["len"] > 8 for m in d["messages"] if m["bus"] == "vcan1")
assert any(m["len"] == 64 and m["id"] == 0x456 for m in d["messages"])
EOF
}
