#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (cached) the busybox initramfs of the nested L2 VMs with kvmmem.ko and the static kvmmem tools.
#
# Usage: scripts/nested/mkinitramfs-l2.sh [--out DIR] [--print-path]
# Contents: static busybox, /init (scripts/nested/l2-init), /kvmmem.ko
# (guest/), /bin/kvmmem (tools/kvmmem/), /bin/kvmmem_test
# (tools/testing/selftests/kvmmem/); these must be built first
# (scripts/nested/build.sh does all of it).  Output in DIR (default
# build/nested): l2-initramfs.cpio, l2-initramfs.key (rebuilt only when an
# input changes) and banner.env (scripts/nested/banner-gpa.py of the kernel).
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
BUSYBOX=/bin/busybox
INIT=$ROOT/scripts/nested/l2-init
KO=$ROOT/guest/kvmmem.ko
CLI=$ROOT/tools/kvmmem/kvmmem
TEST=$ROOT/tools/testing/selftests/kvmmem/kvmmem_test
OUT=$OUTDIR/l2-initramfs.cpio

for f in "$BUSYBOX" "$INIT" "$KO" "$CLI" "$TEST"; do
	[ -f "$f" ] || die "$f missing (run scripts/nested/build.sh)"
done
for f in "$BUSYBOX" "$CLI" "$TEST"; do
	if LC_ALL=C ldd "$f" 2>/dev/null | grep -q '=>'; then
		die "$f is not statically linked"
	fi
done
vermagic=$(modinfo -F vermagic "$KO")
[ "${vermagic%% *}" = "$KVER" ] || die "$KO is built for ${vermagic%% *}, not $KVER"

key=$({
	echo "$KVER"
	sha256sum "$BUSYBOX" "$INIT" "$KO" "$CLI" "$TEST" | cut -d' ' -f1
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
	(cd "$tmp" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio -o -0 -H newc -R 0:0 --quiet) >"$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
	echo "$key" >"$OUTDIR/l2-initramfs.key"
	echo "$KVER" >"$OUTDIR/l2-initramfs.kver"
	echo "mkinitramfs-l2: built $OUT" >&2
fi

banner=$OUTDIR/banner-$KVER.env
if [ ! -s "$banner" ] || [ "/boot/vmlinuz-$KVER" -nt "$banner" ]; then
	"$ROOT/scripts/nested/banner-gpa.py" "/boot/vmlinuz-$KVER" "$KVER" >"$banner.tmp"
	mv "$banner.tmp" "$banner"
fi
ln -sfn "banner-$KVER.env" "$OUTDIR/banner.env"

[ "$print" -eq 0 ] || echo "$OUT"
