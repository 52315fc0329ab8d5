#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (cached) the KASAN/lockdep/kmemleak debug kernel of a line with its kvm patches in-tree, and the project's modules for it.
#
# Usage: scripts/build-debug-kernel.sh [--kernel 6.1|7] [--kernel-only] [--modules-only]
#        scripts/build-debug-kernel.sh [--kernel LINE] --print-env   VM_RUN_* settings
#                                         for vm-run (KVM: modprobe from the modroot)
#        scripts/build-debug-kernel.sh [--kernel LINE] --print-dir   the output folder
#
# Kernel of 6.1 (the default): linux-source-6.1 (SRC_TAR) extracted once to
# build/debug-kernel/src.  Of 7: the linux-source-7.N tree that
# "scripts/setup.sh --kernel 7" unpacked, copied to build/debug-kernel-7/src.
# kvm/<line>/*.patch and scripts/debug-kernel.patches/<line>/*.patch applied
# there (patch -p1; reverted and re-applied when they change), configured as
# "make defconfig kvm_guest.config" plus
# scripts/debug-kernel.config (every value of the fragment is verified), built
# out of the source folder in build/debug-kernel/obj (bzImage, modules) and
# installed to build/debug-kernel/modroot/lib/modules/<release> (stripped).
# Nothing is rebuilt when the tarball, the patches, the fragment and
# KCONFIG_RECIPE below are unchanged (build/debug-kernel/.kernel-key);
# otherwise kbuild rebuilds incrementally.  The first build takes about an
# hour on 2 cores (Documentation/debug-kernel.rst).
# Project modules: host/, guest/, include/ and Kbuild are copied (mtimes kept)
# to build/debug-kernel/mods/ and built there with M=, so the normal host/*.ko
# built against the Debian headers are not touched; every run (kbuild is
# incremental).  Logs: build/debug-kernel/build.log, modules.log.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FRAGMENT=$ROOT/scripts/debug-kernel.config
JOBS=${JOBS:-$(nproc)}
# Bump when the way the .config is made changes (part of the cache key).
KCONFIG_RECIPE="defconfig kvm_guest.config fragment v1"

die() { echo "build-debug-kernel: $*" >&2; exit 1; }
log() { echo "build-debug-kernel: $*" >&2; }

do_kernel=1 do_mods=1 line=6.1 print=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) [ $# -ge 2 ] || die "--kernel needs 6.1 or 7"; line=$2; shift ;;
	--kernel=*) line=${1#--kernel=} ;;
	--print-dir|--print-env) print=$1 ;;
	--kernel-only) do_mods=0 ;;
	--modules-only) do_kernel=0 ;;
	-h|--help) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
	shift
done

# A line's source: a tarball (6.1) or the tree setup.sh unpacked (7.x).
case "$line" in
6.1)
	OUT=$ROOT/build/debug-kernel
	SRC_TAR=${SRC_TAR:-/usr/src/linux-source-6.1.tar.xz}
	SRC_TREE=
	;;
7|7.*)
	line=7
	OUT=$ROOT/build/debug-kernel-7
	SRC_TAR=
	if [ -z "$print" ]; then
		SRC_TREE=$("$ROOT/scripts/setup.sh" --kernel 7 --print-src) ||
			die "no 7.x source (run scripts/setup.sh --kernel 7)"
		[ -d "$SRC_TREE" ] || die "no $SRC_TREE (run scripts/setup.sh --kernel 7)"
	fi
	;;
*) die "no debug kernel for line $line (6.1 or 7)" ;;
esac
# The line's own values, merged after the common fragment.
FRAGMENTS=("$FRAGMENT")
[ ! -f "$ROOT/scripts/debug-kernel-$line.config" ] ||
	FRAGMENTS+=("$ROOT/scripts/debug-kernel-$line.config")
SRC=$OUT/src
OBJ=$OUT/obj
MODROOT=$OUT/modroot
MODS=$OUT/mods

case "$print" in
--print-dir) echo "$OUT"; exit 0 ;;
--print-env)
	[ -f "$OUT/release" ] || die "not built yet"
	echo "VM_RUN_KERNEL=$OUT/bzImage"
	echo "VM_RUN_MODROOT=$MODROOT"
	echo "VM_RUN_MODULES=${MODS#"$ROOT"/}/host/remote_mapping.ko"
	# 4-level paging: on 6.1 an interrupt during identify_cpu(), which
	# clears boot_cpu_data's LA57 bit for a moment, makes KASAN take the
	# 5-level direct map for wild memory (Documentation/debug-kernel.rst).
	echo "VM_RUN_APPEND=no5lvl${VM_RUN_APPEND:+ $VM_RUN_APPEND}"
	exit 0 ;;
esac

