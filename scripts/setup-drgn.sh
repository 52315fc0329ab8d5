#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What make demo-drgn needs beyond setup.sh: python3-drgn, crash, and the vmlinux with debug information of the kernel the demo's VMs run.
#
# Usage: scripts/setup-drgn.sh [--kernel LINE]
# Installs python3-drgn and crash (apt, idempotent), then, unless it is there,
# downloads linux-image-<release>-dbg with apt-get download and keeps only
# its vmlinux: build/dbg/usr/lib/debug/boot/vmlinux-<release> (about
# 0.6 GB of the package's 5 GB unpacked).  The package is about 0.9 GB.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { echo "setup-drgn: $*" >&2; exit 1; }

KVER=$("$ROOT/scripts/setup.sh" --print-kver "$@")
OUT=$ROOT/build/dbg
VMLINUX=$OUT/usr/lib/debug/boot/vmlinux-$KVER

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pkgs=()
# Debian's python3, the one python3-drgn is for (not a pyenv's in PATH).
/usr/bin/python3 -c 'import drgn' 2>/dev/null || pkgs+=(python3-drgn)
command -v crash >/dev/null || pkgs+=(crash)
if [ "${#pkgs[@]}" -gt 0 ]; then
	echo "setup-drgn: installing ${pkgs[*]}" >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${pkgs[@]}" >&2 ||
		die "apt-get install ${pkgs[*]} failed"
fi

if [ -s "$VMLINUX" ]; then
	echo "setup-drgn: $VMLINUX is there"
	exit 0
fi
pkg=linux-image-$KVER-dbg
mkdir -p "$OUT"
tmp=$(mktemp -d "$OUT/dl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "setup-drgn: downloading $pkg (about 0.9 GB) for its vmlinux" >&2
(cd "$tmp" && apt-get download "$pkg" >&2) ||
	die "apt-get download $pkg failed: is the kernel's suite in the apt sources?"
dpkg-deb --fsys-tarfile "$tmp"/*.deb |
	tar -x -C "$tmp" --wildcards "./usr/lib/debug/boot/vmlinux-$KVER" ||
	die "no vmlinux-$KVER in $pkg"
mkdir -p "$(dirname "$VMLINUX")"
mv "$tmp/usr/lib/debug/boot/vmlinux-$KVER" "$VMLINUX"
echo "setup-drgn: $VMLINUX"
