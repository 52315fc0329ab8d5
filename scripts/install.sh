#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install or uninstall the built modules, udev rules, CLIs, man pages, librmap and uapi headers.
#
# Usage: scripts/install.sh install | uninstall | headers_install | kvm-install | kvm-uninstall
#   (the top-level make targets install, uninstall, headers_install,
#   kvm-install and kvm-uninstall call it after building what it installs)
#
#   install          modules into $MODDIR, udev/*.rules, rm-grant (sbin),
#                    kvmmem, no-thp and rm_demo (bin), man pages, librmap (.a, .so,
#                    rmap.h, librmap.pc) and the uapi headers
#   headers_install  include/uapi/linux/*.h into $INCLUDEDIR/linux
#   uninstall        remove all of that again
#   kvm-install      the patched kvm*.ko of scripts/build-kvm.sh into
#                    /lib/modules/$KVER/updates/remote_mapping-kvm (they then
#                    take precedence over the kernel's own kvm.ko)
#   kvm-uninstall    remove them
#
# Environment (defaults): DESTDIR (empty), PREFIX (/usr/local), BINDIR
# ($PREFIX/bin), SBINDIR ($PREFIX/sbin), LIBDIR ($PREFIX/lib), INCLUDEDIR
# ($PREFIX/include), MANDIR ($PREFIX/share/man), PKGCONFIGDIR
# ($LIBDIR/pkgconfig), KVER (scripts/setup.sh --print-kver), MODDIR
# (/lib/modules/$KVER/extra), UDEVRULESDIR (/etc/udev/rules.d), MODULES
# (host/remote_mapping.ko guest/kvmmem.ko; set but empty: no module).
# Every path is prefixed with $DESTDIR.  depmod, ldconfig and udevadm run
# only when DESTDIR is empty.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
BINDIR=${BINDIR:-$PREFIX/bin}
SBINDIR=${SBINDIR:-$PREFIX/sbin}
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
MANDIR=${MANDIR:-$PREFIX/share/man}
PKGCONFIGDIR=${PKGCONFIGDIR:-$LIBDIR/pkgconfig}
UDEVRULESDIR=${UDEVRULESDIR:-/etc/udev/rules.d}
MODULES=${MODULES-host/remote_mapping.ko guest/kvmmem.ko}
LIBOUT=${LIBOUT:-$ROOT/build/lib}
KVM_SUBDIR=updates/remote_mapping-kvm

# Programs: source path, destination variable.
PROGS=(
	"tools/kvmmem/rm-grant SBINDIR"
	"tools/kvmmem/no-thp BINDIR"
	"tools/kvmmem/kvmmem BINDIR"
	"tools/demo/rm_demo BINDIR"
)
UAPI_HEADERS=(remote_mapping.h kvmmem.h)

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "  $1 $2"; }

kver() {
	if [ -z "${KVER:-}" ]; then
		KVER=$("$ROOT/scripts/setup.sh" --print-kver) || die "set KVER"
	fi
	echo "$KVER"
}

moddir() { echo "${MODDIR:-/lib/modules/$(kver)/extra}"; }

lib_version() { make -s --no-print-directory -C "$ROOT/lib" print-version; }

# install_file MODE SRC DESTFILE
install_file() {
	[ -e "$2" ] || die "$2 is not built (run make first)"
	install -D -m "$1" "$2" "$DESTDIR$3"
	say INSTALL "$DESTDIR$3"
}

remove_file() {
	if [ -e "$DESTDIR$1" ] || [ -L "$DESTDIR$1" ]; then
		rm -f "$DESTDIR$1"
		say REMOVE "$DESTDIR$1"
	fi
}

run_depmod() {
	if [ -n "$DESTDIR" ]; then
		echo "  (DESTDIR set: depmod not run; run depmod -a $(kver) on the target)"
	elif command -v depmod >/dev/null; then
		depmod -a "$(kver)"
		say DEPMOD "$(kver)"
	fi
}

run_ldconfig() {
	if [ -z "$DESTDIR" ] && command -v ldconfig >/dev/null; then
		ldconfig
		say LDCONFIG "$LIBDIR"
	fi
}

reload_udev() {
	if [ -z "$DESTDIR" ] && command -v udevadm >/dev/null; then
		udevadm control --reload-rules 2>/dev/null || true
	fi
}

