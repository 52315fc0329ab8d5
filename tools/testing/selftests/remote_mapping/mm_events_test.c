// SPDX-License-Identifier: GPL-2.0
/*
 * Mirrors and windows follow THP split, KSM, swap, migration, fork and
 * mprotect().
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/swap.h>
#include <sys/uio.h>
#include <sys/syscall.h>

#include <linux/mempolicy.h>

#include "rm_harness.h"

#define SEED_A		0x7e57a00000000000ULL
#define SEED_B		0x7e57b00000000000ULL
#define TAG		0x3c3c000000000000ULL
#define HPAGE_SIZE	(2UL << 20)

#define PM_PRESENT	BIT_ULL(63)
#define PM_SWAP		BIT_ULL(62)
#define PM_PFN		(BIT_ULL(55) - 1)

/*
 * Where a test maps its target page: a page mirror over anonymous memory,
 * or a page of a window.  Both follow the target through the same
 * invalidations; they differ in which pseudo file the zap goes to.
 */
static char *mm_slot(struct __test_metadata *_metadata, RM_FIXTURE *self,
		     bool win)
{
	char *w;

	if (!win)
		return rm_anon3(_metadata) + page_size;
	w = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, w) TH_LOG("window: %s", strerror(errno));
	return w;
}

/* Words 4 to 499 of a mirror, which check_coherent() leaves alone. */
static void check_middle(struct __test_metadata *_metadata, char *map,
			 __u64 seed)
{
	check_pattern(_metadata, map + 32, 496 * 8, seed + 4);
}

static void thp_split(struct __test_metadata *_metadata,
		      RM_FIXTURE *self, bool win)
{
	char *map = mm_slot(_metadata, self, win);
	uintptr_t raw, huge, req, part;
	char buf[128], path[64];
	long kb, kb_huge;
	__u64 seed;

	if (read_file("/sys/kernel/mm/transparent_hugepage/enabled", buf,
		      sizeof(buf)) < 0)
		SKIP(return, "no transparent hugepages");
	if (strstr(buf, "[never]"))
		SKIP(return, "transparent hugepages disabled");

	raw = t_call(_metadata, &self->t, TARGET_MMAP, 0, 2 * HPAGE_SIZE,
		     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	huge = (raw + HPAGE_SIZE - 1) & ~(HPAGE_SIZE - 1);
	t_call(_metadata, &self->t, TARGET_MADVISE, huge, HPAGE_SIZE,
	       MADV_HUGEPAGE, 0);
	t_fill(_metadata, &self->t, huge, HPAGE_SIZE, SEED_A);
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", self->t.pid);
	ASSERT_EQ(0, read_field_kb(path, "AnonHugePages", &kb_huge));
	if (kb_huge < (long)(HPAGE_SIZE >> 10))
		SKIP(return, "target has no huge page (AnonHugePages %ld kB)",
		     kb_huge);

	/* A page in the middle of the huge page. */
	req = huge + HPAGE_SIZE / 2;
	seed = SEED_A + (req - huge) / 8;
	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, map, page_size, seed);
	check_coherent(_metadata, &self->t, req, map, TAG);

	/* mprotect() of the first 64 KiB splits the PMD. */
	t_call(_metadata, &self->t, TARGET_MPROTECT, huge, 16 * page_size,
	       PROT_READ, 0);
	ASSERT_EQ(0, read_field_kb(path, "AnonHugePages", &kb));
	ASSERT_LT(kb, kb_huge) TH_LOG("the huge page was not split");
	check_middle(_metadata, map, seed);
	check_coherent(_metadata, &self->t, req, map, TAG + 16);

	/* MADV_DONTNEED of the last 64 KiB splits the page itself. */
	part = huge + HPAGE_SIZE - 16 * page_size;
	t_call(_metadata, &self->t, TARGET_MADVISE, part, 16 * page_size,
	       MADV_DONTNEED, 0);
	ASSERT_EQ(0ULL, t_read(_metadata, &self->t, part));
	check_middle(_metadata, map, seed);
	check_coherent(_metadata, &self->t, req, map, TAG + 32);
	t_check(_metadata, &self->t, huge + 16 * page_size, page_size,
		SEED_A + 16 * page_size / 8);

	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F_TIMEOUT(remote_mapping, thp_split, 60)
{
	thp_split(_metadata, self, false);
}

TEST_F_TIMEOUT(remote_mapping, thp_split_window, 60)
{
	thp_split(_metadata, self, true);
}

#define KSM_DIR		"/sys/kernel/mm/ksm/"
#define KSM_PAGES	8
#define KSM_PAGE	3
#define KSM_WAIT_MS	60000

static const char * const ksm_knobs[] = {
	KSM_DIR "run", KSM_DIR "pages_to_scan", KSM_DIR "sleep_millisecs",
};

static char ksm_saved[3][32];

static void ksm_restore(void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < ARRAY_SIZE(ksm_knobs); i++) {
		if (ksm_saved[i][0])
			write_file(ksm_knobs[i], ksm_saved[i]);
	}
}

