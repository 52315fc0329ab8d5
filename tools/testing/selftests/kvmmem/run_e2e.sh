#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end test of /dev/kvmmem with nested VMs; runs in the test VM (L1) and prints TAP.
#
# Usage (on the host, after scripts/nested/build.sh):
#   scripts/vm-run -- tools/testing/selftests/kvmmem/run_e2e.sh
# In L1, with KVM and remote_mapping.ko (serving the hypercalls through the
# patched kvm.ko) loaded:
#   target_vm        a KVM VM with a counter and a mailbox (target_vm.c); grants
#                  its own tokens
#   L2 target      the Debian kernel booted with nokaslr; its linux_banner
#                  is mapped by the introspector
#   L2 introspector  loads kvmmem.ko, gets tokens and addresses over its
#                  second serial port, runs kvmmem_test (TAP, re-emitted here
#                  as "l2: ..."), reads the target's linux_banner
# The last kvmmem_test test waits for "KVMMEM: WAIT-DESTROY", upon which
# target_vm's VM is destroyed; it must then read zeros and keep running.
# Without /dev/kvm everything SKIPs; without the hypercall hook
# (/sys/kernel/debug/remote_mapping/kvm_hook not Y) the tests that need a
# map SKIP and the rest (L2 boot, kvmmem.ko, local checks, ENOSYS) runs.
# Exit status 0 unless a test failed.
#
# Environment:
#   KVMMEM_E2E_DESTROY  exit (default): target_vm exits; vm: target_vm closes
#                       its VM fds and munmaps the RAM but lives on (the
#                       tokens still hold the VM file, so only the RAM goes)
#   KVMMEM_E2E_TIMEOUT  overall bound in seconds (default: 20 s less
#                       than run-suite's per-program RUN_SUITE_TIMEOUT,
#                       280 in make check, 1780 in make check-debug, whose
#                       L1 kernel boots the L2 VMs far slower; a run takes
#                       about 1.5-2.5 min on a quiet 2-core host)
#   KVMMEM_E2E_KEEP=1   keep the work folder in /tmp
#   KVMMEM_E2E_L2_CPU   -cpu of the L2 VMs (default host,xsave=off: under
#                       TCG the L1 vCPU's XSAVE CPUID sizes are inconsistent
#                       and the L2 kernel WARNs "XSAVE consistency problem")
# Logs (consoles, target_vm, params) are copied to $VM_OUT/kvmmem-e2e/ when
# VM_OUT (set by vm-run) is writable, else kept in the work folder.
# shellcheck disable=SC2317 # functions run through wait_for/check
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
HERE=$ROOT/tools/testing/selftests/kvmmem
NESTED=$ROOT/build/nested
INITRD=$NESTED/l2-initramfs.cpio
L2_INITRD=$INITRD
TINY=$HERE/target_vm
GRANT=$ROOT/tools/kvmmem/rm-grant
DEBUGFS=/sys/kernel/debug/remote_mapping
DESTROY=${KVMMEM_E2E_DESTROY:-exit}
TIMEOUT=${KVMMEM_E2E_TIMEOUT:-$((${RUN_SUITE_TIMEOUT:-300} - 20))}
# The step bounds below are for the 280 s budget; a larger one (a debug L1
# kernel, whose L2 guests take about 5 min to boot) stretches them, up to 8
# times, and so the L2 introspector's wait for its parameters and
# target_vm's for its counter (its vCPU is SCHED_IDLE: the two booting L2
# VMs come first on one L1 CPU).
SLOW=$(((TIMEOUT + 279) / 280))
[ "$SLOW" -le 8 ] || SLOW=8
# A line at least every 2 min while a step waits: the L2 introspector's
# tests take over 5 min under a debug L1, and vm-run --idle stops an L1
# whose output stays silent for 300 s.
export WAIT_FOR_HEARTBEAT=120
L2_CPU=${KVMMEM_E2E_L2_CPU:-host,xsave=off}
START_KERNEL_MAP=0xffffffff80000000

