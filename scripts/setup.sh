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
#
# Other Debian kernel lines (Documentation/kernels.rst):
#        --kernel LINE    6.1 (the default above), 6.12 (the newest of
#                         bookworm-security and bookworm-backports, installed
#                         with apt), 7 or 7.N (the newest 7.x of
#                         trixie-backports or sid: downloaded and unpacked
#                         into build/kernels/<release>/, with a module build
#                         tree prepared from linux-source-7.N and gcc-12), or
#                         an exact release (7.3.4+deb13-amd64)
#        --print-kdir     print the module build folder only (no install)
#        --print-src      print the kernel source (a tarball or a folder) that
#                         scripts/build-kvm.sh patches (no install)
#        --refresh        6.12/7: look for a newer release in the archive
# With --kernel, setup, --env and --print-* work on that line, and setup and
# --env print KVER, KDIR (module build folder), VMLINUZ, MODDIR (the
# folder of its modules, lib/modules/<release> below a root vm-run can use)
# and SRC (its linux-source: the tarball in /usr/src, or 7.x's folder).
set -euo pipefail

PACKAGES=(
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	qemu-system-x86 busybox-static cpio xz-utils kmod
	sparse gcc libc6-dev binutils make patch perl python3 git
	coreutils util-linux procps iproute2 numactl
	gnuplot-nox dkms
	libfuse3-dev fuse3 pkg-config
)

# Building a kernel from linux-source (scripts/build-debug-kernel.sh) needs
# more than building modules against the headers.
DEBUG_PACKAGES=(flex bison bc libelf-dev libssl-dev rsync)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# 6.12: Debian's 6.12 LTS kernel for bookworm: bookworm-backports has it, and
# bookworm-security may have a newer one (package linux-6.12); the newest of
# them is taken.  Its packages are built for bookworm (kbuild runs here as it
# is); the module BTF step needs pahole (dwarves).
BPO_SUITE=bookworm-backports
BPO_SOURCES=/etc/apt/sources.list.d/remote-mapping-bookworm-backports.sources
BPO_PIN=/etc/apt/preferences.d/remote-mapping-bookworm-backports
K612_PACKAGES=(dwarves)

# 7.x: only trixie-backports and sid have it, built against glibc 2.38 and
# configured for gcc-14/16: their kbuild programs do not run on bookworm
# (glibc 2.36) and their headers do not build with gcc-12.  So nothing of
# them is installed: apt-get download with a private apt state below
# K7_CACHE, dpkg -x, and a module build tree prepared from linux-source-7.N
# with Debian's .config and bookworm's gcc-12.
K7_SUITES=(trixie-backports sid)
K7_CACHE=$ROOT/build/kernels
K7_APT=$K7_CACHE/apt
K7_CC=gcc-12
K7_PACKAGES=(gcc-12 make flex bison bc libelf-dev libssl-dev dwarves xz-utils kmod)
# Bump when the preparation of the build tree (k7_prepare) changes: cached
# trees of another recipe are prepared again.
K7_RECIPE=1

die() { echo "setup.sh: $*" >&2; exit 1; }
note() { echo "setup.sh: $*" >&2; }

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

# Run "$@" as root (sudo when not root).
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		command -v sudo >/dev/null || die "not root and no sudo; run as root: $*"
		sudo "$@"
	fi
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

# --- helpers for the other kernel lines ---------------------------------------

