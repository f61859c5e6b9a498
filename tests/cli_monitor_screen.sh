#!/bin/bash
# cli_monitor_screen.sh - canrig monitor's screen (issue 23), without a bus:
# a replay at --speed 0 holds the view at the log's last timestamp, so the
# screen is deterministic.  It runs in a private tmux server at a fixed
# size; after each step (sort, filter, expand, pause, clear, help, resize,
# a terminal too small) `tmux capture-pane` is compared with a golden
# screen in tests/data/monitor/NAME.txt.  Those files are the spec: read
# them.  UPDATE=1 rewrites them from what the screen shows (then check the
# diff by eye).  Prints one PASS/FAIL line per check and
# "cli_monitor_screen: N passed, N failed"; exits 1 on any failure.
# shellcheck source=SCRIPTDIR/harness.sh
. "$(dirname "$0")/harness.sh" || exit 1
DBC=$PWD/tests/data/monitor/mon.dbc
LOG=$PWD/tests/data/monitor/mon.log
GOLD=$PWD/tests/data/monitor
UPDATE=${UPDATE:-}
WRITTEN=
WAIT_SECS=${WAIT_SECS:-30}

# frames the model counts: every line of the log but error frames (the
# error flag 0x20000000 in a candump id: 8 hex digits starting 2 or 3)
FRAMES=$(($(wc -l <"$LOG") - $(grep -cE ' [23][0-9A-F]{7}#' "$LOG")))

# a tmux server of our own, on a socket in WORK: only it is ever killed;
# a new socket for each start (a killed server may still hold the last)
SOCK=
NSTART=0
tm() {
	tmux -S "$SOCK" "$@"
}
tm_stop() {
	[ -z "$SOCK" ] || tm kill-server 2>/dev/null || :
}

# launch WxH ENV...: the monitor in a WxH window, with ENV (e.g.
# NO_COLOR=1); its exit status goes to $WORK/rc when it ends
launch() {
	local size=$1
	shift
	tm_stop
	NSTART=$((NSTART + 1))
	SOCK=$WORK/tmux.$BASHPID.$NSTART.sock
	rm -f "$WORK/rc"
	tm -f /dev/null new-session -d -x "${size%x*}" -y "${size#*x}" -s mon \
		"env -u NO_COLOR TERM=screen LC_ALL=C.UTF-8 $* $CANRIG monitor -d $DBC --replay $LOG --speed 0 2>$WORK/err; echo \$? >$WORK/rc; sleep 600"
	# killed by check() if the check stops early (tm_stop otherwise)
	PIDS="$PIDS $(tm display-message -p '#{pid}')"
}

# start ENV...: launched at 100x30, and the replay done
start() {
	launch 100x30 "$@"
	poll "the replay's $FRAMES frames on screen" has "frames $FRAMES "
}

cap() {
	tm capture-pane -p -t mon "$@"
}
has() {
	cap | grep -qF -- "$1"
}

# screen NAME: the screen equals tests/data/monitor/NAME.txt (polled: the
# screen follows a key within a redraw); UPDATE=1: writes it once still
screen() {
	local want=$GOLD/$1.txt n=0
	# UPDATE writes a screen the first time it is named, then compares
	if [ -n "$UPDATE" ] && [[ " $WRITTEN " != *" $1 "* ]]; then
		WRITTEN="$WRITTEN $1"
		sleep 0.5
		until cap >"$WORK/a" && sleep 0.3 && cap >"$WORK/b" && cmp -s "$WORK/a" "$WORK/b"; do
			:
		done
		cp "$WORK/b" "$want"
		echo "wrote $want"
		return 0
	fi
	until cap >"$WORK/got" && cmp -s "$WORK/got" "$want"; do
		n=$((n + 1))
		if [ "$n" -gt $((WAIT_SECS * 10)) ]; then
			echo "screen is not $want after ${WAIT_SECS}s:"
			diff "$want" "$WORK/got"
			return 1
		fi
		sleep 0.1
	done
}

