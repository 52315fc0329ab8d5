#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the remote_mapping demo inside the test VM (module already loaded,
# cwd = repository root).  Builds the demo if the binary is missing or stale;
# when the tree is read-only the binary goes to a temporary folder.
set -eu

src=tools/demo/rm_demo.c
bin=tools/demo/rm_demo
hdr=include/uapi/linux/remote_mapping.h

if [ ! -f "$src" ]; then
	echo "run-demo.sh: run me from the repository root" >&2
	exit 1
fi

if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$hdr" -nt "$bin" ]; then
	if [ -w tools/demo ] && make -s -C tools/demo rm_demo; then
		:
	else
		out=$(mktemp -d "${TMPDIR:-/tmp}/rm_demo.XXXXXX")
		bin=$out/rm_demo
		${CC:-cc} -O2 -Wall -Wextra -Iinclude/uapi -Ilib/include -o "$bin" "$src" lib/rmap_*.c
	fi
fi

if [ ! -e /dev/remote_mapping ]; then
	if [ ! -d /sys/module/remote_mapping ]; then
		echo "run-demo.sh: remote_mapping.ko is not loaded" >&2
		exit 1
	fi
	# No devtmpfs node: create it from the misc device's numbers.
	if [ -r /sys/class/misc/remote_mapping/dev ]; then
		devno=$(cat /sys/class/misc/remote_mapping/dev)
		mknod /dev/remote_mapping c "${devno%:*}" "${devno#*:}"
	fi
fi

"$bin"

# Show that nothing is left behind.  target_dbs and intro_dbs are freed
# after an RCU grace period, so give the counters a moment to settle.
dbg=/sys/kernel/debug/remote_mapping
if [ -r "$dbg/map_count" ]; then
	for _ in $(seq 50); do
		left=0
		for c in map_count pdb_count tdb_count idb_count; do
			v=$(cat "$dbg/$c")
			left=$((left + v))
		done
		[ "$left" -eq 0 ] && break
		sleep 0.1
	done
	line=
	for c in map_count pdb_count tdb_count idb_count; do
		line="$line $c=$(cat "$dbg/$c")"
	done
	echo "module objects left (debugfs):$line"
	[ "$left" -eq 0 ] || echo "run-demo.sh: WARNING: objects left after the demo" >&2
fi
