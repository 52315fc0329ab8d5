// SPDX-License-Identifier: GPL-2.0
/* REMOTE_MAPPING_HUGE: 2 MiB of a target mapped into a window at once. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <linux/mempolicy.h>

#include "rm_harness.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#define SEED_A		0x4a9e000000000000ULL
#define SEED_B		0x5b1f000000000000ULL
#define TAG		0x4c7a900000000000ULL
#define HPAGE_SIZE	(2UL << 20)
#define HPAGE_NR	512
#define HPAGE_ALIGN(x)	(((x) + HPAGE_SIZE - 1) & ~(HPAGE_SIZE - 1))
#define HUGE_RO		(REMOTE_MAPPING_HUGE | REMOTE_MAPPING_READONLY)
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/*
 * SKIP() from a helper: the harness's longjmp ends the test body, and the
 * teardown still runs (it stops the target).
 */
#define HUGE_SKIP(fmt, ...) \
	SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

/* Word 0 of target page @i of a range filled with the pattern of @seed. */
static __u64 page_seed(__u64 seed, size_t i)
{
	return seed + i * page_size / 8;
}

/*
 * @len bytes at a 2 MiB-aligned address: a window of @fd, or private
 * anonymous memory when @fd is -1.  A PROT_NONE reservation of 2 MiB more
 * gives the alignment; what is left of it around is given back.
 */
