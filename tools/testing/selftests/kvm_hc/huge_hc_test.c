// SPDX-License-Identifier: GPL-2.0
/*
 * 2 MiB aliases (KVMMEM_MAP_HUGE) from a 64-bit tiny VM into its pool:
 * what the guest reads, what KVM maps (its pages_2m statistic), and what
 * the target's VMM and kernel do to the range meanwhile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/kvmmem.h>
#include <linux/remote_mapping.h>

#include "kselftest_harness.h"
#include "hc_vm.h"
#include "rm_util.h"

#define SZ_2M		0x200000UL
#define PAGES_2M	(SZ_2M / 4096)

/* The introspector: a pool of two 2 MiB, and 2 MiB of plain RAM. */
#define POOL_GPA	0x800000UL
#define POOL_SIZE	(2 * SZ_2M)
#define PLAIN_GPA	0xc00000UL
/* The target: two THPs, and a slot too small for 2 MiB. */
#define TGT_GPA		0x400000UL
#define TGT_SIZE	(2 * SZ_2M)
#define TGT_SMALL_GPA	0xa00000UL
#define TGT_SMALL_SIZE	0x100000UL

#define RO_HUGE		(KVMMEM_MAP_READONLY | KVMMEM_MAP_HUGE)
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/* What target page @i (from TGT_GPA) holds at its start. */
#define TAG(i)		(0x7a000000ULL + (i))

#define HUGE_SETUP_SKIP(...) SKIP(longjmp(_metadata->env, 1), __VA_ARGS__)

FIXTURE(huge) {
	int rm;
	bool up;
	bool no_tail;		/* KVM cannot map tail pages: all refused */
	bool pmd;		/* the host mirrors a THP with one PMD */
	struct tiny_vm intro;
	struct tiny_vm target;
	void *pool, *plain, *tmem, *tsmall;
	struct remote_mapping_token tok;
	long map0;
};

/* @size bytes of private anonymous memory aligned to 2 MiB, or NULL. */
static void *aligned_map(size_t size)
{
	char *raw, *p;
	size_t head;

	raw = mmap(NULL, size + SZ_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((unsigned long)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	head = p - raw;
	if (head)
		munmap(raw, head);
	munmap(p + size, SZ_2M - head);
	return p;
}

/* The VM statistic @name (binary stats, KVM_GET_STATS_FD), or -errno. */
static long long vm_stat(int vm_fd, const char *name)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	long long ret = -ENOENT;
	size_t dsz;
	char *descs;
	__u64 val;
	__u32 i;
	int fd;

	fd = ioctl(vm_fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return -errno;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h)) {
		close(fd);
		return -EIO;
	}
	dsz = sizeof(*d) + h.name_size;
	descs = calloc(h.num_desc, dsz);
	if (!descs ||
	    pread(fd, descs, dsz * h.num_desc, h.desc_offset) !=
	    (ssize_t)(dsz * h.num_desc)) {
		free(descs);
		close(fd);
		return -EIO;
	}
	for (i = 0; i < h.num_desc; i++) {
		d = (struct kvm_stats_desc *)(descs + i * dsz);
		if (strcmp(d->name, name))
			continue;
		if (pread(fd, &val, sizeof(val), h.data_offset + d->offset) ==
		    sizeof(val))
			ret = val;
		else
			ret = -EIO;
		break;
	}
	free(descs);
	close(fd);
	return ret;
}

static long maps_now(void)
{
	long v = -1;

	rm_read_counter(RM_MAP_COUNT, &v);
	return v;
}

