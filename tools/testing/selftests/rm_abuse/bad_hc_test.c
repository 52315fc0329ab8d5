// SPDX-License-Identifier: GPL-2.0
/*
 * Raw hypercall arguments from a 64-bit guest at CPL 0 (tiny VMs), and bad
 * token ioctls: one errno each, and nothing mapped or leaked afterwards.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <sys/socket.h>

#include "ra_common.h"
#include "hc_vm.h"

#define SLOT_SIZE	0x10000UL
#define RAM2_GPA	0x200000UL	/* slot 1 of both VMs, 64 KiB */
#define ROM_GPA		0x300000UL	/* slot 2 of the introspector, ROM */
#define HOLE_GPA	0x150000UL	/* between RAM and RAM2: no memslot */
#define HUGE_GPA	0xfffffffffffff000ULL
#define ABOVE_4G	BIT_ULL(32)
#define ENTRY_SIZE	sizeof(struct kvmmem_map_entry)

FIXTURE(hc) {
	int rm;
	bool up;
	struct tiny_vm intro;
	struct tiny_vm target;
	void *iram2, *irom, *tram2;
	struct remote_mapping_token tok;
	long map0, pdb0;
};

static void *slot_mem(void)
{
	void *p = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

#define HC_FIXTURE	FIXTURE_DATA(hc)

FIXTURE_SETUP(hc)
{
	const char *why;
	int ret;

	why = hv_unavailable();
	if (why)
		RM_SETUP_SKIP("%s", why);
	self->rm = rm_open();
	ASSERT_LE(0, self->rm);
	ASSERT_EQ(0, rm_read_counter(RM_MAP_COUNT, &self->map0));
	ASSERT_EQ(0, rm_read_counter(RM_PDB_COUNT, &self->pdb0));
	ret = hv_create(&self->intro);
	ASSERT_EQ(0, ret) TH_LOG("introspector VM: %s", strerror(-ret));
	ret = hv_create(&self->target);
	ASSERT_EQ(0, ret) TH_LOG("target VM: %s", strerror(-ret));
	self->up = true;
	self->iram2 = slot_mem();
	self->irom = slot_mem();
	self->tram2 = slot_mem();
	ASSERT_TRUE(self->iram2 && self->irom && self->tram2);
	ASSERT_EQ(0, __tvm_add_slot(&self->intro, 1, RAM2_GPA, self->iram2,
				    SLOT_SIZE, 0));
	ASSERT_EQ(0, __tvm_add_slot(&self->intro, 2, ROM_GPA, self->irom,
				    SLOT_SIZE, KVM_MEM_READONLY));
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 1, RAM2_GPA, self->tram2,
				    SLOT_SIZE, 0));
	ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 0,
				&self->tok));
	memcpy(self->intro.ram + HV_TOKEN_GPA, &self->tok, sizeof(self->tok));
}

FIXTURE_TEARDOWN(hc)
{
	if (!self->up)
		return;
	tvm_destroy(&self->intro);
	tvm_destroy(&self->target);
	munmap(self->iram2, SLOT_SIZE);
	munmap(self->irom, SLOT_SIZE);
	munmap(self->tram2, SLOT_SIZE);
	close(self->rm);
}

/* A hypercall from the introspector's guest in 64-bit mode at CPL 0. */
#define HC(nr, a0, a1, a2, a3)	HV_HC(&self->intro, nr, a0, a1, a2, a3)

#define MAP(tok, req, map, flags) HC(KVM_HC_MEM_MAP, tok, req, map, flags)
#define UNMAP(map) HC(KVM_HC_MEM_UNMAP, map, 0, 0, 0)
#define BATCH(tok, arr, n, flags) HC(KVM_HC_MEM_MAP_BATCH, tok, arr, n, flags)

/* Everything mapped is gone, and the module's objects with it. */
static void hc_expect_clean(struct __test_metadata *_metadata,
			    HC_FIXTURE *self)
{
	long seen = -1;

	ASSERT_EQ(0, rm_wait_counter(RM_MAP_COUNT, self->map0, 2000, &seen))
		TH_LOG("map_count %ld, expected %ld", seen, self->map0);
	ASSERT_EQ(0, rm_wait_counter(RM_PDB_COUNT, self->pdb0, 5000, &seen))
		TH_LOG("pdb_count %ld, expected %ld", seen, self->pdb0);
	ASSERT_EQ(0, rm_wait_counter(RM_TDB_COUNT, ra_tdb0, 5000, &seen))
		TH_LOG("tdb_count %ld, expected %ld", seen, ra_tdb0);
	ASSERT_EQ(0, rm_wait_counter(RM_IDB_COUNT, ra_idb0, 5000, &seen))
		TH_LOG("idb_count %ld, expected %ld", seen, ra_idb0);
}

