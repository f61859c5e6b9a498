#!/bin/bash
# cli_formats.sh - every help text, usage error and man page section that
# lists log formats lists all of them (issue 22): log convert's --to and
# dump -l's refusals name every format canrig writes and only those, the
# replay and top-level help and the man page's dump and replay sections
# name every format.  The set comes from the tool itself: each listed
# writable format is written and read back.  Prints one PASS/FAIL line per
# check and "cli_formats: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
D=$PWD/tests/data
MAN=$PWD/man/canrig.1
# the formats issue 22 names; each must really be written and read
WRITES=(candump asc blf pcapng pcap trc)

# has_all FILE NAME...: FILE names each NAME as a word (any case)
has_all() {
	local f=$1 n
	shift
	for n in "$@"; do
		grep -qiw -- "$n" "$f" || {
			echo "$f: no $n in:"
			cat "$f"
			return 1
		}
	done
}

# man_section NAME: the text of ".SH NAME" up to the next .SH, unescaped
man_section() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\&//g' "$MAN" |
		awk -v want="$1" '/^\.SH /{on = (substr($0, 5) == want)} on'
}

every_listed_is_written() {
	local f
	for f in "${WRITES[@]}"; do
		"$CANRIG" log convert --to "$f" "$D/sample.log" -o "x.$f" 2>/dev/null
		"$CANRIG" log convert --from "$f" --to candump "x.$f" >back.log
		[ "$(wc -l <back.log)" -eq "$(wc -l <"$D/sample.log")" ]
	done
}

# the refusals list exactly what --to takes: not the read-only screen format
refusals_list_writers() {
	run 2 out err "$CANRIG" log convert --to candump-screen "$D/sample.log"
	[ "$(wc -l <err)" -eq 1 ]
	has_all err "${WRITES[@]}"
	# screen is named once: as the format refused, not in the list
	if grep -q 'screen.*screen' err; then cat err; false; fi
	run 2 out err "$CANRIG" dump -l x.nosuch vcan0
	[ "$(wc -l <err)" -eq 1 ]
	has_all err "${WRITES[@]}"
	if grep -q screen err; then cat err; false; fi
	# the list matches --to's: a name it gives is accepted by -l's extension
	run 2 out err "$CANRIG" dump -l x.screen vcan0
	grep -q 'names no format this build writes' err
}

helps_list_all() {
	"$CANRIG" --help >top
	grep -E '^  (replay|log convert) ' top >lines
	grep -q 'every log format' lines
	has_all lines "${WRITES[@]}"
	"$CANRIG" log convert --help >lc.txt
	has_all lc.txt "${WRITES[@]}" candump-screen
	"$CANRIG" replay --help >rp
	has_all rp candump asc blf pcapng pcap trc candump-screen
	"$CANRIG" dump --help | grep -A2 -- '-l FILE' >dl
	has_all dl .log .asc .blf .pcapng .pcap .trc
}

man_lists_all() {
	man_section "canrig replay" >rp
	has_all rp asc blf pcapng pcap trc
	man_section "canrig dump" | grep -A30 -- '^\.BI -l " FILE"' >dl
	has_all dl .log .asc .blf .pcapng .pcap .trc
	man_section "canrig log convert" >lc
	has_all lc "${WRITES[@]}" candump-screen
}

check every_listed_is_written every_listed_is_written
check refusals_list_writers refusals_list_writers
check helps_list_all helps_list_all
check man_lists_all man_lists_all
summary
