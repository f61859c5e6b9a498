# ux_daemon_tour.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced).

# The README's tour ("Gateway: canrigd"), as written: the default
#    control socket /run/canrigd/control.sock, which the guest (a tmpfs on
#    /run, as on a real system) can hold; every canrig gw command answers.
t_ux_daemon_tour() {
	# the tour's paths, from a copy in this test's directory: canrigd
	# reads the file again on reload as the user it became (nobody here),
	# which cannot search a checkout made by mktemp -d (mode 0700)
	root=$PWD
	mkdir -p tests/data/gw
	cp "$DATA/gw/minimal.yaml" tests/data/gw/
	(cd "$root" && "$CANRIGD" -n -c tests/data/gw/minimal.yaml) >n.out
	has n.out 'tests/data/gw/minimal.yaml: ok, 2 interfaces, 1 route'
	(cd "$root" && exec "$CANRIGD" -f -c tests/data/gw/minimal.yaml) 2>gw.log &
	GW=$!
	poll "canrigd neither routed nor exited" ux_settled $GW vcan0 123
	if ux_gone $GW; then
		cat gw.log >&2
		false
	fi
	[ -S /run/canrigd/control.sock ] ||
		{ echo "no /run/canrigd/control.sock:" >&2; cat gw.log >&2; false; }
	xrc 0 st gw status
	has st 'config tests/data/gw/minimal.yaml, 2 interfaces (2 up), 1 route, workshop off'
	cansend vcan0 123#01
	cansend vcan0 2AB#02
	xrc 0 js gw stats --json
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' js
	xrc 0 ro gw routes
	has ro 'pt-to-body: vcan0 -> vcan1, 2 id selections, 0 actions, user space'
	xrc 0 ws gw workshop on
	has ws 'workshop mode on for 60 min'
	kill -HUP $GW
	wait_for gw.log 'reloaded tests/data/gw/minimal.yaml: 1 route in'
	xrc 0 st2 gw stats
	has st2 'route pt-to-body: matched 2, forwarded 2'
	# the file says no workshop: the reload closed it
	xrc 0 st3 gw status
	has st3 'workshop off'
	kill -TERM $GW
	wait $GW
	[ ! -e /run/canrigd/control.sock ]
}