FIXTURE_SETUP(huge)
{
	char said[4] = "", thp[128] = "";
	const char *why;
	__u64 *t;
	long kb = 0;
	size_t i;
	int ret;

	why = hv_unavailable();
	if (why)
		HUGE_SETUP_SKIP("%s", why);
	if (read_file(THP_ENABLED, thp, sizeof(thp)) < 0 ||
	    strstr(thp, "[never]"))
		HUGE_SETUP_SKIP("no transparent huge pages (%s)", THP_ENABLED);
	ASSERT_LT(0, read_file(RM_DEBUGFS_DIR "/kvm_no_tail", said,
			       sizeof(said)));
	self->no_tail = said[0] == 'Y';
	/* Special huge PMDs in VM_PFNMAP mappings: 6.12 (RM_HAVE_PMD_MIRROR). */
	self->pmd = tvm_kernel_at_least(6, 12);
	self->rm = rm_open();
	ASSERT_LE(0, self->rm);
	self->map0 = maps_now();

	ret = hv_create(&self->intro);
	ASSERT_EQ(0, ret) TH_LOG("introspector VM: %s", strerror(-ret));
	ret = __tvm_create(&self->target);
	ASSERT_EQ(0, ret) TH_LOG("target VM: %s", strerror(-ret));
	self->up = true;
	self->pool = aligned_map(POOL_SIZE);
	self->plain = aligned_map(SZ_2M);
	self->tmem = aligned_map(TGT_SIZE);
	self->tsmall = aligned_map(TGT_SMALL_SIZE);
	ASSERT_TRUE(self->pool && self->plain && self->tmem && self->tsmall);

	/* As QEMU advises guest RAM: a refilled range keeps a VMA of its own. */
	ASSERT_EQ(0, madvise(self->pool, POOL_SIZE, MADV_HUGEPAGE));
	ASSERT_EQ(0, madvise(self->tmem, TGT_SIZE, MADV_HUGEPAGE));
	for (i = 0, t = self->tmem; i < TGT_SIZE / 4096; i++, t += 512) {
		t[0] = TAG(i);
		t[1] = ~TAG(i);
	}
	ASSERT_EQ(0, smaps_vma_kb(0, (uintptr_t)self->tmem, "AnonHugePages",
				  &kb));
	if (kb < (long)(TGT_SIZE >> 10))
		HUGE_SETUP_SKIP("the target got %ld kB of huge pages, not %lu",
				kb, TGT_SIZE >> 10);

	ASSERT_EQ(0, __tvm_add_slot(&self->intro, 1, POOL_GPA, self->pool,
				    POOL_SIZE, 0));
	ASSERT_EQ(0, __tvm_add_slot(&self->intro, 2, PLAIN_GPA, self->plain,
				    SZ_2M, 0));
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 1, TGT_GPA, self->tmem,
				    TGT_SIZE, 0));
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 2, TGT_SMALL_GPA,
				    self->tsmall, TGT_SMALL_SIZE, 0));
	ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 0,
				&self->tok));
	memcpy(self->intro.ram + HV_TOKEN_GPA, &self->tok, sizeof(self->tok));
}

FIXTURE_TEARDOWN(huge)
{
	if (!self->up)
		return;
	tvm_destroy(&self->intro);
	tvm_destroy(&self->target);
	munmap(self->pool, POOL_SIZE);
	munmap(self->plain, SZ_2M);
	munmap(self->tmem, TGT_SIZE);
	munmap(self->tsmall, TGT_SMALL_SIZE);
	close(self->rm);
}

/* A hypercall from the introspector's guest in 64-bit mode at CPL 0. */
#define HC(nr, a0, a1, a2, a3)	HV_HC(&self->intro, nr, a0, a1, a2, a3)

#define MAP(req, map, flags) \
	HC(KVM_HC_MEM_MAP, HV_TOKEN_GPA, req, map, flags)
#define UNMAP(map)	HC(KVM_HC_MEM_UNMAP, map, 0, 0, 0)
#define POOL(gpa, size)	HC(KVM_HC_MEM_POOL, HV_TOKEN_GPA, gpa, (size) >> 12, 0)
#define UNPOOL(gpa, size) HC(KVM_HC_MEM_UNPOOL, gpa, (size) >> 12, 0, 0)

/* What the introspector's guest loads at @gpa, or ~0 (and a failure). */
static __u64 load(struct __test_metadata *_metadata,
		  struct _test_data_huge *self, __u64 gpa)
{
	__u64 val = ~0ULL;
	int err = hv_guest_load(&self->intro, gpa, &val);