# Print those of the packages "$@" that are not fully installed.
not_installed() {
	local st p
	st=$(dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\n' "$@" 2>/dev/null || true)
	for p in "$@"; do
		grep -q -P "^\Q$p\E\tii " <<<"$st" || echo "$p"
	done
}

# apt-get install "$@", but only after a simulation shows that it installs
# new packages and neither upgrades nor removes any: the other kernel lines
# must leave bookworm (and the default 6.1 line) exactly as it is.
apt_install_new() {
	local sim bad new
	sim=$(LC_ALL=C apt-get -s -q install --no-install-recommends "$@" 2>&1) ||
		die "apt-get -s install $* failed:"$'\n'"$sim"
	# "Inst pkg [old] (new ...)" is an upgrade or downgrade; "Remv" a removal.
	bad=$(grep -E '^(Inst [^ ]+ \[|Remv )' <<<"$sim" || true)
	# "Inst pkg (version archive [arch])" -> "pkg version (archive)".
	new=$(grep -E '^Inst ' <<<"$sim" | grep -v -E '^Inst [^ ]+ \[' |
		sed -E 's/^Inst ([^ ]+) \(([^ ]+) (.*) \[[^]]*\]\).*/  \1 \2 (\3)/' || true)
	if [ -n "$bad" ]; then
		die "installing $* would change installed packages, refusing:"$'\n'"$bad"$'\n'"(install or upgrade those yourself if that is wanted, then run setup.sh again)"
	fi
	note "apt-get -s: upgrades and removes nothing, installs:"$'\n'"${new:-  nothing}"
	[ -n "$new" ] || return 0
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "$@" >&2
}

# Install those of the bookworm packages "$@" that are missing.
install_bookworm() {
	local missing
	mapfile -t missing < <(not_installed "$@")
	[ "${#missing[@]}" -eq 0 ] && return 0
	note "installing: ${missing[*]}"
	apt_install_new "${missing[@]}"
}

# pahole must be there before a tree is configured (see k7_prepare) and for
# the module BTF step of 6.12 and 7.x builds.
need_pahole() {
	command -v pahole >/dev/null ||
		die "pahole is missing (apt-get install dwarves): without it Kconfig sets" \
			"PAHOLE_VERSION=0, drops DEBUG_INFO_BTF and SCHED_CLASS_EXT and changes" \
			"the layout of struct task_struct; modules built so read wrong fields"
}

# Pass on the releases (lines of stdin) that --kernel RELEASE asked for.
want_rel() {
	if [ -n "$WANT_REL" ]; then
		grep -x -F -e "$WANT_REL" || true
	else
		cat
	fi
}

# Print the chosen line's variables (K_KVER, K_KDIR, K_VMLINUZ, K_MODDIR):
# "NAME=value", or with $1 = env "export NAME=value" (quoted for eval).
print_vars() {
	if [ "$1" = env ]; then
		printf 'export KVER=%q\nexport KDIR=%q\nexport VMLINUZ=%q\nexport MODDIR=%q\nexport SRC=%q\n' \
			"$K_KVER" "$K_KDIR" "$K_VMLINUZ" "$K_MODDIR" "$K_SRC"
	else
		printf 'KVER=%s\nKDIR=%s\nVMLINUZ=%s\nMODDIR=%s\nSRC=%s\n' \
			"$K_KVER" "$K_KDIR" "$K_VMLINUZ" "$K_MODDIR" "$K_SRC"
	fi
}

# --- 6.12: bookworm-backports, installed with apt ----------------------------

# A release of the line: 6.12.95+deb12-amd64.
K612_RE='^6\.12\.[0-9]+\+deb[0-9]+-amd64$'

# Newest installed 6.12 kernel image (or the one of WANT_REL).
k612_find_installed() {
	dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\n' 'linux-image-6.12.*-amd64' 2>/dev/null |
		awk -F'\t' '$2 ~ /^ii/ { sub(/^linux-image-/, "", $1); print $1 }' |
		grep -E "$K612_RE" | want_rel | sort -V | tail -n 1 || true
}

bpo_configured() {
	grep -s -q -E "^[^#]*[[:space:]]$BPO_SUITE([[:space:]]|$)" \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
}

# Add bookworm-backports (its own sources file) with a pin that makes apt
# take nothing from it unless asked for by name: priority 1 never upgrades an
# installed package (not even linux-image-amd64 or linux-libc-dev, which
# backports has in 6.12 versions), while packages that only backports has,
# such as linux-image-6.12.95+deb12-amd64 and its kbuild, can be installed.
# An existing backports entry of the admin is left alone; apt_install_new
# still refuses any upgrade.
bpo_add() {
	bpo_configured && return 0
	note "adding $BPO_SUITE ($BPO_SOURCES, pinned to 1 in $BPO_PIN)"
	as_root tee "$BPO_PIN" >/dev/null <<-PIN
	# Added by remote_mapping's scripts/setup.sh --kernel 6.12: never upgrade a
	# bookworm package to a backport; only packages that exist in $BPO_SUITE
	# alone (the 6.12 kernel's) are installed from it, when named.
	Package: *
	Pin: release n=$BPO_SUITE
	Pin-Priority: 1
	PIN
	as_root tee "$BPO_SOURCES" >/dev/null <<-SRC
	# Added by remote_mapping's scripts/setup.sh --kernel 6.12 (Debian's 6.12
	# kernel for bookworm); pinned in $BPO_PIN.
	Types: deb
	URIs: $DEBIAN_MIRROR
	Suites: $BPO_SUITE
	Components: main
	Signed-By: $DEBIAN_KEYRING
	SRC
}

# Newest 6.12 release whose image and headers apt can install, same version.
k612_find_candidate() {
	local rel iv hv
	while read -r rel; do
		iv=$(apt-cache show --no-all-versions "linux-image-$rel" 2>/dev/null | sed -n 's/^Version: //p')
		hv=$(apt-cache show --no-all-versions "linux-headers-$rel" 2>/dev/null | sed -n 's/^Version: //p')
		if [ -n "$iv" ] && [ "$iv" = "$hv" ]; then
			echo "$rel"
			return 0
		fi
	done < <(apt-cache pkgnames linux-headers-6.12. | sed 's/^linux-headers-//' |
		grep -E "$K612_RE" | want_rel | sort -rV)
	return 0
}

# linux-source-6.12 in the version of image $1 (scripts/build-kvm.sh
# patches its KVM); both suites have it.
k612_install_source() {
	local iv
	iv=$(pkg_version "linux-image-$1")
	[ "$(pkg_version linux-source-6.12)" = "$iv" ] && return 0
	note "installing linux-source-6.12 $iv (the source of $1)"
	apt_install_new "linux-source-6.12=$iv"
}

k612_install() {
	local have rel
	install_bookworm "${K612_PACKAGES[@]}"
	have=$(k612_find_installed)
	if [ -n "$have" ] && [ "$refresh" -eq 0 ]; then
		k612_install_source "$have"
		return 0
	fi
	bpo_add
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	rel=$(k612_find_candidate)
	[ -n "$rel" ] || die "no linux-image/linux-headers-6.12.*-amd64 ${WANT_REL:+($WANT_REL) }in the apt sources ($BPO_SUITE)"
	if [ -n "$have" ] && [ "$(printf '%s\n' "$have" "$rel" | sort -V | tail -n 1)" = "$have" ]; then
		k612_install_source "$have"
		return 0
	fi
	note "installing Debian's $rel (the newest 6.12 in the apt sources, $BPO_SUITE included)"
	apt_install_new "linux-image-$rel" "linux-headers-$rel"
	k612_install_source "$rel"
}

# Check image and headers of the 6.12 line; set K_*.
k612_verify() {
	local kver iv hv
	kver=$(k612_find_installed)
	[ -n "$kver" ] || die "no linux-image-6.12.*-amd64 ${WANT_REL:+($WANT_REL) }installed (run scripts/setup.sh --kernel 6.12)"
	iv=$(pkg_version "linux-image-$kver")
	hv=$(pkg_version "linux-headers-$kver")
	[ -n "$hv" ] || die "linux-headers-$kver is not installed (run scripts/setup.sh --kernel 6.12)"
	[ "$iv" = "$hv" ] || die "version mismatch: linux-image-$kver $iv, linux-headers-$kver $hv (run scripts/setup.sh --kernel 6.12)"
	[ -r "/boot/vmlinuz-$kver" ] || die "/boot/vmlinuz-$kver missing"
	[ -f "/lib/modules/$kver/modules.dep" ] || die "/lib/modules/$kver/modules.dep missing"
	[ -f "/usr/src/linux-headers-$kver/Module.symvers" ] || die "/usr/src/linux-headers-$kver missing"
	need_pahole
	K_KVER=$kver
	K_KDIR=/usr/src/linux-headers-$kver
	K_VMLINUZ=/boot/vmlinuz-$kver
	K_MODDIR=/lib/modules/$kver
	K_SRC=
	# Only the KVM patch needs the source: without it, say so there.
	if [ "$(pkg_version linux-source-6.12)" = "$iv" ] &&
	   [ -r /usr/src/linux-source-6.12.tar.xz ]; then
		K_SRC=/usr/src/linux-source-6.12.tar.xz
	fi
}

# --- 7.x: downloaded and unpacked into build/kernels/<release>/ --------------
#
# build/kernels/apt/               private apt state (sources, lists): the
#                                  machine's apt never sees these suites
# build/kernels/<release>/debs/    the downloaded packages
#                         root/    dpkg -x of the kernel image and modules
#                                  (vmlinuz, lib/modules/<release> + depmod)
#                         headers/ dpkg -x of linux-headers-<release> (its
#                                  .config and Module.symvers)
#                         src/     linux-source-7.N unpacked
#                         build/   the module build tree (KDIR), made with
#                                  make O=build/ ... modules_prepare
#                         *.key    what each folder was made from

# A release of the line: 7.3.4+deb13-amd64 (K7_PREFIX narrows it to 7.N.).
K7_RE='^7\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64$'
K7_PREFIX=7.

K7_APT_OPTS=(
	-o "Dir::Etc::SourceList=$K7_APT/sources.list"
	-o "Dir::Etc::SourceParts=$K7_APT/empty.d"
	-o "Dir::Etc::Preferences=$K7_APT/preferences"
	-o "Dir::Etc::PreferencesParts=$K7_APT/empty.d"
	-o "Dir::State::Lists=$K7_APT/lists"
	-o "Dir::State::status=$K7_APT/status"
	-o "Dir::Cache=$K7_APT/cache"
	-o Acquire::Languages=none
	-o APT::Architectures=amd64
	# Files land in build/, where the _apt user may not write.
	-o APT::Sandbox::User=root
)
k7_updated=0
k7_apt_get() { apt-get "${K7_APT_OPTS[@]}" "$@"; }
k7_apt_cache() { apt-cache "${K7_APT_OPTS[@]}" "$@"; }

# "7.3.4+deb13-amd64" -> "7.3" (linux-source-7.3).
k7_series() { local r=$1; r=${r%%+*}; echo "${r%.*}"; }

# Filter stdin to releases of the line that --kernel asked for.
k7_filter() {
	grep -E "$K7_RE" | awk -v p="$K7_PREFIX" 'index($0, p) == 1' | want_rel
}

# Refresh the private package lists of K7_SUITES.
k7_update() {
	local s
	mkdir -p "$K7_APT"/{lists/partial,cache/archives/partial,empty.d}
	: >"$K7_APT/status"
	: >"$K7_APT/preferences"
	for s in "${K7_SUITES[@]}"; do
		echo "deb [signed-by=$DEBIAN_KEYRING] $DEBIAN_MIRROR $s main"
	done >"$K7_APT/sources.list"
	note "apt-get update of ${K7_SUITES[*]} (private lists in ${K7_APT#"$ROOT"/})"
	k7_apt_get -q update >&2 || die "apt-get update of ${K7_SUITES[*]} failed"
	k7_updated=1
}

# Does the private apt know package $1 in version $2?
k7_has() { k7_apt_cache show "$1=$2" >/dev/null 2>&1; }

# Newest release in the archive with headers, image and source of one
# version: print "release version".
k7_find_candidate() {
	local rel v
	while read -r rel; do
		v=$(k7_apt_cache show --no-all-versions "linux-headers-$rel" 2>/dev/null | sed -n 's/^Version: //p')
		[ -n "$v" ] || continue
		k7_has "linux-source-$(k7_series "$rel")" "$v" || continue
		k7_has "linux-binary-$rel" "$v" || k7_has "linux-image-$rel" "$v" || continue
		echo "$rel $v"
		return 0
	done < <(k7_apt_cache pkgnames linux-headers-7. | sed 's/^linux-headers-//' | k7_filter | sort -rV)
	return 0
}

# Newest release in the cache that has got as far as file $1 (version: its
# packages are known; build.key: prepared).
k7_find_cached() {
	local f
	for f in "$K7_CACHE"/*/"$1"; do
		[ -f "$f" ] || continue
		f=${f%/*}
		echo "${f##*/}"
	done | k7_filter | sort -V | tail -n 1 || true
}

