#!/usr/bin/env bash
# vcan-setup.sh - create (or delete) virtual CAN interfaces for canrig tests.
#
# Usage: vcan-setup.sh [-n N] [--fd|--no-fd] [--down] [NAME...]
#
# Runs on a normal Linux host (as root) and inside the qemu guest started by
# tests/vm/run-in-guest.sh. The guest's /init has insmod'ed the CAN modules
# already, and the modprobe it sees (the host's, as it chroots into the
# host's /) could not find modules for the guest's kernel anyway; so the
# module is only loaded here when it is missing, and only if modprobe exists.

set -euo pipefail

prog=vcan-setup.sh

usage() {
	cat <<'EOF'
Usage: vcan-setup.sh [-n N] [--fd|--no-fd] [--down] [NAME...]

Create virtual CAN (vcan) interfaces and bring them up.

  -n N       create vcan0..vcan(N-1) (default: 4); ignored when NAMEs are given
  --fd       make the interfaces CAN FD capable, mtu 72 (default)
  --no-fd    classic CAN only, mtu 16
  --down     delete the interfaces instead
  -h, --help show this help

Existing interfaces are kept; only their mtu and up state are fixed, so
running it again is harmless. Needs root and the vcan kernel module
(loaded with modprobe when missing). Hosts without it can run tests with
tests/vm/run-in-guest.sh instead.
EOF
}

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 1
}

# ---- arguments -------------------------------------------------------------
count=4
fd=1
down=0
names=()
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help)
		usage
		exit 0
		;;
	-n)
		[ $# -ge 2 ] || die "option -n needs a number"
		count=$2
		shift
		;;
	-n*) count=${1#-n} ;;
	--fd) fd=1 ;;
	--no-fd) fd=0 ;;
	--down) down=1 ;;
	--)
		shift
		names+=("$@")
		break
		;;
	-*) die "unknown option '$1' (see --help)" ;;
	*) names+=("$1") ;;
	esac
	shift
done

case $count in
'' | *[!0-9]*) die "-n needs a non-negative number, got '$count'" ;;
esac
if [ ${#names[@]} -eq 0 ]; then
	for ((i = 0; i < 10#$count; i++)); do
		names+=("vcan$i")
	done
fi
# What the kernel accepts as an interface name (and what is safe to hand to
# ip -batch, which splits at spaces).
for name in "${names[@]}"; do
	[[ $name =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "invalid interface name '$name'"
done
[ ${#names[@]} -gt 0 ] || exit 0

# ---- preconditions ---------------------------------------------------------
# The guest chroots into the host's root, where ip may live in /sbin or
# /usr/sbin, which a non-login PATH does not always contain.
PATH=$PATH:/usr/sbin:/sbin
# (bash's command -v can report a non-executable file, hence the -x.)
[ -x "$(command -v ip 2>/dev/null)" ] ||
	die "the 'ip' command (iproute2) is not installed; install iproute2"
[ "${EUID:-$(id -u)}" -eq 0 ] || die "must run as root; try: sudo ./vcan-setup.sh"

# True if NAME exists as a network interface of any kind.
link_exists() {
	[ -e "/sys/class/net/$1" ]
}

# Existing vcan interfaces, from one ip call (in the guest every program
# start costs a noticeable fraction of a second).
declare -A is_vcan=()
while IFS= read -r line; do
	# "3: vcan1: <NOARP,UP,...> mtu 72 ..." (-o: one line per interface)
	line=${line#*: }
	is_vcan[${line%%: *}]=1
done < <(ip -o link show type vcan 2>/dev/null)

# ---- --down ----------------------------------------------------------------
if [ "$down" -eq 1 ]; then
	for name in "${names[@]}"; do
		# Deleting something that is not there is not an error: idempotent.
		link_exists "$name" || continue
		# Never delete a real interface that was named by mistake.
		[ -n "${is_vcan[$name]-}" ] || die "$name is not a vcan interface; not deleting it"
		out=$(ip link del dev "$name" 2>&1) || die "cannot delete $name: $out"
		echo "$prog: $name deleted"
	done
	exit 0
fi

# ---- up --------------------------------------------------------------------
mtu=16
if [ "$fd" -eq 1 ]; then
	mtu=72
fi

# Load vcan only when an interface must actually be created and the module is
# not there yet (/sys/module/vcan exists for a loaded or built-in vcan, since
# it has a module parameter). Without modprobe (the guest) just try ip.
modprobe_note="modprobe vcan failed"
load_vcan() {
	[ -d /sys/module/vcan ] && return 0
	if command -v modprobe >/dev/null 2>&1; then
		modprobe vcan 2>/dev/null || return 0
		# Best effort: the socket and gateway modules the tests use. The
		# kernel would autoload can-raw on socket(), but nothing autoloads
		# can-gw for cangw(1), and the load fails harmlessly if absent.
		for m in can_raw can_bcm can_gw can_isotp; do
			modprobe -q "$m" 2>/dev/null || true
		done
	else
		modprobe_note="modprobe not found and vcan not loaded"
	fi
}

vcan_missing() {
	die "the vcan kernel module is not available ($modprobe_note); on this host use tests/vm/run-in-guest.sh"
}

# Collect what needs doing as ip batch commands and run them in one go.
cmds=()
for name in "${names[@]}"; do
	if link_exists "$name"; then
		# Refuse to "fix" an unrelated interface that happens to have the name.
		[ -n "${is_vcan[$name]-}" ] || die "$name exists but is not a vcan interface"
		read -r cur <"/sys/class/net/$name/mtu"
		# vcan refuses an mtu change while up (EBUSY): down first.
		[ "$cur" = "$mtu" ] || cmds+=("link set dev $name down" "link set dev $name mtu $mtu")
	else
		load_vcan
		cmds+=("link add dev $name mtu $mtu type vcan")
	fi
	cmds+=("link set dev $name up")
done

# -force: carry on after a failed command (a concurrent run may have created
# an interface already); the end state is checked below either way.
if ! out=$(printf '%s\n' "${cmds[@]}" | ip -force -batch - 2>&1); then
	case $out in
	*"Unknown device type"* | *"not supported"*) vcan_missing ;;
	esac
fi

# Judge by the result rather than by ip's messages: each interface must
# exist with the right mtu and be up (IFF_UP, bit 0 of flags).
for name in "${names[@]}"; do
	link_exists "$name" || die "cannot create $name: ${out:-unknown error}"
	read -r cur <"/sys/class/net/$name/mtu"
	read -r flags <"/sys/class/net/$name/flags"
	[ "$cur" = "$mtu" ] || die "cannot set mtu $mtu on $name: ${out:-unknown error}"
	(( flags & 1 )) || die "cannot bring $name up: ${out:-unknown error}"
	if [ "$mtu" -eq 72 ]; then
		echo "$prog: $name up (mtu 72, CAN FD)"
	else
		echo "$prog: $name up (mtu 16, classic CAN)"
	fi
done
