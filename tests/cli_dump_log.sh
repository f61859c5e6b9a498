#!/bin/bash
# cli_dump_log.sh - canrig dump -l FILE [--rotate SIZE|TIME] refuses what it
# cannot do before it opens a bus (issue 22): a file name whose extension
# names no format this build writes, --rotate without -l or with a value
# that is neither a size nor a time, -l with screen-only options.  Each is
# one line on stderr and exit 2, and leaves no file behind.  The recording
# itself needs a bus: tests/vcan/t/dump_rotate.sh.  Prints one PASS/FAIL
# line per check and "cli_dump_log: N passed, N failed"; exits 1 on any
# failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
TOP=$PWD
CHECK_OWN_DIR=1

# refused ARGS... -- MESSAGE: canrig dump ARGS exits 2 saying MESSAGE only
refused() {
	local a=()
	while [ "$1" != -- ]; do
		a+=("$1")
		shift
	done
	run 2 out err "$CANRIG" dump "${a[@]}"
	is err "$2"
	[ ! -s out ]
}

refusals() {
	run 2 out err "$CANRIG" dump -l x.nosuch vcan0
	grep -q '^canrig dump: -l x.nosuch: the extension names no format this build writes (known: candump (alias log), asc, .*trc.*)$' err
	[ "$(wc -l <err)" -eq 1 ]
	# the list grows with the formats: the first refusal gives it
	known=$(sed 's/.*(known: \(.*\))$/\1/' err)
	refused -l x vcan0 -- "canrig dump: -l x: no extension to name the format (known: $known)"
	refused -l x.screen vcan0 -- "canrig dump: -l x.screen: the extension names no format this build writes (known: $known)"
	refused -l dir.log/x vcan0 -- "canrig dump: -l dir.log/x: no extension to name the format (known: $known)"
	refused --rotate 20K vcan0 -- "canrig dump: --rotate needs -l FILE"
	refused -l x.log --rotate 10m vcan0 -- "canrig dump: --rotate 10m: 'm' is ambiguous: say min for minutes or M for MiB"
	refused -l x.log --rotate 0 vcan0 -- "canrig dump: --rotate 0: must be above 0 and below 2^64 bytes or ns"
	refused -l x.log --rotate 1.5G vcan0 -- "canrig dump: --rotate 1.5G: unit must be K, M or G (1024-based) for a size, s, min, h or d for a time"
	refused -l x.log --rotate=M vcan0 -- "canrig dump: --rotate M: takes a size (20K, 100M, 1G) or a time (30s, 10min, 2h, 1d)"
	for o in "-t a" -e -a "-d demo.dbc"; do
		# shellcheck disable=SC2086 # o is an option and its value
		refused -l x.trc $o vcan0 -- "canrig dump: -l writes a log file: no -t, -e, -a or -d with it"
	done
	refused -l x.log --rotate 20K -- "canrig dump: no interface given; try 'canrig dump --help'"
	# nothing was written
	[ "$(ls)" = "$(printf 'err\nout')" ] || { ls; false; }
}

help_and_man() {
	"$CANRIG" dump --help >h
	grep -q -- '-l FILE ' h
	grep -q -- '--rotate SIZE|TIME' h
	grep -q 'x-0001.log' h
	grep -qF 'x\-0001.log' "$TOP/man/canrig.1"
	grep -qF -- '--rotate' "$TOP/docs/log-formats.md"
}

check refusals refusals
check help_and_man help_and_man
summary
