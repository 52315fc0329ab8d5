// SPDX-License-Identifier: GPL-2.0
/* rm_bench watch: what a target pays for being mirrored, in its own mm operations. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <linux/remote_mapping.h>

#include "rm_bench.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#define WATCH_TARGET	0.95	/* rate with many mirrors vs with none */
#define CHURN_PAGES	16	/* the area of one mm operation */
#define BATCH		512

enum watch_op { OP_MM, OP_FORK, OP_THP, NOPS };
enum watch_cfg { CFG_NONE, CFG_ONE, CFG_MANY, NCFGS };

static const char * const op_names[NOPS] = { "mm", "fork", "thp" };
static const char * const op_what[NOPS] = {
	"mmap, touch, mprotect, madvise(DONTNEED), munmap of 16 pages",
	"fork + exit + wait",
	"THP fault, split by mprotect, MADV_COLLAPSE, munmap",
};

struct watch_cmd {
	int op;
	double ms;
};

/* A target serving churn commands; its own mirrored pages stay as they are. */
struct watched {
	struct bench_child child;
	int pidfd;
	uint64_t base;
	size_t pages;
};

static long churn_mm(void)
{
	uint8_t *p;
	size_t i;

	p = mmap(NULL, CHURN_PAGES * PAGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < CHURN_PAGES; i++)
		p[i * PAGE_SZ] = i;
	if (mprotect(p, CHURN_PAGES * PAGE_SZ, PROT_READ) ||
	    mprotect(p, CHURN_PAGES * PAGE_SZ, PROT_READ | PROT_WRITE) ||
	    madvise(p, CHURN_PAGES * PAGE_SZ, MADV_DONTNEED))
		return -errno;
	p[0] = 1;
	return munmap(p, CHURN_PAGES * PAGE_SZ) ? -errno : 0;
}

static long churn_fork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(0);
	return waitpid(pid, NULL, 0) == pid ? 0 : -errno;
}

