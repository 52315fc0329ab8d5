// SPDX-License-Identifier: GPL-2.0
/* rm_bench scan: every page of a large target read once, by each method. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <linux/remote_mapping.h>

#include "rm_bench.h"

#define SCAN_VS_PVR	10.0	/* goal: faster than process_vm_readv */
#define SCAN_VS_OWN	0.5	/* goal: share of a memcpy's throughput */
#define MAP_2M_VS_4K	0.01	/* goal: 2 MiB map per 4 KiB vs a 4 KiB map */
#define BATCH		512
#define HUGE_BATCH	8	/* 2 MiB mirrors per REMOTE_MAPPING_MAP_BATCH */
#define HUGE_FLAGS	(REMOTE_MAPPING_HUGE | REMOTE_MAPPING_READONLY | \
			 REMOTE_MAPPING_POPULATE)
#define SCAN_ROUNDS	3
#define MAP_ITERS	1024	/* 2 MiB and 4 KiB map+unmap pairs */
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/* scan_huge() copies a 2 MiB range into buf and batches in req, map. */
static_assert(BATCH * PAGE_SZ >= THP_SZ && HUGE_BATCH <= BATCH,
	      "buf or the batch arrays too small for 2 MiB mirrors");

/* The first NSM_4K read the 4 KiB target, the others the THP target. */
enum scan_method {
	SM_MAP, SM_PVR4K, SM_PVR2M, SM_OWN,
	SM_HUGE, SM_THP_PVR4K, SM_THP_OWN, NSM
};

#define NSM_4K		SM_HUGE

/* Also the parts of --profile scan-PART. */
static const char * const sm_names[NSM] = {
	"batch_map_populate", "process_vm_readv_4k", "process_vm_readv_2m",
	"own_memcpy", "huge_map_populate", "thp_process_vm_readv_4k",
	"thp_own_memcpy",
};

struct scan {
	int rm;
	const struct bench_target *t;
	size_t pages;
	uint8_t *win;		/* BATCH pages */
	uint8_t *hwin;		/* HUGE_BATCH x 2 MiB, 2 MiB aligned */
	uint8_t *own;		/* the introspector's own copy */
	uint8_t *buf;		/* BATCH pages of copies */
	__u64 req[BATCH], map[BATCH];
	int32_t errs[BATCH];
	long faults;		/* of SM_HUGE, in all rounds */
};

/* A scanner keeps what it read: the first word of each copy is checked. */
static void scan_check(const struct scan *s, size_t first, size_t cnt)
{
	size_t k;

	for (k = 0; k < cnt; k++)
		if (load64(s->buf + k * PAGE_SZ) != target_word(first + k, 0))
			die("scan: page %zu read wrong", first + k);
}

static void scan_mapped(struct scan *s, size_t first, size_t cnt)
{
	size_t k;
	long ret;

	for (k = 0; k < cnt; k++) {
		s->req[k] = s->t->base + (first + k) * PAGE_SZ;
		s->map[k] = (uintptr_t)s->win + k * PAGE_SZ;
	}
	ret = __rm_map_batch(s->rm, s->t->pidfd, REMOTE_MAPPING_POPULATE,
			     s->req, s->map, s->errs, cnt);
	if (ret != (long)cnt)
		die("scan: REMOTE_MAPPING_MAP_BATCH: %ld (%s)", ret,
		    ret < 0 ? strerror(-ret) : "a page failed");
	for (k = 0; k < cnt; k++)
		memcpy(s->buf + k * PAGE_SZ, s->win + k * PAGE_SZ, PAGE_SZ);
	ret = __rm_unmap_batch(s->rm, s->map, s->errs, cnt);
	if (ret != (long)cnt)
		die("scan: REMOTE_MAPPING_UNMAP_BATCH: %ld (%s)", ret,
		    ret < 0 ? strerror(-ret) : "a page failed");
}

