#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drgn demo, run in the test VM (L1): drgn lists the processes of a live Linux VM through rm-vmcore, from the VM's host (L1) and from an introspector VM.
#
# Usage (on the host; "make demo-drgn" builds and installs what it needs):
#   scripts/vm-run -- tools/demo/run-drgn-demo.sh
# Needs, in L1: /dev/kvm, remote_mapping.ko serving the hypercalls,
# build/nested/ (scripts/nested/build.sh), tools/vmcore/rm-vmcore,
# python3-drgn, and the target kernel's vmlinux with debug information
# (DRGN_VMLINUX, default build/dbg/usr/lib/debug/boot/vmlinux-<release>,
# which make demo-drgn extracts from linux-image-<release>-dbg).
# Two L2 VMs boot from the L2 initramfs plus an init of the demo's own:
#   target        Debian's kernel with KASLR on, busybox; prints its own ps,
#                 and on "spawn NAME" (its second serial port) starts a
#                 process NAME and prints ps again
#   introspector  mounts L1's root read-only (9p), loads kvmmem.ko, gets a
#                 token, mounts the target with rm-vmcore through
#                 /dev/kvmmem and runs drgn (tools/demo/drgn_ps.py) on it
# In L1, rm-vmcore mounts the target through /dev/remote_mapping on its
# QEMU first, and drgn lists it there (a second drgn process, on the same
# mount, waits for a process the target starts), with a timing of each
# listing, and crash's "ps" on the same mount when crash is installed (a
# crash that cannot open the view is reported, not failed: it is optional);
# then the introspector does the same with drgn, while L1's mount stays, and
# L1's drgn lists the target once more: two views of the same pages at once.
# Exit status 0 when both listings match the target's ps and both see the
# canary appear; 1 with a "run-drgn-demo: FAILED: ..." line otherwise.
# Environment: DRGN_DEMO_TIMEOUT (default 1500 s), DRGN_DEMO_KEEP=1.
# shellcheck disable=SC2317 # functions run through wait_for
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NESTED=$ROOT/build/nested
INITRD=$NESTED/l2-initramfs.cpio
GRANT=$ROOT/tools/kvmmem/rm-grant
VMCORE=$ROOT/tools/vmcore/rm-vmcore
PS_PY=$ROOT/tools/demo/drgn_ps.py
TIMEOUT=${DRGN_DEMO_TIMEOUT:-1500}
L2_CPU=${KVM_DEMO_L2_CPU:-host,xsave=off}

start=$SECONDS
pids=()
W=
# shellcheck source=scripts/nested/l2.sh
. "$ROOT/scripts/nested/l2.sh"

