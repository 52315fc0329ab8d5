#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-kernels: make check on every supported kernel line, one table, one "N passed, M failed".
#
# Usage: scripts/check-kernels.sh [LINE...]   (default: 6.1 6.12 7)
# Runs scripts/check.sh --kernel LINE for each line in turn (each its own
# setup, build, lints, VM suites and bench smoke; logs in build/check-LINE/),
# then prints one table, suite x kernel, each cell passed/failed (+skipped),
# and the sum over every line.  Exit status 0 only when nothing failed on
# any line.  Environment: as for scripts/check.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOGDIR=$ROOT/build/check-kernels
lines=("$@")
[ "${#lines[@]}" -gt 0 ] || lines=(6.1 6.12 7)

mkdir -p "$LOGDIR"
t0=$(date +%s)
declare -A rc secs
# checkpatch reads the sources, whichever the kernel: on the first line only.
once=()
for l in "${lines[@]}"; do
	echo "check-kernels: ===== kernel line $l ====="
	t=$(date +%s)
	"$ROOT/scripts/check.sh" --kernel "$l" "${once[@]}" 2>&1 | tee "$LOGDIR/$l.log"
	once=(--no-checkpatch)
	rc[$l]=${PIPESTATUS[0]}
	secs[$l]=$(($(date +%s) - t))
	# A line whose check.sh died before its summary still counts as failed.
	[ -s "$ROOT/build/check-$l/summary.tsv" ] ||
		printf 'check.sh\t0\t1\t0\n' >"$ROOT/build/check-$l/summary.tsv"
done

# The table: rows in first-seen order, one column per line.
awk -F'\t' -v lines="${lines[*]}" -v root="$ROOT" '
BEGIN {
	n = split(lines, L, " ")
	for (i = 1; i <= n; i++) {
		f = root "/build/check-" L[i] "/summary.tsv"
		while ((getline row < f) > 0) {
			split(row, c, "\t")
			if (!(c[1] in seen)) { seen[c[1]] = 1; order[++rows] = c[1] }
			p[c[1], i] += c[2]; fl[c[1], i] += c[3]; s[c[1], i] += c[4]
			tp += c[2]; tf += c[3]; ts += c[4]
			lp[i] += c[2]; lf[i] += c[3]; ls[i] += c[4]
		}
		close(f)
	}
	w = 30
	for (r = 1; r <= rows; r++) if (length(order[r]) > w) w = length(order[r])
	printf "%-*s", w + 2, "suite / test"
	for (i = 1; i <= n; i++) printf "  %-18s", L[i]
	printf "\n"
	for (r = 1; r <= rows; r++) {
		k = order[r]
		printf "%-*s", w + 2, k
		for (i = 1; i <= n; i++) {
			if (!((k, i) in p)) { printf "  %-18s", "-"; continue }
			cell = p[k, i] " passed"
			if (fl[k, i]) cell = cell ", " fl[k, i] " FAILED"
			else if (s[k, i]) cell = cell ", " s[k, i] " skip"
			printf "  %-18s", cell
		}
		printf "\n"
	}
	printf "%-*s", w + 2, "total"
	for (i = 1; i <= n; i++) printf "  %-18s", lp[i] "/" lf[i] "/" ls[i]
	printf "\n(total: passed/failed/skipped)\n"
	printf "%d %d %d\n", tp, tf, ts > (root "/build/check-kernels/total")
}' | tee "$LOGDIR/table.txt"

echo
for l in "${lines[@]}"; do
	echo "check-kernels: $l: check.sh exit ${rc[$l]} after ${secs[$l]} s"
done
echo "check-kernels: all lines in $(($(date +%s) - t0)) s"
read -r tp tf ts <"$LOGDIR/total"
echo "check-kernels: $ts skipped"
echo "$tp passed, $tf failed"
bad=0
for l in "${lines[@]}"; do [ "${rc[$l]}" -eq 0 ] || bad=1; done
[ "$tf" -eq 0 ] && [ "$bad" -eq 0 ]