	EXPECT_EQ(0, err) TH_LOG("the guest's read of %#llx: %s",
				 (unsigned long long)gpa, strerror(-err));
	return err ? ~0ULL : val;
}

#define LOAD(gpa)	load(_metadata, self, gpa)

/* Every test but the one of refusals needs KVM to map tail pages. */
static bool need_tails(struct __test_metadata *_metadata,
		       struct _test_data_huge *self)
{
	if (self->no_tail)
		SKIP(return false,
		     "KVM maps no tail page here (stock, before 6.13)");
	return true;
}

/* Page @i of the 2 MiB alias at @map_gpa reads target page @first + @i. */
static void expect_alias(struct __test_metadata *_metadata,
			 struct _test_data_huge *self, __u64 map_gpa,
			 unsigned int first, unsigned int i)
{
	EXPECT_EQ(TAG(first + i), load(_metadata, self, map_gpa + i * 4096UL))
		TH_LOG("page %u of the alias at %#llx", i,
		       (unsigned long long)map_gpa);
}

#define EXPECT_ALIAS(map_gpa, first, i) \
	expect_alias(_metadata, self, map_gpa, first, i)

static __u64 *tpage(struct _test_data_huge *self, unsigned int i)
{
	return (__u64 *)((char *)self->tmem + i * 4096UL);
}

TEST_F(huge, reads_follow_unmap)
{
	long long before;

	if (!need_tails(_metadata, self))
		return;
	ASSERT_EQ(0, POOL(POOL_GPA, POOL_SIZE));
	before = vm_stat(self->intro.vm_fd, "pages_2m");
	ASSERT_LE(0, before) TH_LOG("pages_2m: %s", strerror(-before));

	ASSERT_EQ(0, MAP(TGT_GPA, POOL_GPA, RO_HUGE));
	EXPECT_EQ(self->map0 + 1, maps_now());
	EXPECT_ALIAS(POOL_GPA, 0, 0);
	EXPECT_ALIAS(POOL_GPA, 0, 1);
	EXPECT_ALIAS(POOL_GPA, 0, 300);
	EXPECT_ALIAS(POOL_GPA, 0, 511);
	/* One PMD on the host, one 2 MiB entry in KVM's page tables. */
	if (self->pmd)
		EXPECT_LT(before, vm_stat(self->intro.vm_fd, "pages_2m"));

	/* The target's stores show at once, both ways of the PMD. */
	tpage(self, 5)[0] = 0x600d1234;
	EXPECT_EQ(0x600d1234, LOAD(POOL_GPA + 5 * 4096));
	tpage(self, 5)[0] = TAG(5);

	EXPECT_EQ(0, UNMAP(POOL_GPA));
	EXPECT_EQ(self->map0, maps_now());
	EXPECT_EQ(0, LOAD(POOL_GPA));
	EXPECT_EQ(0, LOAD(POOL_GPA + 511 * 4096));
	EXPECT_EQ(-ENOENT, UNMAP(POOL_GPA));
	/* Mapped again, the next 2 MiB of the target. */
	ASSERT_EQ(0, MAP(TGT_GPA + SZ_2M, POOL_GPA, RO_HUGE));
	EXPECT_ALIAS(POOL_GPA, PAGES_2M, 0);
	EXPECT_ALIAS(POOL_GPA, PAGES_2M, 511);
	EXPECT_EQ(0, UNMAP(POOL_GPA));
	EXPECT_EQ(0, UNPOOL(POOL_GPA, POOL_SIZE));
}