cleanup() {
	mountpoint -q "$W/vm" 2>/dev/null && umount "$W/vm"
	kill_l2
	drop_work "${DRGN_DEMO_KEEP:-0}"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

fail() {
	echo "run-drgn-demo: FAILED: $*" >&2
	dump_work 12 8 "$W"/*.log
	exit 1
}

# --- prerequisites ------------------------------------------------------------

[ -c /dev/kvm ] || fail "no /dev/kvm in the test VM"
[ -c /dev/fuse ] || modprobe fuse || fail "no /dev/fuse (fuse.ko)"
for f in "$INITRD" "$NESTED/l2-initramfs.kver" "$GRANT" "$ROOT/tools/kvmmem/no-thp" "$VMCORE" "$PS_PY"; do
	[ -f "$f" ] || fail "$f missing: run 'make demo-drgn' on the host"
done
python3 -c 'import drgn' 2>/dev/null || fail "no python3-drgn (make demo-drgn installs it)"
KVER=$(cat "$NESTED/l2-initramfs.kver")
KERNEL=$(cat "$NESTED/l2-initramfs.vmlinuz" 2>/dev/null || echo "/boot/vmlinuz-$KVER")
VMLINUX=${DRGN_VMLINUX:-$ROOT/build/dbg/usr/lib/debug/boot/vmlinux-$KVER}
[ -r "$VMLINUX" ] || fail "no $VMLINUX (linux-image-$KVER-dbg; make demo-drgn extracts it)"
case "$(cat /sys/kernel/debug/remote_mapping/kvm_hook 2>/dev/null)" in
patch|ftrace) ;;
*) fail "remote_mapping.ko serves no KVM hypercalls (debugfs kvm_hook)" ;;
esac
# L1's timer interrupt waits while L2 computes (TCG's nested SVM, see
# Documentation/kernels.rst): drgn in the introspector can hold L1's only
# vCPU for a minute, which L1's soft-lockup watchdog would report.
echo 0 >/proc/sys/kernel/soft_watchdog
# A stock kvm.ko before 6.13 cannot map tail pages: the target's QEMU
# runs without THPs (no-thp, Documentation/kvm-hook.rst).
no_thp=0
[ "$(cat /sys/kernel/debug/remote_mapping/kvm_no_tail 2>/dev/null)" != Y ] || no_thp=1

W=$(mktemp -d /tmp/drgn-demo.XXXXXX)
mkdir -p "$W/vm" "$W/extra/modules"

# The introspector mounts L1's root (9p): the virtio and 9p modules of the
# L2 kernel (L1's own), dependencies first.
declare -A seen=()
add_module() {
	local m=$1 d f
	[ -z "${seen[$m]:-}" ] || return 0
	seen[$m]=1
	for d in $(modinfo -F depends "$m" | tr ',' ' '); do
		add_module "$d"
	done
	f=$(modinfo -F filename "$m") || fail "modinfo $m"
	case "$f" in
	"(builtin)") return 0 ;;
	*.ko) cp "$f" "$W/extra/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$f" >"$W/extra/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$W/extra/modules/$m.ko" ;;
	*) fail "unexpected module file $f" ;;
	esac
	echo "$m" >>"$W/extra/modules/order"
}
: >"$W/extra/modules/order"
for m in virtio_pci 9pnet_virtio 9p; do
	add_module "$m"
done

{
	echo '#!/bin/busybox sh'
	printf 'REPO=%s\n' "$ROOT"
	cat <<'EOF'
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1
stty -F /dev/ttyS1 raw -echo 115200
exec 3</dev/ttyS1
if [ "$DEMO_ROLE" = target ]; then
	# ps into a file first: no pipeline process to see itself listed.
	ps -o pid,comm >/tmp/ps
	while read -r l; do echo "DEMO-TARGET: PS1 $l"; done </tmp/ps
	echo "DEMO-TARGET: READY $(uname -r)"
	n=1
	while read -r cmd name <&3; do
		[ "$cmd" = spawn ] || continue
		# A name busybox takes as itself ("busybox..."), running "sleep".
		cp /bin/busybox "/tmp/$name"
		"/tmp/$name" sleep 100000 &
		echo "DEMO-TARGET: SPAWNED $name $!"
		n=$((n + 1))
		ps -o pid,comm >/tmp/ps
		while read -r l; do echo "DEMO-TARGET: PS$n $l"; done </tmp/ps
	done
	sleep 100000
fi
while read -r m; do
	insmod "/modules/$m.ko" || echo "DEMO: insmod $m failed"
done </modules/order
insmod /kvmmem.ko || echo "DEMO: insmod kvmmem.ko failed"
[ ! -f /fuse.ko ] || insmod /fuse.ko
R=/l1root
mkdir -p $R
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 l1root $R ||
	echo "DEMO: mount of L1's root failed"
# The tmpfs on /tmp would hide a repository cloned below it (vm-init does
# the same for L1): keep it visible.
case "$REPO" in
/tmp/*) mkdir -p /repo && mount -o bind "$R$REPO" /repo ;;
esac
mount -t tmpfs tmpfs $R/tmp
case "$REPO" in
/tmp/*) mkdir -p "$R$REPO" && mount -o bind /repo "$R$REPO" ;;
esac
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -o bind /dev $R/dev
echo "DEMO: WAIT-PARAMS"
while read -r line <&3; do
	case "$line" in
	END) break ;;
	DEMO_[A-Z_]*=*) export "$line" ;;
	esac
done
printf '%s\n' "$DEMO_TOKEN" >$R/tmp/token
mkdir $R/tmp/vm
t0=$(cut -d' ' -f1 /proc/uptime)
rm-vmcore --kvmmem --token @$R/tmp/token $R/tmp/vm 2>$R/tmp/vmcore.log
echo "DEMO: MOUNT rc=$? $t0 $(cut -d' ' -f1 /proc/uptime) $(tr '\n' ' ' <$R/tmp/vmcore.log)"
chroot $R python3 "$DEMO_PS_PY" /tmp/vm/core "$DEMO_VMLINUX" \
	--repeat 3 --wait-comm busybox-vmi2 --timeout 300 2>&1
echo "DEMO: STATS $(tr '\n' ' ' <$R/tmp/vm/stats)"
umount $R/tmp/vm
sed 's/^/DEMO: LOG /' $R/tmp/vmcore.log
echo "DEMO: DONE"
poweroff -f
EOF
} >"$W/extra/drgn-init"
chmod 755 "$W/extra/drgn-init"
(cd "$W/extra" && find drgn-init modules | cpio -o -H newc -R 0:0 --quiet) >"$W/extra.cpio" ||
	fail "cannot build the demo cpio"
L2_INITRD=$W/initrd.cpio
cat "$INITRD" "$W/extra.cpio" >"$L2_INITRD"

echo "drgn demo: drgn lists the processes of a live Linux VM through rm-vmcore"
echo "(the test VM, L1, is the target VM's host; both VMs below are nested L2 guests)"

step "1. Boot a Linux target VM (KASLR on) and an introspector VM"
mkfifo "$W/tctl.in" "$W/tctl.out" "$W/ictl.in" "$W/ictl.out"
L2_NO_THP=$no_thp qemu_l2 target "rdinit=/drgn-init DEMO_ROLE=target" \
	-chardev "pipe,id=ctl,path=$W/tctl" -serial chardev:ctl
target_pid=${pids[-1]}
qemu_l2 intro "rdinit=/drgn-init DEMO_ROLE=intro" -m 1536M \
	-chardev "pipe,id=ctl,path=$W/ictl" -serial chardev:ctl \
	-virtfs "local,path=/,mount_tag=l1root,security_model=none,readonly=on,multidevs=remap"
intro_pid=${pids[-1]}
cat "$W/tctl.out" >/dev/null &
pids+=("$!")
cat "$W/ictl.out" >/dev/null &
pids+=("$!")
# Keep the target's command pipe open: one writer for the whole run.
exec 7<>"$W/tctl.in"
target_up() { has_line "$W/target.console" '^DEMO-TARGET: READY' || ! alive "$target_pid"; }
wait_for 300 target_up
has_line "$W/target.console" '^DEMO-TARGET: READY' || fail "the target VM did not boot"
say "target VM: QEMU pid $target_pid, $(console "$W/target.console" | sed -n 's/^DEMO-TARGET: READY //p')"
echo "[target] \$ ps -o pid,comm"
console "$W/target.console" | sed -n 's/^DEMO-TARGET: PS1 /[target] /p' | head -n 8
echo "[target] ... ($(console "$W/target.console" | grep -c '^DEMO-TARGET: PS1 ') lines)"

# ps_of FILE PREFIX: "pid comm" lines of the target's ps, without the
# header and ps itself (gone by the time anyone else looks); a kernel
# worker's name without the workqueue ps adds ("kworker/0:1-events")
ps_of() {
	console "$1" | sed -n "s/^$2 *//p" |
		awk '$1 ~ /^[0-9]+$/ && $2 != "ps" { if ($2 ~ /^kworker\//) sub(/-.*/, "", $2); print $1, $2 }' |
		sort
}
drgn_of() { sed -n "s/^DRGN: TASK $2 //p" "$1" | sort; }
# compare_lists TARGET LISTED WHAT: the same processes, pid and name, but for
# kernel workers (kworker) that come and go by themselves
compare_lists() {
	local missing extra
	missing=$(comm -23 "$1" "$2" | grep -v ' kworker/' | tr '\n' ' ' || true)
	extra=$(comm -13 "$1" "$2" | grep -v ' kworker/' | tr '\n' ' ' || true)
	say "$3: target ps $(wc -l <"$1") processes, listed $(wc -l <"$2") tasks," \
		"$(comm -12 "$1" "$2" | wc -l) equal; not listed: ${missing:-none};" \
		"only listed: ${extra:-none} (kworkers aside)"
	[ -z "$missing" ] && [ -z "$extra" ]
}

step "2. In L1 (the target's host): rm-vmcore on the target's QEMU, drgn on the core"
say "\$ rm-vmcore --pid $target_pid $W/vm"
"$VMCORE" --pid "$target_pid" "$W/vm" 2>"$W/vmcore-l1.log" ||
	fail "rm-vmcore --pid $target_pid failed"
sed 's/^/    /' "$W/vmcore-l1.log"
say "\$ drgn_ps.py $W/vm/core vmlinux-$KVER --repeat 3"
timeout 900 python3 "$PS_PY" "$W/vm/core" "$VMLINUX" --repeat 3 >"$W/drgn-l1.log" 2>&1 ||
	fail "drgn in L1 did not list the target"
say "drgn loaded the core and vmlinux in $(sed -n 's/^DRGN: LOADED //p' "$W/drgn-l1.log") s;" \
	"listings took $(sed -n 's/^DRGN: LIST [1-3] \([0-9.]*\) .*/\1/p' "$W/drgn-l1.log" | tr '\n' ' ')s"
ps_of "$W/target.console" 'DEMO-TARGET: PS1' >"$W/ps1"
drgn_of "$W/drgn-l1.log" 1 >"$W/l1-1"
sed 's/^/[drgn in L1] /' "$W/l1-1" | head -n 8
compare_lists "$W/ps1" "$W/l1-1" "L1 listing" || fail "drgn's list in L1 is not the target's ps"

# median FILE: the median listing time of a drgn_ps.py log
median() {
	sed -n 's/^DRGN: LIST [0-9]* \([0-9.]*\) .*/\1/p' "$1" | sort -n |
		awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "" }'
}
# crash_of LOG: the tasks of crash's ps (pid comm), the idle tasks aside
crash_of() {
	sed 's/^>//' "$1" |
		awk '$1 ~ /^[0-9]+$/ && $1 != 0 && $4 ~ /^[0-9a-f]+$/ && $5 ~ /^[A-Z][A-Z]$/ {
			c = $9; gsub(/^\[|\]$/, "", c); print $1, c }' | sort
}
if command -v crash >/dev/null; then
	step "2a. crash on the same mount"
	say "\$ crash vmlinux-$KVER $W/vm/core   (crash> ps)"
	printf 'ps\nquit\n' | timeout 900 crash "$VMLINUX" "$W/vm/core" >"$W/crash.log" 2>&1
	crash_rc=$?
	crash_of "$W/crash.log" >"$W/crash-1"
	if [ -s "$W/crash-1" ]; then
		grep -E '^ *PID +PPID' "$W/crash.log" | head -n 1 | sed 's/^/[crash in L1] /'
		sed 's/^>//' "$W/crash.log" | awk '$1 ~ /^[0-9]+$/ && $1 != 0' | head -n 8 | sed 's/^/[crash in L1] /'
		compare_lists "$W/ps1" "$W/crash-1" "crash ps" ||
			fail "crash's ps in L1 is not the target's ps"
	else
		say "crash could not open the view (exit $crash_rc; optional; its last lines follow)"
		grep -v '^ *$' "$W/crash.log" | tail -n 4 | sed 's/^/    /'
		# The control: L1 runs the target's kernel, so the same vmlinux
		# reads L1 itself, live, through /proc/kcore, without rm-vmcore.
		say "\$ crash vmlinux-$KVER   (L1 itself, live, through /proc/kcore: the control)"
		# In a shell of its own, whose report of a crash killed by a
		# signal goes to the log.
		# shellcheck disable=SC2016 # expanded by that shell
		timeout 900 bash -c 'printf "ps\nquit\n" | crash "$1"' sh "$VMLINUX" \
			>"$W/crash-kcore.log" 2>&1
		rc=$?
		if [ -n "$(crash_of "$W/crash-kcore.log")" ]; then
			say "crash reads L1 live (exit $rc) but not the view: the view's fault"
		else
			say "crash $(crash --version 2>/dev/null | sed -n 's/^crash \([0-9.]*\).*/\1/p') cannot read $KVER live either (exit $rc): this crash proves nothing about the view"
			grep -v '^ *$' "$W/crash-kcore.log" | tail -n 2 | sed 's/^/    /'
		fi
	fi
