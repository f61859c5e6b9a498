#!/bin/bash
# cli_files.sh - a file that cannot be read is said the same way by every
# command that takes one (issue 19): one line "canrig CMD: FILE: reason"
# (canrigd: "canrigd: FILE: reason"), exit 1, for a missing file and for a
# directory; a YAML file that was read but is wrong exits 2.  Needs no
# bus: every file is checked before an interface is opened.  Prints one
# PASS/FAIL line per check and "cli_files: N passed, N failed".
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
DBC=$PWD/tests/data/demo.dbc
LOG=$PWD/tests/data/sample.log
mkdir "$WORK/dir"

# one_line RC PREFIX FILE REASON CMD...: CMD exits RC with exactly one
# line on stderr: "PREFIX: ", then "FILE:" (a place may follow), and REASON
one_line() {
	local want=$1 pre=$2 file=$3 why=$4 rc=0 n
	shift 4
	"$@" </dev/null >"$WORK/out" 2>"$WORK/err" || rc=$?
	n=$(wc -l <"$WORK/err")
	if [ "$rc" -ne "$want" ] || [ "$n" -ne 1 ] ||
		! grep -qF "$pre: " "$WORK/err" || ! grep -qF "$file:" "$WORK/err" ||
		! grep -qF "$why" "$WORK/err"; then
		echo "  $*: exit $rc (want $want), $n lines (want 1):" >&2
		sed 's/^/    /' "$WORK/err" >&2
		return 1
	fi
}

# every command's missing file and directory
both() { # PREFIX CMD-BEFORE-FILE... -- CMD-AFTER-FILE...
	local pre=$1 before=() after=()
	shift
	while [ "$1" != "@" ]; do
		before+=("$1")
		shift
	done
	shift
	after=("$@")
	one_line 1 "$pre" /nonexist.x "No such file or directory" \
		"${before[@]}" /nonexist.x "${after[@]}"
	one_line 1 "$pre" "$WORK/dir" "Is a directory" "${before[@]}" "$WORK/dir" "${after[@]}"
}

dbc_files() {
	both "canrig dbc" "$CANRIG" dbc dump @
	both "canrig dbc" "$CANRIG" dbc check @
	both "canrig dbc" "$CANRIG" dbc encode @ EngineData Throttle=1
	both "canrig dbc" "$CANRIG" dbc decode @ "$PWD/tests/data/demo.log"
	both "canrig dump" "$CANRIG" dump -d @ vcan0
	both "canrig send" "$CANRIG" send vcan0 --dbc @ EngineData Throttle=1
}

log_files() {
	both "canrig dbc" "$CANRIG" dbc decode "$DBC" @
	both "canrig log" "$CANRIG" log convert --to asc @
	both "canrig replay" "$CANRIG" replay @ vcan0
}

yaml_files() {
	both "canrig ecu-sim" "$CANRIG" ecu-sim -n -c @
	both "canrig diag" "$CANRIG" diag -i vcan0 --dids @ read F190
	both "canrigd" "$CANRIGD" -n -c @
}

diag_files() {
	both "canrig diag" "$CANRIG" diag -i vcan0 flash @ --address 100000
	one_line 1 "canrig diag" /nonexist.so "No such file or directory" \
		"$CANRIG" diag -i vcan0 unlock 1 --key-lib /nonexist.so
}

# read but wrong: 2, with the place in the file
yaml_wrong() {
	printf 'ecus:\n  - name: x\n    bogus: 1\n' >bad.yaml
	one_line 2 "canrig ecu-sim" bad.yaml "bogus" "$CANRIG" ecu-sim -n -c bad.yaml
	grep -q 'bad.yaml:3:' "$WORK/err"
	printf 'dids:\n  - {id: 0xF190, name: V, type: hex, length: 2, bogus: 1}\n' >dids.yaml
	one_line 2 "canrig diag" dids.yaml "bogus" "$CANRIG" diag -i vcan0 --dids dids.yaml read F190
	printf 'interfaces:\n  - {name: vcan0, bogus: 1}\n' >gw.yaml
	one_line 2 "canrigd" gw.yaml "bogus" "$CANRIGD" -n -c gw.yaml
}

# -o naming a FIFO (or a device such as /dev/null) is written into, not
# replaced by a file: renaming a temp file over it would have done that
out_not_regular() {
	local got
	mkfifo "$WORK/fifo"
	# bounded: with the bug nobody ever opens the FIFO to write
	timeout 10 sh -c 'wc -l <"$1"' _ "$WORK/fifo" >"$WORK/fifo.n" &
	"$CANRIG" log convert --to asc "$LOG" -o "$WORK/fifo" || return 1
	wait $!
	got=$(cat "$WORK/fifo.n")
	[ -p "$WORK/fifo" ] || { echo "  the FIFO was replaced" >&2; return 1; }
	[ "$got" -gt 3 ] || { echo "  the FIFO's reader got $got lines" >&2; return 1; }
}

check dbc_files dbc_files
check log_files log_files
check yaml_files yaml_files
check diag_files diag_files
check yaml_wrong yaml_wrong
check out_not_regular out_not_regular
summary
