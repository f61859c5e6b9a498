# monitor_if_gone.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced;
# mon_listeners is monitor_once.sh's).

# an interface deleted while the monitor runs: said in one line, its rows
# stay, the other interface goes on being counted
t_monitor_if_gone() {
	ip link del vmon0 2>/dev/null || true
	ip link add dev vmon0 type vcan
	ip link set vmon0 mtu 72 up
	"$CANRIG" monitor --once 600 --json vcan2 vmon0 >m.json 2>m.err &
	pm=$!
	poll "canrig monitor never listened on vcan2" mon_listeners vcan2 1
	poll "canrig monitor never listened on vmon0" mon_listeners vmon0 1
	cansend vmon0 321#01
	cansend vmon0 321#02
	ip link del vmon0
	wait_for m.err 'vmon0: interface went away; showing the others'
	candump -L vcan2 >cd.log &
	pc=$!
	sync_listeners vcan2 cd.log
	cangen vcan2 -g 1 -n 50 -I 42 -L 2
	finish vcan2 cd.log
	kill -INT $pm
	rc=0
	wait $pm || rc=$?
	stop $pc
	[ "$rc" -eq 130 ] || { echo "monitor exit $rc" >&2; cat m.err >&2; false; }
	# the kernel may report the link down before it deletes it: then
	# one line for each, both about vmon0, and nothing else
	[ "$(grep -vc -e '^canrig monitor: vmon0: interface went away; showing the others$' \
		-e '^canrig monitor: vmon0: interface went down$' m.err)" -eq 0 ] ||
		{ cat m.err >&2; false; }
	[ "$(grep -c 'went away' m.err)" -eq 1 ] || { cat m.err >&2; false; }
	python3 - m.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
m = {(x["bus"], x["id"]): x for x in d["messages"]}
assert m[("vmon0", 0x321)]["count"] == 2, m
assert m[("vmon0", 0x321)]["data"] == "02", m
assert m[("vcan2", 0x42)]["count"] == 50, m
assert d["interfaces"]["vmon0"]["frames"] == 2, d
EOF
	# a name that is no interface: one line, as canrig dump says it
	xrc 2 out monitor --once 1 vmon0
	has out 'canrig monitor: vmon0: no such interface'
	[ "$(wc -l <out)" -eq 1 ]
}

