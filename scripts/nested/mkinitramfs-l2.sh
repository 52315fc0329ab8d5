#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (cached) the busybox initramfs of the nested L2 VMs with kvmmem.ko and the static kvmmem tools.
#
# Usage: scripts/nested/mkinitramfs-l2.sh [--out DIR] [--print-path]
# Contents: static busybox, /init (scripts/nested/l2-init), /kvmmem.ko
# (guest/), /bin/kvmmem (tools/kvmmem/), /bin/kvmmem_test
# (tools/testing/selftests/kvmmem/), and if built /bin/rm-vmcore
# (tools/vmcore/) and /fuse.ko (where FUSE is a module); these must be built first
# (scripts/nested/build.sh does all of it).  Output in DIR (default
# build/nested): l2-initramfs.cpio, l2-initramfs.key (rebuilt only when an
# input changes), l2-initramfs.kver and .vmlinuz (the L2 kernel) and banner.env (scripts/nested/banner-gpa.py of the kernel).
# --print-path prints the initramfs path.  KVER as for scripts/vm-run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUTDIR=$ROOT/build/nested
print=0

die() { echo "mkinitramfs-l2: $*" >&2; exit 1; }

while [ "$#" -gt 0 ]; do
	case "$1" in
	--out) [ "$#" -ge 2 ] || die "--out needs a value"; OUTDIR=$2; shift 2 ;;
	--print-path) print=1; shift ;;
	-h|--help) sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done

KVER=${KVER:-$("$ROOT/scripts/setup.sh" --print-kver)}
# The L2 kernel is L1's: /boot, or setup.sh's tree of a line such as 7.x.
VMLINUZ=/boot/vmlinuz-$KVER
if [ ! -r "$VMLINUZ" ]; then
	VMLINUZ=$("$ROOT/scripts/setup.sh" --kernel "$KVER" --env | sed -n 's/^export VMLINUZ=//p')
	[ -r "$VMLINUZ" ] || die "no vmlinuz of $KVER (scripts/setup.sh --kernel $KVER)"
fi
BUSYBOX=/bin/busybox
INIT=$ROOT/scripts/nested/l2-init
KO=$ROOT/guest/kvmmem.ko
CLI=$ROOT/tools/kvmmem/kvmmem
TEST=$ROOT/tools/testing/selftests/kvmmem/kvmmem_test
# rm-vmcore (tools/vmcore, static) and, where FUSE is a module, fuse.ko:
# both optional, the introspector's rm-vmcore step SKIPs without them.
VMCORE=$ROOT/tools/vmcore/rm-vmcore
FUSE_KO=/lib/modules/$KVER/kernel/fs/fuse/fuse.ko
OUT=$OUTDIR/l2-initramfs.cpio

for f in "$BUSYBOX" "$INIT" "$KO" "$CLI" "$TEST"; do
	[ -f "$f" ] || die "$f missing (run scripts/nested/build.sh)"
done
extra=()
[ ! -f "$VMCORE" ] || extra+=("$VMCORE")
[ ! -f "$FUSE_KO" ] || extra+=("$FUSE_KO")
for f in "$BUSYBOX" "$CLI" "$TEST" ${extra[@]+"${extra[@]}"}; do
	[[ "$f" != *.ko ]] || continue
	if LC_ALL=C ldd "$f" 2>/dev/null | grep -q '=>'; then
		die "$f is not statically linked"
	fi
done
vermagic=$(modinfo -F vermagic "$KO")
[ "${vermagic%% *}" = "$KVER" ] || die "$KO is built for ${vermagic%% *}, not $KVER"

key=$({
	echo "$KVER"
	sha256sum "$BUSYBOX" "$INIT" "$KO" "$CLI" "$TEST" ${extra[@]+"${extra[@]}"} |
		cut -d' ' -f1
} | sha256sum | cut -d' ' -f1)

mkdir -p "$OUTDIR"
if [ ! -f "$OUT" ] || [ "$(cat "$OUTDIR/l2-initramfs.key" 2>/dev/null)" != "$key" ]; then
	tmp=$(mktemp -d "$OUTDIR/initramfs.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp"/{bin,dev,proc,sys,tmp}
	cp "$BUSYBOX" "$tmp/bin/busybox"
	install -m 755 "$INIT" "$tmp/init"
	install -m 644 "$KO" "$tmp/kvmmem.ko"
	install -m 755 "$CLI" "$tmp/bin/kvmmem"
	install -m 755 "$TEST" "$tmp/bin/kvmmem_test"
	[ ! -f "$VMCORE" ] || install -m 755 "$VMCORE" "$tmp/bin/rm-vmcore"
	[ ! -f "$FUSE_KO" ] || install -m 644 "$FUSE_KO" "$tmp/fuse.ko"
	(cd "$tmp" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio -o -0 -H newc -R 0:0 --quiet) >"$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
	echo "$key" >"$OUTDIR/l2-initramfs.key"
	echo "$KVER" >"$OUTDIR/l2-initramfs.kver"
	echo "mkinitramfs-l2: built $OUT" >&2
fi

echo "$VMLINUZ" >"$OUTDIR/l2-initramfs.vmlinuz"
banner=$OUTDIR/banner-$KVER.env
if [ ! -s "$banner" ] || [ "$VMLINUZ" -nt "$banner" ]; then
	"$ROOT/scripts/nested/banner-gpa.py" "$VMLINUZ" "$KVER" >"$banner.tmp"
	mv "$banner.tmp" "$banner"
fi
ln -sfn "banner-$KVER.env" "$OUTDIR/banner.env"

[ "$print" -eq 0 ] || echo "$OUT"
