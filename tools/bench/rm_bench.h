/* SPDX-License-Identifier: GPL-2.0 */
/* Configuration of rm_bench and the entry points of its sections. */
#ifndef RM_BENCH_RM_BENCH_H
#define RM_BENCH_RM_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "bench.h"

struct cfg {
	bool smoke;
	unsigned int sections;
	size_t read_pages;	/* working set of the read benchmark */
	size_t read_rounds;
	size_t mtu_iters;	/* map + touch + unmap iterations */
	size_t mtu_block;
	size_t batch_pages;	/* pages per batch size and method */
	size_t batch_window_pages;	/* the same in a window (cheaper) */
	size_t batch_min_rounds;
	size_t scale_maps;	/* live mappings at the end */
	size_t scale_block;	/* one sample per block */
	size_t scale_sub;	/* maps per timed sub-block */
	int scale_inter_rounds;	/* interleaved sub-blocks, max vs fresh */
	int scale_probe_rounds;	/* the same after each block */
	int hc_loops_null;	/* null hypercalls per KVM_RUN */
	int hc_loops_map;	/* map+unmap pairs per KVM_RUN */
	int hc_rounds;
	int hc_batch_max;	/* largest guest batch measured */
	int hc_batch_rounds;	/* rounds of guest batches of 64 and more */
	size_t watch_mirrors;	/* live mirrors of the watched target */
	int watch_rounds;	/* interleaved rounds per operation */
	double watch_ms;	/* one round of one operation */
	size_t scan_pages;	/* the scanned target */
	size_t vm_aliases;	/* the watched VM's aliases (vm_bench.c) */
	size_t vm_churn_pages;	/* pages its guest churns per round */
	int vm_rounds;		/* interleaved rounds per configuration */
	double vm_ms;		/* one round of one configuration */
	size_t vm_scan_pages;	/* the scanned target VM's memslot */
	size_t fleet_procs;	/* introspectors of the seed's scale */
	size_t fleet_maps;	/* mappings of each */
	const char *json_path;
	const char *dat_dir;
	const char *host_info;
};

/* hc_bench.c */
void bench_hc(const struct cfg *c, int rm, struct json *j);
/* watch_bench.c: what the watched target pays for being mirrored */
void bench_watch(const struct cfg *c, int rm, struct json *j);
/* scan_bench.c: reading every page of a large target once */
void bench_scan(const struct cfg *c, int rm, struct json *j);
/* fleet_bench.c: the seed's 100 introspectors x 16,384 mappings */
void bench_fleet(const struct cfg *c, int rm, struct json *j);
/* vm_bench.c: a target VM churning under aliases, and scanned, by tiny VMs */
void bench_vm(const struct cfg *c, int rm, struct json *j);

#endif /* RM_BENCH_RM_BENCH_H */