/* Pages of @pid merged by KSM; -1 when it cannot be told. */
static long ksm_merged(pid_t pid, long sharing0)
{
	char path[64];
	long val;

	snprintf(path, sizeof(path), "/proc/%d/ksm_merging_pages", pid);
	if (!read_file_long(path, &val))
		return val;
	/* Older kernels: N identical pages are 1 shared + N - 1 sharing. */
	if (!read_file_long(KSM_DIR "pages_sharing", &val))
		return val - sharing0 + 1;
	return -1;
}

static void ksm_merged_page(struct __test_metadata *_metadata,
			    RM_FIXTURE *self, bool win)
{
	char *map = mm_slot(_metadata, self, win);
	uintptr_t req, page;
	long merged = 0, sharing0 = 0;
	__u64 deadline, pfn0, pfn;
	size_t i;
	int ret;

	if (access(KSM_DIR "run", W_OK))
		SKIP(return, "no KSM");
	for (i = 0; i < ARRAY_SIZE(ksm_knobs); i++) {
		ret = read_file(ksm_knobs[i], ksm_saved[i],
				sizeof(ksm_saved[i]));
		ASSERT_LT(0, ret) TH_LOG("reading %s", ksm_knobs[i]);
	}
	rm_defer(_metadata, self, ksm_restore, NULL);
	read_file_long(KSM_DIR "pages_sharing", &sharing0);

	req = t_alloc(_metadata, &self->t, KSM_PAGES);
	for (i = 0; i < KSM_PAGES; i++)
		t_fill(_metadata, &self->t, req + i * page_size, page_size,
		       SEED_A);
	ret = target_call(&self->t, TARGET_MADVISE, req,
			  KSM_PAGES * page_size, MADV_MERGEABLE, 0, NULL);
	if (ret)
		SKIP(return, "MADV_MERGEABLE: %s", strerror(-ret));

	ASSERT_EQ(0, write_file(KSM_DIR "pages_to_scan", "1000"));
	ASSERT_EQ(0, write_file(KSM_DIR "sleep_millisecs", "0"));
	ASSERT_EQ(0, write_file(KSM_DIR "run", "1"));
	deadline = now_ms() + KSM_WAIT_MS;
	while (now_ms() < deadline) {
		merged = ksm_merged(self->t.pid, sharing0);
		if (merged >= KSM_PAGES)
			break;
		sleep_ms(100);
	}
	/* Merged pages stay merged; stop ksmd from spinning. */
	ksm_restore(NULL);
	if (merged < KSM_PAGES)
		SKIP(return, "KSM merged %ld of %d pages in %d s", merged,
		     KSM_PAGES, KSM_WAIT_MS / 1000);

	/* Root sees PFNs: the pages must share one. */
	page = req + KSM_PAGE * page_size;
	ASSERT_EQ(0, pagemap_entry(self->t.pid, req, &pfn0));
	ASSERT_EQ(0, pagemap_entry(self->t.pid, page, &pfn));
	ASSERT_EQ(pfn0 & PM_PFN, pfn & PM_PFN) {
		TH_LOG("pagemap: the pages are not merged");
	}

	rm_map(_metadata, self->fd, page, map, self->t.pidfd, 0);
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, map, page_size, SEED_A);

	/* A store through the mirror unshares the target's page only. */
	must_write(_metadata, map + 80, TAG);
	ASSERT_EQ(TAG, t_read(_metadata, &self->t, page + 80));
	for (i = 0; i < KSM_PAGES; i++) {
		if (i != KSM_PAGE)
			t_check(_metadata, &self->t, req + i * page_size,
				page_size, SEED_A);
	}
	t_check(_metadata, &self->t, page, 80, SEED_A);
	t_check(_metadata, &self->t, page + 88, page_size - 88, SEED_A + 11);
	ASSERT_EQ(0, pagemap_entry(self->t.pid, page, &pfn));
	ASSERT_NE(pfn0 & PM_PFN, pfn & PM_PFN) {
		TH_LOG("pagemap: the written page is still the KSM page");
	}

	t_write(_metadata, &self->t, page + 160, TAG + 1);
	ASSERT_EQ(TAG + 1, must_read(_metadata, map + 160));
	ASSERT_EQ(TAG, must_read(_metadata, map + 80));
	check_pattern(_metadata, map + 168, 256, SEED_A + 21);

	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F_TIMEOUT(remote_mapping, ksm_merged_page, 120)
{
	ksm_merged_page(_metadata, self, false);
}