/* @cnt pages (whole 2 MiB ranges) through up to HUGE_BATCH 2 MiB mirrors. */
static void scan_huge(struct scan *s, size_t first, size_t cnt)
{
	size_t k, n = cnt / THP_PAGES;
	long ret;

	for (k = 0; k < n; k++) {
		s->req[k] = s->t->base + (first + k * THP_PAGES) * PAGE_SZ;
		s->map[k] = (uintptr_t)s->hwin + k * THP_SZ;
	}
	ret = __rm_map_batch(s->rm, s->t->pidfd, HUGE_FLAGS, s->req, s->map,
			     s->errs, n);
	if (ret != (long)n)
		die("scan: REMOTE_MAPPING_MAP_BATCH of 2 MiB: %ld (%s)", ret,
		    ret < 0 ? strerror(-ret) : "a range failed");
	/* Copied and checked as the others are, 2 MiB at a time. */
	for (k = 0; k < n; k++) {
		memcpy(s->buf, s->hwin + k * THP_SZ, THP_SZ);
		scan_check(s, first + k * THP_PAGES, THP_PAGES);
	}
	ret = __rm_unmap_batch(s->rm, s->map, s->errs, n);
	if (ret != (long)n)
		die("scan: REMOTE_MAPPING_UNMAP_BATCH of 2 MiB: %ld (%s)", ret,
		    ret < 0 ? strerror(-ret) : "a range failed");
}

static void scan_pvr(const struct scan *s, size_t first, size_t cnt,
		     size_t per_call)
{
	struct iovec l, r;
	size_t k;

	for (k = 0; k < cnt; k += per_call) {
		l.iov_base = s->buf + k * PAGE_SZ;
		l.iov_len = per_call * PAGE_SZ;
		r.iov_base = (void *)(uintptr_t)(s->t->base +
						 (first + k) * PAGE_SZ);
		r.iov_len = l.iov_len;
		if (process_vm_readv(s->t->child.pid, &l, 1, &r, 1, 0) !=
		    (ssize_t)l.iov_len)
			die("scan: process_vm_readv: %s", strerror(errno));
	}
}

/* ns per page of reading the whole target by @m. */
static double scan_once(struct scan *s, int m)
{
	size_t first, cnt, step = m == SM_HUGE ? HUGE_BATCH * THP_PAGES : BATCH;
	long f0 = thread_faults();
	uint64_t t0;

	prof_part_on(sm_names[m]);
	t0 = now_ns();
	for (first = 0; first < s->pages; first += cnt) {
		cnt = s->pages - first < step ? s->pages - first : step;
		switch (m) {
		case SM_MAP:
			scan_mapped(s, first, cnt);
			break;
		case SM_HUGE:
			scan_huge(s, first, cnt);
			break;
		case SM_PVR4K:
		case SM_THP_PVR4K:
			scan_pvr(s, first, cnt, 1);
			break;
		case SM_PVR2M:
			scan_pvr(s, first, cnt, cnt);
			break;
		default:
			memcpy(s->buf, s->own + first * PAGE_SZ,
			       cnt * PAGE_SZ);
			break;
		}
		/* scan_huge() checks each 2 MiB as it copies it. */
		if (m != SM_HUGE)
			scan_check(s, first, cnt);
	}
	t0 = now_ns() - t0;
	prof_part_off(sm_names[m]);
	if (m == SM_HUGE)
		s->faults += thread_faults() - f0;
	return (double)t0 / s->pages;
}

/* Methods @m0..@m0 + @n - 1 interleave in each round: drift hits all alike. */
static void scan_rounds(struct scan *s, int m0, int n, int rounds,
			double v[NSM][SCAN_ROUNDS])
{
	int r, i, m;

	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++) {
			m = m0 + (i + r) % n;
			v[m][r] = scan_once(s, m);
		}
}

/* The introspector's own copy: the first word of each page, as checked. */
static void own_fill(struct scan *s)
{
	size_t i;

	for (i = 0; i < s->pages; i++)
		*(uint64_t *)(s->own + i * PAGE_SZ) = target_word(i, 0);
}

/*
 * One 2 MiB mirror, or why not: an old module refuses the flag (EINVAL),
 * one that ignored it would mirror page 0 only and leave holes after it.
 */
