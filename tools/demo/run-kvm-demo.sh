#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KVM demo, run in the test VM (L1): an introspector VM reads a Linux VM's banner and live jiffies_64 through /dev/kvmmem.
#
# Usage (on the host; "make demo" builds everything first):
#   scripts/vm-run -- tools/demo/run-kvm-demo.sh
# Needs, in L1: /dev/kvm, kvm.ko (Debian's: "make demo" loads it, or the
# patched build) and remote_mapping.ko serving the hypercalls; build/nested/ from
# scripts/nested/build.sh (the L2 initramfs with kvmmem.ko and the kvmmem
# CLI, banner.env) and tools/kvmmem/rm-grant.  It boots two L2 VMs from the
# L2 initramfs plus a small init of its own (appended as a second cpio):
#   target        the Debian kernel with nokaslr; prints its /proc/version
#                 and the kallsyms lines of linux_banner and jiffies_64
#   introspector  loads kvmmem.ko, receives a token and two addresses on its
#                 second serial port, reads linux_banner, then watches
#                 jiffies_64 (5 samples, 1 s apart) with the kvmmem CLI
# Exit status 0 on success, 1 with a "run-kvm-demo: FAILED: ..." line.
# Environment: KVM_DEMO_TIMEOUT (overall bound in seconds, default 420),
# KVM_DEMO_L2_CPU (-cpu of the L2 VMs, default host,xsave=off as in
# run_e2e.sh), KVM_DEMO_KEEP=1 (keep the work folder in /tmp).
# shellcheck disable=SC2317 # functions run through wait_for
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NESTED=$ROOT/build/nested
INITRD=$NESTED/l2-initramfs.cpio
GRANT=$ROOT/tools/kvmmem/rm-grant
DEBUGFS=/sys/kernel/debug/remote_mapping
TIMEOUT=${KVM_DEMO_TIMEOUT:-420}
L2_CPU=${KVM_DEMO_L2_CPU:-host,xsave=off}
START_KERNEL_MAP=0xffffffff80000000
SAMPLES=5

start=$SECONDS
pids=()
W=
# shellcheck source=scripts/nested/l2.sh
. "$ROOT/scripts/nested/l2.sh"