TEST_F(huge, batch_populate)
{
	struct kvmmem_map_entry *e;
	const __u64 arr = 0x40000;

	if (!need_tails(_metadata, self))
		return;
	ASSERT_EQ(0, POOL(POOL_GPA, POOL_SIZE));
	e = (struct kvmmem_map_entry *)(self->intro.ram + arr);
	memset(e, 0, 3 * sizeof(*e));
	e[0].req_gpa = TGT_GPA + SZ_2M;
	e[0].map_gpa = POOL_GPA;
	e[1].req_gpa = TGT_GPA;
	e[1].map_gpa = POOL_GPA + SZ_2M;
	/* Unaligned: this entry alone fails. */
	e[2].req_gpa = TGT_GPA + 4096;
	e[2].map_gpa = POOL_GPA + SZ_2M;
	EXPECT_EQ(2, HC(KVM_HC_MEM_MAP_BATCH, HV_TOKEN_GPA, arr, 3,
			RO_HUGE | KVMMEM_MAP_POPULATE));
	EXPECT_EQ(0, e[0].err);
	EXPECT_EQ(0, e[1].err);
	EXPECT_EQ(-EINVAL, e[2].err);
	EXPECT_EQ(self->map0 + 2, maps_now());
	EXPECT_ALIAS(POOL_GPA, PAGES_2M, 0);
	EXPECT_ALIAS(POOL_GPA, PAGES_2M, 511);
	EXPECT_ALIAS(POOL_GPA + SZ_2M, 0, 0);
	EXPECT_ALIAS(POOL_GPA + SZ_2M, 0, 200);
	EXPECT_EQ(0, UNMAP(POOL_GPA));
	EXPECT_EQ(0, UNMAP(POOL_GPA + SZ_2M));
	EXPECT_EQ(self->map0, maps_now());
}

TEST_F(huge, bad_arguments)
{
	if (!need_tails(_metadata, self))
		return;
	ASSERT_EQ(0, POOL(POOL_GPA, POOL_SIZE));
	/* Read-only only; both gpas aligned to 2 MiB. */
	EXPECT_EQ(-EINVAL, MAP(TGT_GPA, POOL_GPA, KVMMEM_MAP_HUGE));
	EXPECT_EQ(-EINVAL, MAP(TGT_GPA + 4096, POOL_GPA, RO_HUGE));
	EXPECT_EQ(-EINVAL, MAP(TGT_GPA, POOL_GPA + 4096, RO_HUGE));
	EXPECT_EQ(-EINVAL, MAP(TGT_GPA, POOL_GPA, RO_HUGE | (1U << 3)));
	/* Into a pool only, not plain RAM. */
	EXPECT_EQ(-EINVAL, MAP(TGT_GPA, PLAIN_GPA, RO_HUGE));
	/* Each memslot must hold the 2 MiB. */
	EXPECT_EQ(-EFAULT, MAP(TGT_SMALL_GPA, POOL_GPA, RO_HUGE));
	EXPECT_EQ(-EFAULT, MAP(TGT_GPA, 0, RO_HUGE));
	EXPECT_EQ(self->map0, maps_now());

	/* A page mapped inside keeps the 2 MiB out, and the other way. */
	ASSERT_EQ(0, MAP(TGT_GPA, POOL_GPA + 3 * 4096, KVMMEM_MAP_READONLY));
	EXPECT_EQ(-EALREADY, MAP(TGT_GPA, POOL_GPA, RO_HUGE));
	EXPECT_EQ(0, UNMAP(POOL_GPA + 3 * 4096));
	ASSERT_EQ(0, MAP(TGT_GPA, POOL_GPA, RO_HUGE));
	EXPECT_EQ(-EALREADY, MAP(TGT_GPA, POOL_GPA + 5 * 4096,
				 KVMMEM_MAP_READONLY));
	EXPECT_EQ(-EALREADY, MAP(TGT_GPA + SZ_2M, POOL_GPA, RO_HUGE));
	/* Only its first page names it. */
	EXPECT_EQ(-ENOENT, UNMAP(POOL_GPA + 5 * 4096));
	EXPECT_ALIAS(POOL_GPA, 0, 5);
	/* Giving back a part of the pool inside it would split it. */
	EXPECT_EQ(-EINVAL, UNPOOL(POOL_GPA + 4096, 4096));
	EXPECT_ALIAS(POOL_GPA, 0, 1);
	EXPECT_EQ(0, UNMAP(POOL_GPA));
	EXPECT_EQ(self->map0, maps_now());
}

