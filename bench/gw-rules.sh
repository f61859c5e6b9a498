# gw-rules.sh - the gateway benchmarks' rule sets, sourced by bench/gw.sh
# (in the guest) and bench/run.sh (the native reload figure), so that both
# measure the same file.
#
# rules_file N: "ID MASK" lines in can-gw's filter form (EFF and RTR flags
# in the mask: the kernel's exact-match path). N=1: 0x123 alone. N=500:
# 480 exact ids 0x033..0x212, then 10 ranges 0x600-0x60F.. and 10 masks
# 0x700/0x7F0..; 0x123 is the 241st, an exact id in the middle.
rules_file() {
	if [ "$1" = 1 ]; then
		echo "123 C00007FF"
		return
	fi
	awk 'BEGIN { # decimal: not every awk reads 0x
		for (i = 0; i < 480; i++) printf "%X C00007FF\n", 291 - 240 + i   # 0x033..0x212
		for (k = 0; k < 10; k++) printf "%X C00007F0\n", 1536 + 16 * k    # 0x600..
		for (k = 0; k < 10; k++) printf "%X C00007F0\n", 1792 + 16 * k    # 0x700..
	}'
}

# rules_yaml RULES CONTROL [EXTRA-OPTIONS]: canrigd's file for the rule set
# in file RULES, vcan0 -> vcan1
rules_yaml() {
	echo "options: {control: $2${3:+, $3}}"
	echo "interfaces:"
	# a source that sees bursts gets a bigger buffer (docs/gateway.md):
	# 32 MiB holds a good part of a flood that canrigd drains slower than
	# cangen makes it; what counts is the rate on vcan1, from stamps
	echo "  - {name: vcan0, domain: a, rcvbuf: 33554432}"
	echo "  - {name: vcan1, domain: b}"
	echo "routes:"
	awk '{
		id = $1; m = $2
		if (m == "C00007FF") sel = "ids: [0x" id "]"
		else if (id ~ /^6/) sel = "ids: [0x" id "-0x" substr(id, 1, length(id) - 1) "F]"
		else sel = "masks: [{id: 0x" id ", mask: 0x7F0}]"
		printf "  - {name: r%03d, from: vcan0, to: [vcan1], %s}\n", NR - 1, sel
	}' "$1"
}
