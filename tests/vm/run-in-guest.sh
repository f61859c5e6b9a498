#!/usr/bin/env bash
# run-in-guest.sh - run a command inside a throwaway qemu guest that has
# vcan0..vcan3 (CAN FD, mtu 72) up.
#
# The host kernel of our CI machines has no AF_CAN, so everything that needs
# a CAN bus runs in a guest instead. The guest boots a stock Debian kernel
# (downloaded once with apt-get download, never installed), and its /init
# mounts the host's whole / over virtio-9p and chroots into it. So inside the
# guest every host path, tool and build product is where it is on the host,
# and the command runs in the same working directory; only /proc, /sys, /dev
# and /run are the guest's own (/run a tmpfs: 9p cannot hold unix sockets).
#
# The job is handed over on the kernel command line (canrig.job=DIR): DIR is
# a mktemp -d directory on the host, seen by the guest through the share. It
# holds the generated second-stage script, and the guest writes the command's
# exit status into it. The command's output (stdout and stderr together)
# leaves the guest on its second serial port, which qemu passes on to our
# stdout as it comes, so it streams live and survives a guest crash. The
# kernel console goes to the first serial port and into a log file, shown
# only when something goes wrong.

set -euo pipefail

prog=run-in-guest.sh

usage() {
	cat <<'EOF'
Usage: tests/vm/run-in-guest.sh CMD [ARGS...]
       tests/vm/run-in-guest.sh --check-native
       tests/vm/run-in-guest.sh --help

Run CMD inside a throwaway qemu guest (stock Debian kernel, the host's / as
root filesystem over 9p, /run an empty tmpfs of the guest's own, as unix
sockets cannot live on 9p) with vcan0..vcan3 up as CAN FD interfaces (mtu 72)
and the CAN modules can, can-raw, can-bcm, can-gw, can-isotp, vcan, vxcan
loaded. CMD runs as root in the current directory with stdin from /dev/null;
its stdout and stderr are streamed to stdout. The exit status is CMD's, or
125 if the guest or this script failed (no status came back: crash, panic,
timeout, setup error).

  --check-native  exit 0 if this host can use vcan natively (no guest
                  needed), 1 otherwise; prints nothing
  --help          show this help

Environment:
  CANRIG_VM_TIMEOUT   seconds before the guest is killed (default 1800;
                      0: no limit)
  CANRIG_VM_CACHE     cache for kernel and initramfs
                      (default ${XDG_CACHE_HOME:-$HOME/.cache}/canrig-vm)
  CANRIG_VM_KERNEL_PKG  Debian package(s) with vmlinuz and modules (default:
                      what linux-image-amd64 depends on, first time only)
  CANRIG_VM_MEM, CANRIG_VM_SMP  guest memory in MiB (2048) and CPUs (2)
  CANRIG_VM_ENV       extra variable names to pass into the guest
  CANRIG_VM_CPU       qemu -cpu model (default max,-erms,-fsrm)
  CANRIG_VM_APPEND    more guest kernel arguments (after the defaults:
                      clocksource=tsc tsc=reliable idle=poll)
  CANRIG_VM_9P_CACHE  9p cache mode of the guest's view of the host: loose
                      (default; fast, but changes the host makes to files
                      while the guest runs may go unseen) or none
  CANRIG_VM_VERBOSE=1 show the guest's kernel console on stderr

Passed into the guest: PATH, HOME, USER, LANG, LC_*, TZ, CI, GITHUB_ACTIONS,
TMPDIR, CC, CFLAGS, CPPFLAGS, LDFLAGS, LDLIBS, PKG_CONFIG_PATH, PYTHONPATH,
*SAN_OPTIONS, V, VERBOSE, every CANRIG* (CANRIG and CANRIGD, the binaries
under test, too) and those in CANRIG_VM_ENV; TERM is
set to dumb.
EOF
}

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 125
}