static long maps_now(void)
{
	long v = -1;

	rm_read_counter(RM_MAP_COUNT, &v);
	return v;
}

struct hc_case {
	const char *name;
	__u64 nr, a0, a1, a2, a3;
	int err;
};

#define T	HV_TOKEN_GPA
#define R	HV_REQ_GPA
#define M	HV_MAP_GPA

static const struct hc_case hc_cases[] = {
	{ "req ~0 page", KVM_HC_MEM_MAP, T, HUGE_GPA, M, 0, EFAULT },
	{ "req 0x800000000000", KVM_HC_MEM_MAP, T, RA_NONCANON47, M, 0,
	  EFAULT },
	{ "req 2^52", KVM_HC_MEM_MAP, T, 1ULL << 52, M, 0, EFAULT },
	{ "req 4G + good gpa", KVM_HC_MEM_MAP, T, ABOVE_4G + R, M, 0, EFAULT },
	{ "req in MMIO hole", KVM_HC_MEM_MAP, T, HOLE_GPA, M, 0, EFAULT },
	{ "req unaligned by 0xfff", KVM_HC_MEM_MAP, T, R + 0xfff, M, 0,
	  EINVAL },
	{ "map ~0 page", KVM_HC_MEM_MAP, T, R, HUGE_GPA, 0, EFAULT },
	{ "map 0x800000000000", KVM_HC_MEM_MAP, T, R, RA_NONCANON47, 0,
	  EFAULT },
	{ "map 4G + good gpa", KVM_HC_MEM_MAP, T, R, ABOVE_4G + M, 0, EFAULT },
	{ "map in MMIO hole", KVM_HC_MEM_MAP, T, R, HOLE_GPA, 0, EFAULT },
	{ "map in own ROM", KVM_HC_MEM_MAP, T, R, ROM_GPA, 0, EFAULT },
	{ "map in own ROM, RO", KVM_HC_MEM_MAP, T, R, ROM_GPA,
	  KVMMEM_MAP_READONLY, EFAULT },
	{ "map unaligned by 0xfff", KVM_HC_MEM_MAP, T, R, M + 0xfff, 0,
	  EINVAL },
	{ "flags bit 31", KVM_HC_MEM_MAP, T, R, M, 1ULL << 31, EINVAL },
	{ "flags ~0", KVM_HC_MEM_MAP, T, R, M, ~0ULL, EINVAL },
	{ "token at ~0 page", KVM_HC_MEM_MAP, HUGE_GPA, R, M, 0, EFAULT },
	{ "token 4G + good gpa", KVM_HC_MEM_MAP, ABOVE_4G + T, R, M, 0,
	  EFAULT },
	{ "token in MMIO hole", KVM_HC_MEM_MAP, HOLE_GPA, R, M, 0, EFAULT },
	{ "token crosses a page by 1", KVM_HC_MEM_MAP, 0xafe1, R, M, 0,
	  EINVAL },
	{ "token crosses a page by 31", KVM_HC_MEM_MAP, 0xbfff, R, M, 0,
	  EINVAL },
	{ "token at ~0 (wraps)", KVM_HC_MEM_MAP, ~0ULL, R, M, 0, EINVAL },
	{ "unmap ~0 page", KVM_HC_MEM_UNMAP, HUGE_GPA, 0, 0, 0, EFAULT },
	{ "unmap 4G + mapped gpa", KVM_HC_MEM_UNMAP, ABOVE_4G + M, 0, 0, 0,
	  EFAULT },
	{ "unmap in own ROM", KVM_HC_MEM_UNMAP, ROM_GPA, 0, 0, 0, EFAULT },
	{ "unmap in MMIO hole", KVM_HC_MEM_UNMAP, HOLE_GPA, 0, 0, 0, EFAULT },
	{ "unmap unaligned by 0xfff", KVM_HC_MEM_UNMAP, M + 0xfff, 0, 0, 0,
	  EINVAL },
	{ "unmap of RAM2, not mapped", KVM_HC_MEM_UNMAP, RAM2_GPA, 0, 0, 0,
	  ENOENT },
	{ "pool ~0 page", KVM_HC_MEM_POOL, T, HUGE_GPA, 1, 0, EFAULT },
	{ "pool 4G + good gpa", KVM_HC_MEM_POOL, T, ABOVE_4G + R, 1, 0,
	  EFAULT },
	{ "pool in MMIO hole", KVM_HC_MEM_POOL, T, HOLE_GPA, 1, 0, EFAULT },
	{ "pool in own ROM", KVM_HC_MEM_POOL, T, ROM_GPA, 1, 0, EFAULT },
	{ "pool unaligned by 0xfff", KVM_HC_MEM_POOL, T, R + 0xfff, 1, 0,
	  EINVAL },
	{ "pool of 0 pages", KVM_HC_MEM_POOL, T, R, 0, 0, EINVAL },
	{ "pool of 2^63 pages", KVM_HC_MEM_POOL, T, R, 1ULL << 63, 0,
	  EINVAL },
	{ "pool of ~0 pages", KVM_HC_MEM_POOL, T, R, ~0ULL, 0, EINVAL },
	{ "pool past the memslot", KVM_HC_MEM_POOL, T, R, KVMMEM_POOL_MAX, 0,
	  EFAULT },
	{ "pool flags 1", KVM_HC_MEM_POOL, T, R, 1, 1, EINVAL },
	{ "pool token at ~0 page", KVM_HC_MEM_POOL, HUGE_GPA, R, 1, 0,
	  EFAULT },
	{ "pool token crosses a page", KVM_HC_MEM_POOL, 0xbfff, R, 1, 0,
	  EINVAL },
	{ "pool over the mapped page", KVM_HC_MEM_POOL, T, M, 1, 0, EINVAL },
	{ "unpool, not a pool", KVM_HC_MEM_UNPOOL, R, 1, 0, 0, ENOENT },
	{ "unpool the mapped page", KVM_HC_MEM_UNPOOL, M, 1, 0, 0, ENOENT },
	{ "unpool of 0 pages", KVM_HC_MEM_UNPOOL, R, 0, 0, 0, EINVAL },
	{ "unpool of ~0 pages", KVM_HC_MEM_UNPOOL, R, ~0ULL, 0, 0, EINVAL },
	{ "unpool in own ROM", KVM_HC_MEM_UNPOOL, ROM_GPA, 1, 0, 0, EFAULT },
	{ "unpool unaligned", KVM_HC_MEM_UNPOOL, R + 1, 1, 0, 0, EINVAL },
	{ "nr 4G + KVM_HC_MEM_MAP", ABOVE_4G + KVM_HC_MEM_MAP, T, R, M, 0,
	  HV_KVM_ENOSYS },
	{ "unmap batch of 0", KVM_HC_MEM_UNMAP_BATCH, R, 0, 0, 0, EINVAL },
	{ "unmap batch of ~0", KVM_HC_MEM_UNMAP_BATCH, R, ~0ULL, 0, 0,
	  EINVAL },
	{ "unmap batch unaligned", KVM_HC_MEM_UNMAP_BATCH, R + 4, 1, 0, 0,
	  EINVAL },
	{ "unmap batch at ~0 page", KVM_HC_MEM_UNMAP_BATCH, HUGE_GPA, 1, 0, 0,
	  EFAULT },
	{ "unmap batch in MMIO hole", KVM_HC_MEM_UNMAP_BATCH, HOLE_GPA, 1, 0,
	  0, EFAULT },
	{ "unmap batch in own ROM", KVM_HC_MEM_UNMAP_BATCH, ROM_GPA, 1, 0, 0,
	  EFAULT },
	{ "nr 38", 38, T, R, M, 0, HV_KVM_ENOSYS },
	{ "nr 64", 64, T, R, M, 0, HV_KVM_ENOSYS },
};

