#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM after the chroot: load the project's modules, run the command, save status and dmesg.
#
# Started by scripts/vm-init (the initramfs /init) as
#   chroot /newroot /bin/bash $VM_REPO/scripts/vm-guest.sh
# with VM_REPO, VM_OUT, VM_RUNDIR, VM_MODE (cmd|shell), VM_MODULES (space
# separated .ko paths relative to VM_REPO, loaded in order after KVM; empty
# with --no-modules), VM_KVM_DIR (patched kvm*.ko, if any) exported.  The command is $VM_RUNDIR/cmd, run with bash; its
# stdout/stderr go to $VM_RUNDIR/stdout and stderr (the host prints them live),
# its exit status to $VM_RUNDIR/status, the kernel log to $VM_RUNDIR/dmesg
# (whole buffer at the end) and kmsg.log (followed live).
set -u

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 TERM="${VM_TERM:-linux}"
export VM_RUN=1 VM_OUT VM_REPO

rundir=$VM_RUNDIR
cd "$VM_REPO" || { echo "vm-guest: no $VM_REPO" >&2; exit 125; }

if [ "$VM_MODE" = cmd ]; then
	exec >>"$rundir/stdout" 2>>"$rundir/stderr" </dev/null
fi

ip link set lo up 2>/dev/null

# Follow the kernel log into the shared folder, so that it survives a crash
# and a wrapped ring buffer.
stdbuf -oL dmesg --follow --nopager >"$rundir/kmsg.log" 2>/dev/null &
kmsg_pid=$!

# Load KVM before the project modules (they find its symbols at init): the
# patched build of scripts/build-kvm.sh ($VM_KVM_DIR) when there is one, else
# Debian's.  The vendor module is the one the vCPU supports; failing to load
# it (no nested virtualization) is only a warning.
load_kvm() {
	local vendor='' ko deps d
	if grep -q -w svm /proc/cpuinfo; then
		vendor=kvm_amd
	elif grep -q -w vmx /proc/cpuinfo; then
		vendor=kvm_intel
	fi
	if [ -n "${VM_KVM_DIR:-}" ] && [ -f "$VM_KVM_DIR/kvm.ko" ]; then
		for ko in "$VM_KVM_DIR/kvm.ko" ${vendor:+"$VM_KVM_DIR/${vendor//_/-}.ko"}; do
			deps=$(modinfo -F depends "$ko" 2>/dev/null) || deps=
			for d in ${deps//,/ }; do
				[ "$d" = kvm ] || modprobe "$d" || return 1
			done
			if ! insmod "$ko"; then
				echo "vm-run: insmod $ko failed" >&2
				[ "$ko" != "$VM_KVM_DIR/kvm.ko" ] || return 1
			fi
		done
	else
		modprobe kvm || { echo "vm-run: modprobe kvm failed" >&2; return 1; }
		if [ -n "$vendor" ]; then
			modprobe "$vendor" || echo "vm-run: warning: modprobe $vendor failed" >&2
		fi
	fi
	return 0
}

# Load each project module after the modules it depends on.
load_modules() {
	local ko deps d
	for ko in $VM_MODULES; do
		if [ ! -f "$ko" ]; then
			echo "vm-run: warning: $ko is not built; not loaded" >&2
			continue
		fi
		deps=$(modinfo -F depends "$ko" 2>/dev/null) || deps=
		for d in ${deps//,/ }; do
			modprobe "$d" || { echo "vm-run: modprobe $d (needed by $ko) failed" >&2; return 1; }
		done
		insmod "$ko" || { echo "vm-run: insmod $ko failed" >&2; return 1; }
	done
}

rc=0
if [ -n "$VM_MODULES" ]; then
	load_kvm || rc=1
	[ "$rc" -ne 0 ] || load_modules || rc=1
fi
# Where the kernel and the modules are, for scripts/vm-regs.py on a stall.
grep -m 1 ' _text$' /proc/kallsyms >"$rundir/text" 2>/dev/null || true
cat /proc/modules >"$rundir/modules" 2>/dev/null || true
cut -d' ' -f1 /proc/uptime >"$rundir/ready"

if [ "$VM_MODE" = shell ]; then
	tty=/dev/ttyS0
	if [ -n "${VM_TTY_ROWS:-}" ] && [ -n "${VM_TTY_COLS:-}" ]; then
		stty rows "$VM_TTY_ROWS" cols "$VM_TTY_COLS" <"$tty" 2>/dev/null
	fi
	{
		[ "$rc" -eq 0 ] || echo "vm-run: WARNING: loading the modules failed"
		echo "vm-run: shell in the VM ($(uname -r)); 'exit' powers off."
	} >"$tty"
	# shellcheck disable=SC2094 # the console is both input and output
	setsid -c bash -i <"$tty" >"$tty" 2>&1
	rc=$?
elif [ "$rc" -eq 0 ]; then
	bash "$rundir/cmd"
	rc=$?
fi

dmesg --nopager >"$rundir/dmesg" 2>/dev/null
sleep 0.3
kill "$kmsg_pid" 2>/dev/null
wait "$kmsg_pid" 2>/dev/null
echo "$rc" >"$rundir/status.tmp" && mv "$rundir/status.tmp" "$rundir/status"
sync
exit "$rc"
