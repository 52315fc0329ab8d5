#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static checks (TAP): module sources print no raw pointers, device nodes 0600, debugfs quiet.
#
# Usage: source_check.sh        (from any folder; the repository is found
#                                from the script's own location)
# 1. No %px in the sources of the modules (host/, guest/, the kvm patches'
#    added lines): it prints kernel pointers unhashed.
# 2. No %lx/%llx/%lX... (any flags/width, also %zx): addresses printed as
#    numbers bypass pointer hashing; the modules have nothing else to print
#    in hex.  Raw physical addresses (%pa) are listed as a note.
# 3. udev/60-remote-mapping.rules gives /dev/remote_mapping and /dev/kvmmem
#    mode 0600, owner root; both miscdevices ask for 0600 themselves.
# 4. debugfs remote_mapping/ (when mounted): no file readable by others,
#    contents decimal counters or Y/N, nothing that looks like an address.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
cd "$ROOT" || exit 1
n=0 fails=0

tap() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fails=$((fails + 1))
	fi
}

# Source lines of the modules: file:line:text (patches: added lines only).
module_lines() {
	local f
	for f in host/*.c host/*.h guest/*.c guest/*.h; do
		[ -f "$f" ] || continue
		case "$f" in *.mod.c) continue ;; esac
		grep -n -H '' "$f"
	done
	for f in kvm/*/*.patch; do
		[ -f "$f" ] || continue
		grep -n -H '^+' "$f" | grep -v -E '^[^:]+:[0-9]+:\+\+\+ '
	done
}

# Only what is inside string literals (comments name formats too).
strings_of() {
	awk '{
		if (!match($0, /^[^:]+:[0-9]+:/))
			next
		loc = substr($0, 1, RLENGTH)
		text = substr($0, RLENGTH + 1)
		out = ""
		while (match(text, /"([^"\\]|\\.)*"/)) {
			out = out substr(text, RSTART, RLENGTH) " "
			text = substr(text, RSTART + RLENGTH)
		}
		if (out != "")
			print loc out
	}'
}

echo "TAP version 13"
echo "1..4"

lines=$(module_lines | strings_of)
if [ -z "$lines" ]; then
	echo "# no module sources found under $ROOT"
	exit 4
fi

bad=$(grep -E '%px' <<<"$lines")
[ -n "$bad" ] && sed 's/^/# /' <<<"$bad"
tap "$([ -z "$bad" ] && echo 0 || echo 1)" "module sources: no %px"

bad=$(grep -E '%[-#0 +]*[0-9*]*(\.[0-9*]+)?(hh|h|ll|l|z|j|t)[xX]' <<<"$lines")
[ -n "$bad" ] && sed 's/^/# /' <<<"$bad"
note=$(grep -E '%pa' <<<"$lines")
[ -n "$note" ] && sed 's/^/# note: raw physical address: /' <<<"$note"
tap "$([ -z "$bad" ] && echo 0 || echo 1)" "module sources: no addresses printed as %lx/%llx/%zx"

rules=udev/60-remote-mapping.rules
rc=0
for node in remote_mapping kvmmem; do
	line=$(grep -E "KERNEL==\"$node\"" "$rules" 2>/dev/null)
	if ! grep -q 'MODE="0600"' <<<"$line" || ! grep -q 'OWNER="root"' <<<"$line"; then
		echo "# $rules: no MODE=\"0600\", OWNER=\"root\" rule for $node"
		rc=1
	fi
done
for f in host/rm_dev.c guest/kvmmem_dev.c; do
	if [ -f "$f" ] && ! grep -q -E '\.mode[[:space:]]*=[[:space:]]*0600' "$f"; then
		echo "# $f: the miscdevice does not ask for mode 0600"
		rc=1
	fi
done
tap "$rc" "device nodes: udev rule and miscdevices give 0600 root"

dbg=/sys/kernel/debug/remote_mapping
if [ -d "$dbg" ]; then
	rc=0
	for f in "$dbg"/*; do
		perm=$(stat -c %a "$f")
		if [ $((8#$perm & 8#077)) -ne 0 ]; then
			echo "# $f: mode $perm, readable by group or others"
			rc=1
		fi
		val=$(cat "$f" 2>/dev/null)
		# Counters, and kvm_hook's way into KVM: none, patch or ftrace.
		if ! [[ "$val" =~ ^(-?[0-9]{1,12}|Y|N|none|patch|ftrace)$ ]]; then
			echo "# $f: unexpected content '$val'"
			rc=1
		fi
	done
	tap "$rc" "debugfs remote_mapping: 0400-style files, counters only"
else
	n=$((n + 1))
	echo "ok $n debugfs remote_mapping # SKIP not mounted or module not loaded"
fi
[ "$fails" -eq 0 ]
