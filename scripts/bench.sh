#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: build, run rm_bench in the test VM, collect results.json and the gnuplot PNGs in build/bench/.
#
# Usage: scripts/bench.sh [--smoke] [--no-build] [--profile SECTIONS]
#                         [--graph SPECS] [--erms] [--timeout SEC]
#                         [-- rm_bench options]
#
# Builds the module (make modules), the kvm with the hypercall hook
# (scripts/build-kvm.sh, cached) and build/bench/bin/rm_bench, then boots
# the VM with scripts/vm-run --no-modules and runs tools/bench/run-bench.sh,
# which loads the patched kvm and remote_mapping.ko itself.  The table is
# printed on stdout; results.json, scale.dat, ratios.dat, table.txt and the
# PNGs (scale.png, ratios.png) land in build/bench/ (build/bench/smoke/ with
# --smoke).
#   --smoke        a few seconds of measuring: checks that everything runs
#                  and prints the ratios, no verdict on the targets
#   --no-build     do not rebuild the module and kvm (rm_bench still is)
#   --profile S    perf record the sections S (reads,mtu,batch,scale,hc,
#                  watch-fork|mm|thp[.none|.one], scan,
#                  fleet-probe|teardown)
#                  in the VM; reports in build/bench/profile/
#   --graph SPECS  trace with function_graph instead, each spec
#                  SECT[-PART]@FUNC[+FUNC...][:DEPTH][=UNIT] (for instance
#                  hc-pool@rm_hc_call:3): the time of each call under FUNC
#                  per call of UNIT, in build/bench/profile/graph-*.txt
#   --erms         under TCG, keep the vCPU's ERMS (the old setup): the
#                  guest kernel then copies with rep movsb, which TCG
#                  emulates about 7x slower per byte than a user memcpy, and
#                  the process_vm_readv baselines are inflated (results in
#                  build/bench/erms/; Documentation/performance.rst)
#   --timeout SEC  VM timeout (default 1200)
# Exit status: that of the VM run (0 when the benchmark ran).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

smoke=0
build=1
profile=
graph=
erms=0
timeout_s=1200
while [ "$#" -gt 0 ]; do
	case "$1" in
	--smoke) smoke=1; shift ;;
	--no-build) build=0; shift ;;
	--profile) profile=$2; shift 2 ;;
	--graph) graph=$2; shift 2 ;;
	--erms) erms=1; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	-h|--help) sed -n '3,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	*) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done

KVER=${KVER:-$("$ROOT/scripts/setup.sh" --print-kver)}
export KVER

if [ "$build" -eq 1 ]; then
	make -C "$ROOT" --no-print-directory modules
	"$ROOT/scripts/build-kvm.sh" ||
		echo "bench: building the patched kvm failed; hypercalls will be reported as not available" >&2
fi
make -C "$ROOT/tools/bench" --no-print-directory
[ -f "$ROOT/host/remote_mapping.ko" ] || { echo "bench: host/remote_mapping.ko is not built" >&2; exit 1; }

if [ -n "$graph" ]; then
	profile=graph
fi
if [ -n "$profile" ]; then
	dest=$ROOT/build/bench/profile
elif [ "$smoke" -eq 1 ]; then
	dest=$ROOT/build/bench/smoke
elif [ "$erms" -eq 1 ]; then
	dest=$ROOT/build/bench/erms
else
	dest=$ROOT/build/bench
fi
vmout=$ROOT/build/vm-out/bench
rm -rf "$vmout"
mkdir -p "$vmout" "$dest"

accel=${VM_RUN_ACCEL:-tcg}
if [ -z "${VM_RUN_ACCEL:-}" ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
	accel=kvm
fi
# Under TCG the vCPU has no ERMS, so that the guest kernel's copies cost
# per byte what they do on hardware, about a user memcpy (--erms: not).
cpu=host
if [ "$accel" = tcg ]; then
	cpu=max,erms=off
	[ "$erms" -eq 0 ] || cpu=max
	export VM_RUN_CPU=$cpu
fi
{
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "cpus=$(nproc)"
	echo "memory=$(grep MemTotal /proc/meminfo | awk '{print $2 " kB"}')"
	echo "kernel=$(uname -r)"
	echo "qemu=$(qemu-system-x86_64 --version | head -n 1)"
	echo "accel=$accel"
	echo "loadavg_at_start=$(cut -d" " -f1-3 /proc/loadavg) (other jobs share this machine)"
	echo "vm=scripts/vm-run defaults: 4G over 2 NUMA nodes, $([ "$smoke" -eq 1 ] && echo 1 vCPU || echo 2 vCPUs), -cpu $cpu"
	[ "$cpu" != max ] || echo "note=ERMS on (--erms): the guest kernel copies with rep movsb, emulated slowly by TCG; ratios against process_vm_readv and /proc/PID/mem are flattered"
	echo "git=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
} >"$vmout/host-info.txt"

run_args=()
vm_args=()
# The smoke run is not measured: one vCPU keeps its tiny KVM guest clear of
# the nested-SVM trouble of two TCG vCPUs (Documentation/testing.rst).
[ "$smoke" -eq 1 ] && run_args+=(--smoke) && vm_args+=(--smp 1)
if [ -n "$graph" ]; then
	run_args+=(--graph "$graph")
elif [ -n "$profile" ]; then
	run_args+=(--profile "$profile")
fi
rc=0
"$ROOT/scripts/vm-run" --no-modules "${vm_args[@]}" --timeout "$timeout_s" -- \
	tools/bench/run-bench.sh "${run_args[@]}" -- "$@" || rc=$?

cp -f "$vmout"/* "$dest/" 2>/dev/null || true
if [ -z "$profile" ] && [ -s "$dest/results.json" ]; then
	if command -v gnuplot >/dev/null; then
		for gp in scale ratios; do
			if [ -s "$dest/$gp.dat" ]; then
				gnuplot -e "dir='$dest'" "$ROOT/tools/bench/$gp.gp" ||
					echo "bench: gnuplot $gp.gp failed" >&2
			fi
		done
	else
		echo "bench: gnuplot not installed (package gnuplot-nox); no PNGs" >&2
	fi
	echo "bench: results in ${dest#"$ROOT"/}/: $(cd "$dest" && ls | tr '\n' ' ')"
fi
# The run must have produced a results table (what the smoke run checks).
if [ -z "$profile" ] && [ "$rc" -eq 0 ]; then
	if [ ! -s "$dest/results.json" ]; then
		echo "bench: no results.json" >&2
		rc=1
	elif command -v jq >/dev/null &&
		! jq -e '.results | length > 0' "$dest/results.json" >/dev/null; then
		echo "bench: results.json is not valid or has no results" >&2
		rc=1
	fi
fi
exit "$rc"
