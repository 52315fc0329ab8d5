#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build kvm.ko, kvm-amd.ko and kvm-intel.ko of a Debian kernel with the
# hypercall hook patch of its line (kvm/<line>/*.patch), out of tree, cached.
#
# Usage: scripts/build-kvm.sh [--kernel LINE] [--print-dir]
#   --kernel LINE  6.1 (the default), 6.12, 7, 7.N or a release, as for
#                  scripts/setup.sh --kernel; without it, KVER from the
#                  environment (any line) or the default 6.1 kernel
#   --print-dir    print the output folder only
# Output: build/kvm/<kver>-<patch hash>/{kvm,kvm-amd,kvm-intel}.ko and
# Module.symvers; build/kvm/<kver> points at it (and build/kvm/current, for
# the 6.1 line).  Rebuilt only when the kernel release or a patch changes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { echo "build-kvm: $*" >&2; exit 1; }

kernel=${KVER:-}
print_dir=0
while [ "$#" -gt 0 ]; do
	case "$1" in
	--kernel) [ "$#" -ge 2 ] || die "--kernel needs a value"; kernel=$2; shift ;;
	--kernel=*) kernel=${1#*=} ;;
	--print-dir) print_dir=1 ;;
	*) die "unknown option $1" ;;
	esac
	shift
done

# KVER, KDIR and SRC of the line (a release names its line exactly).
env=$("$ROOT/scripts/setup.sh" ${kernel:+--kernel "$kernel"} --env) ||
	die "no kernel ${kernel:-6.1} set up (scripts/setup.sh ${kernel:+--kernel $kernel})"
KVER=$(sed -n 's/^export KVER=//p' <<<"$env")
if [ -n "$kernel" ]; then
	eval "$(grep -E '^export (KDIR|SRC)=' <<<"$env")"
else
	KDIR=/usr/src/linux-headers-$KVER
	SRC=$("$ROOT/scripts/setup.sh" --print-src)
fi

case "$KVER" in
6.1.*) line=6.1 ;;
6.12.*) line=6.12 ;;
7.*) line=7 ;;
*) die "no kvm/ patches for $KVER" ;;
esac
patches=("$ROOT"/kvm/$line/*.patch)
[ -f "${patches[0]}" ] || die "no kvm/$line/*.patch"

hash=$(cat "${patches[@]}" | sha256sum | cut -c1-12)
out=$ROOT/build/kvm/$KVER-$hash

if [ "$print_dir" -eq 1 ]; then
	echo "$out"
	exit 0
fi

link() {
	ln -sfn "$(basename "$out")" "$ROOT/build/kvm/$KVER"
	[ "$line" != 6.1 ] || ln -sfn "$(basename "$out")" "$ROOT/build/kvm/current"
}

if [ -f "$out/.done" ] && [ -f "$out/kvm.ko" ] && [ -f "$out/kvm-amd.ko" ] &&
   [ -f "$out/kvm-intel.ko" ]; then
	link
	exit 0
fi

[ -d "$KDIR" ] || die "no module build folder $KDIR"
[ -n "${SRC:-}" ] && [ -e "$SRC" ] ||
	die "no linux-source of $KVER (run scripts/setup.sh ${kernel:+--kernel $kernel})"

start=$(date +%s)
src=$ROOT/build/kvm/src-$KVER
if [ ! -f "$src/.extracted" ]; then
	rm -rf "$src"
	mkdir -p "$src"
	if [ -d "$SRC" ]; then
		echo "build-kvm: copying arch/x86/kvm and virt/kvm from $SRC"
		mkdir -p "$src/arch/x86" "$src/virt"
		cp -a "$SRC/arch/x86/kvm" "$src/arch/x86/"
		cp -a "$SRC/virt/kvm" "$src/virt/"
	else
		top=$(basename "$SRC" .tar.xz)
		echo "build-kvm: extracting arch/x86/kvm and virt/kvm from $SRC"
		tar -xJf "$SRC" -C "$src" --strip-components=1 \
			"$top/arch/x86/kvm" "$top/virt/kvm"
	fi
	touch "$src/.extracted"
fi

work=$ROOT/build/kvm/work-$KVER-$hash
rm -rf "$work" "$out"
mkdir -p "$work"
cp -a "$src/arch" "$src/virt" "$work/"
for p in "${patches[@]}"; do
	patch -s -p1 -d "$work" < "$p" || die "kvm/$line/$(basename "$p") does not apply to $KVER"
done

# Out of tree, $(srctree) is the headers package (or 7.x's source): point
# the two in-tree paths at the copy, and give trace.h's TRACE_INCLUDE_PATH
# (../../arch/x86/kvm) a base two levels below the copy's root.
mk=$work/arch/x86/kvm/Makefile
sed -i -e 's#-I \$(srctree)/arch/x86/kvm#-I $(src) -I $(src)/../../../include/trace#' \
       -e 's#include \$(srctree)/virt/kvm/Makefile.kvm#include $(src)/../../../virt/kvm/Makefile.kvm#' "$mk"
grep -q 'include/trace' "$mk" || die "Makefile edit failed"
mkdir -p "$work/include/trace"

echo "build-kvm: building patched kvm for $KVER (kvm/$line)"
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
link
echo "build-kvm: done in $(( $(date +%s) - start )) s: $out"