static bool huge_probe(struct scan *s, char *why, size_t len)
{
	uint8_t *last = s->hwin + THP_SZ - PAGE_SZ;
	__u64 w = 0;
	int err, sig;

	err = __rm_map(s->rm, s->t->base, s->hwin, s->t->pidfd,
		       REMOTE_MAPPING_HUGE | REMOTE_MAPPING_READONLY);
	if (err) {
		snprintf(why, len,
			 "not available: REMOTE_MAPPING_HUGE: %s (errno %d)",
			 strerror(-err), -err);
		return false;
	}
	sig = probe_read(last, &w);
	err = __rm_unmap(s->rm, s->hwin);
	if (sig || w != target_word(THP_PAGES - 1, 0)) {
		snprintf(why, len,
			 "not available: REMOTE_MAPPING_HUGE did not mirror page 511 (%s)",
			 sig ? strsignal(sig) : "wrong data");
		return false;
	}
	if (err) {
		snprintf(why, len,
			 "not available: REMOTE_MAPPING_UNMAP of a 2 MiB mirror: %s (errno %d)",
			 strerror(-err), -err);
		return false;
	}
	if (!probe_read(last, &w)) {
		snprintf(why, len,
			 "not available: page 511 still mapped after REMOTE_MAPPING_UNMAP of the first");
		return false;
	}
	return true;
}

/*
 * Medians of a 2 MiB map (HUGE|READONLY) + unmap and of a 4 KiB one
 * (READONLY) of the same target range into the same window, nothing
 * touched: the mapping alone, no fault.  Which goes first alternates.
 */
static void map_cost(struct scan *s, size_t ranges, int iters, double *ns_2m,
		     double *ns_4k)
{
	double *v = xcalloc(2 * iters, sizeof(double));
	uint64_t req, t0;
	int k, o, err;
	bool huge;

	prof_part_on("map_2m");
	for (k = 0; k < iters; k++) {
		req = s->t->base + (k % ranges) * THP_SZ;
		for (o = 0; o < 2; o++) {
			huge = (o + k) % 2;
			t0 = now_ns();
			err = __rm_map(s->rm, req, s->hwin, s->t->pidfd,
				       REMOTE_MAPPING_READONLY |
				       (huge ? REMOTE_MAPPING_HUGE : 0));
			if (!err)
				err = __rm_unmap(s->rm, s->hwin);
			t0 = now_ns() - t0;
			if (err)
				die("scan: %s map+unmap: %s",
				    huge ? "2 MiB" : "4 KiB", strerror(-err));
			v[huge * iters + k] = t0 - clock_ns;
		}
	}
	prof_part_off("map_2m");
	*ns_2m = median(v + iters, iters);
	*ns_4k = median(v, iters);
	free(v);
}

/* The scan's rows and JSON for 2 MiB mirrors when there are none. */
static void thp_unavailable(struct json *j, const char *what, const char *why)
{
	json_bool(j, "available", false);
	json_str(j, "note", why);
	json_end_obj(j);
	add_unavailable("scan_2m_mirror_vs_own", TK_SPEEDUP, SCAN_VS_OWN, what,
			"memcpy of own memory (THP)", why);
	add_unavailable("scan_2m_mirror_vs_pvr4k", TK_SPEEDUP, SCAN_VS_PVR,
			what, "process_vm_readv, 4 KiB per call", why);
	add_unavailable("map_2m_per_4k_vs_map_4k", TK_COST, MAP_2M_VS_4K,
			"map+unmap of a 2 MiB mirror, per 4 KiB",
			"4 KiB map+unmap, same window", why);
}

/*
 * The same scan of a THP target through 2 MiB mirrors, against its own
 * baselines (the target's THPs, own memory with THPs too), and what a
 * 2 MiB map costs against a 4 KiB one.  After the 4 KiB target is gone:
 * both at once would need twice the memory.
 */