TEST_F_TIMEOUT(remote_mapping, ksm_merged_page_window, 120)
{
	ksm_merged_page(_metadata, self, true);
}

struct zram {
	int id;
	bool added;
	bool swapon;
	char dev[32];
	char sys[64];
};

static struct zram zram = { .id = -1 };

static void zram_cleanup(void *arg)
{
	struct zram *z = arg;
	char path[96], id[16];

	if (z->swapon)
		swapoff(z->dev);
	if (z->id >= 0) {
		snprintf(path, sizeof(path), "%s/reset", z->sys);
		write_file(path, "1");
	}
	if (z->added) {
		snprintf(id, sizeof(id), "%d", z->id);
		write_file("/sys/class/zram-control/hot_remove", id);
	}
	z->swapon = false;
	z->added = false;
	z->id = -1;
}

/* A 256 MiB zram swap device of top priority; NULL or why not. */
static const char *zram_setup(struct zram *z)
{
	char path[96];
	long id, size;
	int i;

	run_cmd("modprobe", "zram", NULL);
	if (!read_file_long("/sys/class/zram-control/hot_add", &id)) {
		z->added = true;
	} else {
		id = 0;
		if (read_file_long("/sys/block/zram0/disksize", &size))
			return "no zram (modprobe zram failed)";
		if (size)
			return "zram0 is in use";
	}
	z->id = id;
	snprintf(z->sys, sizeof(z->sys), "/sys/block/zram%ld", id);
	snprintf(z->dev, sizeof(z->dev), "/dev/zram%ld", id);
	snprintf(path, sizeof(path), "%s/disksize", z->sys);
	if (write_file(path, "256M"))
		return "cannot size the zram device";
	for (i = 0; i < 100 && access(z->dev, F_OK); i++)
		sleep_ms(20);
	if (run_cmd("mkswap", z->dev, NULL))
		return "mkswap failed";
	if (swapon(z->dev, SWAP_FLAG_PREFER | SWAP_FLAG_PRIO_MASK))
		return "swapon failed";
	z->swapon = true;
	return NULL;
}

