# proc_cpu.sh - sourced by the capture benchmarks: a process's CPU time
# from /proc/PID/stat (utime + stime cover all its threads).
HZ=$(getconf CLK_TCK)

cpu_of() { # utime+stime of PID in seconds
	awk -v hz="$HZ" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

split_of() { # "user U s, sys S s" of PID
	awk -v hz="$HZ" '{ printf "user %.2f s, sys %.2f s", $14 / hz, $15 / hz }' "/proc/$1/stat"
}