start=$SECONDS
n=0
failed=0
pids=()
# shellcheck source=scripts/nested/l2.sh
. "$ROOT/scripts/nested/l2.sh"

echo "TAP version 13"

ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { echo "# [$((SECONDS - start)) s] $*"; }
# check NAME COMMAND...: ok if the command succeeds; returns its status
check() {
	local name=$1 rc=0
	shift
	"$@" || rc=$?
	result "$name" "$rc"
	return "$rc"
}
# result NAME STATUS: ok if STATUS is 0
result() {
	if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1"; fi
}

finish() {
	kill_l2
	save_logs
	echo "1..$n"
	diag "kvmmem e2e: $((n - failed)) ok, $failed not ok, $((SECONDS - start)) s"
	[ "$failed" -eq 0 ]
	exit
}

save_logs() {
	[ -n "${W:-}" ] && [ -d "$W" ] || return 0
	if [ -n "${VM_OUT:-}" ] && [ -w "$VM_OUT" ]; then
		rm -rf "$VM_OUT/kvmmem-e2e"
		mkdir -p "$VM_OUT/kvmmem-e2e"
		cp "$W"/*.log "$W"/*.console "$W"/*.info "$VM_OUT/kvmmem-e2e/" 2>/dev/null
		diag "logs: $VM_OUT/kvmmem-e2e/"
	fi
	if [ "${KVMMEM_E2E_KEEP:-0}" = 1 ]; then
		diag "work folder kept: $W"
	else
		rm -rf "$W"
	fi
}


# --- prerequisites ------------------------------------------------------------

if [ ! -c /dev/kvm ] && [ ! -d /sys/module/kvm ]; then
	modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
fi
if [ ! -c /dev/kvm ]; then
	skip "nested kvmmem e2e" "no /dev/kvm in L1"
	finish
fi
for f in "$INITRD" "$NESTED/banner.env" "$TINY" "$GRANT"; do
	if [ ! -f "$f" ]; then
		not_ok "build artifacts present # $f missing: run scripts/nested/build.sh on the host"
		finish
	fi
done
KVER=$(cat "$NESTED/l2-initramfs.kver")
KERNEL=$(cat "$NESTED/l2-initramfs.vmlinuz" 2>/dev/null || echo "/boot/vmlinuz-$KVER")
if [ ! -r "$KERNEL" ] || ! command -v qemu-system-x86_64 >/dev/null; then
	not_ok "L2 kernel $KERNEL and qemu-system-x86_64 present"
	finish
fi

hook=0
hook_why="no $DEBUGFS/kvm_hook (remote_mapping.ko not loaded?)"
if [ -r "$DEBUGFS/kvm_hook" ]; then
	kvm_hook=$(cat "$DEBUGFS/kvm_hook")
	case "$kvm_hook" in
	patch|ftrace) hook=1 ;;
	*) hook_why="$DEBUGFS/kvm_hook is $kvm_hook: no way into kvm.ko (dmesg says why)" ;;
	esac
fi
# A stock kvm.ko before 6.13 cannot map tail pages of huge pages through a
# VM_PFNMAP mapping: the ftrace hook refuses them (kvm-hook.rst, debugfs
# kvm_no_tail), and the L2 target's QEMU runs with THP off (no-thp), as a
# user of that setup must run it; the introspector keeps its THPs.
# must run it.  kvm_hc_test checks the module's answer against the version.
no_tail=0
[ "$(cat "$DEBUGFS/kvm_no_tail" 2>/dev/null)" != Y ] || no_tail=1
if [ "$hook" -eq 1 ]; then
	diag "hypercall hook: $kvm_hook"
else
	diag "hypercall hook: unavailable ($hook_why); tests that need a map SKIP"
fi
diag "L1 $(uname -r), L2 $KVER, destroy mode $DESTROY, $(nproc) cpus"

W=$(mktemp -d /tmp/kvmmem-e2e.XXXXXX)
trap 'diag "interrupted"; finish' INT TERM

count_file() { cat "$DEBUGFS/$1" 2>/dev/null || echo -1; }

# ram_range PID: start and end of the largest private anonymous read-write
# mapping of PID: the guest RAM of a QEMU with -m and no memory backend.
ram_range() {
	local range perms name s e best=0 r=
	while read -r range perms _ _ _ name; do
		if [ "$perms" != rw-p ] || [ -n "$name" ]; then
			continue
		fi
		s=$((16#${range%-*}))
		e=$((16#${range#*-}))
		if [ $((e - s)) -gt "$best" ]; then
			best=$((e - s))
			r="$s $e"
		fi
	done <"/proc/$1/maps"
	echo "$r"
}

# ram_vmas PID START END: "RANGE VMFLAGS..." for each VMA of PID that
# overlaps [START, END).
ram_vmas() {
	local a rest s e range in=0
	while read -r a rest; do
		if [[ $a =~ ^([0-9a-f]+)-([0-9a-f]+)$ ]]; then
			s=$((16#${BASH_REMATCH[1]}))
			e=$((16#${BASH_REMATCH[2]}))
			range=$a
			in=0
			[ "$s" -lt "$3" ] && [ "$e" -gt "$2" ] && in=1
		elif [ "$a" = VmFlags: ] && [ "$in" -eq 1 ]; then
			echo "$range $rest"
		fi
	done <"/proc/$1/smaps"
}
base_map=$(count_file map_count)
base_pdb=$(count_file pdb_count)

# --- target_vm ----------------------------------------------------------------------

tiny_args=(--start-wait $((60 * SLOW)) "$W/tiny.info")
[ "$hook" -eq 1 ] || tiny_args=(--no-tokens "${tiny_args[@]}")
"$TINY" "${tiny_args[@]}" 2>"$W/tiny.log" &
tiny_pid=$!
pids+=("$tiny_pid")

# --- the two L2 VMs (booting concurrently) ------------------------------------------

tiny_ready() { grep -q '^READY=1' "$W/tiny.info" 2>/dev/null || ! alive "$tiny_pid"; }
[ "$no_tail" -eq 0 ] ||
	diag "THP off for the L2 target's QEMU (no-thp): the stock kvm.ko of $(uname -r) cannot map tail pages"
L2_NO_THP=$no_tail qemu_l2 target "nokaslr KVMMEM_ROLE=target"
target_pid=${pids[-1]}
mkfifo "$W/ctl.in" "$W/ctl.out"
qemu_l2 intro "KVMMEM_ROLE=intro KVMMEM_PARAMS=ttyS1 KVMMEM_PARAMS_TIMEOUT=$((240 * SLOW))" \
	-chardev "pipe,id=ctl,path=$W/ctl" -serial chardev:ctl
intro_pid=${pids[-1]}
# Drain what the introspector writes to ttyS1 (nothing is expected).
cat "$W/ctl.out" >"$W/ctl-out.log" &
pids+=("$!")

wait_for $((90 * SLOW)) tiny_ready
if grep -q '^READY=1' "$W/tiny.info" 2>/dev/null; then
	# shellcheck source=/dev/null
	. "$W/tiny.info"
	check "target_vm: guest counter and mailbox run (seen from L1)" [ "$SELFTEST" = ok ]
	diag "target_vm: THP slot at $THP_GPA is a huge page: $THP_OK"
	if [ "$hook" -eq 1 ]; then
		check "target_vm: tokens granted (rw, ro, bound, expired, revoked)${GRANT_ERROR:+ # $GRANT_ERROR}" \
			[ -z "$GRANT_ERROR" ]
	else
		skip "target_vm: tokens granted" "$hook_why"
	fi
else
	not_ok "target_vm: started"
	diag "$(tail -n 5 "$W/tiny.log")"
	TINY_PID=
fi

# rm-grant on its own: grant for target_vm, revoke, revoke again (ENOENT).
if [ "$hook" -eq 1 ] && [ -n "${TINY_PID:-}" ]; then
	t=$("$GRANT" "$tiny_pid" --ttl 60000 2>>"$W/grant.log")
	rc1=$?
	"$GRANT" --revoke "$t" 2>>"$W/grant.log"
	rc2=$?
	"$GRANT" --revoke "$t" 2>>"$W/grant.log"
	rc3=$?
	[ "$rc1" -eq 0 ] && [ "${#t}" -eq 64 ] && [ "$rc2" -eq 0 ] && [ "$rc3" -eq 2 ]
	result "rm-grant: grant, revoke, second revoke fails" $?
else
	skip "rm-grant: grant and revoke" "$hook_why"
fi

# Tokens from outside: the target's (via its QEMU), one bound to the introspector.
token_linux=''
token_self=''
if wait_for $((60 * SLOW)) vm_fd_open "$target_pid" && wait_for $((60 * SLOW)) vm_fd_open "$intro_pid"; then
	if [ "$hook" -eq 1 ]; then
		token_linux=$("$GRANT" "$target_pid" --ro 2>>"$W/grant.log")
		[ -n "${TINY_PID:-}" ] &&
			token_self=$("$GRANT" "$tiny_pid" --bind-pid "$intro_pid" 2>>"$W/grant.log")
		[ "${#token_linux}" -eq 64 ] && [ "${#token_self}" -eq 64 ]
		result "rm-grant: tokens for the L2 target and bound to the introspector" $?
	fi
else
	not_ok "L2 QEMUs created their VMs"
fi

# linux_banner's address, offline: checked by the target once it has booted.
# shellcheck source=/dev/null
. "$NESTED/banner.env"

# --- the introspector ---------------------------------------------------------------

intro_waiting() { has_line "$W/intro.console" 'KVMMEM: WAIT-PARAMS' || ! alive "$intro_pid"; }
wait_for $((150 * SLOW)) intro_waiting
if ! has_line "$W/intro.console" 'KVMMEM: WAIT-PARAMS'; then
	not_ok "L2 introspector: booted"
	diag "$(console "$W/intro.console" | tail -n 20)"
	finish
fi
ok "L2 introspector: booted"

# The introspector QEMU's guest RAM before any map (it has no token yet):
# its VMAs and advice.
read -r ram_lo ram_hi <<<"$(ram_range "$intro_pid")"
ram_before=$(ram_vmas "$intro_pid" "${ram_lo:-0}" "${ram_hi:-0}")
ram_advice=
for f in hg dc mg dd; do
	[[ " $(head -n 1 <<<"$ram_before") " == *" $f "* ]] && ram_advice+=" $f"
done
diag "introspector RAM: $(grep -c . <<<"$ram_before") VMA(s), advice:${ram_advice:- none}"
check "L2 introspector: kvmmem.ko loaded" has_line "$W/intro.console" 'KVMMEM: INSMOD ok'

{
	echo "KVMMEM_HOOK=$hook"
	echo "KVMMEM_DESTROY=1"
	echo "KVMMEM_DESTROY_WAIT_MS=$((150000 * SLOW))"
	if [ -n "${TINY_PID:-}" ]; then
		echo "KVMMEM_COUNTER_GPA=$COUNTER_GPA"
		echo "KVMMEM_MAILBOX_GPA=$MAILBOX_GPA"
		echo "KVMMEM_CODE_GPA=$CODE_GPA"
		echo "KVMMEM_OUTSIDE_GPA=0x40000000"
		[ "$THP_OK" = 1 ] && echo "KVMMEM_THP_GPA=$THP_GPA"
		[ "$no_tail" -eq 0 ] || echo "KVMMEM_NO_TAIL=1"
		for t in RW RO BOUND_OTHER EXPIRED REVOKED; do
			v=TOKEN_$t
			[ -n "${!v:-}" ] && echo "KVMMEM_TOKEN_$t=${!v}"
		done
	fi
	[ -n "$token_self" ] && echo "KVMMEM_TOKEN_BOUND_SELF=$token_self"
	if [ -n "$token_linux" ]; then
		echo "KVMMEM_TOKEN_LINUX=$token_linux"
		echo "KVMMEM_BANNER_GPA=$BANNER_GPA"
		echo "KVMMEM_TARGET_PARAMS=1"
	fi
	echo END
} >"$W/params.log"
# shellcheck disable=SC2016 # expanded by sh
timeout $((10 * SLOW)) sh -c 'cat "$1" >"$2"' sh "$W/params.log" "$W/ctl.in"
check "L2 introspector: parameters received" \
	wait_for $((60 * SLOW)) has_line "$W/intro.console" 'KVMMEM: PARAMS ok'

# --- the Linux target, booting meanwhile ---------------------------------------------
# kvmmem_test needs only target_vm: the introspector runs it while the
# target boots, and asks for the target's own addresses after it.

target_up() { has_line "$W/target.console" 'KVMMEM-TARGET: READY' || ! alive "$target_pid"; }
wait_for $((150 * SLOW)) target_up
if has_line "$W/target.console" 'KVMMEM-TARGET: READY'; then
	ok "L2 target: booted"
	# How much of a QEMU guest's RAM THPs back (kvm-hook.rst, huge pages).
	thp_kb=$(awk '/^AnonHugePages:/ { print $2 }' "/proc/$target_pid/smaps_rollup" 2>/dev/null)
	rss_kb=$(awk '/^Anonymous:/ { print $2 }' "/proc/$target_pid/smaps_rollup" 2>/dev/null)
	diag "L2 target after boot: ${thp_kb:-?} of ${rss_kb:-?} kB anonymous memory in THPs$([ "$no_tail" -eq 0 ] || echo " (no-thp)")"
	[ "$no_tail" -eq 0 ] ||
		check "L2 target: no THP backs its RAM under no-thp" [ "${thp_kb:-x}" = 0 ]
	version=$(console "$W/target.console" | sed -n 's/^KVMMEM-TARGET: VERSION //p' | head -n 1)
	ksym=$(console "$W/target.console" | sed -n 's/^KVMMEM-TARGET: KALLSYMS \([0-9a-f]*\) .*/\1/p')
	jsym=$(console "$W/target.console" | sed -n 's/^KVMMEM-TARGET: JIFFIES \([0-9a-f]*\) .*/\1/p')
	kcode=$(console "$W/target.console" | sed -n 's/^KVMMEM-TARGET: KERNEL-CODE *\([0-9a-f]*\)-.*/\1/p')
	diag "target: linux_banner ${ksym:-?} (offline $BANNER_VADDR), Kernel code at ${kcode:-?}"
	[ -n "$ksym" ] && [ -n "$kcode" ] &&
		[ $((0x$ksym)) -eq $((BANNER_VADDR)) ] &&
		[ $((0x$ksym - START_KERNEL_MAP)) -eq $((BANNER_GPA)) ] &&
		[ $((0x$kcode)) -eq $((0xffffffff81000000 - START_KERNEL_MAP)) ]
	result "L2 target: linux_banner gpa $BANNER_GPA = kallsyms - __START_KERNEL_map (nokaslr)" $?
	check "L2 target: /proc/version is the banner found offline" [ "$version" = "$BANNER_TEXT" ]
else
	not_ok "L2 target: booted"
	version=
fi


# Destroy target_vm's VM when the last test asks for it.
intro_at_destroy() {
	has_line "$W/intro.console" 'KVMMEM: WAIT-DESTROY' ||
		has_line "$W/intro.console" 'KVMMEM: TESTS-END' || ! alive "$intro_pid"
}
wait_for $((200 * SLOW)) intro_at_destroy

# After the map tests (review item 7): the VMM's RAM is split once per host
# pool, not per map, and each piece of it that is RAM kept its advice.
# The pools made by then: each test's teardown says how many so far.
pools=$(console "$W/intro.console" | sed -n 's/^KVMMEM: POOLS \([0-9]*\)$/\1/p' | tail -n 1)
if [ -n "$pools" ] && [ -n "${ram_lo:-}" ] && alive "$intro_pid"; then
	ram_after=$(ram_vmas "$intro_pid" "$ram_lo" "$ram_hi")
	n0=$(grep -c . <<<"$ram_before")
	n1=$(grep -c . <<<"$ram_after")
	diag "introspector RAM: $n0 -> $n1 VMAs, $pools host pools made by kvmmem"
	[ "$n0" -gt 0 ] && [ "$n1" -gt 0 ] && [ $((n1 - n0)) -le $((2 * pools)) ]
	result "L1: 3,000 map cycles split the VMM's RAM only per pool ($n0 -> $n1 VMAs, $pools pools)" $?
	lost=
	while read -r range flags; do
		# the pools themselves: PFNMAP windows
		[[ " $flags " == *" pf "* ]] && continue
		for f in $ram_advice; do
			[[ " $flags " == *" $f "* ]] || lost+=" $range:$f"
		done
	done <<<"$ram_after"
	[ -z "$lost" ]
	result "L1: the VMM's RAM kept its advice ($ram_advice )${lost:+ # lost:$lost}" $?
else
	skip "L1: map cycles and the VMM's RAM" "no KVMMEM: POOLS line (test skipped) or RAM not found"
fi

if has_line "$W/intro.console" 'KVMMEM: WAIT-DESTROY'; then
	if [ "$DESTROY" = vm ]; then
		kill -USR1 "$tiny_pid"
	else
		kill -USR2 "$tiny_pid"
	fi
	diag "destroyed target_vm's VM ($DESTROY) at $((SECONDS - start)) s"
fi

# The target's addresses the introspector asks for after kvmmem_test.
if [ -n "$token_linux" ]; then
	intro_at_target() { has_line "$W/intro.console" 'KVMMEM: WAIT-TARGET' || ! alive "$intro_pid"; }
	wait_for $((200 * SLOW)) intro_at_target
	{
		[ -z "${jsym:-}" ] ||
			printf 'KVMMEM_JIFFIES_GPA=0x%x\n' $((0x$jsym - START_KERNEL_MAP))
		echo END
	} >"$W/params-target.log"
	# shellcheck disable=SC2016 # expanded by sh
	timeout $((10 * SLOW)) sh -c 'cat "$1" >"$2"' sh "$W/params-target.log" "$W/ctl.in"
fi
intro_done() { has_line "$W/intro.console" 'KVMMEM: DONE' || ! alive "$intro_pid"; }
wait_for $((200 * SLOW)) intro_done
if has_line "$W/intro.console" 'KVMMEM: DONE'; then
	ok "L2 introspector: finished"
else
	not_ok "L2 introspector: finished"
	last=$(console "$W/intro.console" | grep -E '^(#  RUN |KVMMEM: )' | tail -n 1)
	diag "introspector stopped after: ${last:-nothing}"
	diag "its QEMU says: $(head -n 1 "$W/intro.qemu.log")"
fi
# It powers itself off after DONE.
intro_gone() { ! alive "$intro_pid"; }
wait_for $((30 * SLOW)) intro_gone

diag "introspector uptime at: $(console "$W/intro.console" |
	sed -n 's/^KVMMEM-T: \([0-9.]*\) \(.*\)/\2 \1/p' | tr '\n' ',' | sed 's/,$//')"

