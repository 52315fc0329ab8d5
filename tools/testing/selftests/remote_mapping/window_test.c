// SPDX-License-Identifier: GPL-2.0
/* Windows: mmap() of /dev/remote_mapping, mapped into without VMA changes. */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "rm_harness.h"

#define SEED_A	0x3d0a000000000000ULL
#define SEED_B	0x3d0b000000000000ULL
#define TAG	0x3d7a900000000000ULL

/* A window of @npages over the device file @fd. */
static char *win_map(struct __test_metadata *_metadata, int fd,
		     size_t npages, int prot)
{
	char *w = mmap(NULL, npages * page_size, prot, MAP_SHARED, fd, 0);

	ASSERT_NE(MAP_FAILED, w) TH_LOG("mmap of a %zu-page window: %s",
					npages, strerror(errno));
	return w;
}

/* Target pages [0, @npages) filled with the pattern of @seed. */
static uintptr_t target_pages(struct __test_metadata *_metadata,
			      RM_FIXTURE *self, size_t npages, __u64 seed)
{
	uintptr_t req = t_alloc(_metadata, &self->t, npages);

	t_fill(_metadata, &self->t, req, npages * page_size, seed);
	return req;
}

TEST_F(remote_mapping, window_holes_map_unmap)
{
	uintptr_t req = target_pages(_metadata, self, 2, SEED_A);
	char *w = win_map(_metadata, self->fd, 8, PROT_READ | PROT_WRITE);
	char *slot = w + 3 * page_size;
	int lines = rm_maps_lines(_metadata);
	uintptr_t start, end;
	__u64 val;

	/* One VMA, named like every mirror; every page a hole. */
	ASSERT_EQ(0, maps_lookup(0, (uintptr_t)w, &start, &end));
	ASSERT_EQ((uintptr_t)w, start);
	ASSERT_EQ((uintptr_t)w + 8 * page_size, end);
	ASSERT_EQ(SIGBUS, probe_read(slot, &val));
	ASSERT_EQ(SIGBUS, probe_write(w, 1));

	rm_map(_metadata, self->fd, req + page_size, slot, self->t.pidfd, 0);
	rm_expect_maps(_metadata, self, 1);
	/* No VMA was made, split or merged. */
	ASSERT_EQ(lines, rm_maps_lines(_metadata));
	check_pattern(_metadata, slot, page_size, SEED_A + page_size / 8);
	check_coherent(_metadata, &self->t, req + page_size, slot, TAG);
	/* The neighbours are still holes. */
	ASSERT_EQ(SIGBUS, probe_read(slot - page_size, &val));
	ASSERT_EQ(SIGBUS, probe_read(slot + page_size, &val));

	rm_unmap(_metadata, self->fd, slot);
	rm_expect_maps(_metadata, self, 0);
	ASSERT_EQ(lines, rm_maps_lines(_metadata));
	ASSERT_EQ(SIGBUS, probe_read(slot, &val));
	/* The target keeps what was written through the window. */
	ASSERT_EQ(TAG, t_read(_metadata, &self->t, req + page_size + 8));

	/* The same slot again, another target page. */
	rm_map(_metadata, self->fd, req, slot, self->t.pidfd, 0);
	check_pattern(_metadata, slot, page_size, SEED_A);
	rm_unmap(_metadata, self->fd, slot);
	ASSERT_EQ(0, munmap(w, 8 * page_size));
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, window_errors)
{
	uintptr_t req = target_pages(_metadata, self, 1, SEED_A);
	char *w = win_map(_metadata, self->fd, 4, PROT_READ | PROT_WRITE);
	void *p, *scratch;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, 0);
	rm_map_fails(_metadata, self->fd, req, w, self->t.pidfd, 0, EALREADY);
	rm_unmap_fails(_metadata, self->fd, w + page_size, ENOENT);
	rm_map_fails(_metadata, self->fd, req, w + 1, self->t.pidfd, 0,
		     EINVAL);
	/* A window page is a mirror: it cannot be a target. */
	rm_map_fails(_metadata, self->fd, (uintptr_t)w, w + page_size,
		     getpid(), REMOTE_MAPPING_TARGET_PID, ELOOP);

	p = mmap(NULL, page_size, PROT_READ, MAP_PRIVATE, self->fd, 0);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, self->fd, page_size);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	p = mmap(NULL, page_size, PROT_READ | PROT_EXEC, MAP_SHARED, self->fd,
		 0);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EPERM, errno);
	/* Pages are indexed by address: no moving, no growing. */
	scratch = anon_map(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT_NE(NULL, scratch);
	p = mremap(w, 4 * page_size, 4 * page_size,
		   MREMAP_MAYMOVE | MREMAP_FIXED, scratch);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, munmap(scratch, 4 * page_size));
	p = mremap(w, 4 * page_size, 8 * page_size, 0);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(-1, mprotect(w, page_size, PROT_READ | PROT_EXEC));
	check_pattern(_metadata, w, page_size, SEED_A);

	rm_unmap(_metadata, self->fd, w);
	rm_unmap_fails(_metadata, self->fd, w, ENOENT);
	ASSERT_EQ(0, munmap(w, 4 * page_size));
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, window_readonly)
{
	uintptr_t req = target_pages(_metadata, self, 1, SEED_A);
	char *ro = win_map(_metadata, self->fd, 2, PROT_READ);
	char *rw = win_map(_metadata, self->fd, 2, PROT_READ | PROT_WRITE);

	/* A writable map needs a writable window. */
	rm_map_fails(_metadata, self->fd, req, ro, self->t.pidfd, 0, EACCES);
	rm_map(_metadata, self->fd, req, ro, self->t.pidfd,
	       REMOTE_MAPPING_READONLY);
	check_pattern(_metadata, ro, page_size, SEED_A);
	ASSERT_EQ(SIGSEGV, probe_write(ro + 8, TAG));

	/* A read-only page of a writable window: SIGBUS on write. */
	rm_map(_metadata, self->fd, req, rw, self->t.pidfd,
	       REMOTE_MAPPING_READONLY);
	check_pattern(_metadata, rw, page_size, SEED_A);
	ASSERT_EQ(SIGBUS, probe_write(rw + 8, TAG));
	t_check(_metadata, &self->t, req, page_size, SEED_A);
	/* The target's own writes still show. */
	t_write(_metadata, &self->t, req + 8, TAG);
	ASSERT_EQ(TAG, must_read(_metadata, rw + 8));
	ASSERT_EQ(TAG, must_read(_metadata, ro + 8));

	rm_unmap(_metadata, self->fd, ro);
	rm_unmap(_metadata, self->fd, rw);
	ASSERT_EQ(0, munmap(ro, 2 * page_size));
	ASSERT_EQ(0, munmap(rw, 2 * page_size));
	rm_expect_counters_back(_metadata, self);
}

