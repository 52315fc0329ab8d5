#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install (once) and verify the Debian packages the build and the test VM need.
#
# Usage: scripts/setup.sh              install what is missing, verify, print KVER=...
#        scripts/setup.sh --debug      the same, plus what building the debug kernel
#                                      needs (make check-debug)
#        scripts/setup.sh --print-kver print the kernel version only (no install)
#        scripts/setup.sh --env        print "export KVER=..." for eval
#
# The kernel version (KVER, e.g. 6.1.0-56-amd64) is the newest installed
# linux-image-6.1.0-*-amd64; its headers and linux-source-6.1 must be the very
# same Debian version, since the VM boots that image and the modules are built
# against those headers.
set -euo pipefail

PACKAGES=(
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	qemu-system-x86 busybox-static cpio xz-utils kmod
	sparse gcc libc6-dev binutils make patch perl python3 git
	coreutils util-linux procps iproute2 numactl
	gnuplot-nox dkms
)

# Building a kernel from linux-source (scripts/build-debug-kernel.sh) needs
# more than building modules against the headers.
DEBUG_PACKAGES=(flex bison bc libelf-dev libssl-dev rsync)

die() { echo "setup.sh: $*" >&2; exit 1; }

# Print the names of the packages in PACKAGES that are not fully installed.
missing_packages() {
	local st
	st=$(dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)
	local p
	for p in "${PACKAGES[@]}"; do
		if ! grep -q -P "^\Q$p\E\tii " <<<"$st"; then
			echo "$p"
		fi
	done
}

# Installed version of package $1, or empty.
pkg_version() {
	dpkg-query -W -f '${db:Status-Abbrev}\t${Version}\n' "$1" 2>/dev/null |
		awk -F'\t' '$1 ~ /^ii/ { print $2 }'
}

# Newest installed linux-image-6.1.0-N-amd64 -> "6.1.0-N-amd64".
find_kver() {
	dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\n' 'linux-image-6.1.0-*-amd64' 2>/dev/null |
		awk -F'\t' '$2 ~ /^ii/ { sub(/^linux-image-/, "", $1); print $1 }' |
		sort -V | tail -n 1
}

# Check that image, headers and source belong together; print KVER.
verify() {
	local kver iv hv sv
	kver=$(find_kver)
	[ -n "$kver" ] || die "no linux-image-6.1.0-*-amd64 installed (run scripts/setup.sh)"
	iv=$(pkg_version "linux-image-$kver")
	hv=$(pkg_version "linux-headers-$kver")
	sv=$(pkg_version linux-source-6.1)
	[ -n "$hv" ] || die "linux-headers-$kver is not installed (run scripts/setup.sh)"
	[ -n "$sv" ] || die "linux-source-6.1 is not installed (run scripts/setup.sh)"
	if [ "$iv" != "$hv" ] || [ "$iv" != "$sv" ]; then
		die "version mismatch: linux-image-$kver $iv, linux-headers-$kver $hv," \
			"linux-source-6.1 $sv; run: apt-get install linux-image-amd64 linux-headers-amd64 linux-source-6.1"
	fi
	[ -r "/boot/vmlinuz-$kver" ] || die "/boot/vmlinuz-$kver missing"
	[ -d "/lib/modules/$kver/kernel" ] || die "/lib/modules/$kver missing"
	[ -d "/usr/src/linux-headers-$kver" ] || die "/usr/src/linux-headers-$kver missing"
	[ -r /usr/src/linux-source-6.1.tar.xz ] || die "/usr/src/linux-source-6.1.tar.xz missing"
	echo "$kver"
}

install_missing() {
	local missing sudo=()
	mapfile -t missing < <(missing_packages)
	[ "${#missing[@]}" -eq 0 ] && return 0
	echo "setup.sh: installing: ${missing[*]}" >&2
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "not root and no sudo; install: ${missing[*]}"
		sudo=(sudo)
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# All of PACKAGES, not only the missing ones: the kernel metapackages pull
	# image, headers and source of one Debian version together.
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
}

case "${1:-}" in
--print-kver)
	verify
	;;
--env)
	echo "export KVER=$(verify)"
	;;
--debug|"")
	[ "${1:-}" = --debug ] && PACKAGES+=("${DEBUG_PACKAGES[@]}")
	install_missing
	kver=$(verify)
	export KVER=$kver
	echo "KVER=$KVER"
	;;
-h|--help)
	sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'
	;;
*)
	die "unknown option $1 (see --help)"
	;;
esac
