#!/bin/bash
# cli_help.sh - help, man page and usage errors of every canrig command
# (issue 19), without a bus: every --help exits 0 on stdout, every option
# a --help names is in the man page section of its command, usage errors
# are one line (plus one hint) with the command as typed, files that
# cannot be read exit 1 naming the file and the reason, and a tab in YAML
# is named as such.  Prints one PASS/FAIL line per check and
# "cli_help: N passed, N failed"; exits 1 on any failure.
# $c is "CMD [SUBCMD]", split into words on purpose
# shellcheck disable=SC2086
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
SRC=$PWD
MAN=$SRC/man/canrig.1

# Every command and subcommand, as typed after "canrig".
CMDS=("dump" "send" "replay" "log" "log convert" "dbc" "dbc dump" "dbc decode"
	"dbc encode" "dbc check" "isotp" "isotp send" "isotp recv" "isotp dump"
	"diag" "obd" "gw" "ecu-sim" "monitor" "uplink")

# The man page section(s) that document CMD's options.
sections_of() {
	case $1 in
	log*) echo "canrig log convert" ;;
	dbc*) echo "canrig dbc" ;;
	isotp*) echo "canrig isotp" ;;
	obd) printf '%s\n' "canrig obd" "canrig diag" ;; # "Options as for canrig diag"
	*) echo "canrig $1" ;;
	esac
}

# man/canrig.1 as plain text: font changes, \- and \(en undone
man_text() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\-/-/g' -e 's/\\(e[nm]/-/g' \
		-e 's/\\&//g' -e 's/\\e/\\/g' "$MAN"
}