/* A file opened read-only gives read-only windows, and no other. */
TEST_F(remote_mapping, window_readonly_file)
{
	uintptr_t req = target_pages(_metadata, self, 1, SEED_A);
	int rofd = open(RM_DEV_PATH, O_RDONLY | O_CLOEXEC);
	char *w;

	ASSERT_LE(0, rofd) TH_LOG("open O_RDONLY: %s", strerror(errno));
	ASSERT_EQ(MAP_FAILED, mmap(NULL, page_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, rofd, 0));
	ASSERT_EQ(EACCES, errno);
	w = win_map(_metadata, rofd, 1, PROT_READ);
	rm_map_fails(_metadata, rofd, req, w, self->t.pidfd, 0, EACCES);
	rm_map(_metadata, rofd, req, w, self->t.pidfd,
	       REMOTE_MAPPING_READONLY);
	check_pattern(_metadata, w, page_size, SEED_A);
	ASSERT_EQ(-1, mprotect(w, page_size, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(SIGSEGV, probe_write(w, TAG));
	rm_unmap(_metadata, rofd, w);
	close(rofd);
	ASSERT_EQ(0, munmap(w, page_size));
	rm_expect_counters_back(_metadata, self);
}

/*
 * Faults taken by a first read of @addr (pagemap does not walk PFNMAP
 * VMAs, so whether a PTE is installed shows only by the fault count).
 */
static long read_faults(struct __test_metadata *_metadata, char *addr)
{
	return access_faults(_metadata, addr, false, 0);
}

/* POPULATE installs the target page at map time: no fault on first read. */
TEST_F(remote_mapping, window_populate)
{
	uintptr_t req = target_pages(_metadata, self, 2, SEED_A);
	char *w = win_map(_metadata, self->fd, 2, PROT_READ | PROT_WRITE);
	char *anon = rm_anon3(_metadata) + page_size;

	/* The target's page must exist for it to be installed. */
	t_check(_metadata, &self->t, req, 2 * page_size, SEED_A);
	rm_map(_metadata, self->fd, req, w, self->t.pidfd, 0);
	rm_map(_metadata, self->fd, req + page_size, w + page_size,
	       self->t.pidfd, REMOTE_MAPPING_POPULATE);
	rm_map(_metadata, self->fd, req + page_size, anon, self->t.pidfd,
	       REMOTE_MAPPING_POPULATE);

	/* Without the flag: a fault, a retry after resolving, an install. */
	ASSERT_LE(1, read_faults(_metadata, w));
	ASSERT_EQ(0, read_faults(_metadata, w + page_size));
	/* The same for a page mirror over anonymous memory. */
	ASSERT_EQ(0, read_faults(_metadata, anon));

	check_pattern(_metadata, w + page_size, page_size,
		      SEED_A + page_size / 8);
	check_pattern(_metadata, anon, page_size, SEED_A + page_size / 8);
	/* Installed read-only: the first write still gets write access. */
	check_coherent(_metadata, &self->t, req + page_size, w + page_size,
		       TAG);
	ASSERT_EQ(TAG, must_read(_metadata, anon + 8));
	check_pattern(_metadata, w, page_size, SEED_A);

	rm_unmap(_metadata, self->fd, w);
	rm_unmap(_metadata, self->fd, w + page_size);
	rm_unmap(_metadata, self->fd, anon);
	ASSERT_EQ(0, munmap(w, 2 * page_size));
	rm_expect_counters_back(_metadata, self);
}

/* A target page that moves (here: dropped and refaulted) is followed. */
TEST_F(remote_mapping, window_follows_target)
{
	uintptr_t req = target_pages(_metadata, self, 1, SEED_A);
	char *w = win_map(_metadata, self->fd, 1, PROT_READ | PROT_WRITE);

	rm_map(_metadata, self->fd, req, w, self->t.pidfd,
	       REMOTE_MAPPING_POPULATE);
	check_pattern(_metadata, w, page_size, SEED_A);
	t_call(_metadata, &self->t, TARGET_MADVISE, req, page_size,
	       MADV_DONTNEED, 0);
	ASSERT_TRUE(is_zero(w, page_size));
	t_fill(_metadata, &self->t, req, page_size, SEED_B);
	check_pattern(_metadata, w, page_size, SEED_B);
	must_write(_metadata, w + 8, TAG);
	ASSERT_EQ(TAG, t_read(_metadata, &self->t, req + 8));

	/* The target unmaps the page: SIGBUS, as for a page mirror. */
	t_call(_metadata, &self->t, TARGET_MUNMAP, req, page_size, 0, 0);
	ASSERT_EQ(SIGBUS, probe_read(w, &(__u64){ 0 }));

	rm_unmap(_metadata, self->fd, w);
	ASSERT_EQ(0, munmap(w, page_size));
	rm_expect_counters_back(_metadata, self);
}

/*
 * Several mirrors of one target page, next to mirrors of its neighbours:
 * an invalidation of that page reaches every mirror of it, through the
 * target_db's tree of pages (duplicates included), and zaps none of the
 * neighbours' mirrors (they read without a fault).
 */
TEST_F(remote_mapping, window_shared_page_invalidation)
{
	uintptr_t req = target_pages(_metadata, self, 3, SEED_A);
	char *w = win_map(_metadata, self->fd, 4, PROT_READ | PROT_WRITE);
	char *anon = rm_anon3(_metadata) + page_size;
	uintptr_t mid = req + page_size;
	const __u64 seed_mid = SEED_A + page_size / 8;
	const __u64 seed_last = SEED_A + 2 * page_size / 8;
	__u64 val;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, 0);
	rm_map(_metadata, self->fd, mid, w + page_size, self->t.pidfd, 0);
	rm_map(_metadata, self->fd, mid, w + 2 * page_size, self->t.pidfd, 0);
	rm_map(_metadata, self->fd, req + 2 * page_size, w + 3 * page_size,
	       self->t.pidfd, 0);
	rm_map(_metadata, self->fd, mid, anon, self->t.pidfd, 0);
	rm_expect_maps(_metadata, self, 5);
	check_pattern(_metadata, w, page_size, SEED_A);
	check_pattern(_metadata, w + page_size, page_size, seed_mid);
	check_pattern(_metadata, w + 2 * page_size, page_size, seed_mid);
	check_pattern(_metadata, w + 3 * page_size, page_size, seed_last);
	check_pattern(_metadata, anon, page_size, seed_mid);

	/* The middle page goes: all three of its mirrors follow. */
	t_call(_metadata, &self->t, TARGET_MADVISE, mid, page_size,
	       MADV_DONTNEED, 0);
	ASSERT_EQ(0, read_faults(_metadata, w));
	ASSERT_EQ(0, read_faults(_metadata, w + 3 * page_size));
	ASSERT_TRUE(is_zero(w + page_size, page_size));
	ASSERT_TRUE(is_zero(w + 2 * page_size, page_size));
	ASSERT_TRUE(is_zero(anon, page_size));
	t_fill(_metadata, &self->t, mid, page_size, SEED_B);
	check_pattern(_metadata, w + page_size, page_size, SEED_B);
	check_pattern(_metadata, w + 2 * page_size, page_size, SEED_B);
	check_pattern(_metadata, anon, page_size, SEED_B);
	check_pattern(_metadata, w, page_size, SEED_A);
	check_pattern(_metadata, w + 3 * page_size, page_size, seed_last);

	/* One duplicate leaves the tree; the others still follow. */
	rm_unmap(_metadata, self->fd, w + page_size);
	t_call(_metadata, &self->t, TARGET_MADVISE, mid, page_size,
	       MADV_DONTNEED, 0);
	ASSERT_EQ(SIGBUS, probe_read(w + page_size, &val));
	ASSERT_TRUE(is_zero(w + 2 * page_size, page_size));
	ASSERT_TRUE(is_zero(anon, page_size));
	check_coherent(_metadata, &self->t, mid, w + 2 * page_size, TAG);
	ASSERT_EQ(TAG, must_read(_metadata, anon + 8));

	rm_unmap(_metadata, self->fd, anon);
	ASSERT_EQ(0, munmap(w, 4 * page_size));
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, window_batch)
{
	const size_t n = 512;
	uintptr_t req = target_pages(_metadata, self, n, SEED_A);
	char *w = win_map(_metadata, self->fd, n + 1, PROT_READ | PROT_WRITE);
	__u64 reqs[512], maps[512];
	int lines = rm_maps_lines(_metadata);
	__s32 errs[512];
	size_t i;

	for (i = 0; i < n; i++) {
		reqs[i] = req + ((i * 7) % n) * page_size;
		maps[i] = (uintptr_t)w + i * page_size;
	}
	/* One page in the batch twice, one outside the window's VMA. */
	maps[100] = maps[99];
	ASSERT_EQ((int)n - 1,
		  __rm_map_batch(self->fd, self->t.pidfd, REMOTE_MAPPING_POPULATE,
				 reqs, maps, errs, n));
	ASSERT_EQ(-EAGAIN, errs[100]);
	rm_expect_maps(_metadata, self, n - 1);
	ASSERT_EQ(lines, rm_maps_lines(_metadata));
	for (i = 0; i < n; i++) {
		if (i == 100)
			continue;
		ASSERT_EQ(0, errs[i]);
		check_pattern(_metadata, (void *)(uintptr_t)maps[i], page_size,
			      SEED_A + (reqs[i] - req) / 8);
	}
	ASSERT_EQ(SIGBUS, probe_read(w + 100 * page_size, &(__u64){ 0 }));

	/* Unmap every other page, then munmap the window with the rest. */
	for (i = 0; i < n; i += 2)
		rm_unmap(_metadata, self->fd, (void *)(uintptr_t)maps[i]);
	rm_expect_maps(_metadata, self, n / 2 - 1);
	ASSERT_EQ(0, munmap(w, (n + 1) * page_size));
	rm_expect_counters_back(_metadata, self);
	t_check(_metadata, &self->t, req, n * page_size, SEED_A);
}

/*
 * A POPULATE batch is resolved by runs of consecutive target pages, and
 * scattered pages under one hold of the target's mmap_lock: page i of the
 * window maps target page (i * @stride) % 96.  Each page is installed
 * whatever its target page is (filled, or never touched: the zero page),
 * a page the target denies gets its errno and the pages on both sides of
 * it and of a VMA boundary are installed, and every page follows its
 * target afterwards.
 */
static void batch_populate(struct __test_metadata *_metadata,
			   RM_FIXTURE *self, size_t stride)
{
	const size_t n = 96;
	uintptr_t req = t_alloc(_metadata, &self->t, n);
	char *w = win_map(_metadata, self->fd, n, PROT_READ | PROT_WRITE);
	size_t i, p, denied = 0, zero = 0, own = 0;
	__u64 reqs[96], maps[96];
	__s32 errs[96];

	/* [0, 32) and [64, 96) filled, [32, 64) never touched. */
	t_fill(_metadata, &self->t, req, 32 * page_size, SEED_A);
	t_fill(_metadata, &self->t, req + 64 * page_size, 32 * page_size,
	       SEED_A + 64 * page_size / 8);
	/* Page 40 denied; [80, 96) a VMA of its own. */
	t_call(_metadata, &self->t, TARGET_MPROTECT, req + 40 * page_size,
	       page_size, PROT_NONE, 0);
	t_call(_metadata, &self->t, TARGET_MADVISE, req + 80 * page_size,
	       16 * page_size, MADV_DONTFORK, 0);
	for (i = 0; i < n; i++) {
		p = (i * stride) % n;
		reqs[i] = req + p * page_size;
		maps[i] = (uintptr_t)w + i * page_size;
		if (p == 40)
			denied = i;
		else if (p == 50)
			zero = i;
		else if (p == 85)
			own = i;
	}
	ASSERT_EQ((int)n - 1,
		  __rm_map_batch(self->fd, self->t.pidfd, REMOTE_MAPPING_POPULATE,
				 reqs, maps, errs, n));
	ASSERT_EQ(-EACCES, errs[denied]);
	for (i = 0; i < n; i++) {
		if (i == denied)
			continue;
		ASSERT_EQ(0, errs[i]) TH_LOG("page %zu", i);
		ASSERT_EQ(0, read_faults(_metadata, w + i * page_size))
			TH_LOG("page %zu was not installed at map time", i);
	}
	for (i = 0; i < n; i++) {
		p = (i * stride) % n;
		if (p < 32 || p >= 64) {
			check_pattern(_metadata, w + i * page_size, page_size,
				      SEED_A + p * page_size / 8);
			continue;
		}
		if (i != denied)
			ASSERT_TRUE(is_zero(w + i * page_size, page_size))
				TH_LOG("page %zu", i);
	}
	ASSERT_EQ(SIGBUS, probe_read(w + denied * page_size, &(__u64){ 0 }));

	/* The target's first store to a zero page, and to a filled page. */
	t_write(_metadata, &self->t, reqs[zero], TAG);
	ASSERT_EQ(TAG, must_read(_metadata, w + zero * page_size));
	check_coherent(_metadata, &self->t, reqs[own], w + own * page_size,
		       TAG);

	ASSERT_EQ(0, munmap(w, n * page_size));
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, window_batch_populate_runs)
{
	batch_populate(_metadata, self, 1);
}

/* 7 is prime to 96: no two pages of the window are a run. */
TEST_F(remote_mapping, window_batch_populate_scattered)
{
	batch_populate(_metadata, self, 7);
}

/* Read every page of @w that @mapped has a bit for, faulting it in. */
static void touch_pages(struct __test_metadata *_metadata, char *w,
			unsigned int mapped)
{
	__u64 val;
	int i;

	for (i = 0; mapped >> i; i++)
		if (mapped & (1u << i))
			ASSERT_EQ(0, probe_read(w + i * page_size, &val));
}

/*
 * munmap() of a part of a window ends the mappings there, and only those.
 * Every page is faulted in before each split, so that a split leaves live
 * PTEs in both parts; each part still follows its target pages after.
 */
TEST_F(remote_mapping, window_partial_munmap)
{
	uintptr_t req = target_pages(_metadata, self, 6, SEED_A);
	char *w = win_map(_metadata, self->fd, 6, PROT_READ | PROT_WRITE);
	uintptr_t scratch;
	size_t i;

	for (i = 0; i < 6; i++)
		rm_map(_metadata, self->fd, req + i * page_size,
		       w + i * page_size, self->t.pidfd, 0);
	rm_expect_maps(_metadata, self, 6);
	touch_pages(_metadata, w, 0x3f);
	ASSERT_EQ(0, munmap(w + 2 * page_size, 2 * page_size));
	rm_expect_maps(_metadata, self, 4);
	rm_unmap_fails(_metadata, self->fd, w + 2 * page_size, ENOENT);
	/* The split halves still work, and are still windows. */
	check_pattern(_metadata, w + page_size, page_size,
		      SEED_A + page_size / 8);
	check_pattern(_metadata, w + 5 * page_size, page_size,
		      SEED_A + 5 * page_size / 8);
	rm_unmap(_metadata, self->fd, w + 5 * page_size);
	ASSERT_EQ(SIGBUS, probe_read(w + 5 * page_size, &(__u64){ 0 }));
	rm_map(_metadata, self->fd, req, w + 5 * page_size, self->t.pidfd, 0);
	check_pattern(_metadata, w + 5 * page_size, page_size, SEED_A);

	/* mprotect() splits it too. */
	touch_pages(_metadata, w, 0x33);
	ASSERT_EQ(0, mprotect(w, page_size, PROT_READ));
	ASSERT_EQ(0, mprotect(w + 5 * page_size, page_size, PROT_READ));
	check_pattern(_metadata, w, page_size, SEED_A);
	ASSERT_EQ(SIGSEGV, probe_write(w, TAG));
	must_write(_metadata, w + page_size, TAG);
	ASSERT_EQ(TAG, t_read(_metadata, &self->t, req + page_size));

	/*
	 * The target replaces its pages: all four parts show the new ones.
	 * Other pages take the freed ones first, so that a stale PTE shows
	 * something else, not the same page with the new data.
	 */
	touch_pages(_metadata, w, 0x33);
	for (i = 0; i < 5; i++)
		if (i != 2 && i != 3)
			t_call(_metadata, &self->t, TARGET_MADVISE,
			       req + i * page_size, page_size, MADV_DONTNEED, 0);
	scratch = t_alloc(_metadata, &self->t, 16);
	t_fill(_metadata, &self->t, scratch, 16 * page_size, SEED_A);
	for (i = 0; i < 5; i++)
		if (i != 2 && i != 3)
			t_fill(_metadata, &self->t, req + i * page_size,
			       page_size, SEED_B + i * page_size / 8);
	check_pattern(_metadata, w, page_size, SEED_B);
	check_pattern(_metadata, w + page_size, page_size,
		      SEED_B + page_size / 8);
	check_pattern(_metadata, w + 4 * page_size, page_size,
		      SEED_B + 4 * page_size / 8);
	check_pattern(_metadata, w + 5 * page_size, page_size, SEED_B);

	ASSERT_EQ(0, munmap(w, 6 * page_size));
	rm_expect_counters_back(_metadata, self);
}

/* When the target exits, window pages read zeros and take private writes. */
TEST_F(remote_mapping, window_target_exit)
{
	uintptr_t req = target_pages(_metadata, self, 2, SEED_A);
	char *w = win_map(_metadata, self->fd, 2, PROT_READ | PROT_WRITE);
	int status;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, 0);
	rm_map(_metadata, self->fd, req + page_size, w + page_size,
	       self->t.pidfd, 0);
	check_pattern(_metadata, w, page_size, SEED_A);
	t_call(_metadata, &self->t, TARGET_EXIT, 0, 0, 0, 0);
	ASSERT_EQ(0, target_reap(&self->t, &status));

	ASSERT_TRUE(is_zero(w, page_size));
	must_write(_metadata, w + page_size + 8, TAG);
	ASSERT_EQ(TAG, peek(w + page_size + 8));
	ASSERT_TRUE(is_zero(w, page_size));
	/* A new map from the dead target is refused. */
	rm_unmap(_metadata, self->fd, w);
	rm_map_fails(_metadata, self->fd, req, w, self->t.pidfd, 0, ESRCH);

	rm_unmap(_metadata, self->fd, w + page_size);
	ASSERT_EQ(0, munmap(w, 2 * page_size));
	rm_expect_counters_back(_metadata, self);
}

