#!/bin/bash
# cli_gw.sh - canrigd and canrig gw on the command line (issue 19), without
# a bus: canrigd --help / --version and its usage errors, every option of
# --help in man/canrigd.8, canrigd -n on interfaces that are absent or not
# CAN (the host's lo), a control socket that cannot be made stops the
# start, and canrig gw prints canrigd's refusals as "canrig gw: ..." (a
# stand-in control socket answers).  Prints one PASS/FAIL line per check
# and "cli_gw: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
MAN=$PWD/man/canrigd.8
VERSION=$(sed -n 's/^VERSION *= *//p' Makefile)

help_and_version() {
	run 0 h1 e1 "$CANRIGD" --help
	run 0 h2 e2 "$CANRIGD" -h
	cmp h1 h2
	[ -s h1 ] && [ ! -s e1 ]
	grep -q '^Usage: canrigd ' h1
	run 0 v1 e1 "$CANRIGD" --version
	run 0 v2 e2 "$CANRIGD" -V
	[ -n "$VERSION" ]
	is v1 "canrigd $VERSION"
	is v2 "canrigd $VERSION"
	# the same form as canrig's
	run 0 cv e1 "$CANRIG" --version
	is cv "canrig $VERSION"
}

man_has_every_option() {
	# the usage lines and the option table (not canrig gw's --json)
	"$CANRIGD" --help | grep -E '^(Usage:|       canrigd|  -)' | opts >want
	[ "$(wc -l <want)" -ge 7 ] # -c -n -f -v -h --help -V --version
	# the man page's OPTIONS section, fonts and \- undone
	sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' "$MAN" |
		awk '/^\.SH / { on = ($2 == "OPTIONS"); next } on' | opts >have
	comm -23 want have >missing
	[ ! -s missing ] || { echo "in --help, not in OPTIONS of $MAN:"; cat missing; false; }
	# and the synopsis shows -h and -V
	sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$MAN" | grep -q 'h'
	sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$MAN" | grep -q -- '-version'
	if command -v groff >/dev/null; then
		groff -man -Tutf8 -ww -z "$MAN" 2>err
		[ ! -s err ] || { cat err; false; }
	fi
}

# usage_err MESSAGE ARGS...: canrigd ARGS exits 2 with "canrigd: MESSAGE"
# and the hint, nothing on stdout
usage_err() {
	local msg=$1
	shift
	run 2 out err "$CANRIGD" "$@"
	[ ! -s out ] || { echo "canrigd $*: stdout:"; cat out; return 1; }
	[ "$(sed -n 1p err)" = "canrigd: $msg" ] && [ "$(sed -n 2p err)" = "Try 'canrigd --help'." ] &&
		[ "$(wc -l <err)" -eq 2 ] && return 0
	echo "canrigd $*: wanted 'canrigd: $msg' and the hint, got:"
	cat err
	return 1
}

usage_errors() {
	usage_err "unknown option --frob" --frob
	usage_err "unknown option --frob" --frob=1 -c x.yaml
	usage_err "unknown option -q" -q -c x.yaml
	usage_err "unknown option -q" -fq -c x.yaml
	usage_err "option -c needs an argument" -c
	usage_err "option --help takes no argument" --help=yes
	usage_err "no configuration: -c FILE.yaml is needed" -f
	usage_err "unexpected argument 'extra'" -c x.yaml extra
}

# gwconf FILE IF...: a file with the interfaces IF..., a route from the
# first to the second, its control socket in $WORK
gwconf() {
	local f=$1
	shift
	{
		printf 'options:\n  control: %s/ctl.sock\ninterfaces:\n' "$WORK"
		for i in "$@"; do printf '  - {name: %s}\n' "$i"; done
		printf 'routes:\n  - {name: r, from: %s, to: [%s], ids: [0x123]}\n' "$1" "$2"
	} >"$f"
	chmod 644 "$f"
}

# -n: an absent interface is a warning (it may appear later), a device
# that is not CAN an error, as at start; the host's lo is such a device
check_interfaces() {
	gwconf absent.yaml nosuch8 nosuch9
	run 0 out err "$CANRIGD" -n -c absent.yaml
	is out "absent.yaml: ok, 2 interfaces, 1 route"
	[ "$(wc -l <err)" -eq 2 ] || { cat err; false; }
	[ "$(sed -n 1p err)" = "canrigd: warning: absent.yaml:4:12: nosuch8: no such interface (yet): opened when it appears" ] ||
		{ cat err; false; }
	grep -q '^canrigd: warning: absent.yaml:5:12: nosuch9: no such interface' err
	gwconf lo.yaml nosuch8 lo
	run 2 out err "$CANRIGD" -n -c lo.yaml
	[ ! -s out ]
	grep -qx 'canrigd: lo.yaml:5:12: lo: not a CAN interface (loopback): refused' err ||
		{ cat err; false; }
	# the start refuses it too, before anything else (no control socket
	# directory touched): exit 2, one line
	rm -rf ctl.sock ctl.sock.lock
	run 2 out err "$CANRIGD" -f -c lo.yaml
	is err 'canrigd: lo.yaml:5:12: lo: not a CAN interface (loopback): refused'
	[ ! -e ctl.sock.lock ]
}