# man_section NAME: the text of ".SH NAME" up to the next .SH
man_section() {
	man_text | awk -v want="$1" '
		/^\.SH / { s = substr($0, 5); gsub(/"/, "", s); on = (s == want); next }
		on'
}

help_exits_0_on_stdout() {
	local c
	for c in "${CMDS[@]}" ""; do
		rc=0
		"$CANRIG" $c --help >out 2>err || rc=$?
		[ "$rc" -eq 0 ] || { echo "canrig $c --help: exit $rc"; cat err; return 1; }
		[ -s out ] || { echo "canrig $c --help: nothing on stdout"; return 1; }
		[ ! -s err ] || { echo "canrig $c --help: stderr:"; cat err; return 1; }
		rc=0
		"$CANRIG" $c -h >out2 2>err || rc=$?
		[ "$rc" -eq 0 ] && cmp -s out out2 || { echo "canrig $c -h differs"; return 1; }
	done
	# and canrig --help lists no command this test does not know
	"$CANRIG" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' >cmds
	[ "$(wc -l <cmds)" -ge 10 ]
	while read -r c; do
		printf '%s\n' "${CMDS[@]}" | grep -qx -- "$c" || { echo "untested command $c"; return 1; }
	done <cmds
}

# every long option a command's getopt table takes is in its --help
# (ucli.h holds the addressing options diag and obd share)
help_names_every_option() {
	local p c f o bad=0
	for p in dump:cmd_dump.c send:cmd_send.c replay:cmd_replay.c "log convert:cmd_log.c" \
		dbc:cmd_dbc.c isotp:cmd_isotp.c "isotp dump:cmd_isotp.c" diag:cmd_diag.c \
		obd:cmd_obd.c gw:cmd_gw.c ecu-sim:cmd_ecusim.c monitor:cmd_monitor.c uplink:cmd_uplink.c; do
		c=${p%%:*}
		f=("$SRC/tools/${p#*:}")
		case $c in diag | obd) f+=("$SRC/tools/ucli.h") ;; esac
		grep -ohE '\{ *"[a-z0-9-]+", *(no|required|optional)_argument' "${f[@]}" |
			sed -E 's/\{ *"([^"]*)".*/\1/' | sort -u >longs
		[ -s longs ]
		"$CANRIG" $c --help >h
		while read -r o; do
			grep -qE -- "--$o([^a-z0-9-]|\$)" h || { echo "canrig $c --help: no --$o"; bad=1; }
		done <longs
	done
	[ "$bad" -eq 0 ]
}

# canrig --help says what the commands say of themselves
top_help_current() {
	"$CANRIG" --help >top
	grep -q -- '-V, --version' top
	[ "$("$CANRIG" --version)" = "$(sed -n 's/^\.TH .* "\(canrig [^"]*\)" .*/\1/p' "$MAN")" ]
	"$CANRIG" diag --help | grep -q '3 negative response'
	grep -q '3 negative' top
	# replay reads every format (tests/cli_formats.sh checks each name)
	"$CANRIG" replay --help | grep -q 'ASC, BLF, pcapng, pcap'
	grep -Eq '^  replay .*every log format' top
	"$CANRIG" log --help | grep -q 'trc'
	grep -Eq "^  log convert .*trc" top
}

# every option a --help prints is in the man page: -h/--help in OPTIONS,
# a command's in its own section, the top level's anywhere
man_has_every_option() {
	local c s bad=0
	man_section OPTIONS | opts >general
	grep -qx -- --help general && grep -qx -- -h general
	for c in "${CMDS[@]}" ""; do
		"$CANRIG" $c --help 2>/dev/null | opts | grep -vx -e -h -e --help >want || true
		if [ -z "$c" ]; then
			man_text | opts >have
		else
			: >have
			while read -r s; do
				man_section "$s" >sec
				[ -s sec ] || { echo "no section '$s' in the man page"; bad=1; }
				opts <sec >>have
			done < <(sections_of "$c")
		fi
		sort -u -o have have
		# comm -23: in --help, not in the man page
		comm -23 want have >missing
		if [ -s missing ]; then
			echo "canrig $c: not in the man page: $(tr '\n' ' ' <missing)"
			bad=1
		fi
	done
	[ "$bad" -eq 0 ]
}

# ENVIRONMENT names every variable the tools read
man_environment() {
	man_section ENVIRONMENT >environ
	grep -q CANRIGD_CONTROL environ
	grep -ho 'getenv("[A-Z_]*")' "$SRC"/tools/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u >vars
	[ -s vars ]
	while read -r v; do
		grep -q "$v" environ || { echo "$v not in ENVIRONMENT"; return 1; }
	done <vars
}

man_renders() {
	man -l "$MAN" >/dev/null 2>err
	[ ! -s err ] || { cat err; return 1; }
	if command -v groff >/dev/null; then
		groff -man -Tutf8 -ww -z "$MAN" 2>err
		[ ! -s err ] || { cat err; return 1; }
	fi
}

# usage_err "CMD" "PREFIX" "MESSAGE" ARGS...: canrig CMD ARGS exits 2 with
# "canrig PREFIX: MESSAGE" and at most the hint "Try 'canrig CMD --help'."
usage_err() {
	local c=$1 prefix=$2 msg=$3 rc=0
	shift 3
	"$CANRIG" $c "$@" </dev/null >out 2>err || rc=$?
	[ "$rc" -eq 2 ] || { echo "canrig $c $*: exit $rc"; cat err; return 1; }
	[ ! -s out ] || { echo "canrig $c $*: stdout:"; cat out; return 1; }
	n=$(wc -l <err)
	[ "$n" -ge 1 ] && [ "$n" -le 2 ] || { echo "canrig $c $*: $n lines:"; cat err; return 1; }
	[ "$(head -1 err)" = "canrig$prefix: $msg" ] ||
		{ echo "canrig $c $*: want 'canrig$prefix: $msg', got:"; cat err; return 1; }
	[ "$n" -eq 1 ] || [ "$(sed -n 2p err)" = "Try 'canrig${c:+ $c} --help'." ] ||
		{ echo "canrig $c $*: second line:"; cat err; return 1; }
}

usage_errors_one_line() {
	local c
	usage_err "" "" "unknown option --frob" --frob
	usage_err "" "" "unknown option -q" -q
	for c in "${CMDS[@]}"; do
		usage_err "$c" " $c" "unknown option --frob" --frob
	done
	for c in dump send replay "log convert" "dbc decode" "isotp send" "isotp recv" \
		"isotp dump" diag obd gw ecu-sim; do
		usage_err "$c" " $c" "unknown option -q" -q
	done
	# no command: one line naming the commands there are
	"$CANRIG" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' |
		paste -sd, - | sed 's/,/, /g' >names
	usage_err "" "" "no command given ($(cat names))"
	usage_err dbc " dbc" "no command given (dump, decode, encode, check)"
	usage_err isotp " isotp" "no command given (send, recv, dump)"
	usage_err log " log" "no command given (convert)"
	# a missing argument, short and long, at the end of the line
	usage_err dump " dump" "option -n needs an argument" -n
	usage_err dump " dump" "option --dbc needs an argument" vcan0 --dbc
	usage_err send " send" "option --dbc needs an argument" vcan0 --dbc
	usage_err replay " replay" "option -I needs an argument" -I
	usage_err replay " replay" "option --loop needs an argument" --loop
	usage_err "log convert" " log convert" "option --to needs an argument" --to
	usage_err "log convert" " log convert" "option -o needs an argument" -o
	usage_err "dbc decode" " dbc decode" "option --from needs an argument" --from
	usage_err "isotp send" " isotp send" "option -s needs an argument" -s
	usage_err "isotp recv" " isotp recv" "option --count needs an argument" --count
	usage_err "isotp dump" " isotp dump" "option -s needs an argument" -s
	usage_err diag " diag" "option -i needs an argument" -i
	usage_err diag " diag" "option --timeout needs an argument" -i vcan0 --timeout
	usage_err obd " obd" "option --ecu needs an argument" --ecu
	usage_err gw " gw" "option -s needs an argument" -s
	usage_err ecu-sim " ecu-sim" "option --config needs an argument" --config
	# no value where none is taken; an ambiguous abbreviation
	usage_err dump " dump" "option --stats takes no argument" --stats=1 vcan0
	usage_err diag " diag" "option --p is ambiguous" --p vcan0
	usage_err ecu-sim " ecu-sim" "option --c is ambiguous" --c x
}

# a tab in YAML indentation is named as such, with file:line:col
yaml_tab() {
	printf 'ecus:\n\t- name: x\n' >tab.yaml
	rc=0
	"$CANRIG" ecu-sim -n -c tab.yaml >out 2>err || rc=$?
	[ "$rc" -eq 2 ] || { echo "ecu-sim: exit $rc"; cat err; return 1; }
	grep -q 'tab.yaml:2:1: tabs are not allowed for indentation$' err || { cat err; return 1; }
	[ "$(wc -l <err)" -eq 1 ] || { cat err; return 1; }
	printf 'interfaces:\n  - {name: vcan0}\nroutes:\n\t- {name: a}\n' >tabgw.yaml
	rc=0
	"$CANRIGD" -n -c tabgw.yaml >out 2>err || rc=$?
	[ "$rc" -ne 0 ] || { echo "canrigd -n: exit 0"; return 1; }
	grep -q 'tabgw.yaml:4:1: tabs are not allowed for indentation$' err || { cat err; return 1; }
	printf 'dids:\n  - {id: 0xF190, name: VIN}\n\t- {id: 0xF191, name: X}\n' >tabd.yaml
	"$CANRIG" diag -i vcan0 --dids tabd.yaml read F190 >out 2>err || true
	grep -q 'tabd.yaml:3:1: tabs are not allowed for indentation$' err || { cat err; return 1; }
}

# a YAML file that cannot be read (diag --dids, canrigd -c; ecu-sim reads
# its own) is named with the reason, a directory too (it said "read error")
files_yaml() {
	local f want
	mkdir -p adir
	for f in "$PWD/nonexistent.yaml" "$PWD/adir"; do
		if [ -d "$f" ]; then want="Is a directory"; else want="No such file or directory"; fi
		"$CANRIG" diag -i vcan0 --dids "$f" read F190 >out 2>err || true
		[ "$(cat err)" = "canrig diag: $f: $want" ] || { cat err; return 1; }
		"$CANRIGD" -n -c "$f" >out 2>err || true
		[ "$(cat err)" = "canrigd: $f: $want" ] || { cat err; return 1; }
	done
}

check help_exits_0_on_stdout help_exits_0_on_stdout
check help_names_every_option help_names_every_option
check top_help_current top_help_current
check man_has_every_option man_has_every_option
check man_environment man_environment
check man_renders man_renders
check usage_errors_one_line usage_errors_one_line
check yaml_tab yaml_tab
check files_yaml files_yaml
summary
