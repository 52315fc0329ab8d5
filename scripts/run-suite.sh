#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the kselftest suites inside the test VM, tally their TAP results, then check the module's counters and rmmod.
#
# Usage (in the VM, from the repository root; make check does this):
#   scripts/vm-run -- scripts/run-suite.sh [--timeout SEC] [--no-final]
#                                          [--results NAME]
#                                          [--exclude PROG]... [PROG...]
#
# PROG (DIR/NAME, relative to tools/testing/selftests) defaults to the
# programs of every tools/testing/selftests/DIR with a Makefile: those
# "make print-progs" prints there, else its executable run_*.sh scripts (suite
# drivers), else its executable *_test files; less those given to --exclude.
# Each runs in its folder under a timeout (default 600 s, RUN_SUITE_TIMEOUT,
# which it also gets in its environment);
# its TAP output is shown live and kept in build/vm-out/results/DIR.NAME.tap
# (build/vm-out/NAME/ with --results NAME, for VM runs side by side).
# Counting: "ok" = passed, "ok ... # SKIP" = skipped, "not ok" = failed; a
# suite that crashes, times out or exits non-zero without a failed test, and
# tests its plan announced but that never reported, count as failed.
# The final checks (skipped with --no-final) are three more tests:
# debugfs remote_mapping/map_count and pdb_count read 0, rmmod succeeds.
# The last line is machine-readable for make check:
#   run-suite: TOTAL pass=N fail=M skip=K
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELFTESTS=$ROOT/tools/testing/selftests
MODULE=remote_mapping
DEBUGFS=/sys/kernel/debug/remote_mapping
COUNTERS=(map_count pdb_count)

timeout_s=${RUN_SUITE_TIMEOUT:-600}
final=1
results_name=results
exclude=()
while [ "$#" -gt 0 ]; do
	case "$1" in
	--timeout) timeout_s=$2; shift 2 ;;
	--timeout=*) timeout_s=${1#*=}; shift ;;
	--no-final) final=0; shift ;;
	--results) results_name=$2; shift 2 ;;
	--results=*) results_name=${1#*=}; shift ;;
	--exclude) exclude+=("$2"); shift 2 ;;
	--exclude=*) exclude+=("${1#*=}"); shift ;;
	-h|--help) sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) echo "run-suite: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done

results=${VM_OUT:-$ROOT/build/vm-out}/$results_name
if ! mkdir -p "$results" 2>/dev/null || [ ! -w "$results" ]; then
	results=$(mktemp -d /tmp/run-suite.XXXXXX)
fi

total_pass=0 total_fail=0 total_skip=0
summary=()

# The selftest programs as DIR/NAME, folder by folder.
list_progs() {
	local mk d
	for mk in "$SELFTESTS"/*/Makefile; do
		[ -f "$mk" ] || continue
		d=$(dirname "$mk")
		{
			if grep -q '^print-progs:' "$mk"; then
				make -s --no-print-directory -C "$d" print-progs
			elif compgen -G "$d/run_*.sh" >/dev/null; then
				find "$d" -maxdepth 1 -type f -name 'run_*.sh' -perm -u+x -printf '%f\n' | sort
			else
				find "$d" -maxdepth 1 -type f -name '*_test' -perm -u+x -printf '%f\n' | sort
			fi
		} | sed "s|^|${d##*/}/|"
	done
}

# Tally one suite's TAP log: sets pass, fail, skip, plan, reported.
tally() {
	local log=$1
	pass=$(grep -c -E '^ok [0-9]+' "$log")
	skip=$(grep -c -E '^ok [0-9]+.*# *[Ss][Kk][Ii][Pp]' "$log")
	pass=$((pass - skip))
	fail=$(grep -c -E '^not ok [0-9]+' "$log")
	plan=$(grep -m1 -o -E '^1\.\.[0-9]+' "$log" | cut -d. -f3)
	reported=$((pass + skip + fail))
}