TEST_F_TIMEOUT(hc, map_unmap_raw_arguments, 120)
{
	__u32 *treq = (__u32 *)(self->target.ram + R);
	const struct hc_case *c;
	long before;
	__u64 val;
	size_t i;

	/* Tokens where the cases put them; a good mapping at M. */
	memcpy(self->intro.ram + 0xafe1, &self->tok, sizeof(self->tok));
	memcpy(self->intro.ram + 0xbfff, &self->tok, sizeof(self->tok));
	treq[0] = 0x600dcafe;
	ASSERT_EQ(0, MAP(T, R, M, 0));
	before = maps_now();

	for (i = 0; i < ARRAY_SIZE(hc_cases); i++) {
		c = &hc_cases[i];
		EXPECT_EQ(-c->err, HC(c->nr, c->a0, c->a1, c->a2, c->a3))
			TH_LOG("case %zu: %s", i, c->name);
		EXPECT_EQ(before, maps_now()) TH_LOG("after %s", c->name);
	}
	/* The good mapping survived all of that. */
	ASSERT_EQ(0, hv_guest_load(&self->intro, M, &val));
	EXPECT_EQ(0x600dcafeULL, val & 0xffffffff);
	ASSERT_EQ(0, UNMAP(M));
	hc_expect_clean(_metadata, self);
}