note() {
	printf '%s: %s\n' "$prog" "$*" >&2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
vcan_setup=$(cd "$here/../.." && pwd -P)/vcan-setup.sh

# ---- --check-native ----------------------------------------------------------
# Used by the Makefile to decide between running tests directly and running
# them through this script. Quiet: the exit status is the answer.
check_native() {
	PATH=$PATH:/usr/sbin:/sbin
	command -v ip >/dev/null 2>&1 || return 1
	if [ "${EUID:-$(id -u)}" -eq 0 ]; then
		# Root can find out for sure: create a probe vcan and delete it.
		# Load the modules first where that is possible, as vcan-setup.sh
		# would.
		if command -v modprobe >/dev/null 2>&1; then
			modprobe -q vcan 2>/dev/null || true
			modprobe -q can_raw 2>/dev/null || true
		fi
		local probe=canrig$$ # at most 15 characters
		ip link add dev "$probe" type vcan >/dev/null 2>&1 || return 1
		ip link del dev "$probe" >/dev/null 2>&1 || true
	else
		# Without root nothing can be created; native use is possible only
		# if someone already set up vcan0..vcan3 (e.g. sudo vcan-setup.sh).
		local i
		for i in 0 1 2 3; do
			ip -d -o link show dev "vcan$i" 2>/dev/null | grep -qw vcan || return 1
		done
	fi
	# /proc/net/can appears once the AF_CAN core is there (loaded or built in);
	# without it socket(PF_CAN) fails even though vcan links exist.
	[ -d /proc/net/can ]
}

# ---- arguments ---------------------------------------------------------------
case ${1-} in
'')
	usage >&2
	exit 2
	;;
-h | --help)
	usage
	exit 0
	;;
--check-native)
	check_native && exit 0 || exit 1
	;;
--) shift ;;
-*) die "unknown option '$1' (see --help)" ;;
esac
[ $# -gt 0 ] || die "no command given (see --help)"

timeout_s=${CANRIG_VM_TIMEOUT:-1800}
case $timeout_s in '' | *[!0-9]*) die "CANRIG_VM_TIMEOUT must be a number of seconds" ;; esac
cache=${CANRIG_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/canrig-vm}
mem=${CANRIG_VM_MEM:-2048}
smp=${CANRIG_VM_SMP:-2}
verbose=${CANRIG_VM_VERBOSE:-0}
# 9p caching in the guest. loose halves the time of anything that runs many
# programs (each exec reads the binary and its libraries over 9p), but the
# guest then does not notice files the host changes while it runs; none
# (no caching) always sees the host's current files.
p9_cache=${CANRIG_VM_9P_CACHE:-loose}
case $p9_cache in none | loose | mmap | fscache) ;; *) die "CANRIG_VM_9P_CACHE must be none, loose, mmap or fscache" ;; esac
busybox=/bin/busybox

for tool in qemu-system-x86_64 cpio gzip timeout; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "'$tool' is needed but not installed (apt-get install qemu-system-x86 cpio gzip coreutils)"
done
[ -x "$busybox" ] || die "$busybox is missing (apt-get install busybox-static)"
# The initramfs has no libraries, so busybox must be the static build.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; install busybox-static"
fi
[ -x "$vcan_setup" ] || die "cannot find an executable $vcan_setup"

