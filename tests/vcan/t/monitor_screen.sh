# monitor_screen.sh - vcan test, run by tests/vcan/run.sh (lib.sh is sourced;
# mon_listeners is monitor_once.sh's).
#
# canrig monitor's screen on live interfaces: the frames of the golden
# replay (tests/data/monitor/mon.log) played onto vcan0/vcan1 by canplayer
# at their recorded times, the monitor under tmux.  The table must be the
# one the replay test (tests/cli_monitor_screen.sh) pins down, step by
# step, but for what depends on the clock: rates, jitter, ages, frames/s
# and the changed-byte marks, which fade after a second (all blanked on
# both sides by ms_norm).

MS_GOLD=$PWD/tests/data/monitor

# ms_norm: a screen on stdin with the clock's columns blanked: frames/s in
# the title, and in each message row HZ, JIT and AGE (the header's column
# positions); '*' (a changed byte, NO_COLOR) read as a blank; the
# title's interfaces in name order
ms_norm() {
	python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
hz = jit = age = None
for l in lines:
    if " BUS " in l and " HZ " in l:
        hz = (l.index("COUNT") + 5, l.index(" JIT ms") + 7)
        age = l.index("AGE")
out = []
for i, l in enumerate(lines):
    l = re.sub(r"[0-9.]+ fps", "N fps", l)
    if i == 0 and l.startswith("canrig monitor  "):
        # the replay lists buses as they appear, live as named
        l = "canrig monitor  " + " | ".join(sorted(p.strip() for p in l[16:].split("|")))
    if hz and re.match(r"^[ >][ +-]vcan", l):
        l = l.ljust(age + 5)
        l = l[:hz[0]] + " " * (hz[1] - hz[0]) + l[hz[1]:age - 2] + " " * (len(l) - age + 2)
    out.append(l.replace("*", " ").rstrip())
print("\n".join(out))
'
}

ms_tm() { tmux -S "$PWD/tmux.sock" "$@"; }

# ms_is NAME: the screen, normalised, is golden NAME's, normalised
ms_is() {
	ms_tm capture-pane -p -t mon | ms_norm >got.txt
	ms_norm <"$MS_GOLD/$1.txt" >want.txt
	cmp -s got.txt want.txt
}
ms_screen() {
	poll "the live screen never became $1's" ms_is "$1" || {
		diff want.txt got.txt >&2
		return 1
	}
}
ms_keys() { ms_tm send-keys -t mon "$@"; }
ms_count_is() { # ROW-PATTERN N: the row's COUNT on screen is N
	ms_tm capture-pane -p -t mon | grep -E -- "$1" | awk -v n="$2" '{ f = 0
		for (i = 1; i <= NF; i++) if ($i == n) f = 1
		exit !f }'
}

ms_steps() {
	ms_tm -f /dev/null new-session -d -x 100 -y 30 -s mon \
		"env NO_COLOR=1 TERM=screen LC_ALL=C.UTF-8 $CANRIG monitor -d $MS_GOLD/mon.dbc -r 8388608 vcan0 vcan1 2>$PWD/err; echo \$? >$PWD/rc; sleep 600"
	poll "canrig monitor never listened on vcan0" mon_listeners vcan0 1
	poll "canrig monitor never listened on vcan1" mon_listeners vcan1 1
	# recorded times: canplayer -t would outrun a receiver under TCG
	canplayer -I "$MS_GOLD/mon.log"
	# the cursor follows its row, and which row was first on screen
	# depends on when the first redraw came: to the top, as a user would
	ms_keys g
	ms_screen start
	ms_keys s
	ms_screen sort-name
	ms_keys s s s
	ms_screen start
	ms_keys / c e Enter
	ms_screen filter-ce
	ms_keys Escape
	ms_screen filter-cleared
	ms_keys g j j Enter
	ms_screen expand-cells
	ms_keys e
	ms_screen expand-all
	ms_keys E g
	ms_screen start
	# paused, the view stands while capture goes on; live again it
	# shows what came meanwhile
	ms_keys p
	poll "no PAUSED on the status line" ms_screen_has PAUSED
	cansend vcan0 0C0#00000000
	cansend vcan0 0C0#00000000
	sleep 1 # what a redraw would have shown by now, were it not paused
	ms_count_is ' 0C0 EngineData ' 60
	ms_keys p
	poll "EngineData's count never reached 62 after the pause" ms_count_is ' 0C0 EngineData ' 62
	ms_keys q
	poll "the monitor never quit on q" test -s rc
	[ "$(cat rc)" = 0 ]
	[ ! -s err ] || { cat err >&2; false; }
}
ms_screen_has() { ms_tm capture-pane -p -t mon | grep -qF -- "$1"; }

t_monitor_screen() {
	# the tmux server leaves our process group: killed on any exit
	trap 'ms_tm kill-server 2>/dev/null || true' EXIT
	ms_steps
}