static void swapped_out_page(struct __test_metadata *_metadata,
			     RM_FIXTURE *self, bool win)
{
	char *map0 = mm_slot(_metadata, self, win);
	char *map1 = mm_slot(_metadata, self, win);
	__u64 pm0 = 0, pm1 = 0;
	const char *why;
	cpu_set_t cpus;
	uintptr_t req;
	int i, ret;

	rm_defer(_metadata, self, zram_cleanup, &zram);
	why = zram_setup(&zram);
	if (why)
		SKIP(return, "%s", why);

	/*
	 * A new page waits in a per-CPU LRU batch that MADV_PAGEOUT cannot
	 * isolate, and MADV_PAGEOUT drains only its own CPU's: keep the
	 * target, which faults the pages in and pages them out, on one CPU.
	 */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	if (sched_setaffinity(self->t.pid, sizeof(cpus), &cpus))
		TH_LOG("sched_setaffinity: %s", strerror(errno));

	req = t_alloc(_metadata, &self->t, 2);
	t_fill(_metadata, &self->t, req, page_size, SEED_A);
	t_fill(_metadata, &self->t, req + page_size, page_size, SEED_B);
	/* Page 0 is mirrored and read before it goes out, page 1 after. */
	rm_map(_metadata, self->fd, req, map0, self->t.pidfd, 0);
	check_pattern(_metadata, map0, page_size, SEED_A);

	for (i = 0; i < 20; i++) {
		ret = target_call(&self->t, TARGET_MADVISE, req, 2 * page_size,
				  MADV_PAGEOUT, 0, NULL);
		if (ret)
			SKIP(return, "MADV_PAGEOUT: %s", strerror(-ret));
		ASSERT_EQ(0, pagemap_entry(self->t.pid, req, &pm0));
		ASSERT_EQ(0, pagemap_entry(self->t.pid, req + page_size,
					   &pm1));
		if ((pm0 & PM_SWAP) && (pm1 & PM_SWAP))
			break;
		sleep_ms(50);
	}
	if (!(pm1 & PM_SWAP))
		SKIP(return, "MADV_PAGEOUT did not swap out a plain page");
	ASSERT_NE(0ULL, pm0 & PM_SWAP) {
		TH_LOG("the mirrored page was not swapped out (pagemap %#llx)",
		       pm0);
	}
	ASSERT_EQ(0ULL, pm0 & PM_PRESENT);

	check_pattern(_metadata, map0, page_size, SEED_A);
	check_coherent(_metadata, &self->t, req, map0, TAG);

	rm_map(_metadata, self->fd, req + page_size, map1, self->t.pid,
	       REMOTE_MAPPING_TARGET_PID);
	rm_expect_maps(_metadata, self, 2);
	check_pattern(_metadata, map1, page_size, SEED_B);
	check_coherent(_metadata, &self->t, req + page_size, map1, TAG + 16);

	rm_unmap(_metadata, self->fd, map0);
	rm_unmap(_metadata, self->fd, map1);
	rm_expect_counters_back(_metadata, self);
}

TEST_F_TIMEOUT(remote_mapping, swapped_out_page, 90)
{
	swapped_out_page(_metadata, self, false);
}

TEST_F_TIMEOUT(remote_mapping, swapped_out_page_window, 90)
{
	swapped_out_page(_metadata, self, true);
}

/* The NUMA node of the target's page at @addr. */
static int page_node(struct __test_metadata *_metadata, pid_t pid,
		     uintptr_t addr)
{
	void *pages[1] = { (void *)addr };
	int status = -1;

	ASSERT_EQ(0, syscall(SYS_move_pages, pid, 1, pages, NULL, &status, 0))
		TH_LOG("move_pages query: %s", strerror(errno));
	return status;
}