/* Where a token or page may be, at the edges: these work. */
TEST_F(hc, map_edges_that_work)
{
	__u32 *treq2 = (__u32 *)self->tram2;
	__u64 val;

	/* A token ending exactly at a page end; one in ROM; one in RAM2. */
	memcpy(self->intro.ram + 0x1fe0, &self->tok, sizeof(self->tok));
	memcpy(self->irom, &self->tok, sizeof(self->tok));
	memcpy(self->iram2 + 0x100, &self->tok, sizeof(self->tok));
	ASSERT_EQ(0, MAP(0x1fe0, R, M, 0));
	ASSERT_EQ(0, MAP(ROM_GPA, R, M + 0x1000, 0));
	/* A page of the second slots, both sides. */
	treq2[1] = 0xabcd1234;
	ASSERT_EQ(0, MAP(RAM2_GPA + 0x100, RAM2_GPA, RAM2_GPA + 0x1000, 0));
	EXPECT_EQ(3, maps_now() - self->map0);
	ASSERT_EQ(0, hv_guest_load(&self->intro, RAM2_GPA + 0x1000, &val));
	EXPECT_EQ(0xabcd1234ULL, val >> 32);
	ASSERT_EQ(0, hv_guest_store(&self->intro, RAM2_GPA + 0x1008, 77));
	EXPECT_EQ(77U, treq2[2]);

	EXPECT_EQ(0, UNMAP(M));
	EXPECT_EQ(0, UNMAP(M + 0x1000));
	EXPECT_EQ(0, UNMAP(RAM2_GPA + 0x1000));
	hc_expect_clean(_metadata, self);
}

static struct kvmmem_map_entry *entries(HC_FIXTURE *self)
{
	return (struct kvmmem_map_entry *)(self->intro.ram + HV_ARRAY_GPA);
}

TEST_F_TIMEOUT(hc, batch_counts, 120)
{
	struct kvmmem_map_entry *e = entries(self);
	const __u64 max = KVMMEM_BATCH_MAX, good = 64;
	__u64 i;

	/* One entry. */
	e[0] = (struct kvmmem_map_entry){ R, HV_BMAP_GPA, 1 };
	ASSERT_EQ(1, BATCH(T, HV_ARRAY_GPA, 1, 0));
	EXPECT_EQ(0, e[0].err);
	EXPECT_EQ(self->map0 + 1, maps_now());
	ASSERT_EQ(0, UNMAP(HV_BMAP_GPA));

	/* The maximum: 64 good entries, the others unaligned. */
	for (i = 0; i < max; i++) {
		e[i].req_gpa = R + (i % 16) * 0x1000;
		e[i].map_gpa = HV_BMAP_GPA + i * 0x1000;
		e[i].err = 1;
		if (i >= good)
			e[i].req_gpa += 8;
	}
	ASSERT_EQ((long long)good, BATCH(T, HV_ARRAY_GPA, max, 0));
	for (i = 0; i < max; i++)
		ASSERT_EQ(i < good ? 0 : -EINVAL, e[i].err) TH_LOG("%llu", i);
	EXPECT_EQ(self->map0 + (long)good, maps_now());
	for (i = 0; i < good; i++)
		ASSERT_EQ(0, UNMAP(HV_BMAP_GPA + i * 0x1000));

	/* Too many, also when only the low 32 bits are looked at. */
	EXPECT_EQ(-EINVAL, BATCH(T, HV_ARRAY_GPA, max + 1, 0));
	EXPECT_EQ(-EINVAL, BATCH(T, HV_ARRAY_GPA, ABOVE_4G + 1, 0));
	EXPECT_EQ(-EINVAL, BATCH(T, HV_ARRAY_GPA, ~0ULL, 0));
	hc_expect_clean(_metadata, self);
}

