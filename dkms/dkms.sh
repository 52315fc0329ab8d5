#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DKMS packages of the modules: stage their sources, install or remove them, or check that they build.
#
# Usage: dkms/dkms.sh stage DIR [PKG...]  copy each package's sources to DIR/PKG-VERSION
#        dkms/dkms.sh install [PKG...]    (root) /usr/src/PKG-VERSION, dkms add, build, install
#        dkms/dkms.sh remove [PKG...]     (root) dkms remove --all, delete /usr/src/PKG-VERSION
#        dkms/dkms.sh check [PKG...]      dkms add + build in a throwaway tree under
#                                         /tmp: nothing is installed, nothing system-wide
#                                         is written; skipped (exit 0) without dkms
# PKG: remote-mapping (host/remote_mapping.ko), kvmmem (guest/kvmmem.ko); default both.
# The version is RMAP_VERSION_* of lib/include/rmap.h.
# Environment: KVER, the kernel to build for (install: default the running
# kernel and then every kernel DKMS autoinstalls for; check: default
# scripts/setup.sh --print-kver); KDIR, its headers (check only, default
# /usr/src/linux-headers-$KVER); DKMS_CHECK_KEEP=1 keeps the check's tree.
# The patched kvm.ko of the KVM path is not a DKMS package: see
# Documentation/install.rst.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ALL_PKGS=(remote-mapping kvmmem)

die() { echo "dkms.sh: $*" >&2; exit 1; }

version() {
	local h=$ROOT/lib/include/rmap.h part v=
	for part in MAJOR MINOR PATCH; do
		v+=${v:+.}$(sed -n "s/^#define RMAP_VERSION_${part}[[:space:]]*\([0-9]*\).*/\1/p" "$h")
	done
	[[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "no version in $h"
	echo "$v"
}
VERSION=$(version)

# The folders of package $1, relative to the repository root.
pkg_dirs() {
	case "$1" in
	remote-mapping) echo host ;;
	kvmmem) echo guest ;;
	*) die "unknown package $1 (${ALL_PKGS[*]})" ;;
	esac
}

# The uapi headers package $1 needs.
pkg_headers() {
	case "$1" in
	remote-mapping) echo include/uapi/linux/remote_mapping.h include/uapi/linux/kvmmem.h ;;
	kvmmem) echo include/uapi/linux/kvmmem.h ;;
	esac
}