static void numa_migration(struct __test_metadata *_metadata,
			   RM_FIXTURE *self, bool win)
{
	char *map = mm_slot(_metadata, self, win);
	int nodes[16], n, round, from, to, status;
	void *pages[1];
	uintptr_t req;

	n = node_list("/sys/devices/system/node/has_memory", nodes,
		      ARRAY_SIZE(nodes));
	if (n < 2)
		SKIP(return, "needs 2 NUMA nodes with memory, found %d", n);

	req = t_alloc(_metadata, &self->t, 1);
	t_fill(_metadata, &self->t, req, page_size, SEED_A);
	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	check_pattern(_metadata, map, page_size, SEED_A);

	for (round = 0; round < 2; round++) {
		from = page_node(_metadata, self->t.pid, req);
		ASSERT_LE(0, from) TH_LOG("page status %d", from);
		to = from == nodes[0] ? nodes[1] : nodes[0];
		pages[0] = (void *)req;
		status = -1;
		ASSERT_EQ(0, syscall(SYS_move_pages, self->t.pid, 1, pages,
				     &to, &status, MPOL_MF_MOVE))
			TH_LOG("move_pages: %s", strerror(errno));
		ASSERT_EQ(to, status) {
			TH_LOG("page not moved from node %d to %d: %s", from,
			       to, strerror(-status));
		}
		ASSERT_EQ(to, page_node(_metadata, self->t.pid, req));

		check_middle(_metadata, map, SEED_A);
		check_coherent(_metadata, &self->t, req, map,
			       TAG + 16 * round);
	}

	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, numa_migration)
{
	numa_migration(_metadata, self, false);
}

TEST_F(remote_mapping, numa_migration_window)
{
	numa_migration(_metadata, self, true);
}

/*
 * mprotect() of the target (MMU_NOTIFY_PROTECTION_VMA, as NUMA balancing's
 * hinting scan): a mirror stays while the target's VMA still grants what
 * it was resolved for (its next access takes no fault), goes when that is
 * taken away, and a write refused while the target's page was read-only
 * is allowed once it is writable again.  A VMA registered with
 * userfaultfd, whose pages the module does not resolve, loses its
 * mirrors on any protection change.
 */
static void mprotect_keeps(struct __test_metadata *_metadata,
			   RM_FIXTURE *self, bool win)
{
	const int rw = PROT_READ | PROT_WRITE;
	char *map = mm_slot(_metadata, self, win);
	uintptr_t req;
	__u64 v = 0;
	int ret;

	req = t_alloc(_metadata, &self->t, 1);
	t_fill(_metadata, &self->t, req, page_size, SEED_A);
	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	check_pattern(_metadata, map, page_size, SEED_A);

	/* Writable mirror, reads and writes kept. */
	must_write(_metadata, map + 8, TAG);
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, page_size,
	       rw | PROT_EXEC, 0);
	ASSERT_EQ(0, access_faults(_metadata, map + 16, true, TAG + 1))
		TH_LOG("mprotect(RWX) dropped a writable mirror");
	ASSERT_EQ(TAG + 1, t_read(_metadata, &self->t, req + 16));

	/* Writes taken away: the next read refaults, then stays. */
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, page_size,
	       PROT_READ, 0);
	ASSERT_LE(1, access_faults(_metadata, map + 8, false, 0))
		TH_LOG("mprotect(PROT_READ) kept a writable mirror");
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, page_size,
	       PROT_READ | PROT_EXEC, 0);
	ASSERT_EQ(0, access_faults(_metadata, map + 8, false, 0))
		TH_LOG("mprotect(PROT_READ | PROT_EXEC) dropped a read-only mirror");
	ASSERT_EQ(SIGBUS, probe_write(map + 24, TAG + 2));

	/* Writable again: the refused write goes through. */
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, page_size, rw, 0);
	ASSERT_EQ(0, probe_write(map + 24, TAG + 2))
		TH_LOG("a write stays refused after mprotect(RW)");
	ASSERT_EQ(TAG + 2, t_read(_metadata, &self->t, req + 24));

	/* Reads taken away, then given back. */
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, page_size,
	       PROT_NONE, 0);
	ASSERT_EQ(SIGBUS, probe_read(map + 8, &v))
		TH_LOG("read %#llx after mprotect(PROT_NONE)",
		       (unsigned long long)v);
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, page_size, rw, 0);
	check_middle(_metadata, map, SEED_A);
	check_coherent(_metadata, &self->t, req, map, TAG + 16);

	/* A read-only mirror, then the target registers the page. */
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, page_size,
	       PROT_READ, 0);
	ASSERT_EQ(SEED_A + 6, must_read(_metadata, map + 48));
	ret = target_call(&self->t, TARGET_UFFD, req, page_size, 0, 0, NULL);
	if (ret) {
		rm_unmap(_metadata, self->fd, map);
		SKIP(return, "userfaultfd unavailable: %s", strerror(-ret));
	}
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, page_size, rw, 0);
	ASSERT_EQ(SIGBUS, probe_read(map + 48, &v))
		TH_LOG("a userfaultfd VMA kept its mirror: read %#llx",
		       (unsigned long long)v);

	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, mprotect_keeps)
{
	mprotect_keeps(_metadata, self, false);
}