man_pages() {
	local f
	for f in "$ROOT"/man/*.[1-8]; do
		[ -f "$f" ] && echo "$f"
	done
}

udev_rules() {
	local f
	for f in "$ROOT"/udev/*.rules; do
		[ -f "$f" ] && echo "$f"
	done
}

do_headers_install() {
	local h
	for h in "${UAPI_HEADERS[@]}"; do
		install_file 0644 "$ROOT/include/uapi/linux/$h" "$INCLUDEDIR/linux/$h"
	done
}

do_install() {
	local m p src var f v sec so
	for m in $MODULES; do
		[ -f "$ROOT/$m" ] || die "$m is not built (run make modules)"
		install -D -m 0644 "$ROOT/$m" "$DESTDIR$(moddir)/$(basename "$m")"
		strip --strip-debug "$DESTDIR$(moddir)/$(basename "$m")"
		say INSTALL "$DESTDIR$(moddir)/$(basename "$m")"
	done
	run_depmod
	while read -r f; do
		install_file 0644 "$f" "$UDEVRULESDIR/$(basename "$f")"
	done < <(udev_rules)
	reload_udev
	for p in "${PROGS[@]}"; do
		src=${p% *}
		var=${p#* }
		install_file 0755 "$ROOT/$src" "${!var}/$(basename "$src")"
	done
	while read -r f; do
		sec=${f##*.}
		install_file 0644 "$f" "$MANDIR/man$sec/$(basename "$f")"
	done < <(man_pages)

	v=$(lib_version)
	so=librmap.so.${v%%.*}
	install_file 0644 "$LIBOUT/librmap.a" "$LIBDIR/librmap.a"
	install_file 0755 "$LIBOUT/librmap.so.$v" "$LIBDIR/librmap.so.$v"
	ln -sf "librmap.so.$v" "$DESTDIR$LIBDIR/$so"
	ln -sf "$so" "$DESTDIR$LIBDIR/librmap.so"
	say LINK "$DESTDIR$LIBDIR/{$so,librmap.so}"
	install_file 0644 "$ROOT/lib/include/rmap.h" "$INCLUDEDIR/rmap.h"
	mkdir -p "$DESTDIR$PKGCONFIGDIR"
	sed -e "s|@PREFIX@|$PREFIX|" -e "s|@LIBDIR@|$LIBDIR|" \
	    -e "s|@INCLUDEDIR@|$INCLUDEDIR|" -e "s|@VERSION@|$v|" \
	    "$ROOT/lib/librmap.pc.in" > "$DESTDIR$PKGCONFIGDIR/librmap.pc"
	say INSTALL "$DESTDIR$PKGCONFIGDIR/librmap.pc"
	run_ldconfig
	do_headers_install
}

do_uninstall() {
	local m p src var f v h
	for m in $MODULES; do
		remove_file "$(moddir)/$(basename "$m")"
	done
	run_depmod
	while read -r f; do
		remove_file "$UDEVRULESDIR/$(basename "$f")"
	done < <(udev_rules)
	reload_udev
	for p in "${PROGS[@]}"; do
		src=${p% *}
		var=${p#* }
		remove_file "${!var}/$(basename "$src")"
	done
	while read -r f; do
		remove_file "$MANDIR/man${f##*.}/$(basename "$f")"
	done < <(man_pages)
	v=$(lib_version)
	for f in librmap.a "librmap.so.$v" "librmap.so.${v%%.*}" librmap.so \
		 pkgconfig/librmap.pc; do
		case "$f" in
		pkgconfig/*) remove_file "$PKGCONFIGDIR/${f#pkgconfig/}" ;;
		*) remove_file "$LIBDIR/$f" ;;
		esac
	done
	run_ldconfig
	remove_file "$INCLUDEDIR/rmap.h"
	for h in "${UAPI_HEADERS[@]}"; do
		remove_file "$INCLUDEDIR/linux/$h"
	done
}

kvm_dir() {
	KVER=$(kver) "$ROOT/scripts/build-kvm.sh" --print-dir
}

do_kvm_install() {
	local dir m
	dir=$(kvm_dir)
	[ -f "$dir/.done" ] || die "no patched kvm for $(kver) in $dir (run make kvm)"
	for m in kvm kvm-amd kvm-intel; do
		install_file 0644 "$dir/$m.ko" "/lib/modules/$(kver)/$KVM_SUBDIR/$m.ko"
	done
	run_depmod
	echo "  now: rmmod kvm_amd kvm_intel kvm; modprobe kvm_amd (or kvm_intel); modprobe remote_mapping"
}

do_kvm_uninstall() {
	local m
	for m in kvm kvm-amd kvm-intel; do
		remove_file "/lib/modules/$(kver)/$KVM_SUBDIR/$m.ko"
	done
	rmdir "$DESTDIR/lib/modules/$(kver)/$KVM_SUBDIR" 2>/dev/null || true
	run_depmod
}

case "${1:-}" in
install) do_install ;;
uninstall) do_uninstall ;;
headers_install) do_headers_install ;;
kvm-install) do_kvm_install ;;
kvm-uninstall) do_kvm_uninstall ;;
-h|--help|"") sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown action $1 (see --help)" ;;
esac