fi

step "2b. The same listing through /proc/PID/mem of the target's QEMU (the baseline)"
mkdir -p "$W/vm-pm"
say "\$ rm-vmcore --pid $target_pid --proc-mem $W/vm-pm   (copies with pread, no mapping)"
"$VMCORE" --pid "$target_pid" --proc-mem "$W/vm-pm" 2>"$W/vmcore-pm.log" ||
	fail "rm-vmcore --proc-mem failed"
timeout 900 python3 "$PS_PY" "$W/vm-pm/core" "$VMLINUX" --repeat 3 >"$W/drgn-pm.log" 2>&1 ||
	fail "drgn over /proc/PID/mem failed: $(tail -n 3 "$W/drgn-pm.log")"
umount "$W/vm-pm"
drgn_of "$W/drgn-pm.log" 1 >"$W/pm-1"
compare_lists "$W/ps1" "$W/pm-1" "/proc/PID/mem listing" || fail "drgn over /proc/PID/mem differs"
m_map=$(median "$W/drgn-l1.log")
m_pm=$(median "$W/drgn-pm.log")
say "drgn ps (median of 3): rm-vmcore mappings $m_map s, /proc/PID/mem $m_pm s," \
	"ratio $(awk -v a="$m_pm" -v b="$m_map" 'BEGIN { printf "%.2f", a / b }')x"