# Copy the sources of package $1 to $2 (created; must not exist).
stage_one() {
	local pkg=$1 dest=$2 d f
	[ ! -e "$dest" ] || die "$dest exists"
	mkdir -p "$dest/include/uapi/linux"
	for d in $(pkg_dirs "$pkg"); do
		mkdir -p "$dest/$d"
		cp "$ROOT/$d/Kbuild" "$dest/$d/"
		for f in "$ROOT/$d"/*.[ch]; do
			case "$f" in *.mod.c|*/compat-gen.h) continue ;; esac
			cp "$f" "$dest/$d/"
		done
	done
	# The compat room: each Kbuild includes it and probes the kernel.
	mkdir -p "$dest/compat/probes"
	cp "$ROOT"/compat/Kbuild.include "$ROOT"/compat/probe.sh \
		"$ROOT"/compat/*.h "$dest/compat/"
	cp "$ROOT"/compat/probes/*.c "$dest/compat/probes/"
	for f in $(pkg_headers "$pkg"); do
		cp "$ROOT/$f" "$dest/include/uapi/linux/"
	done
	cp "$ROOT/LICENSE" "$dest/"
	sed "s/@VERSION@/$VERSION/" "$ROOT/dkms/$pkg.dkms.conf" > "$dest/dkms.conf"
}

need_root() {
	[ "$(id -u)" -eq 0 ] || die "$1 needs root (dkms installs into /usr/src and /lib/modules)"
}

need_dkms() {
	command -v dkms >/dev/null || die "dkms is not installed (apt-get install dkms)"
}

do_install() {
	local pkg kopt=()
	need_root install
	need_dkms
	[ -z "${KVER:-}" ] || kopt=(-k "$KVER")
	for pkg in "$@"; do
		if dkms status -m "$pkg" -v "$VERSION" | grep -q .; then
			echo "dkms.sh: replacing $pkg/$VERSION"
			dkms remove -m "$pkg" -v "$VERSION" --all
		fi
		rm -rf "/usr/src/$pkg-$VERSION"
		stage_one "$pkg" "/usr/src/$pkg-$VERSION"
		dkms add -m "$pkg" -v "$VERSION"
		dkms build -m "$pkg" -v "$VERSION" "${kopt[@]}"
		dkms install -m "$pkg" -v "$VERSION" "${kopt[@]}"
	done
	dkms status
}

do_remove() {
	local pkg
	need_root remove
	need_dkms
	for pkg in "$@"; do
		if dkms status -m "$pkg" -v "$VERSION" | grep -q .; then
			dkms remove -m "$pkg" -v "$VERSION" --all
		else
			echo "dkms.sh: $pkg/$VERSION is not in DKMS"
		fi
		rm -rf "/usr/src/$pkg-$VERSION"
	done
}

do_check() {
	local kver kdir tmp pkg ko vm rc=0 arch
	if ! command -v dkms >/dev/null; then
		echo "dkms-check: SKIP: dkms is not installed (apt-get install dkms)"
		return 0
	fi
	kver=${KVER:-$("$ROOT/scripts/setup.sh" --print-kver)}
	kdir=${KDIR:-/usr/src/linux-headers-$kver}
	[ -d "$kdir" ] || die "no kernel headers at $kdir"
	arch=$(uname -m)
	tmp=$(mktemp -d /tmp/rm-dkms-check.XXXXXX)
	mkdir -p "$tmp/src" "$tmp/tree"
	# DKMS signs what it builds; a throwaway key keeps /var/lib/dkms untouched.
	export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
	local dk=(--dkmstree "$tmp/tree" --sourcetree "$tmp/src")
	echo "dkms-check: $(dkms --version), kernel $kver, headers $kdir, tree $tmp"
	for pkg in "$@"; do
		stage_one "$pkg" "$tmp/src/$pkg-$VERSION"
		if ! dkms add "${dk[@]}" -m "$pkg" -v "$VERSION" >"$tmp/$pkg.log" 2>&1 ||
		   ! dkms build "${dk[@]}" -m "$pkg" -v "$VERSION" -k "$kver" \
			--kernelsourcedir "$kdir" >>"$tmp/$pkg.log" 2>&1; then
			cat "$tmp/$pkg.log"
			find "$tmp/tree/$pkg" -name make.log -exec tail -n 30 {} + 2>/dev/null || true
			echo "dkms-check: $pkg: FAIL"
			rc=1
			continue
		fi
		for ko in "$tmp/tree/$pkg/$VERSION/$kver/$arch/module/"*.ko*; do
			[ -f "$ko" ] || { echo "dkms-check: $pkg: FAIL (no module built)"; rc=1; continue 2; }
			vm=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
			if [ "$vm" != "$kver" ]; then
				echo "dkms-check: $pkg: FAIL ($(basename "$ko") vermagic $vm, not $kver)"
				rc=1
				continue 2
			fi
			echo "dkms-check: $pkg: built $(basename "$ko") ($(stat -c %s "$ko") bytes, vermagic $vm)"
		done
		dkms status "${dk[@]}" -m "$pkg" -v "$VERSION" | sed 's/^/dkms-check:   /'
		echo "dkms-check: $pkg: PASS"
	done
	if [ "${DKMS_CHECK_KEEP:-0}" = 1 ]; then
		echo "dkms-check: kept $tmp"
	else
		rm -rf "$tmp"
	fi
	return "$rc"
}

[ "$#" -ge 1 ] || { sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
action=$1
shift
case "$action" in
stage)
	[ "$#" -ge 1 ] || die "stage needs a folder"
	dir=$1
	shift
	[ "$#" -gt 0 ] || set -- "${ALL_PKGS[@]}"
	for p in "$@"; do
		stage_one "$p" "$dir/$p-$VERSION"
		echo "$dir/$p-$VERSION"
	done
	;;
install|remove|check)
	[ "$#" -gt 0 ] || set -- "${ALL_PKGS[@]}"
	for p in "$@"; do pkg_dirs "$p" >/dev/null; done
	"do_$action" "$@"
	;;
version)
	echo "$VERSION"
	;;
-h|--help)
	sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'
	;;
*)
	die "unknown action $action (see --help)"
	;;
esac