static void *__aligned_map(int fd, size_t len, int prot)
{
	size_t span = len + HPAGE_SIZE;
	int flags = fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED;
	char *raw, *p, *end;
	int err;

	raw = mmap(NULL, span, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return MAP_FAILED;
	p = (char *)HPAGE_ALIGN((uintptr_t)raw);
	if (mmap(p, len, prot, flags | MAP_FIXED, fd, 0) == MAP_FAILED) {
		err = errno;
		munmap(raw, span);
		errno = err;
		return MAP_FAILED;
	}
	end = raw + span;
	if (p > raw)
		munmap(raw, p - raw);
	if (end > p + len)
		munmap(p + len, end - (p + len));
	return p;
}

static char *huge_window(struct __test_metadata *_metadata, int fd,
			 size_t len, int prot)
{
	char *w = __aligned_map(fd, len, prot);

	ASSERT_NE(MAP_FAILED, w) TH_LOG("2 MiB-aligned window of %zu bytes: %s",
					len, strerror(errno));
	return w;
}

/* kB of the target's VMA holding @addr that are PMD-mapped THPs. */
static long t_huge_kb(struct __test_metadata *_metadata, RM_FIXTURE *self,
		      uintptr_t addr)
{
	long kb = -1;
	int ret = smaps_vma_kb(self->t.pid, addr, "AnonHugePages", &kb);

	ASSERT_EQ(0, ret) TH_LOG("AnonHugePages of %#lx in /proc/%d/smaps: %s",
				 (unsigned long)addr, self->t.pid,
				 strerror(-ret));
	return kb;
}

static void thp_required(struct __test_metadata *_metadata)
{
	char buf[128];

	if (read_file(THP_ENABLED, buf, sizeof(buf)) < 0)
		HUGE_SKIP("no %s: no transparent huge pages", THP_ENABLED);
	if (strstr(buf, "[never]"))
		HUGE_SKIP("transparent huge pages disabled ([never])");
}

enum backing {
	BACK_THP,	/* a PMD-mapped THP each 2 MiB, or the test skips */
	BACK_4K,	/* 4 KiB pages only */
};

/*
 * @n 2 MiB-aligned ranges of the target filled with the pattern of @seed,
 * so that each page has a tag word of its own.  The madvise() makes them
 * one VMA of their own, whose THPs smaps tells.
 */
static uintptr_t t_huge_range(struct __test_metadata *_metadata,
			      RM_FIXTURE *self, size_t n, enum backing back,
			      __u64 seed)
{
	size_t len = n * HPAGE_SIZE;
	uintptr_t raw, req;
	long kb;

	ASSERT_EQ(HPAGE_SIZE, HPAGE_NR * page_size);
	if (back == BACK_THP)
		thp_required(_metadata);
	raw = t_call(_metadata, &self->t, TARGET_MMAP, 0, len + HPAGE_SIZE,
		     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	req = HPAGE_ALIGN(raw);
	if (back == BACK_THP)
		t_call(_metadata, &self->t, TARGET_MADVISE, req, len,
		       MADV_HUGEPAGE, 0);
	/* Without CONFIG_TRANSPARENT_HUGEPAGE there are only 4 KiB pages. */
	else if (!access(THP_ENABLED, F_OK))
		t_call(_metadata, &self->t, TARGET_MADVISE, req, len,
		       MADV_NOHUGEPAGE, 0);
	t_fill(_metadata, &self->t, req, len, seed);

	kb = t_huge_kb(_metadata, self, req);
	if (back == BACK_THP && kb < (long)(len >> 10))
		HUGE_SKIP("the target got %ld kB of THP for its %zu kB", kb,
			  len >> 10);
	if (back == BACK_4K)
		ASSERT_EQ(0, kb) TH_LOG("THP despite MADV_NOHUGEPAGE");
	return req;
}

/*
 * The faults of a first read of the 512 pages of a mirror of a THP that
 * the target maps with one PMD: one where the window holds a special huge
 * PMD (x86-64, 6.12 and later), else one per page.
 */
static long thp_faults(struct __test_metadata *_metadata)
{
	int major = 0, minor = 0;
	struct utsname u;
	bool pmd = false;

	if (!uname(&u) && sscanf(u.release, "%d.%d", &major, &minor) == 2)
		pmd = major > 6 || (major == 6 && minor >= 12);
#ifndef __x86_64__
	pmd = false;
#endif
	TH_LOG("kernel %d.%d: expecting a THP mirrored by %s (%d fault%s)",
	       major, minor, pmd ? "one PMD" : "PTEs", pmd ? 1 : HPAGE_NR,
	       pmd ? "" : "s");
	return pmd ? 1 : HPAGE_NR;
}

/*
 * The page faults of reading word 0 of each of @npages pages at @addr, or
 * -1 if a read raised a signal.  Nothing else between the two counts.
 */
static long __pages_read_faults(const char *addr, size_t npages)
{
	long before = thread_faults();
	__u64 val;
	size_t i;

	for (i = 0; i < npages; i++) {
		if (probe_read(addr + i * page_size, &val))
			return -1;
	}
	return thread_faults() - before;
}

static long pages_read_faults(struct __test_metadata *_metadata,
			      const char *addr, size_t npages)
{
	static __u64 warm = 1;
	long faults;

	/* A pass over memory that is there faults the code in first. */
	ASSERT_LE(0, __pages_read_faults((const char *)&warm, 1));
	faults = __pages_read_faults(addr, npages);
	ASSERT_LE(0, faults) TH_LOG("reading %zu pages at %p: a signal",
				    npages, addr);
	return faults;
}

/* A read of the 512 pages of the mirror at @map takes @want faults. */
static void expect_read_faults(struct __test_metadata *_metadata,
			       const char *map, long want)
{
	long got = pages_read_faults(_metadata, map, HPAGE_NR);

	ASSERT_EQ(want, got) {
		TH_LOG("reading the 512 pages at %p took %ld faults, not %ld",
		       map, got, want);
	}
}

/* The target's store at @addr shows through the mirror at @map. */
static void check_target_write(struct __test_metadata *_metadata,
			       RM_FIXTURE *self, uintptr_t addr, char *map,
			       __u64 val)
{
	t_write(_metadata, &self->t, addr, val);
	ASSERT_EQ(val, must_read(_metadata, map));
}

/* One mapping, not 512; no VMA made; one PMD (or 512 PTEs) on reading. */
TEST_F(remote_mapping, reads_match)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, HPAGE_SIZE, PROT_READ);
	long want = thp_faults(_metadata);
	int lines = rm_maps_lines(_metadata);

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	rm_expect_maps(_metadata, self, 1);
	ASSERT_EQ(lines, rm_maps_lines(_metadata));
	expect_read_faults(_metadata, w, want);
	/* All of it stays mapped. */
	expect_read_faults(_metadata, w, 0);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);
	/* Mirroring did not split the target's huge page. */
	ASSERT_EQ((long)(HPAGE_SIZE >> 10), t_huge_kb(_metadata, self, req));

	rm_unmap(_metadata, self->fd, w);
	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, flag_errors)
{
	uintptr_t req = t_huge_range(_metadata, self, 2, BACK_4K, SEED_A);
	uintptr_t two = t_huge_range(_metadata, self, 1, BACK_4K, SEED_A);
	char *w = huge_window(_metadata, self->fd, 2 * HPAGE_SIZE,
			      PROT_READ | PROT_WRITE);
	char *shortw = huge_window(_metadata, self->fd,
				   HPAGE_SIZE - page_size, PROT_READ);
	char *anon = __aligned_map(-1, HPAGE_SIZE, PROT_READ | PROT_WRITE);
	int fd = self->fd, pidfd = self->t.pidfd;

	ASSERT_NE(MAP_FAILED, anon);
	/* Read-only is required, even in a writable window. */
	rm_map_fails(_metadata, fd, req, w, pidfd, REMOTE_MAPPING_HUGE,
		     EINVAL);
	rm_map_fails(_metadata, fd, req, w, pidfd,
		     REMOTE_MAPPING_HUGE | REMOTE_MAPPING_POPULATE, EINVAL);
	/* Page-aligned is not enough (the 2 MiB after are in one VMA). */
	rm_map_fails(_metadata, fd, req + page_size, w, pidfd, HUGE_RO,
		     EINVAL);
	rm_map_fails(_metadata, fd, req, w + page_size, pidfd, HUGE_RO,
		     EINVAL);
	rm_map_fails(_metadata, fd, req + HPAGE_SIZE / 2, w + HPAGE_SIZE / 2,
		     pidfd, HUGE_RO, EINVAL);
	/* Only into a window, one whose VMA covers the 2 MiB. */
	rm_map_fails(_metadata, fd, req, anon, pidfd, HUGE_RO, EINVAL);
	rm_map_fails(_metadata, fd, req, shortw, pidfd, HUGE_RO, EINVAL);
	/* The target's 2 MiB in one VMA. */
	t_call(_metadata, &self->t, TARGET_MADVISE, two + HPAGE_SIZE / 2,
	       HPAGE_SIZE / 2, MADV_DONTFORK, 0);
	rm_map_fails(_metadata, fd, two, w, pidfd, HUGE_RO, EINVAL);
	/* The next flag is not one yet. */
	rm_map_fails(_metadata, fd, req, w, pidfd,
		     HUGE_RO | (REMOTE_MAPPING_HUGE << 1), EINVAL);
	rm_expect_maps(_metadata, self, 0);
	/* The anonymous memory is still that. */
	must_write(_metadata, anon + 8, TAG);
	ASSERT_EQ(TAG, peek(anon + 8));

	/* The same window and target, right this time. */
	rm_map(_metadata, fd, req + HPAGE_SIZE, w + HPAGE_SIZE, pidfd,
	       HUGE_RO);
	check_pattern(_metadata, w + HPAGE_SIZE, HPAGE_SIZE,
		      page_seed(SEED_A, HPAGE_NR));
	rm_unmap(_metadata, fd, w + HPAGE_SIZE);
	ASSERT_EQ(0, munmap(w, 2 * HPAGE_SIZE));
	ASSERT_EQ(0, munmap(shortw, HPAGE_SIZE - page_size));
	ASSERT_EQ(0, munmap(anon, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* EALREADY both ways between 2 MiB and 4 KiB mappings. */
TEST_F(remote_mapping, overlap_errors)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_4K, SEED_A);
	char *w = huge_window(_metadata, self->fd, 2 * HPAGE_SIZE, PROT_READ);
	const unsigned int ro = REMOTE_MAPPING_READONLY;
	char *last = w + HPAGE_SIZE - page_size;
	int fd = self->fd, pidfd = self->t.pidfd;
	__u64 val;

	rm_map(_metadata, fd, req, w, pidfd, HUGE_RO);
	rm_map_fails(_metadata, fd, req, w, pidfd, HUGE_RO, EALREADY);
	rm_map_fails(_metadata, fd, req, w, pidfd, ro, EALREADY);
	rm_map_fails(_metadata, fd, req, w + 7 * page_size, pidfd, ro,
		     EALREADY);
	rm_map_fails(_metadata, fd, req, last, pidfd, ro, EALREADY);
	/* It ends where it should: the next page is free. */
	rm_map(_metadata, fd, req + 3 * page_size, w + HPAGE_SIZE, pidfd, ro);
	rm_expect_maps(_metadata, self, 2);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);
	check_pattern(_metadata, w + HPAGE_SIZE, page_size,
		      page_seed(SEED_A, 3));
	rm_unmap(_metadata, fd, w);
	rm_unmap(_metadata, fd, w + HPAGE_SIZE);

	/* A 4 KiB mapping at the first or the last page blocks 2 MiB. */
	rm_map(_metadata, fd, req + 5 * page_size, w, pidfd, ro);
	rm_map_fails(_metadata, fd, req, w, pidfd, HUGE_RO, EALREADY);
	check_pattern(_metadata, w, page_size, page_seed(SEED_A, 5));
	ASSERT_EQ(SIGBUS, probe_read(w + page_size, &val));
	rm_unmap(_metadata, fd, w);
	rm_map(_metadata, fd, req + 5 * page_size, last, pidfd, ro);
	rm_map_fails(_metadata, fd, req, w, pidfd, HUGE_RO, EALREADY);
	check_pattern(_metadata, last, page_size, page_seed(SEED_A, 5));
	ASSERT_EQ(SIGBUS, probe_read(w, &val));
	rm_unmap(_metadata, fd, last);
	rm_expect_maps(_metadata, self, 0);

	/* Free again. */
	rm_map(_metadata, fd, req, w, pidfd, HUGE_RO);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);
	rm_unmap(_metadata, fd, w);
	ASSERT_EQ(0, munmap(w, 2 * HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* Only the first address ends the mapping; then all 512 are holes. */
TEST_F(remote_mapping, unmap_head)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, HPAGE_SIZE, PROT_READ);
	__u64 val;
	size_t i;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	pages_read_faults(_metadata, w, HPAGE_NR);
	rm_unmap_fails(_metadata, self->fd, w + page_size, ENOENT);
	rm_unmap_fails(_metadata, self->fd, w + HPAGE_SIZE / 2, ENOENT);
	rm_unmap_fails(_metadata, self->fd, w + HPAGE_SIZE - page_size,
		       ENOENT);
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);

	rm_unmap(_metadata, self->fd, w);
	rm_expect_maps(_metadata, self, 0);
	for (i = 0; i < HPAGE_NR; i++)
		ASSERT_EQ(SIGBUS, probe_read(w + i * page_size, &val))
			TH_LOG("page %zu still reads after the unmap", i);
	rm_unmap_fails(_metadata, self->fd, w, ENOENT);
	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* After an unmap the place takes another 2 MiB, with nothing stale. */