static void fork_child(struct child_report *r, void *arg)
{
	char *w = arg;
	__u64 val;
	int sig;

	/* Windows are VM_DONTCOPY: not in the child. */
	sig = probe_read(w, &val);
	if (sig != SIGSEGV)
		child_fail(r, "read of the parent's window: signal %d", sig);
}

static void other_mm_child(struct child_report *r, void *arg)
{
	int fd = *(int *)arg;
	void *p;

	/* The file is bound to the parent's address space. */
	p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED || errno != EINVAL)
		child_fail(r, "mmap of the parent's file: %p, %s", p,
			   strerror(errno));
}

TEST_F(remote_mapping, window_fork_and_close)
{
	uintptr_t req = target_pages(_metadata, self, 1, SEED_A);
	char *w = win_map(_metadata, self->fd, 1, PROT_READ | PROT_WRITE);
	int fd2;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, 0);
	rm_in_child(_metadata, fork_child, w);
	rm_in_child(_metadata, other_mm_child, &self->fd);
	check_pattern(_metadata, w, page_size, SEED_A);

	/* Mappings belong to the address space, not to the file. */
	fd2 = rm_open();
	ASSERT_LE(0, fd2);
	close(self->fd);
	self->fd = fd2;
	check_pattern(_metadata, w, page_size, SEED_A);
	rm_unmap(_metadata, self->fd, w);
	ASSERT_EQ(0, munmap(w, page_size));
	rm_expect_counters_back(_metadata, self);
}

