# SPDX-License-Identifier: GPL-2.0
# Helpers for scripts that boot nested (L2) VMs in the test VM; sourced.
#
# The caller sets: start (=$SECONDS at its start), TIMEOUT (overall bound in
# seconds), W (work folder), KERNEL, L2_INITRD, L2_CPU, and an array pids
# (every background pid, for its cleanup).
# shellcheck shell=bash disable=SC2154 # the variables above are the caller's

# kill_l2 [SIGNAL]: signal (default KILL) every background pid of the
# caller's and reap it
# shellcheck disable=SC2120 # the signal is optional
kill_l2() {
	local p
	for p in "${pids[@]}"; do
		kill -"${1:-KILL}" "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	pids=()
}

# drop_work KEEP: remove the work folder, or name it when KEEP is 1
drop_work() {
	[ -n "$W" ] && [ -d "$W" ] || return 0
	if [ "$1" = 1 ]; then
		echo "(work folder kept: $W)"
	else
		rm -rf "$W"
	fi
}

# dump_work N M FILE...: to stderr, the last N lines of the target and
# introspector consoles, then the last M lines of each FILE that is there
dump_work() {
	local n=$1 m=$2 f
	shift 2
	[ -n "$W" ] && [ -d "$W" ] || return 0
	for f in target intro; do
		[ -s "$W/$f.console" ] || continue
		echo "--- last lines of the $f console:" >&2
		console "$W/$f.console" | tail -n "$n" >&2
	done
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "--- ${f##*/}:" >&2
		tail -n "$m" "$f" >&2
	done
}

say() { echo "[L1 $((SECONDS - start))s] $*"; }
step() { echo; echo "== $*"; }

remaining() { echo $((TIMEOUT - (SECONDS - start))); }

# wait_for SECONDS COMMAND...: poll until the command succeeds, within TIMEOUT;
# with WAIT_FOR_HEARTBEAT=N, say so every N s meanwhile
wait_for() {
	local limit=$1 t0=$SECONDS said=$SECONDS
	shift
	[ "$limit" -le "$(remaining)" ] || limit=$(remaining)
	while ! "$@"; do
		[ $((SECONDS - t0)) -lt "$limit" ] || return 1
		# A sign of life for a watchdog on the output (vm-run --idle).
		if [ -n "${WAIT_FOR_HEARTBEAT:-}" ] &&
			[ $((SECONDS - said)) -ge "$WAIT_FOR_HEARTBEAT" ]; then
			echo "# still waiting for $1: $((SECONDS - t0)) s of at most $limit s"
			said=$SECONDS
		fi
		sleep 0.5
	done
}

# A console file without carriage returns.
console() { tr -d '\r' 2>/dev/null <"$1"; }
has_line() { console "$1" | grep -q -- "$2"; }
alive() { kill -0 "$1" 2>/dev/null; }

# vm_fd_open PID: the QEMU process has created its KVM VM
vm_fd_open() {
	local f
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = anon_inode:kvm-vm ] && return 0
	done
	return 1
}

# qemu_l2 NAME APPEND [QEMU ARGS...]: boot an L2 VM in the background, its
# console in $W/NAME.console; its pid is ${pids[-1]}.  With L2_NO_THP=1 its
# QEMU runs under tools/kvmmem/no-thp: no THP backs that VM's RAM, for a
# stock kvm.ko that cannot map tail pages (debugfs kvm_no_tail), while L1's
# other processes keep theirs.  noxsave, for a 7.x
# L2 kernel (KVER) only: with the vCPU's XSAVE off (L2_CPU), 7.x still
# believes the CPUID's AVX and runs a VEX instruction at boot (#UD);
# clearing XSAVE clears what depends on it.  Not for 6.1 and 6.12, whose L1
# VM stopped once in a nested run with it and never in many without.
qemu_l2() {
	local name=$1 append=$2 cpu_fix="" wrap=()
	shift 2
	case "${KVER:-}" in
	7.*) cpu_fix=noxsave ;;
	esac
	[ "${L2_NO_THP:-0}" != 1 ] || wrap=("$(dirname "${BASH_SOURCE[0]}")/../../tools/kvmmem/no-thp")
	"${wrap[@]}" qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot \
		-enable-kvm -cpu "$L2_CPU" -smp 1 -m 256M \
		-kernel "$KERNEL" -initrd "$L2_INITRD" \
		-append "console=ttyS0 quiet loglevel=3 panic=-1 $cpu_fix $append" \
		-chardev "file,id=con,path=$W/$name.console" -serial chardev:con \
		"$@" </dev/null >"$W/$name.qemu.log" 2>&1 &
	pids+=("$!")
}