TEST_F(remote_mapping, remap)
{
	uintptr_t req = t_huge_range(_metadata, self, 2, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, 2 * HPAGE_SIZE, PROT_READ);
	long want = thp_faults(_metadata);

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	expect_read_faults(_metadata, w, want);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);
	rm_unmap(_metadata, self->fd, w);

	rm_map(_metadata, self->fd, req + HPAGE_SIZE, w, self->t.pidfd,
	       HUGE_RO);
	expect_read_faults(_metadata, w, want);
	check_pattern(_metadata, w, HPAGE_SIZE, page_seed(SEED_A, HPAGE_NR));
	/* The first 2 MiB again, at the next place. */
	rm_map(_metadata, self->fd, req, w + HPAGE_SIZE, self->t.pidfd,
	       HUGE_RO);
	expect_read_faults(_metadata, w + HPAGE_SIZE, want);
	check_pattern(_metadata, w + HPAGE_SIZE, HPAGE_SIZE, SEED_A);
	rm_expect_maps(_metadata, self, 2);

	rm_unmap(_metadata, self->fd, w);
	rm_unmap(_metadata, self->fd, w + HPAGE_SIZE);
	ASSERT_EQ(0, munmap(w, 2 * HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, write_sigbus)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, HPAGE_SIZE,
			      PROT_READ | PROT_WRITE);
	char *ro = huge_window(_metadata, self->fd, HPAGE_SIZE, PROT_READ);

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	rm_map(_metadata, self->fd, req, ro, self->t.pidfd, HUGE_RO);
	/* Before anything is mapped, and after the reads mapped it. */
	ASSERT_EQ(SIGBUS, probe_write(w + 8, TAG));
	pages_read_faults(_metadata, w, HPAGE_NR);
	ASSERT_EQ(SIGBUS, probe_write(w + 8, TAG));
	ASSERT_EQ(SIGBUS, probe_write(w + 300 * page_size, TAG));
	ASSERT_EQ(SIGBUS, probe_write(w + HPAGE_SIZE - 8, TAG));
	/* A read-only window refuses it as any read-only memory. */
	pages_read_faults(_metadata, ro, HPAGE_NR);
	ASSERT_EQ(SIGSEGV, probe_write(ro + 8, TAG));
	t_check(_metadata, &self->t, req, HPAGE_SIZE, SEED_A);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);
	check_pattern(_metadata, ro, HPAGE_SIZE, SEED_A);

	rm_unmap(_metadata, self->fd, w);
	rm_unmap(_metadata, self->fd, ro);
	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	ASSERT_EQ(0, munmap(ro, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, target_write)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, 2 * HPAGE_SIZE, PROT_READ);
	char *z = w + HPAGE_SIZE;
	uintptr_t zreq, off;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	pages_read_faults(_metadata, w, HPAGE_NR);
	check_target_write(_metadata, self, req + 8, w + 8, TAG);
	off = 256 * page_size - 8;
	check_target_write(_metadata, self, req + off, w + off, TAG + 1);
	off = HPAGE_SIZE - 8;
	check_target_write(_metadata, self, req + off, w + off, TAG + 2);
	check_pattern(_metadata, w + 16, 256 * page_size - 24, SEED_A + 2);

	/*
	 * 2 MiB the target only read: the huge zero page (where it is
	 * enabled), which its first write replaces.
	 */
	zreq = t_call(_metadata, &self->t, TARGET_MMAP, 0, 2 * HPAGE_SIZE,
		      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	zreq = HPAGE_ALIGN(zreq);
	t_call(_metadata, &self->t, TARGET_MADVISE, zreq, HPAGE_SIZE,
	       MADV_HUGEPAGE, 0);
	ASSERT_EQ(0ULL, t_read(_metadata, &self->t, zreq));
	rm_map(_metadata, self->fd, zreq, z, self->t.pidfd, HUGE_RO);
	ASSERT_TRUE(is_zero(z, HPAGE_SIZE));
	off = 77 * page_size + 16;
	check_target_write(_metadata, self, zreq + off, z + off, TAG + 3);
	ASSERT_TRUE(is_zero(z, off));
	ASSERT_TRUE(is_zero(z + off + 8, HPAGE_SIZE - off - 8));

	rm_unmap(_metadata, self->fd, w);
	rm_unmap(_metadata, self->fd, z);
	ASSERT_EQ(0, munmap(w, 2 * HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* The mirror at @map shows @seed's pattern, but page @hole reads 0. */
static void check_holed(struct __test_metadata *_metadata, char *map,
			size_t hole, __u64 seed)
{
	size_t after = (hole + 1) * page_size;

	check_pattern(_metadata, map, hole * page_size, seed);
	ASSERT_TRUE(is_zero(map + hole * page_size, page_size));
	check_pattern(_metadata, map + after, HPAGE_SIZE - after,
		      page_seed(seed, hole + 1));
}

/*
 * The target reads the page at @addr that it dropped, which faults it in
 * again.  Else the mirror's resolution would, and hmm_range_fault()
 * counts the faults it takes in the target on the task that calls it:
 * those of every page from the hole to the end of its page table.
 */
static void t_refault_hole(struct __test_metadata *_metadata,
			   RM_FIXTURE *self, uintptr_t addr)
{
	ASSERT_EQ(0ULL, t_read(_metadata, &self->t, addr));
}

/* The target drops a page of its THP: split, and the mirror follows. */
TEST_F(remote_mapping, split)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, HPAGE_SIZE, PROT_READ);
	const size_t mid = HPAGE_NR / 2;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	pages_read_faults(_metadata, w, HPAGE_NR);
	t_call(_metadata, &self->t, TARGET_MADVISE, req + mid * page_size,
	       page_size, MADV_DONTNEED, 0);
	ASSERT_EQ(0, t_huge_kb(_metadata, self, req))
		TH_LOG("MADV_DONTNEED did not split the target's THP");
	t_refault_hole(_metadata, self, req + mid * page_size);
	/* PTEs now, whatever the kernel. */
	TH_LOG("split: expecting PTEs (%d faults)", HPAGE_NR);
	expect_read_faults(_metadata, w, HPAGE_NR);
	check_holed(_metadata, w, mid, SEED_A);
	check_target_write(_metadata, self, req + mid * page_size + 8,
			   w + mid * page_size + 8, TAG);
	check_target_write(_metadata, self, req + 8, w + 8, TAG + 1);

	rm_unmap(_metadata, self->fd, w);
	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* The same when an mprotect() of a part splits the THP and its VMA. */
TEST_F(remote_mapping, split_mprotect)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, HPAGE_SIZE, PROT_READ);
	uintptr_t off = 100 * page_size + 8;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	pages_read_faults(_metadata, w, HPAGE_NR);
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, 16 * page_size,
	       PROT_READ, 0);
	ASSERT_EQ(0, t_huge_kb(_metadata, self, req + HPAGE_SIZE / 2))
		TH_LOG("mprotect() did not split the target's THP");
	TH_LOG("split: expecting PTEs (%d faults)", HPAGE_NR);
	expect_read_faults(_metadata, w, HPAGE_NR);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);
	check_target_write(_metadata, self, req + off, w + off, TAG);

	rm_unmap(_metadata, self->fd, w);
	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* MADV_COLLAPSE in the target, retried while a page is busy. */
