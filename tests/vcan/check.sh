#!/bin/bash
# check.sh - run the vcan integration tests natively when this host can make
# vcan interfaces, otherwise inside the qemu guest (tests/vm/run-in-guest.sh).
# Under CI=true they are never skipped: a host that can do neither fails.
set -u
cd "$(dirname "$0")/../.." || exit 1
export CANRIG=${CANRIG:-$PWD/build/canrig}

if tests/vm/run-in-guest.sh --check-native; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "check-vcan: native vcan needs root to create interfaces;" \
			"run: sudo ./vcan-setup.sh && CANRIG=$CANRIG tests/vcan/run.sh" >&2
		exit 1
	fi
	echo "check-vcan: native vcan on this host"
	./vcan-setup.sh >/dev/null || exit 1
	exec tests/vcan/run.sh "$@"
fi

if command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "check-vcan: no AF_CAN on this host; running in a qemu guest"
	exec tests/vm/run-in-guest.sh tests/vcan/run.sh "$@"
fi

echo "check-vcan: FAIL: this host has no usable vcan and no qemu-system-x86_64;" \
	"run 'make deps' (as root) or use a host with the vcan module" >&2
exit 1