# ---- the guest's /init ---------------------------------------------------------
# Runs as PID 1 from the initramfs (busybox sh). Kept minimal: everything
# specific to a run lives in the job directory's stage2 script instead, so the
# cached initramfs only changes when this text, busybox or the kernel do.
# Its messages go to the kernel console (ttyS0), i.e. the console log.
read -r -d '' init_script <<'EOF' || true
#!/bin/busybox sh
# PID 1 of the canrig test guest (generated by tests/vm/run-in-guest.sh).
/bin/busybox mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node, so the kernel could not give us
# stdin/stdout/stderr; open them now that devtmpfs is there.
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin
# Any failure ends the guest at once; the host then reports exit status 125.
fail() { echo "canrig-init: $*"; sync; poweroff -f; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
job=
cache=none
for word in $(cat /proc/cmdline); do
	case $word in
	canrig.job=*) job=${word#canrig.job=} ;;
	canrig.cache=*) cache=${word#canrig.cache=} ;;
	esac
done
[ -n "$job" ] || fail "no canrig.job= on the kernel command line"

# Dependency order, computed on the host when the kernel was cached.
while read -r mod; do
	insmod "/modules/$mod.ko" || fail "insmod $mod failed"
done </modules/order

mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=$cache hostroot /host ||
	fail "cannot mount the host's / over 9p"

# Things devtmpfs lacks but programs expect: bash's <(...) uses /dev/fd,
# python's pty module needs devpts, POSIX shm and semaphores need /dev/shm.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# The guest's own /proc, /sys and /dev replace the host's inside the share.
for d in proc sys dev; do
	mount -o rbind "/$d" "/host/$d" || fail "cannot bind /$d into /host"
done
# /run is the guest's own tmpfs, as on a real system: on the 9p share
# bind() of a unix socket fails (ENXIO), and daemons put theirs there
# (canrigd's default control socket is /run/canrigd/control.sock).
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /host/run || fail "cannot mount a tmpfs on /run"
# Done here with busybox, as every program started from the share costs
# time: loopback up, and the second serial port (the command's output, the
# host's stdout) raw, so bytes pass unchanged (no \r added before \n).
ip link set dev lo up
stty -F /dev/ttyS1 raw -echo || fail "cannot set up /dev/ttyS1"

chroot /host "$job/stage2"
sync
poweroff -f
EOF

# ---- cache: kernel ---------------------------------------------------------
# Modules the guest needs, by module name; their dependencies are added
# automatically from each module's depends= field. virtio_pci, 9pnet_virtio
# and 9p for the host share; the rest for CAN.
guest_modules=(virtio_pci 9pnet_virtio 9p can can_raw can_bcm can_gw can_isotp can_dev vcan vxcan)

# Decompress (or copy) module file $1 to $2; Debian ships .ko today, other
# kernels .ko.xz or .ko.zst, which busybox insmod cannot read.
unpack_module() {
	case $1 in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) return 1 ;;
	esac
}