# Re-emit the introspector's TAP.
l2_plan=$(console "$W/intro.console" |
	sed -n '/^KVMMEM: TESTS-BEGIN/,/^KVMMEM: TESTS-END/p' | sed -n 's/^1\.\.\([0-9]*\)$/\1/p')
l2_seen=0
l2_name=
while IFS= read -r line; do
	case "$line" in
	"#  RUN "*)
		l2_name=${line#\#  RUN }
		l2_name=${l2_name#"${l2_name%%[! ]*}"}
		l2_name=${l2_name%% ...}
		;;
	"ok "*|"not ok "*)
		# "ok N NAME", "not ok N NAME", "ok N # SKIP REASON" (6.1 harness)
		l2_seen=$((l2_seen + 1))
		res=${line%% [0-9]*}
		rest=${line#"$res" }
		rest=${rest#* }
		case "$rest" in
		"# SKIP"*) rest="$l2_name $rest" ;;
		esac
		if [ "$res" = ok ]; then ok "l2: $rest"; else not_ok "l2: $rest"; fi
		;;
	"# "*FAIL*|"# "*kvmmem_test.c:*)
		echo "# l2: ${line#\# }"
		;;
	esac
done < <(console "$W/intro.console" | sed -n '/^KVMMEM: TESTS-BEGIN/,/^KVMMEM: TESTS-END/p')
[ -n "$l2_plan" ] && [ "$l2_seen" -eq "${l2_plan:-0}" ]
result "l2: kvmmem_test ran all ${l2_plan:-?} tests" $?

if [ "$hook" -eq 1 ]; then
	check "l2: introspector kept running after the target VM went away" \
		has_line "$W/intro.console" 'KVMMEM: SURVIVED-DESTROY'
	banner=$(console "$W/intro.console" | sed -n 's/^KVMMEM: BANNER rc=0 //p')
	diag "introspector read: ${banner:-(nothing)}"
	[ -n "$version" ] && [ "$banner" = "$version" ]
	result "l2: linux_banner read from the target equals its /proc/version" $?
else
	skip "l2: introspector survives the target VM going away" "$hook_why"
	skip "l2: linux_banner read from the target" "$hook_why"
fi

# rm-vmcore in the introspector on the Linux target (l2-init, VMCORE-*).
vm_step() { console "$W/intro.console" | sed -n "s/^KVMMEM: VMCORE-$1 //p" | head -n 1; }
m=$(vm_step MOUNT)
if [ "$hook" -eq 0 ] || [ -z "$token_linux" ]; then
	skip "l2: rm-vmcore on the Linux target" "${hook_why:-no token for the Linux target}"
elif [[ "$m" == skip* ]]; then
	skip "l2: rm-vmcore on the Linux target" "${m#skip: }"
else
	diag "rm-vmcore: $m"
	check "l2: rm-vmcore mounts the Linux target through /dev/kvmmem" [ "${m%% *}" = rc=0 ]
	check "l2: rm-vmcore: the core's VMCOREINFO names the target's kernel ($KVER)" \
		[ "$(vm_step OSRELEASE)" = "$KVER" ]
	b=$(vm_step BANNER)
	diag "rm-vmcore mem at linux_banner: $b"
	[ -n "$version" ] && [ "$b" = "$version" ]
	result "l2: rm-vmcore: mem at linux_banner reads the target's /proc/version" $?
	j=$(vm_step JIFFIES)
	diag "rm-vmcore: jiffies a second apart: $j; $(vm_step STATS)"
	read -r j1 j2 _ <<<"$j"
	[ -n "${j2:-}" ] && [ "$j2" -gt "$j1" ]
	result "l2: rm-vmcore: the target's jiffies read a second apart moved (nothing stale)" $?
	a=$(vm_step AGAIN)
	diag "rm-vmcore: a page mapped again after the cache let it go: $a"
	[ -n "$a" ] && [[ "$a" != *failed ]]
	result "l2: rm-vmcore: a page read again after the cache let it go" $?
	u=$(vm_step UMOUNT)
	diag "rm-vmcore at unmount: $u"
	[ "${u%% *}" = rc=0 ] && [[ "$u " == *" exited=yes "* ]]
	result "l2: rm-vmcore: unmounted, and the daemon is gone" $?
fi

# The kvmmem CLI, run by the introspector before kvmmem_test.
if [ -n "${TOKEN_RW:-}" ]; then
	cli() { console "$W/intro.console" | sed -n "s/^KVMMEM: CLI-$1 //p"; }
	w=$(cli WATCH)
	diag "kvmmem watch: $w"
	# Never backwards, and up over the 2 s; a sample may repeat when
	# target_vm's vCPU did not run between two.  The counter is 32 bits
	# and wraps every few minutes: steps are taken modulo 2^32.
	read -r rc rest <<<"$w"
	read -r -a vs <<<"$rest"
	up=0
	[ "$rc" = rc=0 ] && [ "${#vs[@]}" -eq 5 ] || up=-1
	for ((i = 1; up >= 0 && i < ${#vs[@]}; i++)); do
		d=$(((vs[i] - vs[i - 1]) & 0xffffffff))
		if [ "$d" -ge $((0x80000000)) ]; then up=-1; else up=$((up + d)); fi
	done
	[ "$up" -gt 0 ]
	result "l2: kvmmem CLI: watch sees the counter increase" $?
	a=$(cli ANSWER)
	diag "kvmmem write: $(cli WRITE); watch answer: $a"
	[[ "$(cli WRITE)" == "rc=0 wrote 4 bytes"* ]] && [[ "$a" == "rc=0 "*" $((0x11223345))"* ]]
	result "l2: kvmmem CLI: write a mailbox request, the target answers" $?
	h=$(cli HEXDUMP)
	diag "kvmmem hexdump: $h"
	[[ "$h" == "rc=0 0000000000002000: 44 33 22 11 45 33 22 11 "* ]]
	result "l2: kvmmem CLI: hexdump shows request and answer" $?
	b=$(cli BOGUS)
	diag "kvmmem with a bogus token: $b"
	[[ "$b" == "rc=2 kvmmem: map gpa 0x1000: EPERM "* ]]
	result "l2: kvmmem CLI: bogus token gives EPERM, exit 2" $?
else
	skip "l2: kvmmem CLI" "$hook_why"
fi

console "$W/intro.console" | sed -n '/^KVMMEM: DMESG-BEGIN/,/^KVMMEM: DMESG-END/p' >"$W/intro-dmesg.log"
if [ -s "$W/intro-dmesg.log" ]; then
	if "$ROOT/scripts/dmesg-check" "$W/intro-dmesg.log" >"$W/intro-dmesg-problems.log"; then
		ok "l2: introspector kernel log clean"
	else
		not_ok "l2: introspector kernel log clean"
		sed 's/^/# /' "$W/intro-dmesg-problems.log" | head -n 40
	fi
else
	not_ok "l2: introspector dumped its kernel log"
fi

# --- tear down; the host's mappings must all be gone -----------------------------

kill_l2 TERM
if [ "$base_map" != -1 ]; then
	counts_back() {
		[ "$(count_file map_count)" = "$base_map" ] && [ "$(count_file pdb_count)" = "$base_pdb" ]
	}
	check "L1: remote_mapping map_count/pdb_count back to $base_map/$base_pdb" wait_for $((15 * SLOW)) counts_back ||
		diag "map_count $(count_file map_count), pdb_count $(count_file pdb_count)"
else
	skip "L1: remote_mapping counters back" "no $DEBUGFS"
fi
if grep -q -E 'KVM: entry failed|error: kvm run failed|KVM internal error' "$W"/*.qemu.log 2>/dev/null; then
	not_ok "L1: no KVM errors in the L2 QEMU logs"
	grep -h -E 'KVM|kvm' "$W"/*.qemu.log | head -n 10 | sed 's/^/# /'
else
	ok "L1: no KVM errors in the L2 QEMU logs"
fi

finish