/* A stock kvm.ko before 6.13: refused as a whole, nothing mapped. */
TEST_F(huge, refused_without_tails)
{
	if (!self->no_tail)
		SKIP(return, "KVM maps tail pages here");
	ASSERT_EQ(0, POOL(POOL_GPA, POOL_SIZE));
	EXPECT_EQ(-EOPNOTSUPP, MAP(TGT_GPA, POOL_GPA, RO_HUGE));
	EXPECT_EQ(self->map0, maps_now());
	EXPECT_EQ(0, LOAD(POOL_GPA + 4096));
}

/* The guest's store never reaches the target; its reads go on. */
TEST_F(huge, store_refused)
{
	int ret;

	if (!need_tails(_metadata, self))
		return;
	ASSERT_EQ(0, POOL(POOL_GPA, POOL_SIZE));
	ASSERT_EQ(0, MAP(TGT_GPA, POOL_GPA, RO_HUGE));
	EXPECT_ALIAS(POOL_GPA, 0, 9);
	ret = hv_guest_store(&self->intro, POOL_GPA + 9 * 4096, 0xbad);
	EXPECT_NE(0, ret);
	EXPECT_EQ(TAG(9), tpage(self, 9)[0]);
	EXPECT_ALIAS(POOL_GPA, 0, 9);
	EXPECT_EQ(0, UNMAP(POOL_GPA));
}

/*
 * The VMM deletes the target's memslot: the alias ends for good and reads
 * zeros, though the memory behind the memslot still holds the pages.
 */
TEST_F(huge, memslot_deleted_reads_zero)
{
	if (!need_tails(_metadata, self))
		return;
	ASSERT_EQ(0, POOL(POOL_GPA, POOL_SIZE));
	ASSERT_EQ(0, MAP(TGT_GPA, POOL_GPA, RO_HUGE));
	EXPECT_ALIAS(POOL_GPA, 0, 0);
	EXPECT_ALIAS(POOL_GPA, 0, 400);
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 1, TGT_GPA, self->tmem,
				    0, 0));
	EXPECT_EQ(0, LOAD(POOL_GPA));
	EXPECT_EQ(0, LOAD(POOL_GPA + 400 * 4096));
	EXPECT_EQ(TAG(400), tpage(self, 400)[0]);
	/* The same memory back in a memslot is never reached by it. */
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 1, TGT_GPA, self->tmem,
				    TGT_SIZE, 0));
	EXPECT_EQ(0, LOAD(POOL_GPA + 400 * 4096));
	EXPECT_EQ(0, UNMAP(POOL_GPA));
	EXPECT_EQ(self->map0, maps_now());
}

