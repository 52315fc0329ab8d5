/* SPDX-License-Identifier: GPL-2.0 */
/* Shared helpers of rm_bench: timing, statistics, processes, JSON. */
#ifndef RM_BENCH_H
#define RM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "rm_util.h"

#define PAGE_SZ		4096UL
#define THP_SZ		(2UL << 20)
#define THP_PAGES	(THP_SZ / PAGE_SZ)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(n)		(1U << (n))

/* One plain 8-byte load that the compiler may not drop or merge. */
static inline uint64_t load64(const void *p)
{
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
}

/* Make @v look used. */
static inline void consume(uint64_t v)
{
	asm volatile("" : : "r"(v));
}

/* Time and statistics ------------------------------------------------------ */

uint64_t now_ns(void);
/* Cost of one now_ns(), subtracted from timed samples. */
extern double clock_ns;
/* Median of @n values (the array is sorted in place). */
double median(double *v, size_t n);
/* Median of @n values, leaving them as they are. */
double median_of(const double *v, size_t n);
double min_of(const double *v, size_t n);
double max_of(const double *v, size_t n);

/* Deterministic pseudo-random numbers (xorshift64*). */
uint64_t rnd_next(uint64_t *state);
/* Fill @perm with a random permutation of 0..n-1. */
void rnd_perm(uint32_t *perm, size_t n, uint64_t *state);

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
noreturn void die(const char *fmt, ...);

/* Value stored in each 8-byte word of the target's pages. */
static inline uint64_t target_word(uint64_t page, uint64_t word)
{
	return 0x5a5a000000000000ULL ^ (page << 12) ^ word;
}

/*
 * perf record --control: with RM_BENCH_PERF_CTL and RM_BENCH_PERF_ACK set
 * to perf's control and ack fifos, only the timed parts are recorded.  With
 * RM_BENCH_TRACE_ON set to tracefs's tracing_on, only they are traced.
 */
void prof_on(void);
void prof_off(void);
/*
 * RM_BENCH_PROF_BLOCKS (run-bench.sh --profile SECTION-PART): the part of a
 * section to record, NULL for all of it.  prof_part_on() and prof_part_off()
 * act only when that part is @part.
 */
const char *prof_part(void);
void prof_part_on(const char *part);
void prof_part_off(const char *part);

/* Child processes driven through a pipe pair ------------------------------- */

struct bench_child {
	pid_t pid;
	int cmd, res;	/* our ends: commands out, answers in */
};

/* What a child runs, on its ends of the pipes: reads @cmd, writes @res. */
typedef void (*bench_child_fn)(void *arg, int cmd, int res);

/*
 * Fork a child that dies with us and runs @fn, then exits; 0 or -errno.
 * It keeps every other descriptor open, our ends of the pipes of the
 * children started before too.
 */
int bench_child_start(struct bench_child *c, bench_child_fn fn, void *arg);
/*
 * Close our ends of @c's pipes: it reads the end of its commands, unless a
 * child started after it holds them too.
 */
void bench_child_close(struct bench_child *c);
/* bench_child_close(), then wait until @c exits. */
void bench_child_stop(struct bench_child *c);
/*
 * In a child: close every descriptor but @a and @b (its ends of the pipes).
 * The pipes of the children started before stay open in a later one
 * without this, and those never see the end of their commands.
 */
void keep_only_fds(int a, int b);
/* All @len bytes through a pipe, retried on EINTR: false on EOF or error. */
bool read_full(int fd, void *buf, size_t len);
bool write_full(int fd, const void *buf, size_t len);

/* Target process ----------------------------------------------------------- */

/*
 * Not rm_util's struct rm_target, which runs commands: this one fills its
 * pages at start, and a thread of its own can store into them.
 */
struct bench_target {
	struct bench_child child;	/* closing its cmd makes the target exit */
	int pidfd;
	uint64_t base;		/* address of its pages, in its address space */
	size_t pages;
};

/* Fork a target owning @pages filled pages (4 KiB, no THP); 0 or -errno. */
int bench_target_start(struct bench_target *t, size_t pages);
/*
 * A memfd of @pages pages filled as a target's, or -errno; and a target
 * whose pages are that memfd's (@memfd -1: its own, as above).
 */
int bench_target_shared_pages(size_t pages);
int bench_target_start_shared(struct bench_target *t, size_t pages, int memfd);
/*
 * A target whose @pages pages (a multiple of THP_PAGES) start at a 2 MiB
 * boundary, THP advised before they are filled and collapsed after where
 * a fault got none (best effort: thp_ranges() tells what it got).
 */