TEST_F(hc, batch_bad_calls)
{
	struct kvmmem_map_entry *e = entries(self);
	struct kvmmem_map_entry *e2 = self->iram2 + SLOT_SIZE - ENTRY_SIZE;
	struct remote_mapping_token ro, bogus = { .token = { 5, 6, 7, 8 } };
	__u64 i;

	for (i = 0; i < 4; i++)
		e[i] = (struct kvmmem_map_entry){ R + i * 0x1000,
						  HV_BMAP_GPA + i * 0x1000, 1 };
	/* The last entry of RAM2 is readable, the next one is in the hole. */
	*e2 = e[0];
	memcpy(self->intro.ram + 0x1f00, &bogus, sizeof(bogus));
	ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1,
				REMOTE_MAPPING_TOKEN_READONLY, 0, &ro));
	memcpy(self->intro.ram + 0x1e00, &ro, sizeof(ro));
	memcpy(self->intro.ram + 0x1fe8, &self->tok, sizeof(self->tok));

	EXPECT_EQ(-EFAULT, BATCH(T, HOLE_GPA, 2, 0));
	EXPECT_EQ(-EFAULT, BATCH(T, HUGE_GPA, 2, 0));
	EXPECT_EQ(-EFAULT, BATCH(T, ABOVE_4G + HV_ARRAY_GPA, 2, 0));
	EXPECT_EQ(-EFAULT, BATCH(T, RAM2_GPA + SLOT_SIZE - ENTRY_SIZE, 2, 0));
	EXPECT_EQ(-EINVAL, BATCH(T, HV_ARRAY_GPA + 4, 2, 0));
	EXPECT_EQ(-EINVAL, BATCH(T, HV_ARRAY_GPA, 2, 4));
	EXPECT_EQ(-EPERM, BATCH(0x1f00, HV_ARRAY_GPA, 2, 0));
	EXPECT_EQ(-EACCES, BATCH(0x1e00, HV_ARRAY_GPA, 2, 0));
	EXPECT_EQ(-EINVAL, BATCH(0x1fe8, HV_ARRAY_GPA, 2, 0));
	EXPECT_EQ(-EFAULT, BATCH(HOLE_GPA, HV_ARRAY_GPA, 2, 0));
	/* Nothing was mapped, no entry was written. */
	EXPECT_EQ(self->map0, maps_now());
	for (i = 0; i < 4; i++)
		EXPECT_EQ(1, e[i].err);
	EXPECT_EQ(1, e2->err);
	hc_expect_clean(_metadata, self);
}

/*
 * a3 (flags) is 64 bits wide for a 64-bit guest: unknown bits 32..63 are
 * refused like the others, not dropped.
 */
TEST_F(hc, flags_high_bits)
{
	struct kvmmem_map_entry *e = entries(self);
	const __u64 bits[] = { 1ULL << 32, 1ULL << 63,
			       (1ULL << 40) | KVMMEM_MAP_READONLY };
	long long ret;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		ret = MAP(T, R, M, bits[i]);
		if (!ret)
			UNMAP(M);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("MAP, flags %#llx", bits[i]);
		e[0] = (struct kvmmem_map_entry){ R, HV_BMAP_GPA, 1 };
		ret = BATCH(T, HV_ARRAY_GPA, 1, bits[i]);
		if (ret > 0)
			UNMAP(HV_BMAP_GPA);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("MAP_BATCH, flags %#llx",
					       bits[i]);
	}
	hc_expect_clean(_metadata, self);
}