# The packages of release $1 (version file), one per line: headers, source,
# then the image ones.  7.x splits the image: linux-binary (vmlinuz),
# linux-modules, linux-base (System.map, modules.builtin); linux-image-<rel>
# is only their metapackage.  Older layouts have it all in linux-image.
k7_write_packages() {
	local rel=$1 v=$2 dir=$K7_CACHE/$1
	mkdir -p "$dir"
	{
		echo "linux-headers-$rel"
		echo "linux-source-$(k7_series "$rel")"
		if k7_has "linux-binary-$rel" "$v"; then
			printf '%s\n' "linux-binary-$rel" "linux-modules-$rel" "linux-base-$rel"
		else
			echo "linux-image-$rel"
		fi
	} >"$dir/packages"
	echo "$v" >"$dir/version"
}

# The .deb of package $1 in version $2 in folder $3, if downloaded.
k7_deb() {
	local f
	for f in "$3/$1_${2//:/%3a}_"*.deb; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 0
}

# Download the packages of release $1 that are not in its debs/ yet.
k7_fetch() {
	local rel=$1 dir=$K7_CACHE/$1 v p get=()
	v=$(cat "$dir/version")
	mkdir -p "$dir/debs"
	while read -r p; do
		[ -n "$(k7_deb "$p" "$v" "$dir/debs")" ] || get+=("$p=$v")
	done <"$dir/packages"
	[ "${#get[@]}" -eq 0 ] && return 0
	[ "$k7_updated" -eq 1 ] || k7_update
	note "downloading ${get[*]}"
	(cd "$dir/debs" && k7_apt_get -q download "${get[@]}" >&2) ||
		die "apt-get download ${get[*]} failed"
	while read -r p; do
		[ -n "$(k7_deb "$p" "$v" "$dir/debs")" ] || die "apt-get download left no $p $v in $dir/debs"
	done <"$dir/packages"
}