static void t_collapse(struct __test_metadata *_metadata, RM_FIXTURE *self,
		       uintptr_t req)
{
	int i, ret = -EAGAIN;

	for (i = 0; i < 10 && ret == -EAGAIN; i++) {
		if (i)
			sleep_ms(50);
		ret = target_call(&self->t, TARGET_MADVISE, req, HPAGE_SIZE,
				  MADV_COLLAPSE, 0, NULL);
	}
	if (ret == -EINVAL)
		HUGE_SKIP("no MADV_COLLAPSE: %s", strerror(-ret));
	if (ret == -ENOMEM)
		HUGE_SKIP("MADV_COLLAPSE found no huge page");
	ASSERT_EQ(0, ret) TH_LOG("MADV_COLLAPSE: %s", strerror(-ret));
}

/*
 * Split, then collapsed again: one PMD again where the kernel can for a
 * mirror made after the collapse.  The one that had mapped the split
 * range with PTEs keeps them (the module cannot free the page table that
 * holds them, and a PMD goes only where there is none): it follows the
 * new huge page one page at a time.
 */
TEST_F_TIMEOUT(remote_mapping, collapse, 60)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, 2 * HPAGE_SIZE, PROT_READ);
	char *fresh = w + HPAGE_SIZE;
	const size_t mid = HPAGE_NR / 2;
	long want = thp_faults(_metadata);

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	t_call(_metadata, &self->t, TARGET_MADVISE, req + mid * page_size,
	       page_size, MADV_DONTNEED, 0);
	ASSERT_EQ(0, t_huge_kb(_metadata, self, req));
	t_refault_hole(_metadata, self, req + mid * page_size);
	expect_read_faults(_metadata, w, HPAGE_NR);
	t_collapse(_metadata, self, req);
	ASSERT_EQ((long)(HPAGE_SIZE >> 10), t_huge_kb(_metadata, self, req))
		TH_LOG("MADV_COLLAPSE succeeded without a THP");

	rm_map(_metadata, self->fd, req, fresh, self->t.pidfd, HUGE_RO);
	expect_read_faults(_metadata, fresh, want);
	check_holed(_metadata, fresh, mid, SEED_A);
	expect_read_faults(_metadata, w, HPAGE_NR);
	check_holed(_metadata, w, mid, SEED_A);
	check_target_write(_metadata, self, req + 24, w + 24, TAG);
	ASSERT_EQ(TAG, must_read(_metadata, fresh + 24));

	rm_unmap(_metadata, self->fd, w);
	rm_unmap(_metadata, self->fd, fresh);
	ASSERT_EQ(0, munmap(w, 2 * HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* move_pages() of the target's 512 pages at @req to @node, all of them. */
static void t_move_range(struct __test_metadata *_metadata, RM_FIXTURE *self,
			 uintptr_t req, int node)
{
	int nodes[HPAGE_NR], status[HPAGE_NR];
	void *pages[HPAGE_NR];
	long ret;
	size_t i;

	for (i = 0; i < HPAGE_NR; i++) {
		pages[i] = (void *)(req + i * page_size);
		nodes[i] = node;
		status[i] = -1;
	}
	ret = syscall(SYS_move_pages, self->t.pid, HPAGE_NR, pages, nodes,
		      status, MPOL_MF_MOVE);
	ASSERT_EQ(0, ret) TH_LOG("move_pages to node %d: %ld, %s", node, ret,
				 strerror(errno));
	/* A THP moves at once: read back where each page ended up. */
	ret = syscall(SYS_move_pages, self->t.pid, HPAGE_NR, pages, NULL,
		      status, 0);
	ASSERT_EQ(0, ret) TH_LOG("move_pages query: %s", strerror(errno));
	for (i = 0; i < HPAGE_NR; i++)
		ASSERT_EQ(node, status[i]) TH_LOG("page %zu", i);
}

/* The NUMA node of the target's page at @addr. */
static int t_page_node(struct __test_metadata *_metadata, RM_FIXTURE *self,
		       uintptr_t addr)
{
	void *pages[1] = { (void *)addr };
	int status = -1;

	ASSERT_EQ(0, syscall(SYS_move_pages, self->t.pid, 1, pages, NULL,
			     &status, 0))
		TH_LOG("move_pages query: %s", strerror(errno));
	ASSERT_LE(0, status) TH_LOG("page status %d", status);
	return status;
}

/* Migrated to the other node and back: the mirror shows the new pages. */
TEST_F_TIMEOUT(remote_mapping, migrate, 60)
{
	int nodes[16], n, round, from, to;
	uintptr_t req, off;
	char *w;
	long kb;

	n = node_list("/sys/devices/system/node/has_memory", nodes,
		      ARRAY_SIZE(nodes));
	if (n < 2)
		SKIP(return, "needs 2 NUMA nodes with memory, found %d", n);
	req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	w = huge_window(_metadata, self->fd, HPAGE_SIZE, PROT_READ);
	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	pages_read_faults(_metadata, w, HPAGE_NR);

	for (round = 0; round < 2; round++) {
		/* Each round moves the pages, so the mirror must refault. */
		from = t_page_node(_metadata, self, req);
		to = from == nodes[0] ? nodes[1] : nodes[0];
		t_move_range(_metadata, self, req, to);
		/* Moved as a THP, or split first for lack of one there. */
		kb = t_huge_kb(_metadata, self, req);
		TH_LOG("node %d: the target's range %s a THP", to,
		       kb ? "is still" : "is no longer");
		expect_read_faults(_metadata, w,
				   kb ? thp_faults(_metadata) : HPAGE_NR);
		check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);
		/* No stale PTE or PMD to the old pages. */
		off = 300 * page_size + 16;
		check_target_write(_metadata, self, req + off, w + off, TAG);
		t_write(_metadata, &self->t, req + off, SEED_A + off / 8);
	}

	rm_unmap(_metadata, self->fd, w);
	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* Reads taken away (all 2 MiB, or one page of them) and given back. */
TEST_F(remote_mapping, prot_none)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, HPAGE_SIZE, PROT_READ);
	uintptr_t mid = req + HPAGE_SIZE / 2;
	__u64 val;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	pages_read_faults(_metadata, w, HPAGE_NR);
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, HPAGE_SIZE,
	       PROT_NONE, 0);
	ASSERT_EQ(SIGBUS, probe_read(w, &val));
	ASSERT_EQ(SIGBUS, probe_read(w + 300 * page_size, &val));
	ASSERT_EQ(SIGBUS, probe_read(w + HPAGE_SIZE - 8, &val));
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, HPAGE_SIZE,
	       PROT_READ, 0);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);

	/* A resolution covers the 2 MiB: one page denied denies all. */
	t_call(_metadata, &self->t, TARGET_MPROTECT, mid, page_size,
	       PROT_NONE, 0);
	ASSERT_EQ(SIGBUS, probe_read(w, &val));
	t_call(_metadata, &self->t, TARGET_MPROTECT, mid, page_size,
	       PROT_READ, 0);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);

	rm_unmap(_metadata, self->fd, w);
	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* A target range of 4 KiB pages: right contents, one PTE per page. */