/* Bad entries get their own errno; the good ones around them map. */
TEST_F(hc, batch_bad_entries)
{
	struct kvmmem_map_entry *e = entries(self);
	const struct kvmmem_map_entry bad[] = {
		{ HUGE_GPA, HV_BMAP_GPA, -EFAULT },
		{ R, HUGE_GPA, -EFAULT },
		{ R, ROM_GPA, -EFAULT },
		{ HOLE_GPA, HV_BMAP_GPA, -EFAULT },
		{ R, HOLE_GPA, -EFAULT },
		{ ABOVE_4G + R, HV_BMAP_GPA, -EFAULT },
		{ R, ABOVE_4G + HV_BMAP_GPA + 0x1000, -EFAULT },
		{ R + 1, HV_BMAP_GPA, -EINVAL },
		{ R, HV_BMAP_GPA + 0x800, -EINVAL },
		{ R, HV_BMAP_GPA, -EAGAIN },	/* same map_gpa as entry 0 */
	};
	const size_t n = ARRAY_SIZE(bad) + 2;
	size_t i;

	e[0] = (struct kvmmem_map_entry){ R, HV_BMAP_GPA, 1 };
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		e[i + 1] = bad[i];
		e[i + 1].err = 1;
	}
	e[n - 1] = (struct kvmmem_map_entry){ R, HV_BMAP_GPA + 0x1000, 1 };
	ASSERT_EQ(2, BATCH(T, HV_ARRAY_GPA, n, 0));
	EXPECT_EQ(0, e[0].err);
	EXPECT_EQ(0, e[n - 1].err);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(bad[i].err, e[i + 1].err) TH_LOG("entry %zu", i + 1);
	EXPECT_EQ(self->map0 + 2, maps_now());
	EXPECT_EQ(0, UNMAP(HV_BMAP_GPA));
	EXPECT_EQ(0, UNMAP(HV_BMAP_GPA + 0x1000));
	hc_expect_clean(_metadata, self);
}

/*
 * The batch array in the introspector's ROM: readable, so the entries are
 * mapped, but the results cannot be written back.  Either the call fails
 * before mapping anything (as REMOTE_MAPPING_MAP_BATCH does), or it
 * reports what it mapped; failing with pages mapped behind the guest's
 * back leaves it with mappings it does not know about.
 */
TEST_F(hc, batch_array_in_rom)
{
	struct kvmmem_map_entry *e = self->irom;
	long long ret;
	long mapped;
	int i;

	for (i = 0; i < 4; i++)
		e[i] = (struct kvmmem_map_entry){ R + i * 0x1000,
						  HV_BMAP_GPA + i * 0x1000, 1 };
	ret = BATCH(T, ROM_GPA, 4, 0);
	mapped = maps_now() - self->map0;
	for (i = 0; i < 4; i++)
		UNMAP(HV_BMAP_GPA + i * 0x1000);
	if (ret < 0) {
		EXPECT_EQ(-EFAULT, ret);
		EXPECT_EQ(0, mapped) {
			TH_LOG("KVM_HC_MEM_MAP_BATCH failed with %lld but left %ld pages mapped",
			       ret, mapped);
		}
	} else {
		EXPECT_EQ(4, ret);
		EXPECT_EQ(4, mapped);
	}
	hc_expect_clean(_metadata, self);
}

/* Token ioctls with every kind of wrong fd and field. */
TEST_F(hc, token_grant_bad_fds)
{
	struct remote_mapping_token_grant g = {
		.vm_fd = self->target.vm_fd, .intro_vm_fd = -1,
	};
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int pidfd = sys_pidfd_open(getpid());
	int closed = dup(self->rm);
	const struct {
		const char *name;
		int vm, intro;
		unsigned int flags;
		int err;
	} c[] = {
		{ "vm_fd -1", -1, -1, 0, EBADF },
		{ "vm_fd closed", closed, -1, 0, EBADF },
		{ "vm_fd /dev/kvm", kvm, -1, 0, EBADF },
		{ "vm_fd vCPU", self->target.vcpu_fd, -1, 0, EBADF },
		{ "vm_fd pidfd", pidfd, -1, 0, EBADF },
		{ "vm_fd /dev/remote_mapping", self->rm, -1, 0, EBADF },
		{ "vm_fd INT_MAX", INT_MAX, -1, 0, EBADF },
		{ "bind, intro -1", self->target.vm_fd, -1,
		  REMOTE_MAPPING_TOKEN_BIND, EBADF },
		{ "bind, intro vCPU", self->target.vm_fd, self->intro.vcpu_fd,
		  REMOTE_MAPPING_TOKEN_BIND, EBADF },
		{ "bind, intro closed", self->target.vm_fd, closed,
		  REMOTE_MAPPING_TOKEN_BIND | REMOTE_MAPPING_TOKEN_READONLY,
		  EBADF },
		{ "no bind, intro VM", self->target.vm_fd, self->intro.vm_fd, 0,
		  EINVAL },
		{ "no bind, intro 0", self->target.vm_fd, 0, 0, EINVAL },
		{ "flags bit 31", self->target.vm_fd, -1, 1U << 31, EINVAL },
		{ "flags ~0", self->target.vm_fd, self->intro.vm_fd, ~0U,
		  EINVAL },
	};
	size_t i;
	int ret;

	ASSERT_LE(0, kvm);
	ASSERT_LE(0, pidfd);
	ASSERT_LE(0, closed);
	close(closed);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		ret = __rm_grant(self->rm, c[i].vm, c[i].intro, c[i].flags, 0,
				 NULL);
		EXPECT_EQ(-c[i].err, ret) TH_LOG("%s", c[i].name);
	}
	g.reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(self->rm, REMOTE_MAPPING_TOKEN_GRANT, &g));
	EXPECT_EQ(EINVAL, errno);
	close(kvm);
	close(pidfd);
	hc_expect_clean(_metadata, self);
}