# Key of a folder made from the debs of packages "$@" (of the caller's
# release: $dir, $v).
k7_deb_key() {
	local p
	for p in "$@"; do
		stat -c '%n %s' "$(k7_deb "$p" "$v" "$dir/debs")"
	done | sed "s|^$dir/||"
}

# Unpack into $dir/$1 (via a temporary folder) unless $dir/$1.key says it is
# made from the same packages; $2... are the packages, the unpack command is
# the function k7_unpack_$1.
k7_unpack() {
	local what=$1 key
	shift
	key=$(k7_deb_key "$@")
	if [ -d "$dir/$what" ] && [ "$(cat "$dir/$what.key" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	rm -rf "${dir:?}/$what" "$dir/$what.tmp" "$dir/$what.key"
	mkdir "$dir/$what.tmp"
	note "unpacking $what of $rel"
	"k7_unpack_$what" "$dir/$what.tmp" "$@"
	mv "$dir/$what.tmp" "$dir/$what"
	echo "$key" >"$dir/$what.key"
}

# Image and modules: dpkg -x, lib -> usr/lib as on a merged-/usr system
# (vm-run wants <root>/lib/modules/<release>), then depmod, since the
# packages leave modules.dep to their postinst.
k7_unpack_root() {
	local t=$1 p
	shift
	for p in "$@"; do
		dpkg -x "$(k7_deb "$p" "$v" "$dir/debs")" "$t"
	done
	if [ ! -e "$t/lib" ] && [ -d "$t/usr/lib/modules" ]; then
		ln -s usr/lib "$t/lib"
	fi
	[ -d "$t/lib/modules/$rel/kernel" ] || die "no lib/modules/$rel/kernel in $*"
	depmod -b "$t" "$rel" || die "depmod -b $t $rel failed"
}

k7_unpack_headers() {
	dpkg -x "$(k7_deb "$2" "$v" "$dir/debs")" "$1"
	[ -f "$1/usr/src/linux-headers-$rel/.config" ] || die "no .config in $2"
	[ -f "$1/usr/src/linux-headers-$rel/Module.symvers" ] || die "no Module.symvers in $2"
}

# linux-source-7.N holds a tarball: stream it out of the .deb into tar.
k7_unpack_src() {
	local t=$1 deb member
	deb=$(k7_deb "$2" "$v" "$dir/debs")
	member=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | grep -E '^\./usr/src/linux-source-[0-9.]+\.tar\.xz$' | head -n 1)
	[ -n "$member" ] || die "no usr/src/linux-source-*.tar.xz in $deb"
	dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "$member" | tar -xJf - -C "$t" ||
		die "unpacking $member of $deb failed"
	[ -f "$t/linux-source-$(k7_series "$rel")/Makefile" ] || die "no linux-source-$(k7_series "$rel")/ in $member"
}