static void scan_thp(const struct cfg *c, struct scan *s, struct json *j)
{
	size_t pages = c->scan_pages / THP_PAGES * THP_PAGES;
	size_t ranges = pages / THP_PAGES;
	int rounds = c->smoke ? 1 : SCAN_ROUNDS;
	int iters = c->smoke ? 32 : MAP_ITERS;
	double v[NSM][SCAN_ROUNDS], med[NSM], ns_2m, ns_4k;
	char what[96], why[160], note[160], mode[64];
	long thp0, thp1, thp_min, own_thp;
	struct bench_target t;
	struct result *r;
	int m, err;

	snprintf(what, sizeof(what), "scan of %zu MiB: 2 MiB mirrors of THPs",
		 pages * PAGE_SZ >> 20);
	json_obj(j, "scan_thp");
	json_int(j, "pages", pages);
	if (read_file(THP_ENABLED, mode, sizeof(mode)) > 0) {
		mode[strcspn(mode, "\n")] = '\0';
		json_str(j, "thp_enabled", mode);
	}
	if (!ranges) {
		thp_unavailable(j, what,
				"not available: the scan is smaller than 2 MiB");
		return;
	}
	printf("scan: the same of a THP target through 2 MiB mirrors, %d rounds\n",
	       rounds);
	err = bench_target_start_thp(&t, pages);
	if (err) {
		snprintf(why, sizeof(why),
			 "not available: starting a THP target: %s",
			 strerror(-err));
		thp_unavailable(j, what, why);
		return;
	}
	s->t = &t;
	s->pages = pages;
	s->faults = 0;
	s->hwin = rm_window_2m(s->rm, HUGE_BATCH * THP_PAGES);
	if (!s->hwin) {
		snprintf(why, sizeof(why),
			 "not available: 2 MiB aligned window (MAP_FIXED): %s",
			 strerror(errno));
		thp_unavailable(j, what, why);
		bench_target_stop(&t);
		return;
	}
	if (!huge_probe(s, why, sizeof(why))) {
		thp_unavailable(j, what, why);
		goto out;
	}
	s->own = thp_area(pages);
	if (!s->own)
		die("scan: THP area of %zu pages: %s", pages, strerror(errno));
	own_fill(s);
	thp_collapse(s->own, pages);
	thp0 = thp_ranges(t.child.pid, t.base, pages);
	own_thp = thp_ranges(0, (uintptr_t)s->own, pages);

	scan_rounds(s, SM_HUGE, NSM - SM_HUGE, rounds, v);
	map_cost(s, ranges, iters, &ns_2m, &ns_4k);
	thp1 = thp_ranges(t.child.pid, t.base, pages);
	thp_min = thp0 < thp1 ? thp0 : thp1;

	json_bool(j, "available", true);
	snprintf(why, sizeof(why),
		 "REMOTE_MAPPING_HUGE | READONLY | POPULATE, %d per MAP_BATCH",
		 HUGE_BATCH);
	json_str(j, "flags", why);
	json_int(j, "ranges_2m", ranges);
	json_int(j, "target_thp_ranges", thp0);
	json_int(j, "target_thp_ranges_after", thp1);
	json_int(j, "own_thp_ranges", own_thp);
	for (m = SM_HUGE; m < NSM; m++) {
		med[m] = median_of(v[m], rounds);
		json_num(j, sm_names[m], med[m]);
	}
	json_num(j, "huge_map_faults_per_2m",
		 (double)s->faults / (rounds * ranges));
	json_obj(j, "map_cost");
	json_int(j, "iterations", iters);
	json_num(j, "map_unmap_2m_ns", ns_2m);
	json_num(j, "map_unmap_2m_per_4k_ns", ns_2m / THP_PAGES);
	json_num(j, "map_unmap_4k_ns", ns_4k);
	json_str(j, "note",
		 "REMOTE_MAPPING_MAP (HUGE|READONLY) + UNMAP vs a 4 KiB one (READONLY) of the same range into the same window, no POPULATE, nothing touched; the two alternate");
	json_end_obj(j);
	json_str(j, "note",
		 "ns per page; thp ranges from AnonHugePages of /proc/PID/smaps (-errno: unreadable), before and after the rounds");
	json_end_obj(j);

	/* Where a range was no THP, it was read as 4 KiB pages: say so. */
	if (thp_min < 0 || own_thp < 0)
		snprintf(note, sizeof(note), "THPs unknown: smaps: %s",
			 strerror(-(thp_min < 0 ? thp_min : own_thp)));
	else if ((size_t)thp_min < ranges || (size_t)own_thp < ranges)
		snprintf(note, sizeof(note),
			 "only %ld of %zu 2 MiB ranges were THPs in the target, %ld in own memory (smaps)",
			 thp_min, ranges, own_thp);
	else
		snprintf(note, sizeof(note),
			 "all %zu 2 MiB ranges THPs, in the target and own memory",
			 ranges);
	r = add_result("scan_2m_mirror_vs_own", TK_SPEEDUP, SCAN_VS_OWN, what,
		       "memcpy of own memory (THP)", med[SM_HUGE],
		       med[SM_THP_OWN]);
	snprintf(r->note, sizeof(r->note), "%s", note);
	r = add_result("scan_2m_mirror_vs_pvr4k", TK_SPEEDUP, SCAN_VS_PVR,
		       what, "process_vm_readv, 4 KiB per call", med[SM_HUGE],
		       med[SM_THP_PVR4K]);
	snprintf(r->note, sizeof(r->note), "%s", note);
	r = add_result("map_2m_per_4k_vs_map_4k", TK_COST, MAP_2M_VS_4K,
		       "map+unmap of a 2 MiB mirror, per 4 KiB",
		       "4 KiB map+unmap, same window", ns_2m / THP_PAGES,
		       ns_4k);
	snprintf(r->note, sizeof(r->note),
		 "2 MiB map+unmap %.2f us; no POPULATE, nothing touched",
		 ns_2m / 1e3);

	munmap(s->own, pages * PAGE_SZ);
out:
	munmap(s->hwin, HUGE_BATCH * THP_SZ);
	bench_target_stop(&t);
}