/* A THP where the kernel gives one, split by a partial mprotect, collapsed. */
static long churn_thp(long *collapsed)
{
	uint8_t *p, *q;

	p = mmap(NULL, 2 * THP_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	q = (uint8_t *)(((uintptr_t)p + THP_SZ - 1) & ~(THP_SZ - 1));
	madvise(q, THP_SZ, MADV_HUGEPAGE);
	q[0] = 1;
	if (mprotect(q + PAGE_SZ, PAGE_SZ, PROT_READ) ||
	    mprotect(q + PAGE_SZ, PAGE_SZ, PROT_READ | PROT_WRITE))
		return -errno;
	if (!madvise(q, THP_SZ, MADV_COLLAPSE))
		(*collapsed)++;
	return munmap(p, 2 * THP_SZ) ? -errno : 0;
}

/* Operations done in @ms, or -errno. */
static long churn(int op, double ms, long *collapsed)
{
	uint64_t end = now_ns() + (uint64_t)(ms * 1e6);
	long n = 0, err;

	do {
		switch (op) {
		case OP_MM:
			err = churn_mm();
			break;
		case OP_FORK:
			err = churn_fork();
			break;
		default:
			err = churn_thp(collapsed);
			break;
		}
		if (err)
			return err;
		n++;
	} while (now_ns() < end);
	return n;
}

/* In the target: @arg is its number of pages. */
static void watched_main(void *arg, int cmd, int reply)
{
	size_t pages = *(const size_t *)arg;
	struct watch_cmd w;
	long out[2] = { 0, 0 };	/* operations, THP collapses */
	uint64_t *p, i;

	keep_only_fds(cmd, reply);
	p = anon_area(pages);
	for (i = 0; i < pages; i++)
		p[i * PAGE_SZ / 8] = target_word(i, 0);
	i = (uintptr_t)p;
	if (!write_full(reply, &i, sizeof(i)))
		_exit(1);
	while (read_full(cmd, &w, sizeof(w))) {
		out[1] = 0;
		out[0] = churn(w.op, w.ms, &out[1]);
		if (!write_full(reply, out, sizeof(out)))
			_exit(1);
	}
}

static void watched_start(struct watched *w, size_t pages)
{
	int err;

	memset(w, 0, sizeof(*w));
	err = bench_child_start(&w->child, watched_main, &pages);
	if (err)
		die("watch: starting a target: %s", strerror(-err));
	w->pages = pages;
	if (!read_full(w->child.res, &w->base, sizeof(w->base)))
		die("watch: the target did not start");
	w->pidfd = sys_pidfd_open(w->child.pid);
	if (w->pidfd < 0)
		die("watch: pidfd_open: %s", strerror(-w->pidfd));
}

static void watched_stop(struct watched *w)
{
	close(w->pidfd);
	bench_child_stop(&w->child);
}

/* ns per operation @op of @w over @ms; adds its THP collapses to @collapsed. */
static double watched_churn(struct watched *w, int op, double ms,
			    long *collapsed)
{
	struct watch_cmd cmd = { .op = op, .ms = ms };
	uint64_t t0 = now_ns();
	long out[2];

	if (!write_full(w->child.cmd, &cmd, sizeof(cmd)) ||
	    !read_full(w->child.res, out, sizeof(out)))
		die("watch: the target stopped");
	if (out[0] <= 0)
		die("watch: %s in the target: %s", op_names[op],
		    strerror(-out[0]));
	*collapsed += out[1];
	return (double)(now_ns() - t0) / out[0];
}

/*
 * Mirror the first @n pages of @w into a window, populated: every one is
 * then a live PTE that an invalidation of the target must find and zap.
 */
static void *watched_mirror(int rm, struct watched *w, size_t n)
{
	__u64 req[BATCH], map[BATCH];
	int32_t errs[BATCH];
	uint8_t *win;
	size_t i, k, cnt;
	long ret;

	win = rm_window(rm, n);
	if (!win)
		die("watch: window of %zu pages: %s", n, strerror(errno));
	for (i = 0; i < n; i += cnt) {
		cnt = n - i < BATCH ? n - i : BATCH;
		for (k = 0; k < cnt; k++) {
			req[k] = w->base + (i + k) * PAGE_SZ;
			map[k] = (uintptr_t)win + (i + k) * PAGE_SZ;
		}
		ret = __rm_map_batch(rm, w->pidfd, REMOTE_MAPPING_POPULATE, req,
				     map, errs, cnt);
		if (ret != (long)cnt)
			die("watch: REMOTE_MAPPING_MAP_BATCH: %ld (%s)", ret,
			    ret < 0 ? strerror(-ret) : "a page failed");
	}
	return win;
}

/*
 * Read every mirror of @win: a fork of the target zapped them (it write-
 * protects the target's pages), and each round starts with all of them live.
 */
static void watched_touch(const uint8_t *win, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (load64(win + i * PAGE_SZ) != target_word(i, 0))
			die("watch: mirror of page %zu reads wrong", i);
}

static long vm_event(const char *name)
{
	char key[64];
	long v, found = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

static const char * const thp_events[] = {
	"thp_fault_alloc", "thp_split_pmd", "thp_collapse_alloc",
};

void bench_watch(const struct cfg *c, int rm, struct json *j)
{
	static const char * const cfg_names[NCFGS] = { "none", "one", "many" };
	long thp0[ARRAY_SIZE(thp_events)], collapsed = 0;
	double *ns[NOPS][NCFGS], med[NOPS][NCFGS];
	struct watched w[NCFGS];
	size_t n = c->watch_mirrors, k;
	size_t mirrors[NCFGS] = { 0 };
	uint8_t *win[NCFGS] = { NULL };
	char what[96], base[64], part[16];
	struct result *res;
	int op, cf, r, i;

	printf("watch: target mm operations with 0, 1 and %zu mirrors, %d x %.0f ms\n",
	       n, c->watch_rounds, c->watch_ms);
	/* One target per configuration, alike but for the mirrors. */
	for (cf = 0; cf < NCFGS; cf++)
		watched_start(&w[cf], n);
	win[CFG_ONE] = watched_mirror(rm, &w[CFG_ONE], 1);
	win[CFG_MANY] = watched_mirror(rm, &w[CFG_MANY], n);
	mirrors[CFG_ONE] = 1;
	mirrors[CFG_MANY] = n;

	for (k = 0; k < ARRAY_SIZE(thp_events); k++)
		thp0[k] = vm_event(thp_events[k]);
	for (op = 0; op < NOPS; op++)
		for (cf = 0; cf < NCFGS; cf++)
			ns[op][cf] = xcalloc(c->watch_rounds, sizeof(double));
	/* Rounds interleave the configurations, in a rotating order. */
	for (r = 0; r < c->watch_rounds; r++)
		for (op = 0; op < NOPS; op++)
			for (i = 0; i < NCFGS; i++) {
				cf = (i + r) % NCFGS;
				watched_touch(win[cf], mirrors[cf]);
				/* --profile watch-mm (many) or watch-mm.none */
				snprintf(part, sizeof(part), "%s%s",
					 op_names[op],
					 cf == CFG_MANY ? "" : cf == CFG_ONE ?
					 ".one" : ".none");
				prof_part_on(part);
				ns[op][cf][r] = watched_churn(&w[cf], op,
							      c->watch_ms,
							      &collapsed);
				prof_part_off(part);
			}

	json_obj(j, "watch");
	json_int(j, "mirrors", n);
	json_int(j, "thp_collapses_ok", collapsed);
	for (k = 0; k < ARRAY_SIZE(thp_events); k++)
		json_int(j, thp_events[k], thp0[k] < 0 ? -1 :
			 vm_event(thp_events[k]) - thp0[k]);
	for (op = 0; op < NOPS; op++) {
		json_obj(j, op_names[op]);
		json_str(j, "operation", op_what[op]);
		for (cf = 0; cf < NCFGS; cf++) {
			med[op][cf] = median_of(ns[op][cf], c->watch_rounds);
			json_num(j, cfg_names[cf], med[op][cf]);
			free(ns[op][cf]);
		}
		json_end_obj(j);
	}
	json_end_obj(j);

	for (op = 0; op < NOPS; op++) {
		snprintf(what, sizeof(what), "target %s rate, %zu mirrors",
			 op_names[op], n);
		snprintf(base, sizeof(base), "the same target, no mirror");
		res = add_result(op == OP_MM ? "watch_mm_vs_none" :
				 op == OP_FORK ? "watch_fork_vs_none" :
				 "watch_thp_vs_none", TK_SPEEDUP,
				 WATCH_TARGET, what, base, med[op][CFG_MANY],
				 med[op][CFG_NONE]);
		snprintf(res->note, sizeof(res->note), "%s", op_what[op]);
		snprintf(what, sizeof(what), "target %s rate, 1 mirror",
			 op_names[op]);
		add_result(op == OP_MM ? "watch_mm_one_vs_none" :
			   op == OP_FORK ? "watch_fork_one_vs_none" :
			   "watch_thp_one_vs_none", TK_INFO_SPEEDUP, 0, what,
			   base, med[op][CFG_ONE], med[op][CFG_NONE]);
	}

	for (cf = CFG_ONE; cf < NCFGS; cf++)
		munmap(win[cf], mirrors[cf] * PAGE_SZ);
	for (cf = 0; cf < NCFGS; cf++)
		watched_stop(&w[cf]);
}