/* The VMM unmaps the memory: zeros, and never what it maps there next. */
TEST_F(huge, target_memory_gone_reads_zero)
{
	void *p;

	if (!need_tails(_metadata, self))
		return;
	ASSERT_EQ(0, POOL(POOL_GPA, POOL_SIZE));
	ASSERT_EQ(0, MAP(TGT_GPA, POOL_GPA, RO_HUGE));
	EXPECT_ALIAS(POOL_GPA, 0, 2);
	ASSERT_EQ(0, munmap(self->tmem, SZ_2M));
	EXPECT_EQ(0, LOAD(POOL_GPA + 2 * 4096));
	p = mmap(self->tmem, SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(self->tmem, p);
	memset(p, 0x5a, SZ_2M);
	EXPECT_EQ(0, LOAD(POOL_GPA + 2 * 4096));
	EXPECT_EQ(0, LOAD(POOL_GPA + 511 * 4096));
	EXPECT_EQ(0, UNMAP(POOL_GPA));
}

/*
 * The target splits its THP (a page given back) and refills the page:
 * the alias follows, page by page.
 */
TEST_F(huge, target_split_follows)
{
	if (!need_tails(_metadata, self))
		return;
	ASSERT_EQ(0, POOL(POOL_GPA, POOL_SIZE));
	ASSERT_EQ(0, MAP(TGT_GPA, POOL_GPA, RO_HUGE));
	EXPECT_ALIAS(POOL_GPA, 0, 7);
	ASSERT_EQ(0, madvise(tpage(self, 7), 4096, MADV_DONTNEED));
	EXPECT_EQ(0, LOAD(POOL_GPA + 7 * 4096));
	EXPECT_ALIAS(POOL_GPA, 0, 8);
	EXPECT_ALIAS(POOL_GPA, 0, 6);
	tpage(self, 7)[0] = 0x5e11;
	EXPECT_EQ(0x5e11, LOAD(POOL_GPA + 7 * 4096));
	EXPECT_EQ(0, UNMAP(POOL_GPA));
	EXPECT_EQ(self->map0, maps_now());
}

/*
 * A pool page the guest wrote before: the map replaces it (PTEs where its
 * page table stays) and the unmap leaves it reading zeros, not what was
 * written.
 */
TEST_F(huge, over_a_written_hole)
{
	if (!need_tails(_metadata, self))
		return;
	ASSERT_EQ(0, POOL(POOL_GPA, POOL_SIZE));
	ASSERT_EQ(0, hv_guest_store(&self->intro, POOL_GPA + 2 * 4096,
				    0x600d));
	EXPECT_EQ(0x600d, LOAD(POOL_GPA + 2 * 4096));
	ASSERT_EQ(0, MAP(TGT_GPA, POOL_GPA, RO_HUGE));
	EXPECT_ALIAS(POOL_GPA, 0, 2);
	EXPECT_ALIAS(POOL_GPA, 0, 3);
	EXPECT_ALIAS(POOL_GPA, 0, 511);
	EXPECT_EQ(0, UNMAP(POOL_GPA));
	EXPECT_EQ(0, LOAD(POOL_GPA + 2 * 4096));
	/* Still RAM: a store sticks. */
	ASSERT_EQ(0, hv_guest_store(&self->intro, POOL_GPA + 3 * 4096, 77));
	EXPECT_EQ(77, LOAD(POOL_GPA + 3 * 4096));
}

/* The pool given back ends its 2 MiB aliases. */
TEST_F(huge, unpool_ends_alias)
{
	if (!need_tails(_metadata, self))
		return;
	ASSERT_EQ(0, POOL(POOL_GPA, POOL_SIZE));
	ASSERT_EQ(0, MAP(TGT_GPA, POOL_GPA + SZ_2M, RO_HUGE));
	EXPECT_ALIAS(POOL_GPA + SZ_2M, 0, 10);
	EXPECT_EQ(0, UNPOOL(POOL_GPA, POOL_SIZE));
	EXPECT_EQ(self->map0, maps_now());
	EXPECT_EQ(0, LOAD(POOL_GPA + SZ_2M + 10 * 4096));
	EXPECT_EQ(TAG(10), tpage(self, 10)[0]);
}

/*
 * A pool over a range that an earlier pool gave back and the RAM next to
 * it: the refilled part is a VMA of its own (its advice is set after its
 * mmap()), as after a guest driver's unpool; the new pool takes both.
 */
TEST_F(huge, pool_over_given_back_range)
{
	const __u64 slot = POOL_GPA + 0x100000 + 3 * 4096;

	ASSERT_EQ(0, POOL(POOL_GPA, SZ_2M));
	ASSERT_EQ(0, UNPOOL(POOL_GPA, SZ_2M));
	ASSERT_EQ(0, POOL(POOL_GPA + 0x100000, SZ_2M));
	/* A THP's first page: a stock kvm.ko before 6.13 maps that too. */
	tpage(self, 0)[0] = 0x600d;
	ASSERT_EQ(0, MAP(TGT_GPA, slot, KVMMEM_MAP_READONLY));
	EXPECT_EQ(0x600d, LOAD(slot));
	EXPECT_EQ(0, UNMAP(slot));
	EXPECT_EQ(0, UNPOOL(POOL_GPA + 0x100000, SZ_2M));
	EXPECT_EQ(self->map0, maps_now());
	ASSERT_EQ(0, hv_guest_store(&self->intro, slot, 77));
	EXPECT_EQ(77, LOAD(slot));
}

TEST_HARNESS_MAIN
