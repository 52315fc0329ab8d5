// SPDX-License-Identifier: GPL-2.0
/*
 * The pages rm-vmcore keeps mapped: a mapping follows its target page
 * (remote_mapping's mirrors are coherent), so keeping one costs nothing
 * in freshness; only the number of slots bounds the cache.  Least recently
 * used slots are unmapped to make room.  Misses of one read are mapped in
 * one batch.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmcore.h"

#define VC_NONE		(~0ULL)

struct vc_slot {
	__u64 gpa;		/* VC_NONE: free */
	int prev, next;		/* LRU list, most recent first; or free list */
	int hnext;		/* hash chain */
	uint64_t pin;		/* == cache->gen: used by the read in progress */
};

struct vc_cache {
	struct vc_src *src;
	struct vc_slot *slot;
	int *bucket;
	size_t hmask;
	int head, tail;		/* LRU list of mapped slots */
	int free;		/* free slots, through ->next */
	uint64_t gen;
	/* One batch of misses. */
	__u64 *gpas, *addrs;
	__s32 *errs;
	int *miss_slot;
	struct vc_stats st;
};

static size_t vc_hash(const struct vc_cache *c, __u64 gpa)
{
	return (size_t)((gpa >> 12) * 0x9e3779b97f4a7c15ULL >> 20) & c->hmask;
}

static unsigned char *vc_slot_addr(const struct vc_cache *c, int s)
{
	return c->src->base + (size_t)s * VC_PAGE_SIZE;
}

static void vc_lru_unlink(struct vc_cache *c, int s)
{
	struct vc_slot *e = &c->slot[s];

	if (e->prev >= 0)
		c->slot[e->prev].next = e->next;
	else
		c->head = e->next;
	if (e->next >= 0)
		c->slot[e->next].prev = e->prev;
	else
		c->tail = e->prev;
}

static void vc_lru_push(struct vc_cache *c, int s)
{
	struct vc_slot *e = &c->slot[s];

	e->prev = -1;
	e->next = c->head;
	if (c->head >= 0)
		c->slot[c->head].prev = s;
	c->head = s;
	if (c->tail < 0)
		c->tail = s;
}

static int vc_lookup(const struct vc_cache *c, __u64 gpa)
{
	int s;

	for (s = c->bucket[vc_hash(c, gpa)]; s >= 0; s = c->slot[s].hnext)
		if (c->slot[s].gpa == gpa)
			return s;
	return -1;
}

static void vc_hash_del(struct vc_cache *c, int s)
{
	int *p = &c->bucket[vc_hash(c, c->slot[s].gpa)];

	while (*p != s)
		p = &c->slot[*p].hnext;
	*p = c->slot[s].hnext;
}

static void vc_free_push(struct vc_cache *c, int s)
{
	c->slot[s].gpa = VC_NONE;
	c->slot[s].next = c->free;
	c->free = s;
}

/* Unmap mapped slot @s and make it free. */
static void vc_evict(struct vc_cache *c, int s)
{
	vc_lru_unlink(c, s);
	vc_hash_del(c, s);
	c->src->ops->unmap(c->src, vc_slot_addr(c, s));
	c->st.unmaps++;
	vc_free_push(c, s);
}

/* A slot for a miss of this read: a free one, else the LRU one not pinned. */
static int vc_take_slot(struct vc_cache *c)
{
	int s = c->free;

	if (s >= 0) {
		c->free = c->slot[s].next;
		return s;
	}
	for (s = c->tail; s >= 0; s = c->slot[s].prev)
		if (c->slot[s].pin != c->gen)
			break;
	if (s < 0)
		return -1;
	vc_evict(c, s);
	s = c->free;
	c->free = c->slot[s].next;
	return s;
}