TEST_F(remote_mapping, mprotect_keeps_window)
{
	mprotect_keeps(_metadata, self, true);
}

/* A word of a process other than the target (a child of it). */
static __u64 child_read(struct __test_metadata *_metadata, pid_t pid,
			uintptr_t addr)
{
	__u64 v = 0;
	struct iovec l = { .iov_base = &v, .iov_len = sizeof(v) };
	struct iovec r = { .iov_base = (void *)addr, .iov_len = sizeof(v) };

	ASSERT_EQ((ssize_t)sizeof(v), process_vm_readv(pid, &l, 1, &r, 1, 0))
		TH_LOG("process_vm_readv of the target's child: %s",
		       strerror(errno));
	return v;
}

/*
 * fork() write-protects the target's pages (MMU_NOTIFY_PROTECTION_PAGE):
 * a read-only mirror keeps its PTE, so the copies made after it must
 * reach it as invalidations of their own; a writable one must not write
 * into the page the child shares.
 */
static void fork_cow(struct __test_metadata *_metadata, RM_FIXTURE *self,
		     bool win)
{
	char *map = mm_slot(_metadata, self, win);
	__u64 kids[3];
	uintptr_t req;
	int i;

	req = t_alloc(_metadata, &self->t, 1);
	t_fill(_metadata, &self->t, req, page_size, SEED_A);
	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	check_pattern(_metadata, map, page_size, SEED_A);

	/* Read-only mirror; the target writes first: its copy shows. */
	kids[0] = t_call(_metadata, &self->t, TARGET_FORK, 0, 0, 0, 0);
	t_write(_metadata, &self->t, req + 16, TAG);
	ASSERT_EQ(TAG, must_read(_metadata, map + 16));
	ASSERT_EQ(SEED_A + 2, child_read(_metadata, kids[0], req + 16));

	/* Read-only mirror; the child writes first: its copy does not. */
	kids[1] = t_call(_metadata, &self->t, TARGET_FORK, req + 24, TAG + 1,
			 0, 0);
	ASSERT_EQ(SEED_A + 3, must_read(_metadata, map + 24));
	ASSERT_EQ(TAG + 1, child_read(_metadata, kids[1], req + 24));

	/* Writable mirror: after the fork, its writes reach the target only. */
	must_write(_metadata, map + 32, TAG + 2);
	ASSERT_EQ(TAG + 2, t_read(_metadata, &self->t, req + 32));
	kids[2] = t_call(_metadata, &self->t, TARGET_FORK, 0, 0, 0, 0);
	must_write(_metadata, map + 40, TAG + 3);
	ASSERT_EQ(TAG + 3, t_read(_metadata, &self->t, req + 40));
	ASSERT_EQ(SEED_A + 5, child_read(_metadata, kids[2], req + 40));
	ASSERT_EQ(TAG + 2, child_read(_metadata, kids[2], req + 32));

	check_coherent(_metadata, &self->t, req, map, TAG + 16);
	for (i = 0; i < 3; i++)
		kill(kids[i], SIGKILL);
	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, fork_cow)
{
	fork_cow(_metadata, self, false);
}

TEST_F(remote_mapping, fork_cow_window)
{
	fork_cow(_metadata, self, true);
}

TEST_HARNESS_MAIN