echo "DRGN-BENCH: l1_map_s=$m_map l1_procmem_s=$m_pm"

# spawn NAME: the target starts a process NAME; its pid
spawn() {
	local name=$1
	echo "spawn $name" >&7
	spawned() { has_line "$W/target.console" "^DEMO-TARGET: SPAWNED $name " || ! alive "$target_pid"; }
	wait_for 60 spawned || fail "the target did not start $name"
	console "$W/target.console" | sed -n "s/^DEMO-TARGET: SPAWNED $name //p"
}
# saw WHO LOG PSN NAME PID: drgn's last listing in LOG has NAME as PID and
# equals the target's ps number PSN
saw() {
	local k
	k=$(sed -n 's/^DRGN: END //p' "$2" | tail -n 1)
	drgn_of "$2" "$k" >"$W/$1-last"
	grep -qx "$5 $4" "$W/$1-last" || fail "drgn ($1) did not see $4 (pid $5) in listing $k"
	say "drgn ($1), listing $k: $(grep -x "$5 $4" "$W/$1-last")"
	ps_of "$W/target.console" "DEMO-TARGET: $3" >"$W/$3"
	compare_lists "$W/$3" "$W/$1-last" "$1 listing $k" ||
		fail "drgn's last list ($1) is not the target's ps"
}