# "y", "m", a value, or "n" for an unset symbol $1 of config file $2.
k7_config() {
	sed -n "s/^CONFIG_$1=//p" "$2" | grep . || echo n
}

# Kbuild command for the build tree of release $rel.
k7_make() {
	make -C "$dir/src/linux-source-$(k7_series "$rel")" O="$dir/build" \
		CC="$K7_CC" HOSTCC="$K7_CC" KERNELRELEASE="$rel" "$@"
}

# What the build tree is made from; a change means preparing it again.
k7_build_key() {
	echo "recipe $K7_RECIPE"
	cat "$dir/src.key" "$dir/headers.key"
	"$K7_CC" --version | head -n 1
	pahole --version
}

# Symbols whose value in the build tree must be Debian's: DEBUG_INFO_BTF
# and SCHED_CLASS_EXT change struct task_struct (and need pahole); the
# others change what modules see or how they are built and loaded.
K7_SAME_CONFIG=(DEBUG_INFO_BTF DEBUG_INFO_BTF_MODULES SCHED_CLASS_EXT MODVERSIONS
	MODULE_SIG PREEMPT_DYNAMIC SMP KVM KVM_AMD MMU_NOTIFIER HMM_MIRROR)

# Check the build tree's config against Debian's.
k7_check_config() {
	local c ours theirs bad=()
	for c in "${K7_SAME_CONFIG[@]}"; do
		ours=$(k7_config "$c" "$dir/build/.config")
		theirs=$(k7_config "$c" "$hdr/.config")
		[ "$ours" = "$theirs" ] || bad+=("CONFIG_$c: Debian $theirs, here $ours")
	done
	[ "${#bad[@]}" -eq 0 ] || die "the build tree of $rel differs from Debian's config" \
		"(pahole $(pahole --version 2>/dev/null), $K7_CC): ${bad[*]}"
}