void bench_scan(const struct cfg *c, int rm, struct json *j)
{
	double v[NSM][SCAN_ROUNDS], med[NSM];
	struct scan s = { .rm = rm, .pages = c->scan_pages };
	int rounds = c->smoke ? 1 : SCAN_ROUNDS;
	char what[96];
	struct bench_target t;
	int m, err;

	printf("scan: every page of a %zu MiB target read once, %d rounds\n",
	       c->scan_pages * PAGE_SZ >> 20, rounds);
	err = bench_target_start(&t, c->scan_pages);
	if (err)
		die("scan: starting the target: %s", strerror(-err));
	s.t = &t;
	s.win = rm_window(rm, BATCH);
	if (!s.win)
		die("scan: window: %s", strerror(errno));
	s.buf = anon_area(BATCH);
	memset(s.buf, 0, BATCH * PAGE_SZ);
	s.own = anon_area(s.pages);
	own_fill(&s);

	scan_rounds(&s, 0, NSM_4K, rounds, v);
	json_obj(j, "scan");
	json_int(j, "pages", s.pages);
	for (m = 0; m < NSM_4K; m++) {
		med[m] = median_of(v[m], rounds);
		json_num(j, sm_names[m], med[m]);
	}
	json_end_obj(j);

	snprintf(what, sizeof(what), "scan of %zu MiB: batch map+POPULATE",
		 s.pages * PAGE_SZ >> 20);
	add_result("scan_vs_pvr4k", TK_SPEEDUP, SCAN_VS_PVR, what,
		   "process_vm_readv, 4 KiB per call", med[SM_MAP],
		   med[SM_PVR4K]);
	add_result("scan_vs_pvr2m", TK_INFO_SPEEDUP, 0, what,
		   "process_vm_readv, 2 MiB per call", med[SM_MAP],
		   med[SM_PVR2M]);
	add_result("scan_vs_own", TK_SPEEDUP, SCAN_VS_OWN, what,
		   "memcpy of own memory", med[SM_MAP], med[SM_OWN]);

	munmap(s.own, s.pages * PAGE_SZ);
	munmap(s.win, BATCH * PAGE_SZ);
	bench_target_stop(&t);

	scan_thp(c, &s, j);
	munmap(s.buf, BATCH * PAGE_SZ);
}