/*
 * A grant whose token cannot be copied out fails with EFAULT and must not
 * use up one of the target's REMOTE_MAPPING_MAX_TOKENS.
 */
TEST_F(hc, token_grant_efault_no_leak)
{
	struct remote_mapping_token_grant *g;
	int i;

	g = anon_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT_NE(NULL, g);
	g->vm_fd = self->target.vm_fd;
	g->intro_vm_fd = -1;
	ASSERT_EQ(0, mprotect(g, page_size, PROT_READ));
	for (i = 0; i < 2 * REMOTE_MAPPING_MAX_TOKENS; i++) {
		errno = 0;
		ASSERT_EQ(-1, ioctl(self->rm, REMOTE_MAPPING_TOKEN_GRANT, g));
		ASSERT_EQ(EFAULT, errno) TH_LOG("grant %d", i);
	}
	/* The fixture holds one token: room for all the others. */
	for (i = 1; i < REMOTE_MAPPING_MAX_TOKENS; i++)
		ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 0,
					NULL)) TH_LOG("grant %d", i);
	EXPECT_EQ(-ENOSPC, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 0,
				      NULL));
	hc_expect_clean(_metadata, self);
}

TEST_F(hc, token_revoke_bad)
{
	struct remote_mapping_token_revoke r = { .token = self->tok };
	struct remote_mapping_token zero = { 0 }, flipped = self->tok;
	int i;

	for (i = 0; i < 2; i++) {
		r.reserved[i] = 1ULL << 63;
		EXPECT_EQ(-1, ioctl(self->rm, REMOTE_MAPPING_TOKEN_REVOKE, &r));
		EXPECT_EQ(EINVAL, errno);
		r.reserved[i] = 0;
	}
	EXPECT_EQ(-ENOENT, __rm_revoke(self->rm, &zero));
	/* One bit off in each word. */
	for (i = 0; i < 4; i++) {
		flipped.token[i] ^= 1ULL << (i * 17);
		EXPECT_EQ(-ENOENT, __rm_revoke(self->rm, &flipped));
		memcpy(self->intro.ram + 0x1f00, &flipped, sizeof(flipped));
		EXPECT_EQ(-EPERM, MAP(0x1f00, R, M, 0));
		flipped.token[i] ^= 1ULL << (i * 17);
	}
	/* The fixture's token was none of these and still works. */
	EXPECT_EQ(0, MAP(T, R, M, 0));
	EXPECT_EQ(0, UNMAP(M));
	EXPECT_EQ(0, __rm_revoke(self->rm, &self->tok));
	EXPECT_EQ(-EPERM, MAP(T, R, M, 0));
	EXPECT_EQ(-EPERM, BATCH(T, HV_ARRAY_GPA, 1, 0));
	hc_expect_clean(_metadata, self);
}

/* A TTL of 2^32-1 ms is far away, not already past. */
TEST_F(hc, token_ttl_max)
{
	struct remote_mapping_token tok;

	ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1, 0, ~0U, &tok));
	memcpy(self->intro.ram + 0x1f00, &tok, sizeof(tok));
	EXPECT_EQ(0, MAP(0x1f00, R, M, 0));
	EXPECT_EQ(0, UNMAP(M));
	EXPECT_EQ(0, __rm_revoke(self->rm, &tok));
	hc_expect_clean(_metadata, self);
}

static int send_fd(int sock, int fd, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == (ssize_t)len ? 0 : -errno;
}

static int recv_fd(int sock, void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != (ssize_t)len)
		return -EIO;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EIO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * The VM of a process that has exited, its fd kept alive by us: no new
 * token (ESRCH), and the token granted before the exit is revoked.
 */
