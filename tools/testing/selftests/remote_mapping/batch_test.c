// SPDX-License-Identifier: GPL-2.0
/*
 * REMOTE_MAPPING_MAP_BATCH and _UNMAP_BATCH: many pages in one call, errors
 * per page.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "rm_harness.h"

#define SEED	0xba7c000000000000ULL

/* 512 target pages, mapped in one call at every other local page. */
TEST_F(remote_mapping, batch_512)
{
	const size_t n = 512;
	uintptr_t req = t_alloc(_metadata, &self->t, n);
	char *local = anon_map(2 * n + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	__u64 reqs[512], maps[512];
	__s32 errs[512];
	size_t i;

	ASSERT_NE(NULL, local);
	t_fill(_metadata, &self->t, req, n * page_size, SEED);
	for (i = 0; i < n; i++) {
		/* scattered: page i of the target goes to slot (i * 7) % n */
		reqs[i] = req + ((i * 7) % n) * page_size;
		maps[i] = (uintptr_t)local + (2 * i + 1) * page_size;
	}
	ASSERT_EQ((int)n,
		  __rm_map_batch(self->fd, self->t.pidfd, 0, reqs, maps, errs, n));
	rm_expect_maps(_metadata, self, n);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, errs[i]);
		check_pattern(_metadata, (void *)(uintptr_t)maps[i], page_size,
			      SEED + (reqs[i] - req) / 8);
	}
	/* Writes through one of them reach the target. */
	must_write(_metadata, (void *)(uintptr_t)maps[3], 0x5a5a);
	ASSERT_EQ(0x5a5aULL, t_read(_metadata, &self->t, reqs[3]));

	for (i = 0; i < n; i++)
		rm_unmap(_metadata, self->fd, (void *)(uintptr_t)maps[i]);
	rm_expect_counters_back(_metadata, self);
	munmap(local, (2 * n + 1) * page_size);
}

/* Bad pages get their errno; the others are mapped. */
TEST_F(remote_mapping, batch_partial)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 4);
	char *a = rm_anon3(_metadata), *b = rm_anon3(_metadata);
	char *c = rm_anon3(_metadata);
	__u64 reqs[5], maps[5];
	__s32 errs[5];

	t_fill(_metadata, &self->t, req, 4 * page_size, SEED);
	reqs[0] = req;			maps[0] = (uintptr_t)a + page_size;
	reqs[1] = req + 1;		maps[1] = (uintptr_t)b + page_size;
	reqs[2] = 0x1000;		maps[2] = (uintptr_t)b + page_size;
	reqs[3] = req + page_size;	maps[3] = (uintptr_t)a + page_size;
	reqs[4] = req + 2 * page_size;	maps[4] = (uintptr_t)c + page_size;

	ASSERT_EQ(2, __rm_map_batch(self->fd, self->t.pidfd, 0, reqs, maps,
				    errs, 5));
	EXPECT_EQ(0, errs[0]);
	EXPECT_EQ(-EINVAL, errs[1]);	/* unaligned */
	EXPECT_EQ(-EFAULT, errs[2]);	/* nothing mapped there in the target */
	EXPECT_EQ(-EAGAIN, errs[3]);	/* same map_hva as page 0, in flight */
	EXPECT_EQ(0, errs[4]);
	check_pattern(_metadata, a + page_size, page_size, SEED);
	check_pattern(_metadata, c + page_size, page_size,
		      SEED + 2 * page_size / 8);
	/* A failed page keeps its memory. */
	rm_check_anon3(_metadata, b);
	rm_expect_maps(_metadata, self, 2);

	rm_unmap(_metadata, self->fd, a + page_size);
	rm_unmap(_metadata, self->fd, c + page_size);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, batch_bad_calls)
{
	struct remote_mapping_map_batch b = { .target = self->t.pidfd };
	__u64 one = 0;
	__s32 err;

	EXPECT_EQ(-EINVAL, __rm_map_batch(self->fd, self->t.pidfd, 0, &one,
					  &one, &err, 0));
	EXPECT_EQ(-E2BIG, __rm_map_batch(self->fd, self->t.pidfd, 0, &one,
					 &one, &err,
					 REMOTE_MAPPING_BATCH_MAX + 1));
	EXPECT_EQ(-EINVAL, __rm_map_batch(self->fd, self->t.pidfd, 1U << 7,
					  &one, &one, &err, 1));
	EXPECT_EQ(-EFAULT, __rm_map_batch(self->fd, self->t.pidfd, 0,
					  (__u64 *)8, &one, &err, 1));
	EXPECT_EQ(-EFAULT, __rm_map_batch(self->fd, self->t.pidfd, 0, &one,
					  &one, (__s32 *)8, 1));
	b.count = 1;
	b.reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, REMOTE_MAPPING_MAP_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	rm_expect_counters_back(_metadata, self);
}

/*
 * A window's pages unmapped in one call, with bad entries among them: each
 * gets its errno, the others go.  Page 7 stays mapped inside the span the
 * batch zaps at once, and reads its target page again after.
 */