[ -n "$SRC_TREE" ] || [ -f "$SRC_TAR" ] || die "no $SRC_TAR (run scripts/setup.sh)"
for tool in flex bison bc rsync; do
	command -v $tool >/dev/null || die "no $tool (run scripts/setup.sh --debug)"
done

mkdir -p "$OUT"
# Debug-kernel-only patches (a backport, a lockdep annotation) come last.
PATCHES=("$ROOT"/kvm/"$line"/*.patch "$ROOT"/scripts/debug-kernel.patches/"$line"/*.patch)

if [ -n "$SRC_TREE" ]; then
	# setup.sh's key of the tree: the linux-source package it came from.
	tar_id="$SRC_TREE $(cat "$SRC_TREE/../../src.key")"
else
	tar_id=$(stat -L -c '%n %s %Y' "$SRC_TAR")
fi
patch_hash=$(cat /dev/null "${PATCHES[@]}" | sha256sum | cut -c1-16)
kernel_key=$({
	echo "$tar_id"
	echo "$patch_hash"
	echo "$KCONFIG_RECIPE"
	cat "${FRAGMENTS[@]}" | sha256sum
} | sha256sum | cut -c1-16)

# The files a -p1 patch changes.
patched_files() { sed -n 's#^+++ [^/]*/\([^\t ]*\).*#\1#p' "$1"; }

# --- source: extracted once, kvm patches applied in-tree -----------------------
prepare_source() {
	local p f
	if [ "$(cat "$SRC/.tar-id" 2>/dev/null)" != "$tar_id" ]; then
		rm -rf "$SRC" "$SRC.tmp"
		mkdir -p "$SRC.tmp"
		if [ -n "$SRC_TREE" ]; then
			# A copy: the patches must not reach the tree modules build against.
			log "copying $SRC_TREE"
			cp -a "$SRC_TREE/." "$SRC.tmp/"
		else
			log "extracting $SRC_TAR (about 2 min)"
			tar -xJf "$SRC_TAR" -C "$SRC.tmp" --strip-components=1 \
				"$(basename "$SRC_TAR" .tar.xz)"
		fi
		echo "$tar_id" >"$SRC.tmp/.tar-id"
		mv "$SRC.tmp" "$SRC"
	fi
	[ "$(cat "$SRC/.patch-hash" 2>/dev/null)" != "$patch_hash" ] || return 0
	# Revert the previously applied set (kept in .applied/), newest first.
	local touched=()
	if [ -d "$SRC/.applied" ]; then
		for p in $(find "$SRC/.applied" -name '*.patch' | sort -r); do
			log "reverting $(basename "$p")"
			patch -s -R -p1 -d "$SRC" <"$p" || die "cannot revert $p; remove $SRC"
			mapfile -t -O "${#touched[@]}" touched < <(patched_files "$p")
		done
		rm -rf "$SRC/.applied"
	fi
	rm -f "$SRC/.patch-hash"
	mkdir -p "$SRC/.applied"
	for p in "${PATCHES[@]}"; do
		[ -f "$p" ] || continue
		log "applying $(basename "$p")"
		patch -s -p1 -d "$SRC" --no-backup-if-mismatch <"$p" || die "$p does not apply"
		cp "$p" "$SRC/.applied/"
		mapfile -t -O "${#touched[@]}" touched < <(patched_files "$p")
	done
	# tar keeps the archive's old mtimes: make kbuild see every file a
	# patch touched (now or before) as new.
	for f in "${touched[@]}"; do
		[ ! -e "$SRC/$f" ] || touch "$SRC/$f"
	done
	echo "$patch_hash" >"$SRC/.patch-hash"
}

# --- .config: defconfig + kvm_guest.config + fragment, verified ------------------
configure() {
	local line sym want got bad=0
	log "configuring: defconfig, kvm_guest.config, ${FRAGMENTS[*]##*/}"
	mkdir -p "$OBJ"
	make -s -C "$SRC" O="$OBJ" defconfig
	make -s -C "$SRC" O="$OBJ" kvm_guest.config
	(cd "$OBJ" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "${FRAGMENTS[@]}") >/dev/null
	make -s -C "$SRC" O="$OBJ" olddefconfig
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) sym=${line%%=*} want=$line ;;
		"# CONFIG_"*" is not set") sym=${line#\# } sym=${sym%% *} want=$line ;;
		*) continue ;;
		esac
		got=$(grep -E "^($sym=|# $sym is not set)" "$OBJ/.config" || true)
		if [ "$got" != "$want" ] && ! { [ -z "$got" ] && [[ "$want" == *" is not set" ]]; }; then
			echo "build-debug-kernel: wanted '$want', .config has '${got:-nothing}'" >&2
			bad=1
		fi
	done < <(cat "${FRAGMENTS[@]}")
	[ "$bad" -eq 0 ] || die "the fragment's values did not survive Kconfig (unmet dependencies?)"
}