# Structs and members whose layout the build tree must share with Debian's
# kernel ("struct" for its size, "struct.member" for an offset).
K7_LAYOUT=(task_struct task_struct.mm task_struct.pid task_struct.cred mm_struct
	vm_area_struct file page)

# Compile a probe in the build tree and compare the layouts of K7_LAYOUT with
# the BTF of Debian's own build (the vmlinux of its headers package): the
# proof that neither the pahole pitfall nor another difference of gcc-12's
# config moved a field that modules use.
k7_check_layout() {
	local p=$dir/layout-probe t ours theirs bad=() good=() btf=$hdr/vmlinux
	[ -f "$btf" ] || die "no vmlinux (BTF) in linux-headers-$rel"
	rm -rf "$p"
	mkdir "$p"
	echo 'obj-m := probe.o' >"$p/Kbuild"
	{
		printf '#include <linux/kbuild.h>\n#include <linux/sched.h>\n'
		printf '#include <linux/mm_types.h>\n#include <linux/fs.h>\n\n'
		printf 'void probe(void);\nvoid probe(void)\n{\n'
		for t in "${K7_LAYOUT[@]}"; do
			if [[ "$t" == *.* ]]; then
				printf '\tOFFSET(%s, %s, %s);\n' "$t" "${t%.*}" "${t#*.}"
			else
				printf '\tDEFINE(%s, sizeof(struct %s));\n' "$t" "$t"
			fi
		done
		printf '}\n'
	} >"$p/probe.c"
	make -C "$dir/build" M="$p" probe.s >"$p/make.log" 2>&1 ||
		{ cat "$p/make.log" >&2; die "the layout probe does not build in $dir/build"; }
	# pahole 1.24 warns about BTF kinds newer than it; the layout is fine.
	pahole -C "$(printf '%s\n' "${K7_LAYOUT[@]}" | sed 's/\..*//' | sort -u | paste -s -d,)" \
		"$btf" >"$p/btf.txt" 2>/dev/null || die "pahole cannot read the BTF of $btf"
	for t in "${K7_LAYOUT[@]}"; do
		ours=$(sed -n "s/.*\"->$t \\\$\{0,1\}\([0-9]*\) .*/\1/p" "$p/probe.s")
		# The size line ends each struct; a member's line is
		# "<tab>type name; /* offset size */" (one tab: not in a union).
		theirs=$(awk -v s="${t%.*}" -v m="${t#*.}" -v want="${t//[^.]/}" '
			$1 == "struct" && $2 == s && $3 == "{" { in_s = 1; next }
			!in_s { next }
			want == "" && /^\t\/\* size: / { sub(/,.*/, "", $3); print $3; exit }
			want != "" && /^\t[^\t]/ && $NF == "*/" {
				for (i = 1; i < NF; i++)
					if ($i == m ";" || $i == "*" m ";") { print $(i + 2); exit }
			}
			/^}/ { in_s = 0 }' "$p/btf.txt")
		if [ -z "$ours" ] || [ "$ours" != "$theirs" ]; then
			bad+=("$t: Debian ${theirs:-?}, here ${ours:-?}")
		else
			good+=("$t=$ours")
		fi
	done
	[ "${#bad[@]}" -eq 0 ] || die "struct layouts of the build tree of $rel differ from Debian's: ${bad[*]}"
	note "layouts as in Debian's BTF: ${good[*]}"
	rm -rf "$p"
}

