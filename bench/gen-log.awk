# gen-log.awk - deterministic candump log: N lines over three interfaces,
# a mix of classic 11-bit, 29-bit, RTR and CAN FD frames.  Usage:
#   awk -v n=1000000 -f bench/gen-log.awk > big.log
BEGIN {
	srand(42)
	hex = "0123456789ABCDEF"
	t = 1700000000.0
	for (i = 0; i < n; i++) {
		t += 0.000137
		sec = int(t); us = int((t - sec) * 1000000)
		ifc = "vcan" (i % 3)
		k = i % 10
		if (k < 6) {
			len = i % 9; id = sprintf("%03X", (i * 7) % 2048); fd = ""
		} else if (k < 8) {
			len = i % 9; id = sprintf("%08X", (i * 7919) % 536870912); fd = ""
		} else if (k == 8) {
			printf "(%010d.%06d) %s %03X#R\n", sec, us, ifc, i % 2048
			continue
		} else {
			len = (i % 2) ? 64 : 12; id = sprintf("%03X", i % 2048); fd = "#" (i % 2 ? "5" : "4")
		}
		d = ""
		for (j = 0; j < len; j++) {
			b = (i + j * 31) % 256
			d = d substr(hex, int(b / 16) + 1, 1) substr(hex, b % 16 + 1, 1)
		}
		printf "(%010d.%06d) %s %s#%s%s\n", sec, us, ifc, id, fd, d
	}
}