struct vc_cache *vc_cache_create(struct vc_src *src)
{
	struct vc_cache *c;
	size_t nb = 1, i;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->src = src;
	while (nb < 2 * src->npages)
		nb <<= 1;
	c->hmask = nb - 1;
	c->slot = calloc(src->npages, sizeof(*c->slot));
	c->bucket = malloc(nb * sizeof(*c->bucket));
	c->gpas = calloc(src->npages, sizeof(*c->gpas));
	c->addrs = calloc(src->npages, sizeof(*c->addrs));
	c->errs = calloc(src->npages, sizeof(*c->errs));
	c->miss_slot = calloc(src->npages, sizeof(*c->miss_slot));
	if (!c->slot || !c->bucket || !c->gpas || !c->addrs || !c->errs ||
	    !c->miss_slot) {
		vc_cache_destroy(c);
		return NULL;
	}
	for (i = 0; i < nb; i++)
		c->bucket[i] = -1;
	c->head = -1;
	c->tail = -1;
	c->free = -1;
	for (i = src->npages; i-- > 0;)
		vc_free_push(c, (int)i);
	return c;
}

void vc_cache_destroy(struct vc_cache *c)
{
	if (!c)
		return;
	if (c->slot)
		while (c->head >= 0)
			vc_evict(c, c->head);
	free(c->slot);
	free(c->bucket);
	free(c->gpas);
	free(c->addrs);
	free(c->errs);
	free(c->miss_slot);
	free(c);
}

void vc_cache_stats(const struct vc_cache *c, struct vc_stats *st)
{
	*st = c->st;
}

static void vc_report(struct vc_cache *c, __u64 gpa, int err)
{
	int was = c->st.last_err;

	c->st.errors++;
	c->st.last_err = err;
	c->st.last_err_gpa = gpa;
	if (err == was)
		return;
	fprintf(stderr, "rm-vmcore: target page 0x%llx: %s (reads of it fail with EIO)\n",
		(unsigned long long)gpa, strerror(-err));
}

/*
 * Map the misses of the @n pages first + i * @stride pages of this read;
 * 0 or -EIO.  A page that fails is left unmapped, the others are mapped.
 */
static int vc_fill(struct vc_cache *c, __u64 first, size_t n, size_t stride)
{
	size_t i, k = 0;
	int s, ret = 0;
	long mapped;

	/* Before any slot is taken: a slot taken is mapped or freed below. */
	for (i = 0; i < n; i++)
		if (!vc_src_range(c->src, first + i * stride * VC_PAGE_SIZE))
			return -EIO;	/* not RAM */
	for (i = 0; i < n; i++) {
		__u64 gpa = first + i * stride * VC_PAGE_SIZE;

		s = vc_lookup(c, gpa);
		if (s >= 0) {
			c->slot[s].pin = c->gen;
			vc_lru_unlink(c, s);
			vc_lru_push(c, s);
			c->st.hits++;
			continue;
		}
		c->st.misses++;
		s = vc_take_slot(c);
		/* A fill pins at most vc_chunk() slots. */
		assert(s >= 0);
		c->slot[s].pin = c->gen;
		c->miss_slot[k] = s;
		c->gpas[k] = gpa;
		c->addrs[k] = (uintptr_t)vc_slot_addr(c, s);
		c->errs[k] = 0;
		k++;
	}
	if (!k)
		return 0;
	mapped = c->src->ops->map(c->src, c->gpas, c->addrs, c->errs, k);
	c->st.maps++;
	for (i = 0; i < k; i++) {
		s = c->miss_slot[i];
		if (mapped < 0 && !c->errs[i])
			c->errs[i] = (__s32)mapped;
		if (c->errs[i]) {
			vc_report(c, c->gpas[i], c->errs[i]);
			vc_free_push(c, s);
			ret = -EIO;
			continue;
		}
		c->slot[s].gpa = c->gpas[i];
		c->slot[s].hnext = c->bucket[vc_hash(c, c->gpas[i])];
		c->bucket[vc_hash(c, c->gpas[i])] = s;
		vc_lru_push(c, s);
	}
	return ret;
}

/*
 * A window page whose target address lost its memory raises SIGBUS: the
 * copy jumps back and the read fails.  rm-vmcore serves one request at a
 * time (fuse -s), so one jump buffer does; a SIGBUS elsewhere (outside
 * the window) kills as it would have.
 */