build_kernel() {
	local start rel lv
	if [ -f "$OUT/.kernel-key" ] && [ "$(cat "$OUT/.kernel-key")" = "$kernel_key" ] &&
		[ -f "$OUT/bzImage" ] && [ -f "$OUT/release" ]; then
		log "kernel $(cat "$OUT/release") is up to date"
		return 0
	fi
	start=$(date +%s)
	rm -f "$OUT/.kernel-key"
	prepare_source
	configure
	# kernelrelease reads include/config/auto.conf: make it first.
	make -s -C "$SRC" O="$OBJ" syncconfig
	rel=$(make -s -C "$SRC" O="$OBJ" kernelrelease)
	lv=$(sed -n 's/^CONFIG_LOCALVERSION="\(.*\)"$/\1/p' "$OBJ/.config")
	[[ "$rel" == *"$lv" ]] || die "kernel release '$rel' lacks LOCALVERSION '$lv'"
	log "building $rel with -j$JOBS (log: ${OUT#"$ROOT"/}/build.log)"
	{
		echo "=== $(date -Is) make -j$JOBS bzImage modules ($rel)"
		make -C "$SRC" O="$OBJ" -j"$JOBS" bzImage modules
	} >>"$OUT/build.log" 2>&1 || { tail -n 40 "$OUT/build.log" >&2; die "kernel build failed"; }
	rm -rf "$MODROOT"
	make -s -C "$SRC" O="$OBJ" INSTALL_MOD_PATH="$MODROOT" INSTALL_MOD_STRIP=1 \
		modules_install >>"$OUT/build.log" 2>&1 || die "modules_install failed (build.log)"
	# The links back into the build tree are of no use to modprobe.
	rm -f "$MODROOT/lib/modules/$rel/build" "$MODROOT/lib/modules/$rel/source"
	cp "$OBJ/arch/x86/boot/bzImage" "$OUT/bzImage"
	cp "$OBJ/.config" "$OUT/config"
	echo "$rel" >"$OUT/release"
	echo "$kernel_key" >"$OUT/.kernel-key"
	echo "=== $(date -Is) done in $(($(date +%s) - start)) s" >>"$OUT/build.log"
	log "kernel $rel built in $(($(date +%s) - start)) s"
}

# --- the project's modules, built in a copy --------------------------------------
build_modules() {
	local d
	if [ ! -f "$OUT/release" ] || [ ! -f "$OBJ/Module.symvers" ]; then die "kernel not built"; fi
	mkdir -p "$MODS"
	for d in host guest include compat; do
		[ -d "$ROOT/$d" ] || continue
		rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
			--exclude='*.mod.c' --exclude='.*.cmd' --exclude='Module.symvers' \
			--exclude='modules.order' --exclude='*.a' "$ROOT/$d/" "$MODS/$d/"
	done
	rsync -a "$ROOT/Kbuild" "$MODS/Kbuild"
	log "building host/ guest/ for $(cat "$OUT/release") in ${MODS#"$ROOT"/}"
	make -C "$OBJ" M="$MODS" W=1 -j"$JOBS" modules >"$OUT/modules.log" 2>&1 ||
		{ cat "$OUT/modules.log" >&2; die "module build failed"; }
	if grep -E '(warning|error):|^WARNING:' "$OUT/modules.log" >&2; then
		log "warnings above (${OUT#"$ROOT"/}/modules.log)"
	fi
	[ -f "$MODS/host/remote_mapping.ko" ] || die "no $MODS/host/remote_mapping.ko"
	build_test_module rm_kapi rm_kapi.ko rm_kapi.c rm_kapi.h
	build_test_module kvm_hc hook_conflict.ko hook_conflict.c
}

# A selftest's module (DIR below tools/testing/selftests, its Kbuild and
# the FILES it needs), built at the same relative place (rm_kapi's Kbuild
# finds host/ as ../../../../host) and installed in the modroot's extra/,
# where its test looks for it when its own copy is for another kernel.
build_test_module() {
	local ko=$2 src=$ROOT/tools/testing/selftests/$1
	local dst=$MODS/tools/testing/selftests/$1 rel
	shift 2
	[ -f "$src/Kbuild" ] || return 0
	rel=$(cat "$OUT/release")
	mkdir -p "$dst"
	rsync -a "$src/Kbuild" "${@/#/$src/}" "$dst/"
	make -C "$OBJ" M="$dst" W=1 KBUILD_EXTRA_SYMBOLS="$MODS/Module.symvers" \
		modules >>"$OUT/modules.log" 2>&1 ||
		{ cat "$OUT/modules.log" >&2; die "$ko build failed"; }
	install -D -m 644 "$dst/$ko" "$MODROOT/lib/modules/$rel/extra/$ko"
}

[ "$do_kernel" -eq 0 ] || build_kernel
[ "$do_mods" -eq 0 ] || build_modules