TEST_F(remote_mapping, small_pages)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_4K, SEED_A);
	char *w = huge_window(_metadata, self->fd, HPAGE_SIZE, PROT_READ);

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	rm_expect_maps(_metadata, self, 1);
	TH_LOG("4 KiB pages: expecting PTEs (%d faults)", HPAGE_NR);
	expect_read_faults(_metadata, w, HPAGE_NR);
	expect_read_faults(_metadata, w, 0);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);
	check_target_write(_metadata, self, req + 411 * page_size + 8,
			   w + 411 * page_size + 8, TAG);
	ASSERT_EQ(0, t_huge_kb(_metadata, self, req));

	rm_unmap(_metadata, self->fd, w);
	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/*
 * REMOTE_MAPPING_POPULATE: a range that no PMD can map gets its 512 PTEs
 * during the call, no fault after; a THP is left to the first read's
 * huge fault where a PMD can map it (PTEs would keep it out), and gets
 * its PTEs too where none can.
 */
TEST_F(remote_mapping, populate)
{
	uintptr_t thp = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	uintptr_t small = t_huge_range(_metadata, self, 1, BACK_4K, SEED_B);
	char *w = huge_window(_metadata, self->fd, 2 * HPAGE_SIZE, PROT_READ);
	const int flags = HUGE_RO | REMOTE_MAPPING_POPULATE;
	long want = thp_faults(_metadata) == 1 ? 1 : 0;

	rm_map(_metadata, self->fd, small, w + HPAGE_SIZE, self->t.pidfd,
	       flags);
	expect_read_faults(_metadata, w + HPAGE_SIZE, 0);
	check_pattern(_metadata, w + HPAGE_SIZE, HPAGE_SIZE, SEED_B);
	rm_map(_metadata, self->fd, thp, w, self->t.pidfd, flags);
	expect_read_faults(_metadata, w, want);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);

	rm_unmap(_metadata, self->fd, w);
	rm_unmap(_metadata, self->fd, w + HPAGE_SIZE);
	ASSERT_EQ(0, munmap(w, 2 * HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* Two 2 MiB entries in one MAP_BATCH, ended by UNMAP_BATCH. */
TEST_F(remote_mapping, batch)
{
	uintptr_t req = t_huge_range(_metadata, self, 2, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, 2 * HPAGE_SIZE, PROT_READ);
	char *w2 = w + HPAGE_SIZE;
	long want = thp_faults(_metadata);
	__u64 reqs[2], maps[2], um[2];
	__s32 errs[2] = { 1, 1 };
	__u64 val;

	/* Crossed, so that each entry's own addresses count. */
	reqs[0] = req + HPAGE_SIZE;
	reqs[1] = req;
	maps[0] = (uintptr_t)w;
	maps[1] = (uintptr_t)w2;
	ASSERT_EQ(2, __rm_map_batch(self->fd, self->t.pidfd, HUGE_RO, reqs,
				    maps, errs, 2));
	ASSERT_EQ(0, errs[0]);
	ASSERT_EQ(0, errs[1]);
	rm_expect_maps(_metadata, self, 2);
	expect_read_faults(_metadata, w, want);
	expect_read_faults(_metadata, w2, want);
	check_pattern(_metadata, w, HPAGE_SIZE, page_seed(SEED_A, HPAGE_NR));
	check_pattern(_metadata, w2, HPAGE_SIZE, SEED_A);

	errs[0] = 1;
	errs[1] = 1;
	ASSERT_EQ(0, __rm_map_batch(self->fd, self->t.pidfd, HUGE_RO, reqs,
				    maps, errs, 2));
	ASSERT_EQ(-EALREADY, errs[0]);
	ASSERT_EQ(-EALREADY, errs[1]);

	/* Inside the second one (ENOENT), and the head of the first. */
	um[0] = (uintptr_t)w2 + page_size;
	um[1] = (uintptr_t)w;
	errs[0] = 1;
	errs[1] = 1;
	ASSERT_EQ(1, __rm_unmap_batch(self->fd, um, errs, 2));
	ASSERT_EQ(-ENOENT, errs[0]);
	ASSERT_EQ(0, errs[1]);
	rm_expect_maps(_metadata, self, 1);
	ASSERT_EQ(SIGBUS, probe_read(w, &val));
	ASSERT_EQ(SIGBUS, probe_read(w + HPAGE_SIZE - page_size, &val));
	check_pattern(_metadata, w2, HPAGE_SIZE, SEED_A);
	um[0] = (uintptr_t)w2;
	ASSERT_EQ(1, __rm_unmap_batch(self->fd, um, errs, 1));
	ASSERT_EQ(0, errs[0]);
	ASSERT_EQ(SIGBUS, probe_read(w2 + 7 * page_size, &val));

	ASSERT_EQ(0, munmap(w, 2 * HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* The sigjmp_buf of this thread's access in progress, for race_signal(). */
static __thread void *race_env;

static void race_signal(int sig)
{
	if (race_env)
		siglongjmp(*(sigjmp_buf *)race_env, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void race_install(struct __test_metadata *_metadata)
{
	struct sigaction sa = { .sa_handler = race_signal };

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
}

/*
 * Word 0 at @addr into *@val, or the signal that reading it raised: as
 * probe_read(), but from any thread (race_install() was called).
 */
static int race_read(const char *addr, __u64 *val)
{
	sigjmp_buf env;
	int sig;

	sig = sigsetjmp(env, 1);
	if (!sig) {
		race_env = &env;
		*val = __atomic_load_n((const __u64 *)addr, __ATOMIC_RELAXED);
	}
	race_env = NULL;
	return sig;
}

/*
 * A thread reading the 512 pages of a mirror until told to stop, in a
 * scattered order (37 is prime to 512).  With @seeds, a read that shows
 * neither range's contents is noted in @bad.
 */
struct huge_reader {
	const char *map;
	int stop;
	__u64 seeds[2];		/* of the two ranges mapped in turn, or 0 */
	int bad;		/* page + 1 of a read of neither */
};

static void *huge_reader(void *arg)
{
	struct huge_reader *r = arg;
	size_t i = 0, page;
	__u64 val;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		page = i % HPAGE_NR;
		if (!race_read(r->map + page * page_size, &val) &&
		    r->seeds[0] && val != page_seed(r->seeds[0], page) &&
		    val != page_seed(r->seeds[1], page))
			__atomic_store_n(&r->bad, (int)page + 1,
					 __ATOMIC_RELAXED);
		i += 37;
	}
	return NULL;
}

/*
 * The target replaces its 2 MiB over and over (MADV_DONTNEED of all of
 * it, then new contents, which a huge page or the huge zero page takes in
 * turn) while two threads read the mirror without pause: their faults,
 * and where a PMD can map it the PMD's install, race with the target's
 * invalidations.  Once a replacement is done, the mirror shows the new
 * contents: a PTE or PMD installed from a cache that an invalidation had
 * already dropped would show the old page, or a freed one.
 */
TEST_F_TIMEOUT(remote_mapping, invalidations_race_faults, 120)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, HPAGE_SIZE, PROT_READ);
	struct huge_reader r = { .map = w };
	pthread_t th[2];
	__u64 seed;
	int i;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	race_install(_metadata);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, huge_reader, &r));
	for (i = 0; i < 40; i++) {
		seed = SEED_B + ((__u64)i << 32);
		t_call(_metadata, &self->t, TARGET_MADVISE, req, HPAGE_SIZE,
		       MADV_DONTNEED, 0);
		t_fill(_metadata, &self->t, req, HPAGE_SIZE, seed);
		check_pattern(_metadata, w, HPAGE_SIZE, seed);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));

	rm_unmap(_metadata, self->fd, w);
	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/*
 * Two threads fault a window's 2 MiB without pause while the main thread
 * maps two target ranges there in turn and unmaps each: their faults (a
 * PMD's install where one can map it) race with the unmaps.  Once an
 * unmap is done the page is a hole, and once the next map is done it
 * shows that range: a PMD installed from the cache of a mapping that an
 * unmap had already ended would show the other range, or stay after it.
 */
TEST_F_TIMEOUT(remote_mapping, unmaps_race_faults, 120)
{
	uintptr_t req = t_huge_range(_metadata, self, 2, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, HPAGE_SIZE, PROT_READ);
	struct huge_reader r = { .map = w };
	size_t page = 0;
	pthread_t th[2];
	uintptr_t from;
	__u64 val;
	int i, k;

	t_fill(_metadata, &self->t, req + HPAGE_SIZE, HPAGE_SIZE, SEED_B);
	r.seeds[0] = SEED_A;
	r.seeds[1] = SEED_B;
	race_install(_metadata);
	for (k = 0; k < 2; k++)
		ASSERT_EQ(0, pthread_create(&th[k], NULL, huge_reader, &r));
	for (i = 0; i < 200; i++) {
		k = i % 2;
		from = req + k * HPAGE_SIZE;
		rm_map(_metadata, self->fd, from, w, self->t.pidfd, HUGE_RO);
		page = (page + 101) % HPAGE_NR;
		ASSERT_EQ(0, race_read(w + page * page_size, &val));
		ASSERT_EQ(page_seed(r.seeds[k], page), val)
			TH_LOG("round %d: page %zu shows the other range", i,
			       page);
		rm_unmap(_metadata, self->fd, w);
		ASSERT_EQ(SIGBUS, race_read(w + page * page_size, &val))
			TH_LOG("round %d: page %zu still mapped after the unmap",
			       i, page);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (k = 0; k < 2; k++)
		ASSERT_EQ(0, pthread_join(th[k], NULL));
	ASSERT_EQ(0, r.bad) TH_LOG("a reader saw neither range at page %d",
				   r.bad - 1);

	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* The target exits: zeros, and the introspector carries on. */
TEST_F(remote_mapping, target_exit)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, HPAGE_SIZE, PROT_READ);
	int status;
	__u64 val;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	pages_read_faults(_metadata, w, HPAGE_NR);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);
	t_call(_metadata, &self->t, TARGET_EXIT, 0, 0, 0, 0);
	ASSERT_EQ(0, target_reap(&self->t, &status));

	ASSERT_TRUE(is_zero(w, HPAGE_SIZE));
	rm_unmap(_metadata, self->fd, w);
	ASSERT_EQ(SIGBUS, probe_read(w, &val));
	rm_map_fails(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO,
		     ESRCH);
	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/*
 * A window is not split inside a 2 MiB mapping (munmap() or mprotect() of
 * a part of it: EINVAL, and the mapping stays whole), only at its edges.
 */
TEST_F(remote_mapping, no_split_inside)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	char *w = huge_window(_metadata, self->fd, 2 * HPAGE_SIZE, PROT_READ);
	char *mid = w + HPAGE_SIZE / 2;
	__u64 val;

	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	pages_read_faults(_metadata, w, HPAGE_NR);
	ASSERT_EQ(-1, munmap(mid, page_size));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, munmap(w + page_size, HPAGE_SIZE));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, mprotect(mid, HPAGE_SIZE / 2, PROT_NONE));
	ASSERT_EQ(EINVAL, errno);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);

	/* At its edge: the 2 MiB after it goes, the mapping stays. */
	ASSERT_EQ(0, munmap(w + HPAGE_SIZE, HPAGE_SIZE));
	ASSERT_EQ(SIGSEGV, probe_read(w + HPAGE_SIZE, &val));
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);
	rm_expect_maps(_metadata, self, 1);

	rm_unmap(_metadata, self->fd, w);
	/* Unmapped, the window splits anywhere again. */
	ASSERT_EQ(0, munmap(mid, page_size));
	ASSERT_EQ(0, munmap(w, HPAGE_SIZE));
	rm_expect_counters_back(_metadata, self);
}

