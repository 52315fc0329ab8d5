#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the test VM: load the patched kvm and remote_mapping, raise vm.max_map_count, run rm_bench.
#
# Usage (in the VM, from the repository root; scripts/bench.sh does this):
#   scripts/vm-run --no-modules -- tools/bench/run-bench.sh [--smoke]
#       [--profile SECTIONS] [--graph SPECS] [-- rm_bench options]
#
# Loads irqbypass, ccp, build/kvm/$(uname -r)/{kvm,kvm-amd}.ko (the kvm with
# the hypercall hook, when built) and host/remote_mapping.ko, sets
# vm.max_map_count to 262144 (65,536 mappings are 65,536 VMAs), and runs
# build/bench/bin/rm_bench.  Results go to $VM_OUT/bench (build/vm-out/bench):
# results.json, scale.dat, ratios.dat, table.txt.  --profile SECTIONS
# (comma separated) instead records each section alone with perf
# (cpu-clock, call graphs) and writes perf-SECTION*.txt there; scale-first
# and scale-last record only the first or last four blocks of 1024 maps.
# --graph SPECS traces parts of sections with function_graph instead (below).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
OUT=${VM_OUT:-$ROOT/build/vm-out}/bench
BIN=$ROOT/build/bench/bin/rm_bench
MAX_MAP_COUNT=262144

smoke=()
profile=
graph=
while [ "$#" -gt 0 ]; do
	case "$1" in
	--smoke) smoke=(--smoke); shift ;;
	--profile) profile=$2; shift 2 ;;
	--graph) graph=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "run-bench: unknown option $1" >&2; exit 2 ;;
	esac
done

mkdir -p "$OUT" || exit 1
[ -x "$BIN" ] || { echo "run-bench: $BIN not built (make -C tools/bench)" >&2; exit 1; }

# The patched kvm first, so that remote_mapping finds its hypercall hook:
# the build for the running kernel (scripts/build-kvm.sh links each
# line's), else build/kvm/current (6.1's).
kvm_dir=$ROOT/build/kvm/$(uname -r)
[ -d "$kvm_dir" ] || kvm_dir=$ROOT/build/kvm/current
if [ -f "$kvm_dir/kvm.ko" ] && [ ! -d /sys/module/kvm ]; then
	if grep -qw svm /proc/cpuinfo; then
		modprobe irqbypass && modprobe ccp &&
			insmod "$kvm_dir/kvm.ko" && insmod "$kvm_dir/kvm-amd.ko" ||
			echo "run-bench: loading the patched kvm failed; hypercalls not measured" >&2
	else
		echo "run-bench: no svm in the guest CPU; hypercalls not measured" >&2
	fi
fi
if [ ! -d /sys/module/remote_mapping ]; then
	insmod "$ROOT/host/remote_mapping.ko" || exit 1
fi

old=$(sysctl -n vm.max_map_count)
sysctl -q -w vm.max_map_count=$MAX_MAP_COUNT || exit 1
echo "run-bench: vm.max_map_count $old -> $(sysctl -n vm.max_map_count)"

args=(--json "$OUT/results.json" --dat-dir "$OUT" "${smoke[@]}" "$@")
[ -f "$OUT/host-info.txt" ] && args+=(--host-info "$OUT/host-info.txt")