/* An introspector that exits with live window mappings leaves nothing. */
TEST_F(remote_mapping, window_introspector_exit)
{
	uintptr_t req = target_pages(_metadata, self, 64, SEED_A);
	pid_t pid;
	int i, status, fd;
	char *w;

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fd = rm_open();
		if (fd < 0)
			_exit(2);
		w = mmap(NULL, 64 * page_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		if (w == MAP_FAILED)
			_exit(3);
		for (i = 0; i < 64; i++)
			if (__rm_map(fd, req + i * page_size, w + i * page_size,
				     self->t.pid, REMOTE_MAPPING_TARGET_PID))
				_exit(4);
		if (pattern_check(w + 5 * page_size, page_size,
				  SEED_A + 5 * page_size / 8))
			_exit(5);
		/* Exit with the file open and all 64 pages mapped. */
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	rm_expect_counters_back(_metadata, self);
	t_check(_metadata, &self->t, req, 64 * page_size, SEED_A);
}

/*
 * mprotect() adding write access must not make a PTE writable that was
 * installed read-only: here one pointing at the zero page, shared by the
 * whole system, and one of a read-only mapping.
 */
TEST_F(remote_mapping, mprotect_write_refaults)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 3);
	char *w = win_map(_metadata, self->fd, 2, PROT_READ | PROT_WRITE);
	char *anon = rm_anon3(_metadata) + page_size;
	char *fresh = anon_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	size_t i;

	ASSERT_NE(NULL, fresh);
	/* Never written: the target maps the zero page there. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0ULL, t_read(_metadata, &self->t, req + i * page_size));
	rm_map(_metadata, self->fd, req, anon, self->t.pidfd, 0);
	rm_map(_metadata, self->fd, req + page_size, w, self->t.pidfd, 0);
	rm_map(_metadata, self->fd, req + 2 * page_size, w + page_size,
	       self->t.pidfd, REMOTE_MAPPING_READONLY);
	ASSERT_TRUE(is_zero(anon, page_size));
	ASSERT_TRUE(is_zero(w, 2 * page_size));

	ASSERT_EQ(0, mprotect(anon, page_size, PROT_READ));
	ASSERT_EQ(0, mprotect(anon, page_size, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, mprotect(w, 2 * page_size, PROT_READ));
	ASSERT_EQ(0, mprotect(w, 2 * page_size, PROT_READ | PROT_WRITE));

	must_write(_metadata, anon + 8, TAG);
	must_write(_metadata, w + 8, TAG + 1);
	ASSERT_EQ(SIGBUS, probe_write(w + page_size + 8, TAG + 2));
	/* The writes went to the target's own new pages... */
	ASSERT_EQ(TAG, t_read(_metadata, &self->t, req + 8));
	ASSERT_EQ(TAG + 1, t_read(_metadata, &self->t, req + page_size + 8));
	ASSERT_EQ(0ULL, t_read(_metadata, &self->t, req + 2 * page_size + 8));
	/* ...not to the zero page. */
	ASSERT_TRUE(is_zero(fresh, page_size));

	rm_unmap(_metadata, self->fd, anon);
	rm_unmap(_metadata, self->fd, w);
	rm_unmap(_metadata, self->fd, w + page_size);
	ASSERT_EQ(0, munmap(w, 2 * page_size));
	rm_expect_counters_back(_metadata, self);
}

TEST_HARNESS_MAIN
