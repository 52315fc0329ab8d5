#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build kvm.ko, kvm-amd.ko and kvm-intel.ko of the installed Debian kernel
# with the hypercall hook patch (kvm/*.patch), out of tree, cached.
#
# Usage: scripts/build-kvm.sh [--print-dir]
# Output: build/kvm/<kver>-<patch hash>/{kvm,kvm-amd,kvm-intel}.ko and
# Module.symvers; build/kvm/current points at it.  Rebuilt only when the
# kernel version or a patch changes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KVER=${KVER:-$("$ROOT/scripts/setup.sh" --print-kver)}
KDIR=${KDIR:-/usr/src/linux-headers-$KVER}
SRC_TAR=${SRC_TAR:-/usr/src/linux-source-6.1.tar.xz}
TOP=linux-source-6.1

hash=$(cat "$ROOT"/kvm/*.patch | sha256sum | cut -c1-12)
out=$ROOT/build/kvm/$KVER-$hash

if [ "${1:-}" = --print-dir ]; then
	echo "$out"
	exit 0
fi

if [ -f "$out/.done" ] && [ -f "$out/kvm.ko" ] && [ -f "$out/kvm-amd.ko" ] &&
   [ -f "$out/kvm-intel.ko" ]; then
	ln -sfn "$(basename "$out")" "$ROOT/build/kvm/current"
	exit 0
fi

[ -d "$KDIR" ] || { echo "build-kvm: no headers at $KDIR" >&2; exit 1; }
[ -f "$SRC_TAR" ] || { echo "build-kvm: no $SRC_TAR" >&2; exit 1; }

start=$(date +%s)
src=$ROOT/build/kvm/src-$KVER
if [ ! -f "$src/.extracted" ]; then
	rm -rf "$src"
	mkdir -p "$src"
	echo "build-kvm: extracting arch/x86/kvm and virt/kvm from $SRC_TAR"
	tar -xJf "$SRC_TAR" -C "$src" --strip-components=1 \
		"$TOP/arch/x86/kvm" "$TOP/virt/kvm"
	touch "$src/.extracted"
fi

work=$ROOT/build/kvm/work-$KVER-$hash
rm -rf "$work" "$out"
mkdir -p "$work"
cp -a "$src/arch" "$src/virt" "$work/"
for p in "$ROOT"/kvm/*.patch; do
	patch -s -p1 -d "$work" < "$p"
done

# Out of tree, $(srctree) is the headers package: point the two in-tree
# paths at the copy, and give trace.h's TRACE_INCLUDE_PATH
# (../../arch/x86/kvm) a base two levels below the copy's root.
mk=$work/arch/x86/kvm/Makefile
sed -i -e 's#-I \$(srctree)/arch/x86/kvm#-I $(src) -I $(src)/../../../include/trace#' \
       -e 's#include \$(srctree)/virt/kvm/Makefile.kvm#include $(src)/../../../virt/kvm/Makefile.kvm#' "$mk"
grep -q 'include/trace' "$mk" || { echo "build-kvm: Makefile edit failed" >&2; exit 1; }
mkdir -p "$work/include/trace"

echo "build-kvm: building patched kvm for $KVER"
make -s -C "$KDIR" M="$work/arch/x86/kvm" -j"$(nproc)" modules > "$work/build.log" 2>&1 || {
	tail -40 "$work/build.log" >&2
	exit 1
}

mkdir -p "$out"
for m in kvm kvm-amd kvm-intel; do
	strip --strip-debug -o "$out/$m.ko" "$work/arch/x86/kvm/$m.ko"
done
cp "$work/arch/x86/kvm/Module.symvers" "$out/"
rm -rf "$work"
touch "$out/.done"
ln -sfn "$(basename "$out")" "$ROOT/build/kvm/current"
echo "build-kvm: done in $(( $(date +%s) - start )) s: $out"