step "3. Live, in L1: the target starts busybox-vmi1; drgn's next listing shows it"
cpid=$(spawn busybox-vmi1)
say "[target] started busybox-vmi1, pid $cpid"
say "\$ drgn_ps.py $W/vm/core vmlinux-$KVER --repeat 0 --wait-comm busybox-vmi1 (same mount)"
timeout 600 python3 "$PS_PY" "$W/vm/core" "$VMLINUX" --repeat 0 --wait-comm busybox-vmi1 \
	--timeout 120 >"$W/drgn-l1-live.log" 2>&1 || fail "drgn in L1 failed: $(tail -n 3 "$W/drgn-l1-live.log")"
saw L1 "$W/drgn-l1-live.log" PS2 busybox-vmi1 "$cpid"
# L1's mount stays: from here on two views map the same target pages at
# once, L1's window and the introspector's pool (step 5 reads both).
say "rm-vmcore stays mounted in L1 while the introspector maps the same pages"

step "4. The introspector VM: rm-vmcore through /dev/kvmmem, drgn on the core"
intro_waiting() { has_line "$W/intro.console" '^DEMO: WAIT-PARAMS' || ! alive "$intro_pid"; }
wait_for 300 intro_waiting
has_line "$W/intro.console" '^DEMO: WAIT-PARAMS' || fail "the introspector VM did not boot"
wait_for 60 vm_fd_open "$intro_pid" || fail "the introspector's QEMU has no KVM VM"
token=$("$GRANT" "$target_pid" --ro --bind-pid "$intro_pid" 2>"$W/grant.log") ||
	fail "rm-grant $target_pid --ro --bind-pid $intro_pid failed"