# Prepare the module build tree: linux-source + Debian's .config (RUST off:
# bookworm has no rustc for it), olddefconfig and modules_prepare with
# gcc-12 and Debian's release name, then Debian's Module.symvers.
k7_prepare() {
	local key log=$dir/prepare.log
	need_pahole
	key=$(k7_build_key)
	if [ -f "$dir/build/Module.symvers" ] && [ "$(cat "$dir/build.key" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	rm -rf "${dir:?}/build" "$dir/build.key"
	mkdir "$dir/build"
	cp "$hdr/.config" "$dir/build/.config"
	"$dir/src/linux-source-$(k7_series "$rel")/scripts/config" --file "$dir/build/.config" --disable RUST
	note "configuring $rel (${log#"$ROOT"/})"
	k7_make olddefconfig >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "make olddefconfig failed ($log)"; }
	k7_check_config
	note "make modules_prepare for $rel"
	k7_make -j2 modules_prepare >>"$log" 2>&1 ||
		{ tail -n 30 "$log" >&2; die "make modules_prepare failed ($log)"; }
	cp "$hdr/Module.symvers" "$dir/build/Module.symvers"
	# Debian's kernel Makefile reads $(objtree)/.kernelvariables after its
	# own CC and HOSTCC (the headers packages set the compiler there), so
	# "make -C build M=..." uses the compiler the tree was configured with.
	grep -q -F '/.kernelvariables' "$dir/src/linux-source-$(k7_series "$rel")/Makefile" ||
		die "linux-source-$(k7_series "$rel") does not read .kernelvariables (not Debian's?)"
	cat >"$dir/build/.kernelvariables" <<-MK
	# Written by scripts/setup.sh --kernel: module build tree of Debian's
	# $rel, from linux-source-$(k7_series "$rel") with Debian's .config and $K7_CC.
	override KERNELRELEASE = $rel
	CC = $K7_CC
	HOSTCC = $K7_CC
	MK
	k7_check_layout
	# For the record: every symbol whose value differs from Debian's.
	diff <(grep -E '^CONFIG_' "$hdr/.config" | sort) <(grep -E '^CONFIG_' "$dir/build/.config" | sort) |
		grep -E '^[<>]' >"$dir/config.diff" || true
	echo "$key" >"$dir/build.key"
}

# Set up the newest 7.x (or the cached one): download, unpack, prepare.
k7_install() {
	local rel v dir hdr
	rel=
	[ "$refresh" -eq 1 ] || rel=$(k7_find_cached version)
	if [ -z "$rel" ]; then
		k7_update
		read -r rel v < <(k7_find_candidate) || true
		[ -n "$rel" ] || die "no Debian 7.x kernel ${WANT_REL:-$K7_PREFIX*} with headers, image and source in ${K7_SUITES[*]}"
		note "newest in ${K7_SUITES[*]}: $rel ($v)"
		k7_write_packages "$rel" "$v"
	fi
	dir=$K7_CACHE/$rel
	v=$(cat "$dir/version")
	hdr=$dir/headers/usr/src/linux-headers-$rel
	k7_fetch "$rel"
	local pkgs=()
	mapfile -t pkgs <"$dir/packages"
	k7_unpack headers "${pkgs[0]}"
	k7_unpack src "${pkgs[1]}"
	k7_unpack root "${pkgs[@]:2}"
	k7_prepare
}

