#!/bin/sh
# deps.sh - install the Debian packages canrig needs, or say exactly how.
#
# As root it runs apt-get; otherwise it prints the command and fails, so
# "make test" never half-works on a machine that lacks a tool.
# CANRIG_DEPS_EXTRA adds packages (e.g. "clang" for make fuzz).
set -eu

# build + unit tests
PKGS="gcc make pkg-config libev-dev libyaml-dev libcunit1-dev"
# BLF log containers are zlib streams
PKGS="$PKGS zlib1g-dev"
# C++ programs against the installed library (tests/cli_lib.sh)
PKGS="$PKGS g++"
# make test checks the formatting against the repository's .clang-format
PKGS="$PKGS clang-format"
# canrig monitor's screen, and the terminal its screen tests drive
PKGS="$PKGS libncurses-dev tmux"
# integration peer
PKGS="$PKGS can-utils iproute2 kmod"
# an independent DoIP implementation for the codec cross-check (tests/cli_doip.sh)
PKGS="$PKGS python3-scapy"
# the DoIP dissector that checks every loopback capture (tests/cli_doip_sim.sh)
PKGS="$PKGS tshark"
# the independent BLF / TRC / ASC reader and writer of the log-format tests
PKGS="$PKGS python3-can"
# canrig uplink: libmosquitto, its MQTT client; the broker and the
# subscriber its tests run against (tests/vcan/t/uplink_basic.sh)
PKGS="$PKGS libmosquitto-dev mosquitto mosquitto-clients"
# canrig uplink's TLS: OpenSSL's headers (the handshake's state, the check
# of the TLS files) and its CLI, which makes the tests' CA and certificates
PKGS="$PKGS libssl-dev openssl"
# the qemu vcan guest, needed where the host kernel has no AF_CAN
PKGS="$PKGS qemu-system-x86 busybox-static cpio"
# systemd-analyze, which checks the shipped units (tests/cli_uplink.sh)
PKGS="$PKGS systemd"
PKGS="$PKGS ${CANRIG_DEPS_EXTRA:-}"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
	exit 0
fi

echo "deps: missing Debian packages:$missing" >&2
echo "deps: run: sudo apt-get install -y$missing" >&2
exit 1