run_prog() {
	local name=$1 log=$results/${1//\//.}.tap rc start secs note=
	local dir=$SELFTESTS/${1%/*} prog=${1##*/}
	local pass fail skip plan reported
	echo "# ===== suite $name ====="
	if [ ! -x "$dir/$prog" ]; then
		echo "not ok 1 $name # not built"
		total_fail=$((total_fail + 1))
		summary+=("$(printf '%-36s pass=0 fail=1 skip=0 (not built)' "$name")")
		return
	fi
	start=$(date +%s)
	# Exported, so that a suite driver can fit its own deadlines in it.
	(cd "$dir" && RUN_SUITE_TIMEOUT=$timeout_s \
		timeout -k 10 "$timeout_s" "./$prog") 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - start))
	tally "$log"
	if [ -n "$plan" ] && [ "$plan" -gt "$reported" ]; then
		fail=$((fail + plan - reported))
		note+="${note:+; }$((plan - reported)) tests did not report"
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		note+="${note:+; }TIMEOUT after $timeout_s s"
		fail=$((fail + 1))
	elif [ "$rc" -eq 4 ] && [ "$reported" -eq 0 ]; then
		skip=$((skip + 1))
		note+="${note:+; }skipped"
	elif [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=$((fail + 1))
		note+="${note:+; }exit status $rc"
	elif [ "$rc" -eq 0 ] && [ "$reported" -eq 0 ]; then
		fail=$((fail + 1))
		note+="${note:+; }no test result"
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	summary+=("$(printf '%-36s pass=%d fail=%d skip=%d rc=%d %ds%s' "$name" "$pass" "$fail" "$skip" "$rc" "$secs" "${note:+ ($note)}")")
	echo "# SUITE $name: pass=$pass fail=$fail skip=$skip rc=$rc time=${secs}s${note:+ ($note)}"
}

# One final check as a TAP line; counts into the totals.
final_n=0
final_pass=0 final_fail=0
check() {
	local desc=$1
	shift
	final_n=$((final_n + 1))
	if "$@"; then
		echo "ok $final_n $desc"
		final_pass=$((final_pass + 1))
	else
		echo "not ok $final_n $desc"
		final_fail=$((final_fail + 1))
	fi
}

counter_is_zero() {
	local f=$DEBUGFS/$1 v
	if ! v=$(cat "$f" 2>/dev/null); then
		echo "# cannot read $f" >&2
		return 1
	fi
	[ "$v" = 0 ] || { echo "# $f = $v" >&2; return 1; }
}

module_unloads() {
	[ -d "/sys/module/$MODULE" ] || { echo "# $MODULE is not loaded" >&2; return 1; }
	rmmod "$MODULE"
}

progs=()
if [ "$#" -gt 0 ]; then
	progs=("$@")
else
	mapfile -t progs < <(list_progs | grep -v -x -F -f <(printf '%s\n' "${exclude[@]}"))
	[ "${#progs[@]}" -gt 0 ] || echo "# run-suite: no selftest programs found in $SELFTESTS"
fi

for p in "${progs[@]}"; do
	run_prog "$p"
done

if [ "$final" -eq 1 ]; then
	echo "# ===== final checks ====="
	for c in "${COUNTERS[@]}"; do
		check "debugfs $MODULE/$c is 0" counter_is_zero "$c"
	done
	check "rmmod $MODULE" module_unloads
	total_pass=$((total_pass + final_pass))
	total_fail=$((total_fail + final_fail))
	summary+=("$(printf '%-36s pass=%d fail=%d skip=0' final-checks "$final_pass" "$final_fail")")
fi

echo "# ===== summary ====="
for s in "${summary[@]}"; do
	echo "#   $s"
done
echo "run-suite: TOTAL pass=$total_pass fail=$total_fail skip=$total_skip"
[ "$total_fail" -eq 0 ]
