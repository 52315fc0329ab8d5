#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Lint the project: checkpatch --strict on every .c/.h, sparse (C=2) on the modules, symbol_get() exports,
# and the modules' call graphs (no circle between files but init/exit).
#
# Usage: scripts/lint.sh [checkpatch] [sparse] [exports] [callgraph]     (default: all)
# Needs the extracted build inputs (make inputs) and built modules (make modules).
# Prints "lint: NAME: PASS" or "lint: NAME: FAIL" per lint; exits non-zero if
# any failed.  Logs go to build/lint/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LOGDIR=$ROOT/build/lint
CHECKPATCH=$ROOT/build/checkpatch/checkpatch.pl
mkdir -p "$LOGDIR"

# Project C sources and headers (host/, guest/, include/, lib/, tools/, ...:
# tracked and new files, not ignored, not generated, nothing below build/).
project_sources() {
	if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$ROOT" ls-files -co --exclude-standard
	else
		find . -path ./build -prune -o -path ./.git -prune -o -type f -print | sed 's|^\./||'
	fi | grep -E '\.[ch]$' | grep -v -E '(^|/)build/|\.mod\.c$' | sort -u |
		while read -r f; do [ -f "$f" ] && echo "$f"; done
}

lint_checkpatch() {
	local log=$LOGDIR/checkpatch.log files f bad=()
	[ -x "$CHECKPATCH" ] || { echo "lint: $CHECKPATCH missing (make inputs)" >&2; return 1; }
	mapfile -t files < <(project_sources)
	: >"$log"
	for f in "${files[@]}"; do
		# ENOSYS: /dev/kvmmem returns it by ABI for -KVM_ENOSYS (no host service).
		if ! perl "$CHECKPATCH" --no-tree --strict --quiet --show-types --ignore ENOSYS -f "$f" >>"$log" 2>&1; then
			bad+=("$f")
		fi
	done
	# checkpatch leaves its CamelCase cache in the current folder.
	rm -f "$ROOT"/.checkpatch-camelcase.*
	if [ "${#bad[@]}" -ne 0 ]; then
		cat "$log"
		echo "lint: checkpatch: FAIL (${#bad[@]} of ${#files[@]} files: ${bad[*]})"
		return 1
	fi
	echo "lint: checkpatch: PASS (${#files[@]} files)"
}

lint_sparse() {
	local log=$LOGDIR/sparse.log kver kdir rc=0
	kver=${KVER:-$("$ROOT/scripts/setup.sh" --print-kver)}
	kdir=${KDIR:-/usr/src/linux-headers-$kver}
	command -v sparse >/dev/null || { echo "lint: sparse not installed" >&2; return 1; }
	make -C "$kdir" M="$ROOT" W=1 C=2 modules >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] || grep -q -E '(warning|error):' "$log"; then
		cat "$log"
		echo "lint: sparse: FAIL"
		return 1
	fi
	echo "lint: sparse: PASS ($(grep -c -E '^ *CHECK ' "$log" || true) files)"
}

# symbol_get() looks a symbol up without checking its namespace: every
# symbol the modules take so must be a plain export of the line's kernel or
# of its patched kvm (build/kvm/$KVER), or one kvm exports to this module
# by name (EXPORT_SYMBOL_FOR_MODULES: namespace "module:remote_mapping").
lint_exports() {
	local log=$LOGDIR/exports.log kver kdir name row ns bad=() n=0
	kver=${KVER:-$("$ROOT/scripts/setup.sh" --print-kver)}
	kdir=${KDIR:-/usr/src/linux-headers-$kver}
	local symvers=("$kdir/Module.symvers" "$ROOT/build/kvm/$kver/Module.symvers")
	[ -f "${symvers[0]}" ] || { echo "lint: exports: no ${symvers[0]}" >&2; return 1; }
	: >"$log"
	for name in $(grep -h -o -E 'symbol_get\([a-z_0-9]+\)' host/*.c guest/*.c |
		      sed -E 's/symbol_get\((.*)\)/\1/' | sort -u); do
		n=$((n + 1))
		row=$(cat "${symvers[@]}" 2>/dev/null | awk -F'\t' -v s="$name" '$2 == s { print; exit }')
		if [ -z "$row" ]; then
			# Only the patched kvm has the hook: absent when not built.
			echo "$name: not exported by $kver or build/kvm/$kver" >>"$log"
			[ -f "${symvers[1]}" ] || continue
			bad+=("$name")
			continue
		fi
		ns=$(cut -f5 <<<"$row")
		echo "$name: $(cut -f3,4 <<<"$row") namespace '${ns}'" >>"$log"
		[ -z "$ns" ] || [ "$ns" = module:remote_mapping ] || bad+=("$name ($ns)")
	done
	if [ "${#bad[@]}" -ne 0 ]; then
		cat "$log"
		echo "lint: exports: FAIL (${bad[*]})"
		return 1
	fi
	echo "lint: exports: PASS ($n symbols taken with symbol_get(), $kver)"
}

# Each module's files call downwards only: a circle of calls between files,
# other than the main file's init/exit and the counters it defines, fails.
lint_callgraph() {
	local log=$LOGDIR/callgraph.log rc=0
	: >"$log"
	python3 "$ROOT/scripts/callgraph.py" host --main rm_main.o >>"$log" 2>&1 || rc=1
	python3 "$ROOT/scripts/callgraph.py" guest --main kvmmem_main.o >>"$log" 2>&1 || rc=1
	if [ "$rc" -ne 0 ]; then
		cat "$log"
		echo "lint: callgraph: FAIL"
		return 1
	fi
	echo "lint: callgraph: PASS (host/, guest/: $(grep -c -- ' -> ' "$log") file edges, no circle)"
}

lints=("$@")
[ "${#lints[@]}" -eq 0 ] && lints=(checkpatch sparse exports callgraph)
status=0
for l in "${lints[@]}"; do
	case "$l" in
	checkpatch) lint_checkpatch || status=1 ;;
	sparse) lint_sparse || status=1 ;;
	exports) lint_exports || status=1 ;;
	callgraph) lint_callgraph || status=1 ;;
	*) echo "lint.sh: unknown lint $l" >&2; exit 2 ;;
	esac
done
exit "$status"