# -n checks the doip: section (issue 21) and says what it found; a
# mistake in it is exit 2 with FILE:LINE:COL, as elsewhere
check_doip() {
	gwconf doip.yaml nosuch8 nosuch9
	cat >>doip.yaml <<'EOF'
doip:
  listen: 127.0.0.1
  logical_address: 0x1000
  vin: WVWZZZ1JZXW000001
  testers:
    - address: 0x0E80
      firewall:
        allow: [0x22, 0x19, 0x3E, {sid: 0x10, subs: [0x01, 0x03]}]
  ecus:
    - {address: 0x0010, interface: nosuch8, tx: 0x7E0, rx: 0x7E8}
    - {address: 0x0011, interface: nosuch8, tx: 0x7E1, rx: 0x7E9}
EOF
	run 0 out err "$CANRIGD" -n -c doip.yaml
	is out "doip.yaml: ok, 2 interfaces, 1 route, DoIP entity 0x1000: 1 tester, 2 ECUs"
	sed 's/0x7E9/0x7E8/' doip.yaml >doipbad.yaml
	chmod 644 doipbad.yaml
	run 2 out err "$CANRIGD" -n -c doipbad.yaml
	[ ! -s out ]
	is err "canrigd: doipbad.yaml:18:60: ECUs 0x0010 and 0x0011 answer on the same id 0x7E8 on nosuch8"
}

# a control socket that cannot be made (here a directory is in its place)
# stops the start at once, before any interface: exit 1, one line with
# the path, the reason and the key to set
check_no_control() {
	gwconf nosock.yaml nosuch8 nosuch9
	mkdir -p ctl.sock
	run 1 out err timeout 60 "$CANRIGD" -f -c nosock.yaml
	is err "canrigd: cannot create the control socket $WORK/ctl.sock: File exists; set options: control: to a path in a writable local directory"
	[ -d ctl.sock ]
	rmdir ctl.sock
}

# A stand-in canrigd: answers each connection with the text in $1 (\n
# escapes), then closes.  Ready once the socket exists.
fake_server() {
	rm -f fake.sock
	"$PY" - "$WORK/fake.sock" "$1" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1] + ".tmp")
s.listen(4)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
answer = sys.argv[2].encode().decode("unicode_escape").encode()
c, _ = s.accept()
c.recv(256)
# in two pieces: the client must not take the first for the whole answer
c.sendall(answer[:3])
c.sendall(answer[3:])
c.close()
PY
	FAKE=$!
	local n=0
	until [ -S fake.sock ]; do
		n=$((n + 1))
		[ "$n" -lt 600 ] || { echo "the stand-in never listened"; return 1; }
		sleep 0.05
	done
}

gw_refusal_prefix() {
	fake_server 'error: reload refused, old rules kept: gw.yaml:9:21: unknown interface '"'"'vcan9'"'"'\n'
	run 1 out err "$CANRIG" gw -s "$WORK/fake.sock" reload
	wait "$FAKE"
	[ ! -s out ]
	is err "canrig gw: reload refused, old rules kept: gw.yaml:9:21: unknown interface 'vcan9'"
	fake_server 'error: permission denied\n'
	run 1 out err "$CANRIG" gw -s "$WORK/fake.sock" workshop on
	wait "$FAKE"
	is err "canrig gw: permission denied"
	# an answer goes to stdout as it came
	fake_server 'reloaded gw.yaml: 2 routes in 1.000 ms\nsecond line\n'
	run 0 out err "$CANRIG" gw -s "$WORK/fake.sock" reload
	wait "$FAKE"
	[ ! -s err ]
	printf 'reloaded gw.yaml: 2 routes in 1.000 ms\nsecond line\n' >want
	cmp want out
}

check help_and_version help_and_version
check man_has_every_option man_has_every_option
check usage_errors usage_errors
check check_interfaces check_interfaces
check check_doip check_doip
check check_no_control check_no_control
check gw_refusal_prefix gw_refusal_prefix
summary