# plain_is FILE: the screen without trailing blanks is FILE
plain_is() {
	cap | sed 's/ *$//' | cmp -s - "$1"
}

keys() {
	tm send-keys -t mon "$@"
}

# the steps a user takes, each screen checked (NO_COLOR: changed bytes are
# reversed and followed by '*', so the plain capture shows them)
steps() {
	start NO_COLOR=1
	screen start
	keys s
	screen sort-name
	keys s
	screen sort-rate
	keys s
	screen sort-change
	keys s
	screen start
	# the filter: typed on the status line, Enter applies
	keys / c e
	screen filter-typing
	keys Enter
	screen filter-ce
	# Esc while typing keeps the old filter: the help page (a later key)
	# proves the Esc was read, leaving it shows the filter still there
	keys / x Escape
	keys '?'
	screen help
	keys x
	screen filter-ce
	# Esc: no filter, the cursor stays on its row
	keys Escape
	screen filter-cleared
	# expand: the cursor to BatteryCells (multiplexed), then all
	keys g j j Enter
	screen expand-cells
	keys e
	screen expand-all
	keys E g
	screen start
	# resize: narrow drops columns, too small is one line, back is whole
	tm resize-window -t mon -x 60 -y 12
	screen narrow
	tm resize-window -t mon -x 30 -y 4
	screen small
	tm resize-window -t mon -x 100 -y 30
	screen start
	# pause, then clear while paused: the frozen view shows the cleared
	# table, and live again it is the same
	keys p
	screen paused
	keys c
	screen paused-cleared
	keys p
	screen cleared
	keys q
	poll "the monitor to quit on q" test -s "$WORK/rc"
	[ "$(cat "$WORK/rc")" = 0 ]
	[ ! -s "$WORK/err" ]
	tm_stop
}

# with colours: the same text but no '*' marks; changed bytes and the bars
# in colour (SGR 31 red, 44 blue background); NO_COLOR's capture has no
# colour at all but reverse video (SGR 7)
colours() {
	start NO_COLOR=1
	screen start
	cap -e >mono.esc
	! grep -qE $'\e\\[(3[0-7]|4[0-7])m' mono.esc
	grep -qF $'\e[7m' mono.esc
	start
	tr '*' ' ' <"$GOLD/start.txt" | sed 's/ *$//' >want
	poll "the colour screen" plain_is want
	cap -e >colour.esc
	grep -qF $'\e[31m' colour.esc
	grep -qF $'\e[44m' colour.esc
	keys q
	poll "the monitor to quit on q" test -s "$WORK/rc"
	tm_stop
}

# started in a window too small: the one line, then the table once the
# window is big enough; q still quits
small_at_start() {
	launch 30x4 NO_COLOR=1
	screen small
	tm resize-window -t mon -x 100 -y 30
	screen start
	keys q
	poll "the monitor to quit on q" test -s "$WORK/rc"
	[ "$(cat "$WORK/rc")" = 0 ]
	tm_stop
}

# a terminal curses cannot drive a full screen on (dumb: no cursor
# addressing; an unknown TERM): exit 1 with one line, nothing drawn
dumb_terminal() {
	local t
	for t in dumb no-such-terminal; do
		launch 100x30 TERM=$t
		poll "the monitor to exit on TERM=$t" test -s "$WORK/rc"
		[ "$(cat "$WORK/rc")" = 1 ]
		[ "$(wc -l <"$WORK/err")" = 1 ]
		grep -q "^canrig monitor: TERM=$t: not a terminal the screen can drive; use --once" "$WORK/err"
		! has "frames"
		tm_stop
	done
}

check steps steps
[ -n "$UPDATE" ] || check small_at_start small_at_start
[ -n "$UPDATE" ] || check dumb_terminal dumb_terminal
[ -n "$UPDATE" ] || check colours colours
summary