cleanup() {
	kill_l2
	drop_work "${KVM_DEMO_KEEP:-0}"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

fail() {
	echo "run-kvm-demo: FAILED: $*" >&2
	dump_work 8 5 "$W"/*.qemu.log "$W/grant.log"
	exit 1
}

# field FILE PREFIX: the rest of the first console line starting with PREFIX
field() { console "$1" | sed -n "s/^$2//p" | head -n 1; }
short() { echo "${1:0:8}...${1: -4}"; }

# --- prerequisites ------------------------------------------------------------

if [ ! -c /dev/kvm ] && [ ! -d /sys/module/kvm ]; then
	modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
fi
[ -c /dev/kvm ] || fail "no /dev/kvm in the test VM"
for f in "$INITRD" "$NESTED/banner.env" "$NESTED/l2-initramfs.kver" "$GRANT" "$ROOT/tools/kvmmem/no-thp"; do
	[ -f "$f" ] || fail "$f missing: run 'make all' (or scripts/nested/build.sh) on the host"
done
command -v qemu-system-x86_64 >/dev/null || fail "no qemu-system-x86_64"
command -v cpio >/dev/null || fail "no cpio"
hook=$(cat "$DEBUGFS/kvm_hook" 2>/dev/null)
case "$hook" in
patch|ftrace) ;;
*) fail "$DEBUGFS/kvm_hook is not patch or ftrace: remote_mapping.ko is not loaded, or found no way into kvm.ko (dmesg)" ;;
esac
KVER=$(cat "$NESTED/l2-initramfs.kver")
KERNEL=$(cat "$NESTED/l2-initramfs.vmlinuz" 2>/dev/null || echo "/boot/vmlinuz-$KVER")
[ -r "$KERNEL" ] || fail "cannot read $KERNEL"
HZ=$(sed -n 's/^CONFIG_HZ=//p' "/boot/config-$KVER" 2>/dev/null)
HZ=${HZ:-250}
# shellcheck source=/dev/null
. "$NESTED/banner.env"

W=$(mktemp -d /tmp/kvm-demo.XXXXXX)

# The demo's /init for both L2 VMs, in a cpio appended to the L2 initramfs
# (the kernel unpacks both; rdinit= selects it).
mkdir -p "$W/extra"
cat >"$W/extra/demo-init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
if [ "$DEMO_ROLE" = target ]; then
	echo "DEMO-TARGET: VERSION $(cat /proc/version)"
	echo "DEMO-TARGET: BANNER-SYM $(grep -w linux_banner /proc/kallsyms)"
	echo "DEMO-TARGET: JIFFIES-SYM $(grep -w jiffies_64 /proc/kallsyms)"
	echo "DEMO-TARGET: READY"
	while :; do sleep 1; done
fi
if insmod /kvmmem.ko; then echo "DEMO: INSMOD ok"; else echo "DEMO: INSMOD fail"; fi
stty -F /dev/ttyS1 raw -echo 115200
exec 3</dev/ttyS1
echo "DEMO: WAIT-PARAMS"
while read -r -t 300 line <&3; do
	case "$line" in
	END) break ;;
	DEMO_[A-Z_]*=*) export "$line" ;;
	esac
done
exec 3<&-
echo "DEMO: PARAMS"
out=$(kvmmem map --ro "$DEMO_TOKEN" "$DEMO_BANNER_GPA" read-string 0 2>&1)
echo "DEMO: BANNER rc=$? $out"
{
	kvmmem map --ro "$DEMO_TOKEN" "$DEMO_JIFFIES_GPA" watch 0 "$DEMO_SAMPLES" 1000 2>&1
	echo "rc=$?"
} | while read -r l; do echo "DEMO: WATCH $(cut -d' ' -f1 /proc/uptime) $l"; done
echo "DEMO: DONE"
poweroff -f
EOF
chmod 755 "$W/extra/demo-init"
(cd "$W/extra" && echo demo-init | cpio -o -H newc -R 0:0 --quiet) >"$W/extra.cpio" ||
	fail "cannot build the demo cpio"
L2_INITRD=$W/initrd.cpio
cat "$INITRD" "$W/extra.cpio" >"$L2_INITRD"

echo "kvmmem demo: an introspector VM reads the memory of a Linux VM through /dev/kvmmem"
if [ "$hook" = ftrace ]; then
	echo "This runs in the test VM (L1, Linux $(uname -r)) on Debian's own kvm.ko: remote_mapping.ko"
	echo "serves KVM_HC_MEM_MAP through an ftrace hook.  Both VMs below are nested (L2) KVM guests."
else
	echo "This runs in the test VM (L1, Linux $(uname -r)), whose rebuilt kvm.ko carries the KVM_HC_MEM_MAP"
	echo "hypercall hook, served by remote_mapping.ko.  Both VMs below are nested (L2) KVM guests."
fi
# The stock kvm.ko before 6.13 cannot map tail pages of huge pages
# (Documentation/kvm-hook.rst, debugfs kvm_no_tail): start the target with
# THP off for its QEMU (no-thp), as a user of that kvm.ko must.
no_thp=0
if [ "$(cat "$DEBUGFS/kvm_no_tail" 2>/dev/null)" = Y ]; then
	no_thp=1
	echo "(THP off for the target VM's QEMU, no-thp: the stock kvm.ko of $(uname -r) cannot map tail pages of huge pages)"
fi

# --- boot the two L2 VMs --------------------------------------------------------

step "1. Boot a Linux target VM and an introspector VM (concurrently; slow under TCG)"
L2_NO_THP=$no_thp qemu_l2 target "rdinit=/demo-init nokaslr DEMO_ROLE=target"
target_pid=${pids[-1]}
mkfifo "$W/ctl.in" "$W/ctl.out"
qemu_l2 intro "rdinit=/demo-init DEMO_ROLE=intro" -chardev "pipe,id=ctl,path=$W/ctl" -serial chardev:ctl
intro_pid=${pids[-1]}
cat "$W/ctl.out" >/dev/null &
pids+=("$!")
say "target VM:       QEMU pid $target_pid, Debian kernel $KVER booted with nokaslr"
say "introspector VM: QEMU pid $intro_pid, same kernel, busybox initramfs with kvmmem.ko and the kvmmem CLI"

# --- the token ------------------------------------------------------------------

step "2. Grant the introspector a read-only token for the target's memory (rm-grant, in L1)"
wait_for 60 vm_fd_open "$target_pid" || fail "the target's QEMU created no KVM VM within 60 s"
wait_for 60 vm_fd_open "$intro_pid" || fail "the introspector's QEMU created no KVM VM within 60 s"
token=$("$GRANT" "$target_pid" --ro --bind-pid "$intro_pid" 2>"$W/grant.log") ||
	fail "rm-grant $target_pid --ro --bind-pid $intro_pid failed"
[ "${#token}" -eq 64 ] || fail "rm-grant printed no token"
say "rm-grant $target_pid --ro --bind-pid $intro_pid"
say "  -> token $(short "$token") (256 bits; only the introspector's VM may use it, read-only)"

# --- where to look --------------------------------------------------------------

step "3. Find the addresses (guest physical = kernel virtual - $START_KERNEL_MAP with nokaslr)"
target_up() { has_line "$W/target.console" '^DEMO-TARGET: READY' || ! alive "$target_pid"; }
wait_for 200 target_up
has_line "$W/target.console" '^DEMO-TARGET: READY' ||
	fail "the target VM did not boot within 200 s"
say "target booted"
version=$(field "$W/target.console" 'DEMO-TARGET: VERSION ')
bsym=$(field "$W/target.console" 'DEMO-TARGET: BANNER-SYM ')
jsym=$(field "$W/target.console" 'DEMO-TARGET: JIFFIES-SYM ')
echo "[target] /proc/version:   $version"
echo "[target] /proc/kallsyms:  $bsym"
echo "[target] /proc/kallsyms:  $jsym"
bvaddr=${bsym%% *}
jvaddr=${jsym%% *}
[[ "$jvaddr" =~ ^[0-9a-f]{16}$ ]] || fail "no jiffies_64 in the target's kallsyms"
if ! [[ "$bvaddr" =~ ^[0-9a-f]{16}$ ]] || [ $((0x$bvaddr)) -ne $((BANNER_VADDR)) ]; then
	fail "the target's linux_banner (${bvaddr:-?}) is not at $BANNER_VADDR: KASLR on?"
fi
jgpa=$(printf '0x%x' $((0x$jvaddr - START_KERNEL_MAP)))
say "linux_banner: gpa $BANNER_GPA, computed offline from $KERNEL by scripts/nested/banner-gpa.py"
say "              (the target's kallsyms above agrees)"
say "jiffies_64:   gpa $jgpa, from the target's kallsyms line printed at boot"

# --- the introspector -------------------------------------------------------------

step "4. The introspector loads kvmmem.ko and receives the token and the two addresses"
intro_waiting() { has_line "$W/intro.console" '^DEMO: WAIT-PARAMS' || ! alive "$intro_pid"; }
wait_for 200 intro_waiting
has_line "$W/intro.console" '^DEMO: WAIT-PARAMS' ||
	fail "the introspector VM did not boot within 200 s"
has_line "$W/intro.console" '^DEMO: INSMOD ok' || fail "insmod kvmmem.ko failed in the introspector"
say "introspector booted, kvmmem.ko loaded (/dev/kvmmem)"
printf 'DEMO_TOKEN=%s\nDEMO_BANNER_GPA=%s\nDEMO_JIFFIES_GPA=%s\nDEMO_SAMPLES=%s\nEND\n' \
	"$token" "$BANNER_GPA" "$jgpa" "$SAMPLES" >"$W/params"
# shellcheck disable=SC2016 # expanded by sh
timeout 10 sh -c 'cat "$1" >"$2"' sh "$W/params" "$W/ctl.in" ||
	fail "cannot write to the introspector's serial port"
say "sent over its second serial port"

step "5. The introspector reads the target kernel's linux_banner through the mapping"
echo "[introspector] \$ kvmmem map --ro $(short "$token") $BANNER_GPA read-string 0"
banner_done() { has_line "$W/intro.console" '^DEMO: BANNER ' || ! alive "$intro_pid"; }
wait_for 60 banner_done
banner=$(field "$W/intro.console" 'DEMO: BANNER ')
[ -n "$banner" ] || fail "no answer from the introspector within 60 s"
[[ "$banner" == "rc=0 "* ]] || fail "kvmmem read-string failed: $banner"
banner=${banner#rc=0 }
echo "[introspector] $banner"
[ "$banner" = "$version" ] || fail "what the introspector read is not the target's /proc/version"
say "identical to the target's own /proc/version line (step 3)"

step "6. The introspector watches the target's jiffies_64 live ($SAMPLES samples, 1 s apart)"
echo "[introspector] \$ kvmmem map --ro $(short "$token") $jgpa watch 0 $SAMPLES 1000"
echo "(kvmmem watch prints the low 32 bits, taken 1 s apart by the introspector's clock;"
echo " the target's uptime is (jiffies - INITIAL_JIFFIES) / HZ, with HZ=$HZ)"
sample_n() { [ "$(console "$W/intro.console" | grep -c '^DEMO: WATCH ')" -ge "$1" ] || ! alive "$intro_pid"; }
prev=
for i in $(seq "$SAMPLES"); do
	wait_for 30 sample_n "$i" || fail "no sample $i within 30 s"
	line=$(console "$W/intro.console" | grep '^DEMO: WATCH ' | sed -n "${i}p")
	read -r _ _ t v <<<"$line"
	[[ "$v" =~ ^[0-9]+$ ]] || fail "kvmmem watch: ${line#DEMO: WATCH }"
	ticks=$(((v + 300 * HZ) % (1 << 32)))
	up=$(printf '%d.%02d' $((ticks / HZ)) $((ticks * 100 / HZ % 100)))
	if [ -n "$prev" ]; then
		d=$(((v - prev + (1 << 32)) % (1 << 32)))
		if [ "$d" -eq 0 ] || [ "$d" -ge $((1 << 31)) ]; then
			fail "jiffies_64 did not increase ($prev, then $v)"
		fi
		delta="+$d"
	else
		delta=
	fi
	printf '[introspector] uptime %7ss  jiffies_64 = %10s %-5s -> target uptime %s s\n' \
		"$t" "$v" "$delta" "$up"
	prev=$v
done
intro_done() { has_line "$W/intro.console" '^DEMO: DONE' || ! alive "$intro_pid"; }
wait_for 30 intro_done
rc=$(console "$W/intro.console" | sed -n 's/^DEMO: WATCH [0-9.]* rc=//p' | head -n 1)
[ "$rc" = 0 ] || fail "kvmmem watch exited with ${rc:-?}"
say "the value increases about $HZ per second: the target's timer tick, seen live through the mapping"

elapsed=$((SECONDS - start))
echo
echo "kvm demo: SUCCESS (banner read and jiffies_64 watched through /dev/kvmmem; ${elapsed} s in L1)"