say "rm-grant $target_pid --ro --bind-pid $intro_pid: a read-only token for the introspector"
printf 'DEMO_TOKEN=%s\nDEMO_PS_PY=%s\nDEMO_VMLINUX=%s\nEND\n' "$token" "$PS_PY" "$VMLINUX" >"$W/params"
# shellcheck disable=SC2016 # expanded by sh
timeout 10 sh -c 'cat "$1" >"$2"' sh "$W/params" "$W/ictl.in" ||
	fail "cannot write to the introspector's serial port"
intro_listed() { has_line "$W/intro.console" '^DRGN: END 3' || ! alive "$intro_pid"; }
wait_for 900 intro_listed
console "$W/intro.console" | grep '^DEMO: MOUNT' | sed 's/^/[introspector] /'
has_line "$W/intro.console" '^DRGN: END 3' || fail "drgn in the introspector did not list the target"
console "$W/intro.console" >"$W/intro.txt"
say "[introspector] drgn loaded in $(sed -n 's/^DRGN: LOADED //p' "$W/intro.txt") s;" \
	"listings took $(sed -n 's/^DRGN: LIST [1-3] \([0-9.]*\) .*/\1/p' "$W/intro.txt" | tr '\n' ' ')s"
echo "DRGN-BENCH: intro_map_s=$(sed -n '/^DRGN: LIST [1-3] /p' "$W/intro.txt" | median /dev/stdin)"
drgn_of "$W/intro.txt" 1 >"$W/in-1"
sed 's/^/[drgn in the introspector] /' "$W/in-1" | head -n 8
ps_of "$W/target.console" 'DEMO-TARGET: PS2' >"$W/ps2"
compare_lists "$W/ps2" "$W/in-1" "introspector listing" ||
	fail "drgn's list in the introspector is not the target's ps"

step "5. Live, in the introspector: the target starts busybox-vmi2; drgn's next listing shows it"
cpid=$(spawn busybox-vmi2)
say "[target] started busybox-vmi2, pid $cpid"
intro_done() { has_line "$W/intro.console" '^DEMO: DONE' || ! alive "$intro_pid"; }
wait_for 600 intro_done
console "$W/intro.console" >"$W/intro.txt"
saw introspector "$W/intro.txt" PS3 busybox-vmi2 "$cpid"
say "\$ drgn_ps.py $W/vm/core vmlinux-$KVER --repeat 0 --wait-comm busybox-vmi2 (L1's mount, still live)"
timeout 600 python3 "$PS_PY" "$W/vm/core" "$VMLINUX" --repeat 0 --wait-comm busybox-vmi2 \
	--timeout 120 >"$W/drgn-l1-both.log" 2>&1 || fail "drgn in L1 failed: $(tail -n 3 "$W/drgn-l1-both.log")"
saw L1 "$W/drgn-l1-both.log" PS3 busybox-vmi2 "$cpid"
console "$W/intro.console" | grep '^DEMO: STATS' | sed 's/^/[introspector] /'

step "Result"
say "drgn, with Debian's vmlinux-$KVER, listed the live target's processes from L1 and"
say "from the introspector VM (both mounted at once), equal to the target's own ps, and saw"
say "new processes appear: PASS"
exit 0
