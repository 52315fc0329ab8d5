// SPDX-License-Identifier: GPL-2.0
/* rm_bench scan: every page of a large target read once, by each method. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <linux/remote_mapping.h>

#include "rm_bench.h"

#define SCAN_VS_PVR	10.0	/* goal: faster than process_vm_readv */
#define SCAN_VS_OWN	0.5	/* goal: share of a memcpy's throughput */
#define BATCH		512
#define SCAN_ROUNDS	3

enum scan_method { SM_MAP, SM_PVR4K, SM_PVR2M, SM_OWN, NSM };

static const char * const sm_names[NSM] = {
	"batch_map_populate", "process_vm_readv_4k", "process_vm_readv_2m",
	"own_memcpy",
};

struct scan {
	int rm;
	const struct bench_target *t;
	size_t pages;
	uint8_t *win;		/* BATCH pages */
	uint8_t *own;		/* the introspector's own copy */
	uint8_t *buf;		/* BATCH pages of copies */
	__u64 req[BATCH], map[BATCH];
	int32_t errs[BATCH];
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
	size_t first, cnt;
	uint64_t t0;

	prof_part_on(sm_names[m]);
	t0 = now_ns();
	for (first = 0; first < s->pages; first += cnt) {
		cnt = s->pages - first < BATCH ? s->pages - first : BATCH;
		switch (m) {
		case SM_MAP:
			scan_mapped(s, first, cnt);
			break;
		case SM_PVR4K:
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
		scan_check(s, first, cnt);
	}
	t0 = now_ns() - t0;
	prof_part_off(sm_names[m]);
	return (double)t0 / s->pages;
}

void bench_scan(const struct cfg *c, int rm, struct json *j)
{
	double v[NSM][SCAN_ROUNDS], med[NSM];
	struct scan s = { .rm = rm, .pages = c->scan_pages };
	int rounds = c->smoke ? 1 : SCAN_ROUNDS;
	char what[96];
	struct bench_target t;
	int m, r, err;
	size_t i;

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
	for (i = 0; i < s.pages; i++)
		*(uint64_t *)(s.own + i * PAGE_SZ) = target_word(i, 0);

	/* Methods interleave within each round: drift hits all alike. */
	for (r = 0; r < rounds; r++)
		for (i = 0; i < NSM; i++) {
			m = (i + r) % NSM;
			v[m][r] = scan_once(&s, m);
		}
	json_obj(j, "scan");
	json_int(j, "pages", s.pages);
	for (m = 0; m < NSM; m++) {
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
	add_unavailable("scan_2m_mirror_vs_own", TK_SPEEDUP, SCAN_VS_OWN,
			"scan with 2 MiB mirrors of THPs", "memcpy of own memory",
			"not available: the module mirrors 4 KiB pages only");

	munmap(s.own, s.pages * PAGE_SZ);
	munmap(s.buf, BATCH * PAGE_SZ);
	munmap(s.win, BATCH * PAGE_SZ);
	bench_target_stop(&t);
}