if [ -n "$profile" ]; then
	for sect in ${profile//,/ }; do
		echo "run-bench: perf record of section $sect"
		# scale-first / scale-last: the first or last four blocks of maps.
		only=${sect%%-*}
		blocks=
		[ "$only" = "$sect" ] || blocks=${sect#*-}
		# An exit's mm goes after its perf events (do_exit()), and
		# what it leaves runs in kworkers: teardowns are recorded
		# system wide.
		wide=()
		case $blocks in *teardown) wide=(-a) ;; esac
		rm -f /tmp/perf.ctl /tmp/perf.ack
		mkfifo /tmp/perf.ctl /tmp/perf.ack || exit 1
		RM_BENCH_PERF_CTL=/tmp/perf.ctl RM_BENCH_PERF_ACK=/tmp/perf.ack \
		RM_BENCH_PROF_BLOCKS=$blocks \
			perf record -q -e cpu-clock -g -D -1 "${wide[@]}" \
			--control fifo:/tmp/perf.ctl,/tmp/perf.ack -o /tmp/perf.data -- \
			"$BIN" "${args[@]}" --only "$only" >"$OUT/run-$sect.txt" || exit 1
		perf report -i /tmp/perf.data --stdio --no-children \
			--percent-limit 0.5 --sort sym -g none \
			>"$OUT/perf-$sect.txt" 2>/dev/null
		perf report -i /tmp/perf.data --stdio --children \
			--percent-limit 2 --sort sym -g none \
			>"$OUT/perf-$sect-children.txt" 2>/dev/null
		perf report -i /tmp/perf.data --stdio --no-children \
			--percent-limit 2 --sort sym -g caller,0.5,callee,function,percent \
			--max-stack 16 >"$OUT/perf-$sect-callers.txt" 2>/dev/null
		grep -E '^ +[0-9.]+%' "$OUT/perf-$sect.txt" | head -25
	done
	exit 0
fi

# --graph SECT[-PART]@FUNC[+FUNC...][:DEPTH][=UNIT]: the timed part of a
# section under the function_graph tracer from those functions down to
# DEPTH (default 4), summed by tools/bench/graph_report.py per call of
# UNIT (default a root).  Only the benchmark's own calls are traced:
# rm_bench turns tracing_on on and off around the part.
if [ -n "$graph" ]; then
	T=/sys/kernel/tracing
	[ -w "$T/tracing_on" ] || mount -t tracefs nodev "$T" 2>/dev/null
	if ! grep -qw function_graph "$T/available_tracers" 2>/dev/null; then
		echo "run-bench: no function_graph tracer in this kernel" >&2
		exit 1
	fi
	for spec in ${graph//,/ }; do
		sect=${spec%%@*}
		rest=${spec#*@}
		unit=
		case $rest in *=*) unit=${rest#*=}; rest=${rest%%=*} ;; esac
		depth=4
		case $rest in *:*) depth=${rest#*:}; rest=${rest%%:*} ;; esac
		funcs=${rest//+/ }
		only=${sect%%-*}
		blocks=
		[ "$only" = "$sect" ] || blocks=${sect#*-}
		name=$sect-${rest%%+*}
		echo "run-bench: function_graph of section $sect from $funcs, depth $depth"
		echo 0 >"$T/tracing_on"
		echo nop >"$T/current_tracer"
		echo >"$T/trace"
		# shellcheck disable=SC2086
		echo $funcs >"$T/set_graph_function" || exit 1
		# Only these and the functions of our modules and KVM's are
		# hooked: with every kernel function hooked, TCG runs the whole
		# section many times slower.  The rest of the kernel counts in
		# the time of the caller.
		# shellcheck disable=SC2086
		echo $funcs >"$T/set_ftrace_filter" || exit 1
		for m in remote_mapping kvm kvm_amd; do
			[ ! -d "/sys/module/$m" ] || echo "*:mod:$m" >>"$T/set_ftrace_filter"
		done
		echo "$depth" >"$T/max_graph_depth"
		echo 0 >"$T/options/funcgraph-irqs"
		echo 65536 >"$T/buffer_size_kb"
		echo function_graph >"$T/current_tracer"
		RM_BENCH_TRACE_ON=$T/tracing_on RM_BENCH_PROF_BLOCKS=$blocks \
			"$BIN" "${args[@]}" --only "$only" >"$OUT/run-graph-$name.txt" ||
			exit 1
		echo 0 >"$T/tracing_on"
		cat "$T/per_cpu"/cpu*/stats | awk '/^overrun/ { n += $2 } END {
			if (n) print "run-bench: " n " trace events lost (overrun)" }'
		gzip -c "$T/trace" >"$OUT/graph-$name.trace.gz"
		python3 "$ROOT/tools/bench/graph_report.py" <(zcat "$OUT/graph-$name.trace.gz") \
			${unit:+--unit "$unit"} >"$OUT/graph-$name.txt"
		echo nop >"$T/current_tracer"
		echo >"$T/set_graph_function"
		echo >"$T/set_ftrace_filter"
		head -40 "$OUT/graph-$name.txt"
	done
	exit 0
fi

# The map hypercall through each way into KVM (Documentation/kvm-hook.rst),
# on the same kvm.ko in the same VM: the patch's registration and the
# ftrace redirect of kvm_emulate_hypercall().  Prints one line per mode and
# their ratio; writes hook-MODE.json.
hook_compare() {
	local mode
	[ -d /sys/module/kvm ] && grep -qw svm /proc/cpuinfo || return 0
	for mode in patch ftrace; do
		# The last run's objects are freed by a workqueue: wait for them.
		for _ in $(seq 50); do
			rmmod remote_mapping 2>/dev/null && break
			sleep 0.2
		done
		[ ! -d /sys/module/remote_mapping ] &&
			insmod "$ROOT/host/remote_mapping.ko" kvm_hook=$mode || return 1
		if [ "$(cat /sys/kernel/debug/remote_mapping/kvm_hook)" != "$mode" ]; then
			echo "hook compare: kvm_hook=$mode not armed here; no comparison"
			return 0
		fi
		"$BIN" --json "$OUT/hook-$mode.json" "${smoke[@]}" --only hc \
			>"$OUT/hook-$mode.txt" || return 1
	done
	python3 - "$OUT" <<'PY'
import json, sys

def find(o, k):
    if isinstance(o, dict):
        if k in o:
            return o[k]
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            r = find(v, k)
            if r is not None:
                return r
    return None

d = {m: json.load(open(f'{sys.argv[1]}/hook-{m}.json')) for m in ('patch', 'ftrace')}
for k, what in (('null_ns', 'null hypercall'), ('map_unmap_ns', 'map+unmap hypercall pair')):
    p, f = find(d['patch'], k), find(d['ftrace'], k)
    if p and f:
        print(f'hook compare: {what}: patch {p:.0f} ns, ftrace {f:.0f} ns, ftrace/patch {f / p:.3f}')
PY
}

"$BIN" "${args[@]}" | tee "$OUT/table.txt"
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 0 ] && [ -z "$profile" ]; then
	hook_compare 2>&1 | tee -a "$OUT/table.txt"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
fi
echo "run-bench: remote_mapping counters after the run: map_count $(cat /sys/kernel/debug/remote_mapping/map_count) pdb_count $(cat /sys/kernel/debug/remote_mapping/pdb_count)"
exit "$rc"