/* munmap() of a window with live mappings in it leaves nothing behind. */
TEST_F(remote_mapping, munmap_window)
{
	uintptr_t req = t_huge_range(_metadata, self, 1, BACK_THP, SEED_A);
	size_t len = 2 * HPAGE_SIZE + page_size;
	char *w = huge_window(_metadata, self->fd, len, PROT_READ);
	char *small = w + 2 * HPAGE_SIZE;
	__u64 val;

	/* The same 2 MiB twice, and one of its pages. */
	rm_map(_metadata, self->fd, req, w, self->t.pidfd, HUGE_RO);
	rm_map(_metadata, self->fd, req, w + HPAGE_SIZE, self->t.pidfd,
	       HUGE_RO);
	rm_map(_metadata, self->fd, req + 7 * page_size, small, self->t.pidfd,
	       REMOTE_MAPPING_READONLY);
	rm_expect_maps(_metadata, self, 3);
	check_pattern(_metadata, w, HPAGE_SIZE, SEED_A);
	check_pattern(_metadata, w + HPAGE_SIZE, HPAGE_SIZE, SEED_A);
	check_pattern(_metadata, small, page_size, page_seed(SEED_A, 7));

	ASSERT_EQ(0, munmap(w, len));
	ASSERT_EQ(SIGSEGV, probe_read(w, &val));
	ASSERT_EQ(SIGSEGV, probe_read(w + HPAGE_SIZE, &val));
	rm_expect_counters_back(_metadata, self);
	/* The target keeps its memory, and its THP. */
	t_check(_metadata, &self->t, req, HPAGE_SIZE, SEED_A);
	ASSERT_EQ((long)(HPAGE_SIZE >> 10), t_huge_kb(_metadata, self, req));
}

TEST_HARNESS_MAIN
