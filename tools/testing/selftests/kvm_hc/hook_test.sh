#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kvm_hook= of remote_mapping.ko (Documentation/kvm-hook.rst): each choice
# arms what it names or nothing, with a reason in the kernel log; an
# IPMODIFY conflict on kvm_emulate_hypercall() (hook_conflict.ko, standing
# for a livepatch) leaves the hypercalls off with a clear message.  Needs
# root, kvm.ko and remote_mapping.ko loaded (vm-run does both); reloads
# remote_mapping.ko and leaves it loaded as it found it (kvm_hook=auto).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../../.." && pwd)

# for_running_kernel KO: KO was built for the running kernel.
for_running_kernel() {
	local vm
	vm=$(modinfo -F vermagic "$1" 2>/dev/null) && [ "${vm%% *}" = "$(uname -r)" ]
}
# The remote_mapping.ko vm-run loaded ($VM_REPO/$VM_MODULES: the debug
# kernel's in make check-debug), else this checkout's.
KO=${RM_KO:-}
for m in ${VM_MODULES:-}; do
	if [ -n "$KO" ] || [ "${m##*/}" != remote_mapping.ko ]; then continue; fi
	case "$m" in
	/*) KO=$m ;;
	*) KO=${VM_REPO:-$ROOT}/$m ;;
	esac
done
KO=${KO:-$ROOT/host/remote_mapping.ko}
# hook_conflict.ko of this checkout, or the one built with a debug kernel
# (scripts/build-debug-kernel.sh installs it in that kernel's modules).
CONFLICT=$HERE/hook_conflict.ko
for_running_kernel "$CONFLICT" || CONFLICT=/lib/modules/$(uname -r)/extra/hook_conflict.ko
HOOK=/sys/kernel/debug/remote_mapping/kvm_hook
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

# reload ARGS...: remote_mapping.ko again with ARGS; prints its kvm_hook.
reload() {
	rmmod remote_mapping 2>/dev/null
	dmesg -C
	insmod "$KO" "$@" || { echo "insmod-failed"; return; }
	cat "$HOOK"
}
logged() { dmesg | grep -q -F "$1"; }
# off HOOK MESSAGE: HOOK is none and the kernel log has MESSAGE.
off() { [ "$1" = none ] && logged "$2"; }

echo "TAP version 13"
echo "1..6"
if [ "$(id -u)" -ne 0 ] || [ ! -d /sys/module/kvm ] || [ ! -r "$HOOK" ] || [ ! -f "$KO" ]; then
	for t in none bogus ftrace patch conflict auto; do
		skip "kvm_hook=$t" "needs root, kvm.ko, remote_mapping.ko loaded and $KO"
	done
	exit 0
fi
patched=0
[ "$(cat "$HOOK")" = patch ] && patched=1

check "kvm_hook=none: no hypercalls" [ "$(reload kvm_hook=none)" = none ]
h=$(reload kvm_hook=bogus)
check "kvm_hook=bogus: refused, and said so" \
	off "$h" "kvm_hook=bogus: not one of"
# The ftrace hook arms on the patched kvm.ko too: the patch answers
# -KVM_ENOSYS for numbers nobody registered.
check "kvm_hook=ftrace: armed" [ "$(reload kvm_hook=ftrace)" = ftrace ]
h=$(reload kvm_hook=patch)
if [ "$patched" -eq 1 ]; then
	check "kvm_hook=patch: armed on the patched kvm.ko" [ "$h" = patch ]
else
	check "kvm_hook=patch: refused on the stock kvm.ko, and said so" \
		off "$h" "kvm_hook=patch: no patched kvm.ko"
fi
if ! for_running_kernel "$CONFLICT"; then
	skip "kvm_hook=ftrace with a livepatch of kvm_emulate_hypercall()" \
		"no hook_conflict.ko built for $(uname -r)"
else
	rmmod remote_mapping 2>/dev/null
	if insmod "$CONFLICT"; then
		h=$(reload kvm_hook=ftrace)
		check "kvm_hook=ftrace with a livepatch of kvm_emulate_hypercall(): off, and said so" \
			off "$h" "redirected already (a livepatch?)"
		rmmod remote_mapping 2>/dev/null
		rmmod hook_conflict || not_ok "rmmod hook_conflict"
	else
		not_ok "kvm_hook=ftrace with a livepatch of kvm_emulate_hypercall(): insmod hook_conflict.ko"
	fi
fi
h=$(reload)
if [ "$patched" -eq 1 ]; then
	check "kvm_hook=auto: the patch when it is there" [ "$h" = patch ]
else
	check "kvm_hook=auto: ftrace on the stock kvm.ko" [ "$h" = ftrace ]
fi
[ "$failed" -eq 0 ]