static sigjmp_buf vc_jmp;
static const unsigned char *vc_win;
static size_t vc_win_len;

static void vc_sigbus(int sig, siginfo_t *si, void *uc)
{
	const unsigned char *at = si->si_addr;

	(void)uc;
	if (vc_win && at >= vc_win && at < vc_win + vc_win_len)
		siglongjmp(vc_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int vc_copy(struct vc_cache *c, void *dst, const void *src, size_t len)
{
	if (!c->src->sigbus) {
		memcpy(dst, src, len);
		return 0;
	}
	if (!vc_win) {
		struct sigaction sa = {
			.sa_sigaction = vc_sigbus,
			.sa_flags = SA_SIGINFO,
		};

		vc_win = c->src->base;
		vc_win_len = c->src->npages * VC_PAGE_SIZE;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, NULL);
	}
	if (sigsetjmp(vc_jmp, 1))
		return -EIO;
	memcpy(dst, src, len);
	return 0;
}

/*
 * Copy @len bytes at @off of slot @s, which holds page @gpa; a page gone
 * under the window (SIGBUS) is reported and evicted: -EIO.
 */
static int vc_slot_copy(struct vc_cache *c, int s, __u64 gpa, size_t off,
			void *dst, size_t len)
{
	if (!vc_copy(c, dst, vc_slot_addr(c, s) + off, len))
		return 0;
	vc_report(c, gpa, -EFAULT);
	vc_evict(c, s);
	return -EIO;
}

/* Pages per fill: half the slots, so that a fill never evicts its own. */
static size_t vc_chunk(const struct vc_cache *c)
{
	return c->src->npages / 2 ? c->src->npages / 2 : 1;
}

int vc_cache_read(struct vc_cache *c, __u64 gpa, void *buf, size_t len)
{
	size_t chunk = vc_chunk(c);
	unsigned char *out = buf;

	c->st.reads++;
	if (c->src->ops->read)
		return c->src->ops->read(c->src, gpa, buf, len);
	while (len) {
		__u64 first = gpa & VC_PAGE_MASK;
		size_t n = (gpa - first + len + VC_PAGE_SIZE - 1) / VC_PAGE_SIZE;
		size_t i, done = 0;
		int err;

		if (n > chunk)
			n = chunk;
		c->gen++;
		err = vc_fill(c, first, n, 1);
		if (err)
			return err;
		for (i = 0; i < n && len; i++) {
			__u64 at = first + i * VC_PAGE_SIZE;
			size_t off = i ? 0 : gpa - first;
			size_t take = VC_PAGE_SIZE - off;
			int s = vc_lookup(c, at);

			if (take > len)
				take = len;
			if (vc_slot_copy(c, s, at, off, out + done, take))
				return -EIO;
			done += take;
			len -= take;
		}
		out += done;
		gpa += done;
	}
	return 0;
}

void vc_cache_peek(struct vc_cache *c, __u64 first, size_t n, size_t stride,
		   size_t len, void *buf)
{
	unsigned char *out = buf;
	size_t i, j, m;
	int s;

	if (c->src->ops->read) {
		for (i = 0; i < n; i++)
			if (vc_cache_read(c, first + i * stride * VC_PAGE_SIZE,
					  out + i * len, len))
				memset(out + i * len, 0, len);
		return;
	}
	for (i = 0; i < n; i += m) {
		__u64 at = first + i * stride * VC_PAGE_SIZE;

		m = n - i < vc_chunk(c) ? n - i : vc_chunk(c);
		c->st.reads++;
		c->gen++;
		/* Pages that fail are reported (fill or copy) and read as 0. */
		vc_fill(c, at, m, stride);
		for (j = 0; j < m; j++) {
			__u64 pg = at + j * stride * VC_PAGE_SIZE;
			unsigned char *dst = out + (i + j) * len;

			s = vc_lookup(c, pg);
			if (s < 0 || vc_slot_copy(c, s, pg, 0, dst, len))
				memset(dst, 0, len);
		}
	}
}