TEST_F(remote_mapping, unmap_batch_window)
{
	const size_t n = 64;
	uintptr_t req = t_alloc(_metadata, &self->t, n);
	char *w = mmap(NULL, (n + 1) * page_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, self->fd, 0);
	__u64 reqs[64], maps[64], unmaps[67];
	__s32 errs[67];
	size_t i, k = 0;
	__u64 val;

	ASSERT_NE(MAP_FAILED, w);
	t_fill(_metadata, &self->t, req, n * page_size, SEED);
	for (i = 0; i < n; i++) {
		reqs[i] = req + i * page_size;
		maps[i] = (uintptr_t)w + i * page_size;
	}
	ASSERT_EQ((int)n, __rm_map_batch(self->fd, self->t.pidfd,
					 REMOTE_MAPPING_POPULATE, reqs, maps,
					 errs, n));
	/* Half of them faulted in as well: PTEs either way. */
	for (i = 0; i < n; i += 2)
		check_pattern(_metadata, w + i * page_size, page_size,
			      SEED + i * page_size / 8);

	for (i = 0; i < n; i++)
		if (i != 7)
			unmaps[k++] = maps[i];
	unmaps[k++] = maps[5];				/* twice */
	unmaps[k++] = (uintptr_t)w + n * page_size;	/* a hole */
	unmaps[k++] = maps[9] + 1;			/* unaligned */
	unmaps[k++] = 0x1000;				/* nothing there */
	ASSERT_EQ((size_t)67, k);
	ASSERT_EQ((int)n - 1, __rm_unmap_batch(self->fd, unmaps, errs, k));
	for (i = 0; i < n - 1; i++)
		ASSERT_EQ(0, errs[i]) TH_LOG("page %zu", i);
	EXPECT_EQ(-ENOENT, errs[n - 1]);
	EXPECT_EQ(-ENOENT, errs[n]);
	EXPECT_EQ(-EINVAL, errs[n + 1]);
	EXPECT_EQ(-ENOENT, errs[n + 2]);
	rm_expect_maps(_metadata, self, 1);

	/* The unmapped pages are holes again; page 7 refaults. */
	for (i = 0; i < n; i++)
		if (i != 7)
			ASSERT_EQ(SIGBUS, probe_read(w + i * page_size, &val))
				TH_LOG("page %zu still reads", i);
	check_pattern(_metadata, w + 7 * page_size, page_size,
		      SEED + 7 * page_size / 8);
	check_coherent(_metadata, &self->t, reqs[7], w + 7 * page_size,
		       SEED ^ 0x7777);

	unmaps[0] = maps[7];
	ASSERT_EQ(1, __rm_unmap_batch(self->fd, unmaps, errs, 1));
	EXPECT_EQ(0, errs[0]);
	ASSERT_EQ(0, munmap(w, (n + 1) * page_size));
	rm_expect_counters_back(_metadata, self);
}

/* Mirrors that replaced anonymous memory: one by one, anonymous again. */
TEST_F(remote_mapping, unmap_batch_mirrors)
{
	const size_t n = 16;
	uintptr_t req = t_alloc(_metadata, &self->t, n);
	char *local = anon_map(2 * n + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	__u64 reqs[16], maps[16];
	__s32 errs[16];
	size_t i;

	ASSERT_NE(NULL, local);
	t_fill(_metadata, &self->t, req, n * page_size, SEED);
	for (i = 0; i < n; i++) {
		reqs[i] = req + i * page_size;
		maps[i] = (uintptr_t)local + (2 * i + 1) * page_size;
	}
	ASSERT_EQ((int)n, __rm_map_batch(self->fd, self->t.pidfd, 0, reqs,
					 maps, errs, n));
	ASSERT_EQ((int)n, __rm_unmap_batch(self->fd, maps, errs, n));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, errs[i]);
		/* A fresh zero page, writable, not the target's. */
		ASSERT_EQ(0ULL, must_read(_metadata, (void *)(uintptr_t)maps[i]));
		must_write(_metadata, (void *)(uintptr_t)maps[i], 0x77);
	}
	rm_expect_counters_back(_metadata, self);
	t_check(_metadata, &self->t, req, n * page_size, SEED);
	munmap(local, (2 * n + 1) * page_size);
}

TEST_F(remote_mapping, unmap_batch_bad_calls)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 1);
	struct remote_mapping_unmap_batch b = { .count = 1 };
	char *a = rm_anon3(_metadata);
	__u64 one = (uintptr_t)a + page_size;
	__s32 err;

	t_fill(_metadata, &self->t, req, page_size, SEED);
	rm_map(_metadata, self->fd, req, a + page_size, self->t.pidfd, 0);
	EXPECT_EQ(-EINVAL, __rm_unmap_batch(self->fd, &one, &err, 0));
	EXPECT_EQ(-E2BIG, __rm_unmap_batch(self->fd, &one, &err,
					   REMOTE_MAPPING_BATCH_MAX + 1));
	EXPECT_EQ(-EFAULT, __rm_unmap_batch(self->fd, (__u64 *)8, &err, 1));
	/* Results that cannot be returned: nothing is unmapped. */
	EXPECT_EQ(-EFAULT, __rm_unmap_batch(self->fd, &one, (__s32 *)8, 1));
	b.map_hvas = (uintptr_t)&one;
	b.errs = (uintptr_t)&err;
	b.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, REMOTE_MAPPING_UNMAP_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	b.flags = 0;
	b.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, REMOTE_MAPPING_UNMAP_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, a + page_size, page_size, SEED);

	rm_unmap(_metadata, self->fd, a + page_size);
	rm_check_anon3(_metadata, a);
	rm_expect_counters_back(_metadata, self);
}

TEST_HARNESS_MAIN