int bench_target_start_thp(struct bench_target *t, size_t pages);
void bench_target_stop(struct bench_target *t);
/* Have the target store into its own pages from a thread, or stop. */
int bench_target_set_running(const struct bench_target *t, bool running);

/* /dev/remote_mapping ------------------------------------------------------ */

/*
 * The ioctls are rm_util's: rm_open(), __rm_map(), __rm_map_batch()...
 * These are the bench's conveniences on top of them.
 */

/* REMOTE_MAPPING_UNMAP of @pages consecutive pages; dies on an error. */
void rm_unmap_pages(int rm, void *area, size_t pages);
/* A window of @pages holes (mmap() of @rm); NULL with errno on failure. */
void *rm_window(int rm, size_t pages);
/* The same at a 2 MiB boundary, for REMOTE_MAPPING_HUGE. */
void *rm_window_2m(int rm, size_t pages);
/* Debugfs counter of the module (map_count, pdb_count...), -1 if unreadable. */
long rm_counter(const char *name);
/* Private anonymous area of @pages pages, without THP. */
void *anon_area(size_t pages);
/* The same at a 2 MiB boundary; NULL with errno on failure. */
void *anon_area_2m(size_t pages);
/* One at a 2 MiB boundary, THP advised; NULL with errno on failure. */
void *thp_area(size_t pages);
/* MADV_COLLAPSE of the @pages pages at @p where a fault got no THP. */
void thp_collapse(void *p, size_t pages);
/*
 * How many 2 MiB ranges of the @pages pages at @start @pid (0: the caller)
 * maps with a THP each (AnonHugePages of /proc/PID/smaps), or -errno.
 */
long thp_ranges(pid_t pid, uint64_t start, size_t pages);

/* Kernel memory snapshots -------------------------------------------------- */

#define MEM_MAX_CACHES	512

struct slab_cache {
	char name[64];
	long active;
	long objsize;
};

struct mem_snap {
	long slab_kb;
	long sunreclaim_kb;
	long sreclaimable_kb;
	long pagetables_kb;
	long memfree_kb;
	int ncaches;			/* -1: /proc/slabinfo unreadable */
	struct slab_cache caches[MEM_MAX_CACHES];
	long map_count, pdb_count;	/* module counters */
};

void mem_snapshot(struct mem_snap *s);

/* JSON writer -------------------------------------------------------------- */

struct json {
	FILE *f;
	int depth;
	bool first[32];
};

void json_open(struct json *j, FILE *f);
void json_close(struct json *j);
/* @key is NULL inside arrays. */
void json_obj(struct json *j, const char *key);
void json_arr(struct json *j, const char *key);
void json_end_obj(struct json *j);
void json_end_arr(struct json *j);
void json_num(struct json *j, const char *key, double v);
void json_int(struct json *j, const char *key, long long v);
void json_str(struct json *j, const char *key, const char *s);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);

/* Results and targets ------------------------------------------------------ */

enum target_kind {
	TK_INFO,	/* a ratio reported without a target */
	TK_SPEEDUP,	/* ratio = baseline / measured, met if >= target */
	TK_COST,	/* ratio = measured / baseline, met if <= target */
	TK_BYTES,	/* ratio = measured bytes, met if <= target */
	TK_INFO_SPEEDUP,	/* like TK_SPEEDUP, without a target */
	TK_INFO_BYTES,	/* like TK_BYTES, without a target */
};

struct result {
	char id[40];
	char what[96];		/* what is measured */
	char base[64];		/* what it is compared with */
	enum target_kind kind;
	bool available;
	char note[160];		/* why not available, or a remark */
	double measured;	/* ns per operation, or bytes */
	double baseline;	/* ns per operation, or 0 */
	double ratio;
	double target;
};

#define MAX_RESULTS	128

extern struct result results[MAX_RESULTS];
extern int nresults;

/* Record a comparison; ratio and the verdict are derived from @kind. */
struct result *add_result(const char *id, enum target_kind kind,
			  double target, const char *what, const char *base,
			  double measured, double baseline);
struct result *add_unavailable(const char *id, enum target_kind kind,
			       double target, const char *what,
			       const char *base, const char *why);
/* -1 when there is no verdict (info row, not available). */
int result_met(const struct result *r);
void print_table(FILE *f, bool smoke);
void json_results(struct json *j);

#endif /* RM_BENCH_H */