TEST_F(hc, token_vm_of_exited_process)
{
	struct remote_mapping_token tok;
	int sv[2], vm_fd, ret;
	struct tiny_vm t;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int rm = rm_open();

		if (rm < 0 || __tvm_create(&t))
			_exit(1);
		t.ram[R] = 0x42;
		if (__rm_grant(rm, t.vm_fd, -1, 0, 0, &tok) ||
		    send_fd(sv[1], t.vm_fd, &tok, sizeof(tok)))
			_exit(2);
		_exit(0);
	}
	vm_fd = recv_fd(sv[0], &tok, sizeof(tok));
	ASSERT_LE(0, vm_fd);
	ASSERT_EQ(pid, waitpid(pid, &ret, 0));
	ASSERT_EQ(0, ret);

	EXPECT_EQ(-ESRCH, __rm_grant(self->rm, vm_fd, -1, 0, 0, NULL));
	EXPECT_EQ(-ESRCH, __rm_grant(self->rm, self->target.vm_fd, vm_fd,
				     REMOTE_MAPPING_TOKEN_BIND, 0, NULL));
	memcpy(self->intro.ram + 0x1f00, &tok, sizeof(tok));
	EXPECT_EQ(-EPERM, MAP(0x1f00, R, M, 0));
	/* Revoked by the exit: gone once collected. */
	for (ret = 0; ret < 200; ret++) {
		if (__rm_revoke(self->rm, &tok) == -ENOENT)
			break;
		usleep(10000);
	}
	EXPECT_EQ(-ENOENT, __rm_revoke(self->rm, &tok));
	close(vm_fd);
	close(sv[0]);
	close(sv[1]);
	hc_expect_clean(_metadata, self);
}

/*
 * Review item 3: a read installs the alias so that KVM maps it writable
 * when both the alias and the target page are, so the guest's next store
 * needs no emulation.  KVM's emulator cannot do VEX stores (glibc's AVX
 * memcpy/memset): the VM stopped with an emulation failure instead.
 */
TEST_F(hc, vex_store_after_read_lands)
{
	__u8 *t = (__u8 *)self->target.ram + HV_REQ_GPA;
	__u8 *src = (__u8 *)self->intro.ram + HV_RESULT_GPA + 0x100;
	bool fail = false;
	int i, ret;

	for (i = 0; i < 16; i++) {
		src[i] = 0xa0 + i;
		t[64 + i] = 0;
	}
	memcpy(t, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	ASSERT_EQ(0, hv_hypercall(&self->intro, HV_MODE_LONG, KVM_HC_MEM_MAP,
				  HV_TOKEN_GPA, HV_REQ_GPA, HV_MAP_GPA, 0,
				  &fail));
	ASSERT_FALSE(fail);
	ret = hv_guest_vstore(&self->intro, HV_MAP_GPA, HV_MAP_GPA + 64,
			      HV_RESULT_GPA + 0x100);
	if (ret == -EOPNOTSUPP)
		SKIP(goto out, "the vCPU has no AVX (KVM_SET_XCRS refused)");
	EXPECT_EQ(0, ret) TH_LOG("the VEX store did not complete");
	EXPECT_EQ(0, memcmp(t + 64, src, 16));
	/* A read-only alias still refuses the store (KVM exits as for ROM). */
	ASSERT_EQ(0, hv_hypercall(&self->intro, HV_MODE_LONG, KVM_HC_MEM_UNMAP,
				  HV_MAP_GPA, 0, 0, 0, &fail));
	ASSERT_EQ(0, hv_hypercall(&self->intro, HV_MODE_LONG, KVM_HC_MEM_MAP,
				  HV_TOKEN_GPA, HV_REQ_GPA, HV_MAP_GPA,
				  KVMMEM_MAP_READONLY, &fail));
	memset(t + 64, 0, 16);
	EXPECT_NE(0, hv_guest_vstore(&self->intro, HV_MAP_GPA, HV_MAP_GPA + 64,
				     HV_RESULT_GPA + 0x100));
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0, t[64 + i]);
out:
	hv_hypercall(&self->intro, HV_MODE_LONG, KVM_HC_MEM_UNMAP, HV_MAP_GPA,
		     0, 0, 0, &fail);
	ASSERT_FALSE(fail);
	hc_expect_clean(_metadata, self);
}

TEST_HARNESS_MAIN
