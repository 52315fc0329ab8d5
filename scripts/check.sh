#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: setup, warning-free build, lints, kselftests in the VM; ends with "N passed, M failed".
#
# Counted as tests: the build (W=1, no warning), each lint (checkpatch,
# sparse), every TAP result of the VM run (scripts/run-suite.sh, including its
# final counter/rmmod checks), and "vm: kernel log clean" (no WARN/BUG/Oops/...
# in the guest's kernel log).  A VM run that times out or crashes before
# run-suite's tally counts as one more failure.  Skipped tests are reported on
# the line before the last.  Exit status 0 only when nothing failed.
# Environment: CHECK_VM_TIMEOUT (default 900 s), CHECK_SUITE_TIMEOUT (per
# selftest program, default 300 s), and vm-run's (VM_RUN_*).
# Logs: build/check/.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
LOGDIR=$ROOT/build/check
VM_TIMEOUT=${CHECK_VM_TIMEOUT:-900}
SUITE_TIMEOUT=${CHECK_SUITE_TIMEOUT:-300}
MAKE=${MAKE:-make}

passed=0 failed=0 skipped=0
results=()
t0=$(date +%s)

# record NAME PASS|FAIL [detail]
record() {
	local line="$1: $2${3:+ ($3)}"
	if [ "$2" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
	results+=("$line")
	echo "check: $line"
}

finish() {
	echo
	echo "check: ===== results ($(($(date +%s) - t0)) s) ====="
	local r
	for r in "${results[@]}"; do
		echo "check:   $r"
	done
	echo "check: $skipped skipped"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

mkdir -p "$LOGDIR"

# --- setup -------------------------------------------------------------------
echo "check: ===== setup ====="
if ! setup_out=$("$ROOT/scripts/setup.sh"); then
	record setup FAIL "scripts/setup.sh failed"
	finish
fi
echo "$setup_out"
KVER=$("$ROOT/scripts/setup.sh" --print-kver)
export KVER

# --- build (from clean, so that every warning shows) -------------------------
echo "check: ===== build ====="
build_log=$LOGDIR/build.log
{
	$MAKE -C "$ROOT" --no-print-directory modules-clean &&
		$MAKE -C "$ROOT" --no-print-directory -k all SUBMAKE_FLAGS=-B
} 2>&1 | tee "$build_log"
build_rc=${PIPESTATUS[0]}
nwarn=$(grep -c -E '(warning|error):|^WARNING:|^ERROR:' "$build_log")
if [ "$build_rc" -ne 0 ]; then
	record build FAIL "make exit $build_rc; $build_log"
elif [ "$nwarn" -ne 0 ]; then
	grep -E '(warning|error):|^WARNING:|^ERROR:' "$build_log"
	record build FAIL "$nwarn warnings; $build_log"
else
	record build PASS "W=1, no warnings"
fi

# --- lint --------------------------------------------------------------------
echo "check: ===== lint ====="
for l in checkpatch sparse; do
	if "$ROOT/scripts/lint.sh" "$l"; then
		record "lint $l" PASS
	else
		record "lint $l" FAIL "build/lint/$l.log"
	fi
done

# --- kselftests in the VM ----------------------------------------------------
echo "check: ===== kselftests in the VM ====="
vm_log=$LOGDIR/vm.log
if [ ! -f "$ROOT/host/remote_mapping.ko" ]; then
	record vm FAIL "not run: host/remote_mapping.ko was not built"
	finish
fi
"$ROOT/scripts/vm-run" --timeout "$VM_TIMEOUT" -- \
	scripts/run-suite.sh --timeout "$SUITE_TIMEOUT" 2>&1 | tee "$vm_log"
vm_rc=${PIPESTATUS[0]}

total=$(grep -E '^run-suite: TOTAL pass=[0-9]+ fail=[0-9]+ skip=[0-9]+$' "$vm_log" | tail -n 1)
if [ -n "$total" ]; then
	read -r p f s < <(sed -E 's/.*pass=([0-9]+) fail=([0-9]+) skip=([0-9]+)/\1 \2 \3/' <<<"$total")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	results+=("vm kselftests: $p passed, $f failed, $s skipped")
	echo "check: vm kselftests: $p passed, $f failed, $s skipped"
fi
if [ "$vm_rc" -ne 2 ]; then
	if grep -q '^vm-run: the kernel log shows a problem' "$vm_log"; then
		record "vm: kernel log clean" FAIL "WARN/BUG/Oops/...; see build/vm-out/last/dmesg"
	else
		record "vm: kernel log clean" PASS
	fi
fi
if [ "$vm_rc" -eq 124 ]; then
	record vm FAIL "TIMEOUT after $VM_TIMEOUT s"
elif [ -z "$total" ]; then
	record vm FAIL "run-suite did not report a tally (vm-run exit $vm_rc); $vm_log"
elif [ "$vm_rc" -eq 125 ]; then
	record vm FAIL "the VM stopped without an exit status"
fi

finish