# Fill directory $1/modules with the guest modules and their dependencies,
# in load order, from the unpacked module tree $2.
declare -A mod_path=() mod_done=()
mod_order=()
collect_modules() {
	local out=$1 tree=$2 f base
	while IFS= read -r -d '' f; do
		base=${f##*/}
		base=${base%%.ko*}
		mod_path[${base//-/_}]=$f
	done < <(find "$tree" -name '*.ko*' -print0)
	mkdir -p "$out/modules"
	local m
	for m in "${guest_modules[@]}"; do
		add_module "$out" "$tree" "$m"
	done
	printf '%s\n' "${mod_order[@]}" >"$out/modules/order"
}

# Depth first: dependencies are appended to mod_order before the module.
add_module() {
	local out=$1 tree=$2 name=${3//-/_} f deps d
	[ -z "${mod_done[$name]-}" ] || return 0
	mod_done[$name]=1
	f=${mod_path[$name]-}
	if [ -z "$f" ]; then
		# Not a module file: fine if it is built into the kernel.
		if grep -Eq "/${name//_/[-_]}\.ko\$" "$tree/modules.builtin" 2>/dev/null; then
			return 0
		fi
		die "the kernel package has no module '$name' (neither a .ko file nor built in)"
	fi
	unpack_module "$f" "$out/modules/$name.ko" || die "cannot unpack $f"
	# The modinfo section holds NUL-separated key=value strings.
	deps=$(tr '\0' '\n' <"$out/modules/$name.ko" | sed -n 's/^depends=//p' | head -n 1)
	for d in ${deps//,/ }; do
		add_module "$out" "$tree" "$d"
	done
	mod_order+=("$name")
}

# Download and unpack the kernel package(s) into $cache/<package names>,
# keeping only vmlinuz, the config and the modules the guest loads.
build_kernel() {
	local dir=$1 tmp deb vmlinuz tree
	shift
	tmp=$(mktemp -d "$cache/.kernel.XXXXXX")
	tmp_dirs+=("$tmp")
	note "downloading kernel package $* (about 70 MB, first run only)"
	# apt-get download needs no root; it only writes into the current
	# directory. Its output is noise unless it fails.
	if ! (cd "$tmp" && apt-get download "$@") >"$tmp/apt.log" 2>&1; then
		cat "$tmp/apt.log" >&2
		rm -rf "$tmp"
		die "apt-get download $* failed; the guest kernel needs network access (or a filled cache in $cache)"
	fi
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root" || die "cannot unpack $deb"
		rm -f "$deb"
	done
	mkdir -p "$tmp/out"
	vmlinuz=$(find "$tmp/root/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
	[ -n "$vmlinuz" ] || die "no boot/vmlinuz-* in $*"
	cp "$vmlinuz" "$tmp/out/vmlinuz"
	cp "$tmp/root/boot/config-"* "$tmp/out/config" 2>/dev/null || true
	extract_vmlinux "$tmp/out"
	# Debian 12 has lib/modules, newer releases usr/lib/modules.
	tree=$(find "$tmp/root/lib/modules" "$tmp/root/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n 1 || true)
	[ -n "$tree" ] || die "no lib/modules/* in $*"
	echo "${tree##*/}" >"$tmp/out/release"
	collect_modules "$tmp/out" "$tree"
	rm -rf "$tmp/root"
	# Atomic: a kernel directory exists completely or not at all.
	mv -T "$tmp/out" "$dir" || die "cannot create $dir"
	rm -rf "$tmp"
}

# Under TCG the kernel takes 3-4 s just to decompress itself. qemu can boot
# the uncompressed ELF vmlinux directly through its PVH entry point instead,
# if the kernel has one (CONFIG_PVH). Like the kernel's own extract-vmlinux
# script: find the compressed payload's magic in the bzImage and unpack from
# there (the decompressor then complains about the trailing data, which is
# harmless, hence the ELF check instead of its exit status). If anything
# does not fit, there is simply no vmlinux and the bzImage is booted.
extract_vmlinux() {
	local dir=$1 magic tool off
	grep -qx 'CONFIG_PVH=y' "$dir/config" 2>/dev/null || return 0
	for magic in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
		tool=${magic%%:*}
		command -v "$tool" >/dev/null 2>&1 || continue
		off=$(LC_ALL=C grep -obUaP "${magic#*:}" "$dir/vmlinuz" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
		[ -n "$off" ] || continue
		tail -c "+$((off + 1))" "$dir/vmlinuz" | "$tool" -dc >"$dir/vmlinux.tmp" 2>/dev/null || true
		if [ "$(head -c 4 "$dir/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			mv -f "$dir/vmlinux.tmp" "$dir/vmlinux"
			return 0
		fi
	done
	rm -f "$dir/vmlinux.tmp"
}

# Sets kernel_dir. An already cached kernel is reused without asking apt, so
# the guest kernel does not change behind our back (or need the network)
# when Debian bumps its ABI; delete the cache to move on.
prepare_kernel() {
	local pkgs
	kernel_dir=
	if [ -n "${CANRIG_VM_KERNEL_PKG:-}" ]; then
		read -r -a pkgs <<<"$CANRIG_VM_KERNEL_PKG"
	else
		kernel_dir=$(find "$cache" -mindepth 1 -maxdepth 1 -name 'linux-image-*' -type d | sort -V | tail -n 1)
	fi
	if [ -z "$kernel_dir" ] && [ -z "${CANRIG_VM_KERNEL_PKG:-}" ]; then
		command -v apt-cache >/dev/null 2>&1 ||
			die "no cached kernel and no apt-cache to find one; set CANRIG_VM_KERNEL_PKG or fill $cache"
		# linux-image-amd64 is a metapackage depending on the real one,
		# e.g. linux-image-6.1.0-56-amd64.
		pkgs=("$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)")
		# a fresh machine may have no package lists yet; root can fetch them
		if [ -z "${pkgs[0]}" ] && [ "$(id -u)" -eq 0 ]; then
			apt-get update -qq >/dev/null 2>&1 || true
			pkgs=("$(apt-cache depends linux-image-amd64 2>/dev/null |
				sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)")
		fi
		[ -n "${pkgs[0]}" ] ||
			die "apt-cache knows no linux-image-amd64 (run apt-get update, or set CANRIG_VM_KERNEL_PKG)"
	fi
	if [ -z "$kernel_dir" ]; then
		kernel_dir=$cache/$(IFS=+ && echo "${pkgs[*]}")
		[ -f "$kernel_dir/vmlinuz" ] || build_kernel "$kernel_dir" "${pkgs[@]}"
	fi
	kernel=$kernel_dir/vmlinuz
	[ ! -f "$kernel_dir/vmlinux" ] || kernel=$kernel_dir/vmlinux
}

# ---- cache: initramfs --------------------------------------------------------
# Sets initrd. Keyed by a hash of everything that goes into it, so a changed
# init script (or busybox, or kernel) gets a fresh one and concurrent users
# of the old one are not disturbed.
prepare_initrd() {
	local key tmp
	key=$({
		printf '%s\n' "$init_script"
		sha256sum <"$busybox"
		echo "$kernel_dir"
		cat "$kernel_dir/modules/order"
	} | sha256sum | cut -c1-16)
	initrd=$cache/initramfs-$key.cpio.gz
	[ -f "$initrd" ] && return 0
	tmp=$(mktemp -d "$cache/.initrd.XXXXXX")
	tmp_dirs+=("$tmp")
	mkdir -p "$tmp/root/bin" "$tmp/root/dev" "$tmp/root/proc" "$tmp/root/sys" "$tmp/root/host"
	cp "$busybox" "$tmp/root/bin/busybox"
	printf '%s\n' "$init_script" >"$tmp/root/init"
	chmod 755 "$tmp/root/init"
	cp -r "$kernel_dir/modules" "$tmp/root/modules"
	# -R 0:0: the files belong to root in the guest even when built by a user.
	if ! (cd "$tmp/root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -1 >"$tmp/initrd"); then
		rm -rf "$tmp"
		die "cannot build the initramfs"
	fi
	mv -f "$tmp/initrd" "$initrd"
	rm -rf "$tmp"
	# Initramfs files of older script versions: drop them after a day, when
	# no run that picked one can still be starting.
	find "$cache" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "${initrd##*/}" -mtime +0 -delete 2>/dev/null || true
}

# Temporary directories (cache builds, the job) go when we exit, however that
# happens; a half-unpacked kernel is 400 MB.
tmp_dirs=()
# shellcheck disable=SC2317 # (run from traps)
cleanup() {
	[ ${#tmp_dirs[@]} -eq 0 ] || rm -rf "${tmp_dirs[@]}"
}
trap cleanup EXIT
# On Ctrl-C or kill, stop the guest (timeout passes the signal on to qemu)
# rather than leave it running, then exit (which runs cleanup).
qemu_pid=
cat_pid=
# shellcheck disable=SC2317 # (run from traps)
on_signal() {
	if [ -n "$qemu_pid" ]; then
		kill -TERM "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	[ -z "$cat_pid" ] || wait "$cat_pid" 2>/dev/null || true
	exit "$1"
}
trap 'on_signal 129' HUP
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

mkdir -p "$cache" || die "cannot create the cache directory $cache"
# One builder at a time; the others wait and then find the cache filled.
# (mv into place keeps things consistent even without flock.)
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then
	flock 9
fi
prepare_kernel
prepare_initrd
exec 9>&-

# ---- the job -------------------------------------------------------------------
# Its path goes on the kernel command line, which splits at spaces, so fall
# back to /tmp if TMPDIR has unusual characters, or is under /dev, /proc or
# /sys, where the guest has its own file systems instead of the host's.
job=$(mktemp -d "${TMPDIR:-/tmp}/canrig-vm.XXXXXX") || die "cannot create a job directory"
if [[ $job =~ [^A-Za-z0-9._/-] || $job =~ ^/(dev|proc|sys)/ ]]; then
	rmdir "$job"
	job=$(mktemp -d /tmp/canrig-vm.XXXXXX) || die "cannot create a job directory"
fi
tmp_dirs+=("$job")

# The environment the command gets: a clean one plus what is worth passing.
env_args=(TERM=dumb)
pass_vars=(PATH HOME USER LOGNAME LANG LANGUAGE TZ CI GITHUB_ACTIONS TMPDIR
	CC CFLAGS CPPFLAGS LDFLAGS LDLIBS PKG_CONFIG_PATH PYTHONPATH
	ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS TSAN_OPTIONS V VERBOSE)
read -r -a extra_vars <<<"${CANRIG_VM_ENV:-}"
for var in "${pass_vars[@]}" "${extra_vars[@]}" $(compgen -v LC_) $(compgen -v CANRIG); do
	if [ -n "${!var+set}" ]; then
		env_args+=("$var=${!var}")
	fi
done

# Second stage, run by the guest's /init chrooted into the host's /, so it
# runs with the host's bash and tools. Everything run-specific is baked in
# with printf %q.
{
	printf '#!%s\n' "$BASH"
	printf '# Generated by tests/vm/run-in-guest.sh; runs as root in the guest.\n'
	printf 'job=%q\n' "$job"
	printf 'vcan_setup=%q\n' "$vcan_setup"
	printf 'cwd=%q\n' "$PWD"
	printf 'env_args=('
	printf ' %q' "${env_args[@]}"
	printf ' )\n'
	printf 'cmd=('
	printf ' %q' "$@"
	printf ' )\n'
	cat <<'EOF'
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The command's output goes to the second serial port, i.e. the host's
# stdout (/init has made it raw).
out=/dev/ttyS1
exec </dev/null
say() { printf 'run-in-guest.sh: %s\n' "$*" >"$out"; }

# Its report goes to the console log; only a failure is shown to the user.
if ! msg=$("$vcan_setup" 2>&1); then
	say "guest setup failed: $msg"
	exit 1
fi
printf '%s\n' "$msg"
cd "$cwd" || { say "cannot cd to $cwd in the guest"; exit 1; }

env -i "${env_args[@]}" "${cmd[@]}" </dev/null >"$out" 2>&1
status=$?
# tcsetattr(TCSADRAIN) waits until the serial port has sent everything, so
# no output is lost to the power-off. (Closing would only drain if nothing
# else, such as a leftover background process, kept the port open.)
stty -F "$out" raw
echo "$status" >"$job/status.tmp" && mv "$job/status.tmp" "$job/status"
EOF
} >"$job/stage2"
chmod 755 "$job/stage2"

# ---- qemu ------------------------------------------------------------------------
# Without ERMS/FSRM the kernel copies and clears memory (every skb) with
# plain loops instead of rep movs/stos, which TCG emulates slowly:
# memset_erms led the kernel profile of canrigd under load.
cpu=${CANRIG_VM_CPU:-max,-erms,-fsrm}
# TCG emulates the TSC from qemu's own clock, the same for every vCPU, so
# it is safe as the guest's clock source; the kernel still calls it
# unstable and falls back to the emulated HPET, where every clock read
# (clock_gettime, every frame's rx timestamp) is a trap into qemu.
# idle=poll: an idle vCPU spins instead of halting; waking a halted one
# costs TCG some 50 us (a pipe round trip between two processes on two
# vCPUs: 72 us halting, 26 us polling, 21 us on the host itself), and a
# gateway's every frame is such a wake-up. The price: both vCPUs keep the
# host's cores busy, so the suite as a whole runs about a third slower.
append="console=ttyS0 panic=-1 clocksource=tsc tsc=reliable idle=poll canrig.job=$job canrig.cache=$p9_cache${CANRIG_VM_APPEND:+ $CANRIG_VM_APPEND}"
if [ "$verbose" = 1 ]; then
	# Kernel console live on our stderr (append: never truncate a file).
	console=(-chardev "file,id=con,path=/dev/stderr,append=on")
else
	append="$append quiet loglevel=3"
	console=(-chardev "file,id=con,path=$job/console.log")
fi
# passthrough stores the guest's owners and modes as they are, which needs
# root; a user's qemu gets none (files simply belong to the user).
sec_model=none
[ "${EUID:-$(id -u)}" -ne 0 ] || sec_model=passthrough

# TCG, not KVM: KVM hangs on these machines right after the kernel is
# decompressed. -display none rather than -nographic, which would try to put
# a monitor on stdio. stdin is /dev/null: nothing is read from it, and qemu
# must not touch the terminal's settings.
qemu=(qemu-system-x86_64 -accel tcg -cpu "$cpu" -m "$mem" -smp "$smp"
	-display none -nodefaults -no-user-config -no-reboot -net none
	"${console[@]}" -serial chardev:con
	-chardev "stdio,id=out,signal=off" -serial chardev:out
	-kernel "$kernel" -initrd "$initrd" -append "$append"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=$sec_model,id=hostroot,multidevs=remap")

# qemu makes its stdout non-blocking while it runs. Were that our stdout,
# the flag would hit everyone sharing it (make -j siblings, a second guest
# writing to the same pipe) with EAGAIN write errors. So qemu gets a FIFO of
# its own, and cat copies from it to our stdout.
mkfifo "$job/out"
cat "$job/out" &
cat_pid=$!
qemu_log=$job/qemu.log
[ "$verbose" != 1 ] || qemu_log=/dev/stderr
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$job/out" 2>>"$qemu_log" &
qemu_pid=$!
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=
# Should qemu never have opened the FIFO, cat would wait for a writer
# forever; a read-write open never blocks, and closing it again gives cat
# its end of file.
exec 3<>"$job/out"
exec 3>&-
wait "$cat_pid" || true
cat_pid=

if [ -f "$job/status" ]; then
	exit "$(cat "$job/status")"
fi

# No status: the guest did not get to the end. Say why as well as we can.
if [ "$qemu_status" -eq 124 ] || [ "$qemu_status" -eq 137 ]; then
	note "guest timed out after ${timeout_s}s (CANRIG_VM_TIMEOUT)"
else
	note "guest ended without an exit status (qemu exit status $qemu_status)"
fi
if [ -s "$job/qemu.log" ]; then
	note "qemu said:"
	tail -n 10 "$job/qemu.log" | sed 's/^/  /' >&2
fi
if [ -s "$job/console.log" ]; then
	# A panic's cause comes before its long stack trace, so pick out the
	# telling lines first, then show the end.
	if grep -qE 'Kernel panic|BUG:|Oops|canrig-init:|Out of memory' "$job/console.log"; then
		note "from the guest's kernel console:"
		grep -E 'Kernel panic|BUG:|Oops|canrig-init:|Out of memory|Killed process' "$job/console.log" |
			head -n 10 | sed 's/\r$//; s/^/  /' >&2
	fi
	note "last lines of the guest's kernel console (all of it: CANRIG_VM_VERBOSE=1):"
	tail -n 15 "$job/console.log" | sed 's/\r$//; s/^/  /' >&2
fi
exit 125
