# tests/harness.sh - what every host-side command-line test (tests/cli_*.sh)
# shares; sourced first, never run (run-all.sh and make asan run each
# tests/cli_*.sh, so this file must not be named like one).  A test file:
#
#	# shellcheck source=SCRIPTDIR/harness.sh
#	. "$(dirname "$0")/harness.sh" || exit 1
#	name() { ...commands, any failing one fails the check... }
#	check name name
#	summary
#
# It sets -u, changes to the top of the tree and sets:
#   CANRIG, CANRIGD  the binaries under test (build/ unless given: make
#                    asan and run-all.sh pass CANRIG; CANRIGD is beside it)
#   PY               python3
#   WORK             a temporary directory of this run, removed at exit
#   TOPIC            the file's name without .sh: cli_TOPIC
# The EXIT trap is the harness's: a test file sets none of its own.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
TOPIC=$(basename "$0" .sh)
CANRIG=${CANRIG:-$PWD/build/canrig}
CANRIGD=${CANRIGD:-$(dirname "$CANRIG")/canrigd}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# removed by its own name: only what the harness made, whatever WORK becomes
_harness_work=$(mktemp -d "/tmp/canrig-${TOPIC#cli_}.XXXXXX") || exit 1
trap 'rm -rf -- "$_harness_work"' EXIT
WORK=$_harness_work
pass=0
fail=0

# failed LINE COMMAND: a check's ERR trap, says which command stopped it
failed() {
	# only where set -e stops: not in $(...), where a status is a value
	[[ $- == *e* ]] || return 0
	echo "failed: line $1: ${2%%$'\n'*}" >&2
}

# check NAME FUNC: FUNC in a subshell under set -e, in $WORK (in $WORK/NAME
# if CHECK_OWN_DIR is set), its output in $WORK/NAME.out; prints PASS NAME,
# or FAIL NAME and the output's end.  Pids FUNC adds to PIDS are killed
# when it ends; CHECK_X=1 traces it (set -x).
check() {
	# not inside 'if' or a || list: bash ignores set -e there, even in a
	# subshell, and then only FUNC's last command could fail it
	local rc=0
	(
		cd "$WORK" || exit 1
		if [ -n "${CHECK_OWN_DIR:-}" ]; then
			mkdir "$1" && cd "$1" || exit 1
		fi
		PIDS=
		trap 'for p in $PIDS; do kill -KILL "$p" 2>/dev/null || :; done' EXIT
		trap 'failed $LINENO "$BASH_COMMAND"' ERR
		set -eE${CHECK_X:+x}
		"$2"
	) >"$WORK/$1.out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $1"
	else
		fail=$((fail + 1))
		echo "FAIL $1"
		sed 's/^/    /' "$WORK/$1.out" | tail -30
	fi
}

# summary: prints "cli_TOPIC: N passed, N failed" and fails on any failure;
# the file's last command, so the file exits 1 then
summary() {
	echo "$TOPIC: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# free_port: prints a port free for both TCP and UDP on 127.0.0.1 (the
# kernel's choice), for a server a test starts (the DoIP tests)
free_port() {
	"$PY" - <<'EOF'
import socket
while True:
    t = socket.socket()
    t.bind(("127.0.0.1", 0))
    p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        u.close()
        t.close()
    print(p)
    break
EOF
}

# run WANT OUT ERR CMD...: CMD (stdin /dev/null) with stdout in OUT, stderr
# in ERR; fails, showing both, unless it exits WANT
run() {
	local want=$1 out=$2 err=$3 rc=0
	shift 3
	"$@" </dev/null >"$out" 2>"$err" || rc=$?
	[ "$rc" -eq "$want" ] && return 0
	echo "$*: exit $rc, wanted $want; stdout:"
	cat "$out"
	echo "stderr:"
	cat "$err"
	return 1
}

# is FILE TEXT: FILE is exactly the one line TEXT, or fail showing FILE
is() {
	[ "$(cat "$1")" = "$2" ] && [ "$(wc -l <"$1")" -eq 1 ] && return 0
	echo "$1: wanted the one line '$2', got:"
	cat "$1"
	return 1
}

# poll WHAT CMD...: until CMD succeeds, every 50 ms; after WAIT_SECS (30
# unless set) say "timeout: WHAT" and fail
poll() {
	local what=$1 n=0
	shift
	until "$@"; do
		n=$((n + 1))
		if [ "$n" -gt $((${WAIT_SECS:-30} * 20)) ]; then
			echo "timeout: $what" >&2
			return 1
		fi
		sleep 0.05
	done
}

# opts: the options (-x, --long-name) named in the text on stdin, one a line
opts() {
	grep -oE "(^|[][ (,|\"'/=])--?[A-Za-z0-9][A-Za-z0-9-]*" |
		sed -E 's/^[^-]//' |
		grep -E '^(--[A-Za-z0-9][A-Za-z0-9-]*|-[A-Za-z0-9])$' | sort -u || true
}