# Check the cached 7.x tree (no download, no build); set K_*.
k7_verify() {
	local rel dir hdr v
	rel=$(k7_find_cached build.key)
	[ -n "$rel" ] || die "no prepared Debian ${WANT_REL:-$K7_PREFIX*} kernel in ${K7_CACHE#"$ROOT"/} (run scripts/setup.sh --kernel ${WANT_REL:-${K7_PREFIX%.}})"
	dir=$K7_CACHE/$rel
	v=$(cat "$dir/version")
	hdr=$dir/headers/usr/src/linux-headers-$rel
	need_pahole
	command -v "$K7_CC" >/dev/null || die "$K7_CC missing (run scripts/setup.sh --kernel 7)"
	[ "$(cat "$dir/build.key")" = "$(k7_build_key 2>/dev/null)" ] ||
		die "the build tree of $rel is stale (compiler, pahole or packages changed): run scripts/setup.sh --kernel ${WANT_REL:-${K7_PREFIX%.}}"
	grep -q -F "\"$rel\"" "$dir/build/include/generated/utsrelease.h" 2>/dev/null ||
		die "$dir/build is not prepared for $rel"
	[ -x "$dir/build/scripts/mod/modpost" ] || die "$dir/build: no scripts/mod/modpost"
	cmp -s "$hdr/Module.symvers" "$dir/build/Module.symvers" ||
		die "$dir/build/Module.symvers is not Debian's"
	k7_check_config
	K_KVER=$rel
	K_KDIR=$dir/build
	K_SRC=$dir/src/linux-source-$(k7_series "$rel")
	K_MODDIR=$dir/root/lib/modules/$rel
	K_VMLINUZ=$K_MODDIR/vmlinuz
	if [ ! -f "$dir/root.key" ] || [ ! -f "$K_MODDIR/modules.dep" ]; then
		die "$K_MODDIR/modules.dep missing (run scripts/setup.sh --kernel 7)"
	fi
	[ -f "$K_VMLINUZ" ] || K_VMLINUZ=$dir/root/boot/vmlinuz-$rel
	[ -r "$K_VMLINUZ" ] || die "no vmlinuz of $rel in $dir/root"
}

# --- main --------------------------------------------------------------------

line=6.1
explicit=0
WANT_REL=
refresh=0
debug=0
action=setup

set_kernel() {
	explicit=1
	case "$1" in
	6.1) line=6.1 ;;
	6.12) line=6.12 ;;
	7) line=7 ;;
	6.12.*-*) line=6.12; WANT_REL=$1 ;;
	6.1.*-*) line=6.1; WANT_REL=$1 ;;
	7.*-*) line=7; WANT_REL=$1 ;;
	7.*)
		[[ "$1" =~ ^7\.[0-9]+$ ]] || die "bad --kernel $1"
		line=7; K7_PREFIX=$1. ;;
	*) die "unknown --kernel $1 (6.1, 6.12, 7, 7.N or a release such as 6.12.95+deb12-amd64)" ;;
	esac
}

while [ "$#" -gt 0 ]; do
	case "$1" in
	--kernel) [ "$#" -ge 2 ] || die "--kernel needs a value"; set_kernel "$2"; shift ;;
	--kernel=*) set_kernel "${1#*=}" ;;
	--refresh) refresh=1 ;;
	--debug) debug=1 ;;
	--print-kver) action=kver ;;
	--print-kdir) action=kdir ;;
	--print-src) action=src ;;
	--env) action='env' ;;
	-h|--help) action=help ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done

[ "$debug" -eq 1 ] && PACKAGES+=("${DEBUG_PACKAGES[@]}")

case "$line/$action" in
*/help)
	sed -n '3,31p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
6.1/*)
	if [ "$action" = setup ]; then
		install_missing
	fi
	kver=$(verify)
	[ -z "$WANT_REL" ] || [ "$WANT_REL" = "$kver" ] ||
		die "$WANT_REL is not the newest installed 6.1 kernel ($kver), the one setup.sh supports"
	K_KVER=$kver
	K_KDIR=/usr/src/linux-headers-$kver
	K_VMLINUZ=/boot/vmlinuz-$kver
	K_MODDIR=/lib/modules/$kver
	K_SRC=/usr/src/linux-source-6.1.tar.xz
	;;
6.12/*)
	if [ "$action" = setup ]; then
		install_missing
		k612_install
	fi
	k612_verify
	;;
7/*)
	if [ "$action" = setup ]; then
		install_missing
		install_bookworm "${K7_PACKAGES[@]}"
		k7_install
	fi
	k7_verify
	;;
esac

case "$action" in
kver) echo "$K_KVER" ;;
kdir) echo "$K_KDIR" ;;
src)
	[ -n "$K_SRC" ] || die "no linux-source of $K_KVER installed (run scripts/setup.sh --kernel $line)"
	echo "$K_SRC"
	;;
env)
	if [ "$explicit" -eq 1 ]; then
		print_vars env
	else
		echo "export KVER=$K_KVER"
	fi
	;;
setup)
	if [ "$explicit" -eq 1 ]; then
		print_vars plain
	else
		export KVER=$K_KVER
		echo "KVER=$KVER"
	fi
	;;
esac
