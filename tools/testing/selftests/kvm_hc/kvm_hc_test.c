// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_HC_MEM_MAP/UNMAP and tokens, end to end through KVM with tiny VMs in
 * one host process: the guest's own loads and stores reach the target VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvmmem.h>
#include <linux/userfaultfd.h>
#include <linux/remote_mapping.h>

#include "kselftest_harness.h"
#include "rm_util.h"
#include "stall_fs.h"
#include "tiny_vm.h"

#define KVM_ENOSYS	1000
#define TOKEN_GPA	TVM_DATA_GPA
#define MAP_GPA		0x4000U
#define REQ_GPA		0x8000U

#define RM_DEBUGFS	"/sys/kernel/debug/remote_mapping/"

static long map_count(void)
{
	long n;

	return read_file_long(RM_DEBUGFS "map_count", &n) ? -1 : n;
}

/* Put @tok where the guest passes it from (a0). */
static __s32 hc_map(struct tiny_vm *vm,
		    const struct remote_mapping_token *tok, __u32 req_gpa,
		    __u32 map_gpa, __u32 flags)
{
	memcpy(vm->ram + TOKEN_GPA, tok, sizeof(*tok));
	return tvm_hypercall(vm, KVM_HC_MEM_MAP, TOKEN_GPA, req_gpa, map_gpa,
			     flags);
}

static __s32 hc_unmap(struct tiny_vm *vm, __u32 map_gpa)
{
	return tvm_hypercall(vm, KVM_HC_MEM_UNMAP, map_gpa, 0, 0, 0);
}

static void *target_page(struct tiny_vm *vm, __u32 gpa)
{
	return vm->ram + gpa;
}

/*
 * A guest store at @gpa that KVM must not make: KVM_RUN fails with EFAULT,
 * or exits to the VMM as an MMIO write of that address, as for ROM.
 */
static int refused_store(struct tiny_vm *vm, __u32 gpa)
{
	int ret = __tvm_guest_write32(vm, gpa, 0xbad);

	if (ret == KVM_EXIT_MMIO && (!vm->run->mmio.is_write ||
				     vm->run->mmio.phys_addr != gpa))
		return -EIO;
	return ret;
}

/*
 * The 6.1 harness runs the test body even when the fixture setup used
 * SKIP(); take a failed ASSERT's path, which skips body and teardown.
 */
#define HC_SETUP_SKIP(...) SKIP(longjmp(_metadata->env, 1), __VA_ARGS__)

FIXTURE(hc) {
	int rm;
	struct tiny_vm intro;
	struct tiny_vm target;
	struct remote_mapping_token tok;
};

FIXTURE_SETUP(hc)
{
	enum tvm_hook hook = tvm_kvm_hook();

	if (access("/dev/kvm", R_OK | W_OK))
		HC_SETUP_SKIP("no /dev/kvm");
	if (hook < TVM_HOOK_PATCH)
		HC_SETUP_SKIP("remote_mapping has no KVM hook (kvm_hook: %s)",
			      tvm_hook_name(hook));
	self->rm = open("/dev/remote_mapping", O_RDWR);
	ASSERT_LE(0, self->rm)
		TH_LOG("open /dev/remote_mapping: %s", strerror(errno));
	tvm_create(&self->intro);
	tvm_create(&self->target);
	ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 0,
				&self->tok));
}

FIXTURE_TEARDOWN(hc)
{
	if (!self->intro.ram)
		return;
	tvm_destroy(&self->intro);
	tvm_destroy(&self->target);
	close(self->rm);
}

TEST_F(hc, null_hypercall_unchanged)
{
	/* A number nobody serves still gets KVM's own answer. */
	EXPECT_EQ(-KVM_ENOSYS, tvm_hypercall(&self->intro, 40, 0, 0, 0, 0));
}

TEST_F(hc, map_loads_stores_unmap)
{
	__u32 *t = target_page(&self->target, REQ_GPA);
	long before = map_count();

	t[0] = 0x11223344;
	self->intro.ram[MAP_GPA] = 0x7f;
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_EQ(before + 1, map_count());

	/* The introspector's guest sees the target's page, live. */
	EXPECT_EQ(0x11223344, tvm_guest_read32(&self->intro, MAP_GPA));
	t[0] = 0xa5a5a5a5;
	EXPECT_EQ(0xa5a5a5a5, tvm_guest_read32(&self->intro, MAP_GPA));
	/* And its stores land in the target. */
	tvm_guest_write32(&self->intro, MAP_GPA + 8, 0x55667788);
	EXPECT_EQ(0x55667788, t[2]);

	EXPECT_EQ(-EALREADY, hc_map(&self->intro, &self->tok, REQ_GPA,
				    MAP_GPA, 0));

	ASSERT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	EXPECT_EQ(before, map_count());
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, MAP_GPA));
	EXPECT_EQ(0x55667788, t[2]);
	EXPECT_EQ(-ENOENT, hc_unmap(&self->intro, MAP_GPA));
}

TEST_F(hc, bad_tokens)
{
	struct remote_mapping_token bogus = { .token = { 1, 2, 3, 4 } };
	struct remote_mapping_token tok;
	struct tiny_vm other;

	EXPECT_EQ(-EPERM, hc_map(&self->intro, &bogus, REQ_GPA, MAP_GPA, 0));

	ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 0, &tok));
	ASSERT_EQ(0, __rm_revoke(self->rm, &tok));
	EXPECT_EQ(-EPERM, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_EQ(-ENOENT, __rm_revoke(self->rm, &tok));

	ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 1, &tok));
	usleep(20 * 1000);
	EXPECT_EQ(-EPERM, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA, 0));

	/* Bound to another introspector VM. */
	tvm_create(&other);
	ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, other.vm_fd,
				REMOTE_MAPPING_TOKEN_BIND, 0, &tok));
	EXPECT_EQ(-EPERM, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_EQ(0, hc_map(&other, &tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_EQ(0, hc_unmap(&other, MAP_GPA));
	tvm_destroy(&other);

	/* Nothing was mapped by the refused calls. */
	EXPECT_EQ(-ENOENT, hc_unmap(&self->intro, MAP_GPA));
}

TEST_F(hc, readonly_token)
{
	struct remote_mapping_token tok;
	__u32 *t = target_page(&self->target, REQ_GPA);

	ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1,
				REMOTE_MAPPING_TOKEN_READONLY, 0, &tok));
	EXPECT_EQ(-EACCES, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA, 0));
	t[0] = 0xfeedf00d;
	ASSERT_EQ(0, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA,
			    KVMMEM_MAP_READONLY));
	EXPECT_EQ(0xfeedf00d, tvm_guest_read32(&self->intro, MAP_GPA));
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
}

/*
 * A guest store that the alias does not allow never lands, and the alias
 * keeps following the target.  KVM cannot make it: with no PTE yet the
 * fault fails and so does KVM_RUN (EFAULT); once a read installed a
 * read-only PTE, KVM exits to the VMM as for a store to ROM.
 */
static void check_store_refused(struct __test_metadata *_metadata,
				struct tiny_vm *vm, __u32 gpa, __u32 *t,
				int first)
{
	__u32 val = t[0];

	EXPECT_EQ(first, refused_store(vm, gpa));
	EXPECT_EQ(val, t[0]);
	EXPECT_EQ(val, tvm_guest_read32(vm, gpa));
	EXPECT_EQ(KVM_EXIT_MMIO, refused_store(vm, gpa));
	EXPECT_EQ(val, t[0]);
	EXPECT_EQ(val, tvm_guest_read32(vm, gpa));
}

/* A read-only alias, and a page the target's VMM made read-only. */
TEST_F(hc, refused_store_never_lands)
{
	__u32 *t = target_page(&self->target, REQ_GPA);

	t[0] = 0x600df00d;
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, MAP_GPA,
			    KVMMEM_MAP_READONLY));
	check_store_refused(_metadata, &self->intro, MAP_GPA, t, -EFAULT);
	ASSERT_EQ(0, hc_unmap(&self->intro, MAP_GPA));

	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, MAP_GPA, 0));
	tvm_guest_write32(&self->intro, MAP_GPA, 2);
	EXPECT_EQ(2, t[0]);
	ASSERT_EQ(0, mprotect(t, 4096, PROT_READ));
	check_store_refused(_metadata, &self->intro, MAP_GPA, t, -EFAULT);
	/* Writable again: the target's mprotect() invalidated the alias. */
	ASSERT_EQ(0, mprotect(t, 4096, PROT_READ | PROT_WRITE));
	tvm_guest_write32(&self->intro, MAP_GPA, 4);
	EXPECT_EQ(4, t[0]);
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
}

TEST_F(hc, bad_arguments)
{
	struct tiny_vm *vm = &self->intro;
	void *rom;

	/* Unaligned gpas, unknown flag, token crossing a page. */
	EXPECT_EQ(-EINVAL, hc_map(vm, &self->tok, REQ_GPA + 8, MAP_GPA, 0));
	EXPECT_EQ(-EINVAL, hc_map(vm, &self->tok, REQ_GPA, MAP_GPA + 8, 0));
	EXPECT_EQ(-EINVAL, hc_map(vm, &self->tok, REQ_GPA, MAP_GPA, 4));
	EXPECT_EQ(-EINVAL, tvm_hypercall(vm, KVM_HC_MEM_MAP, 0x1ff0, REQ_GPA,
					 MAP_GPA, 0));
	EXPECT_EQ(-EINVAL, hc_unmap(vm, MAP_GPA + 1));
	/* Token outside the introspector's RAM. */
	EXPECT_EQ(-EFAULT, tvm_hypercall(vm, KVM_HC_MEM_MAP, 0x40000000,
					 REQ_GPA, MAP_GPA, 0));
	/* gpas outside RAM memslots. */
	EXPECT_EQ(-EFAULT, hc_map(vm, &self->tok, 0x40000000, MAP_GPA, 0));
	EXPECT_EQ(-EFAULT, tvm_hypercall(vm, KVM_HC_MEM_MAP, TOKEN_GPA,
					 REQ_GPA, 0x40000000, 0));
	EXPECT_EQ(-EFAULT, hc_unmap(vm, 0x40000000));

	/* A read-only (ROM) memslot of the target. */
	rom = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rom);
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 1, 0x100000, rom, 0x10000,
				    KVM_MEM_READONLY));
	EXPECT_EQ(-EFAULT, hc_map(vm, &self->tok, 0x100000, MAP_GPA, 0));

	EXPECT_EQ(-ENOENT, hc_unmap(vm, MAP_GPA));
}

#define SECRET_GPA	0x100000U
#define SECRET_VAL	0x5ec2e7U

/*
 * Target RAM backed by memfd_secret, which GUP (so ptrace) refuses: no
 * KVM_HC_MEM_MAP of it, and a mapping of ordinary RAM whose page the target
 * VMM replaces with such memory reads zeros, never the secret.
 */
TEST_F(hc, secretmem_refused)
{
	struct kvmmem_map_entry *e =
		(struct kvmmem_map_entry *)(self->intro.ram + 0x2000);
	__u32 *t = target_page(&self->target, REQ_GPA);
	long before = map_count();
	__u32 *sec;

	sec = secret_map(NULL, 0x10000);
	if (sec == MAP_FAILED && errno == ENOSYS)
		SKIP(return, "no memfd_secret (6.1 needs secretmem.enable=1)");
	ASSERT_NE(MAP_FAILED, sec) TH_LOG("memfd_secret: %s", strerror(errno));
	sec[0] = SECRET_VAL;
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 1, SECRET_GPA, sec, 0x10000,
				    0));

	EXPECT_EQ(-EPERM, hc_map(&self->intro, &self->tok, SECRET_GPA,
				 MAP_GPA, 0));
	EXPECT_EQ(-EPERM, hc_map(&self->intro, &self->tok, SECRET_GPA,
				 MAP_GPA, KVMMEM_MAP_READONLY));
	EXPECT_NE(SECRET_VAL, tvm_guest_read32(&self->intro, MAP_GPA));
	EXPECT_EQ(-ENOENT, hc_unmap(&self->intro, MAP_GPA));
	e[0].req_gpa = SECRET_GPA;
	e[0].map_gpa = MAP_GPA;
	e[0].err = 1;
	memcpy(self->intro.ram + TOKEN_GPA, &self->tok, sizeof(self->tok));
	EXPECT_EQ(0, tvm_hypercall(&self->intro, KVM_HC_MEM_MAP_BATCH,
				   TOKEN_GPA, 0x2000, 1, 0));
	EXPECT_EQ(-EPERM, e[0].err);
	EXPECT_EQ(before, map_count());

	t[0] = 0x1234;
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_EQ(0x1234, tvm_guest_read32(&self->intro, MAP_GPA));
	ASSERT_EQ((void *)t, secret_map(t, 4096));
	t[0] = SECRET_VAL;
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, MAP_GPA));
	EXPECT_EQ(SECRET_VAL, t[0]);
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	EXPECT_EQ(before, map_count());
}

TEST_F(hc, token_ioctls)
{
	struct remote_mapping_token_grant g = { .vm_fd = self->target.vm_fd,
						.intro_vm_fd = -1 };
	struct remote_mapping_token toks[REMOTE_MAPPING_MAX_TOKENS];
	struct remote_mapping_token tok;
	int i, devnull = open("/dev/null", O_RDONLY);
	int granted = 1; /* the fixture's */

	EXPECT_EQ(-EBADF, __rm_grant(self->rm, devnull, -1, 0, 0, &tok));
	EXPECT_EQ(-EBADF, __rm_grant(self->rm, self->target.vm_fd, devnull,
				     REMOTE_MAPPING_TOKEN_BIND, 0, &tok));
	EXPECT_EQ(-EINVAL, __rm_grant(self->rm, self->target.vm_fd, -1, 4, 0,
				      &tok));
	g.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->rm, REMOTE_MAPPING_TOKEN_GRANT, &g));
	EXPECT_EQ(EINVAL, errno);
	close(devnull);

	/* A bound on outstanding tokens per target VM. */
	for (i = 0; granted < REMOTE_MAPPING_MAX_TOKENS; i++, granted++)
		ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 0,
					&toks[i]));
	EXPECT_EQ(-ENOSPC, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 0,
				      &tok));
	/* Two grants never give the same token. */
	EXPECT_NE(0, memcmp(&toks[0], &toks[1], sizeof(toks[0])));
	ASSERT_EQ(0, __rm_revoke(self->rm, &toks[0]));
	EXPECT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 0, &tok));
}

TEST_F(hc, map_batch)
{
	struct kvmmem_map_entry *e =
		(struct kvmmem_map_entry *)(self->intro.ram + 0x2000);
	const __u32 n = 64, first = 0x40000, req0 = 0x80000;
	long before = map_count();
	__u32 i;

	for (i = 0; i < n; i++) {
		*(__u32 *)(self->target.ram + req0 + i * 0x1000) = 0xb0 + i;
		e[i].req_gpa = req0 + ((i * 5) % n) * 0x1000;
		e[i].map_gpa = first + i * 0x1000;
		e[i].err = 1;
	}
	e[7].req_gpa = 0x40000000;	/* outside the target's RAM */
	e[9].map_gpa += 4;		/* unaligned */
	memcpy(self->intro.ram + TOKEN_GPA, &self->tok, sizeof(self->tok));

	EXPECT_EQ(n - 2, tvm_hypercall(&self->intro, KVM_HC_MEM_MAP_BATCH,
				       TOKEN_GPA, 0x2000, n, 0));
	EXPECT_EQ(before + n - 2, map_count());
	for (i = 0; i < n; i++) {
		if (i == 7 || i == 9)
			continue;
		EXPECT_EQ(0, e[i].err);
		/* The process sees the mirror at the intro's own hva too. */
		EXPECT_EQ(0xb0 + (i * 5) % n,
			  *(__u32 *)(self->intro.ram + e[i].map_gpa));
	}
	EXPECT_EQ(-EFAULT, e[7].err);
	EXPECT_EQ(-EINVAL, e[9].err);

	EXPECT_EQ(-EINVAL, tvm_hypercall(&self->intro, KVM_HC_MEM_MAP_BATCH,
					 TOKEN_GPA, 0x2000, 0, 0));
	EXPECT_EQ(-EINVAL, tvm_hypercall(&self->intro, KVM_HC_MEM_MAP_BATCH,
					 TOKEN_GPA, 0x2000,
					 KVMMEM_BATCH_MAX + 1, 0));

	for (i = 0; i < n; i++)
		if (i != 7 && i != 9)
			EXPECT_EQ(0, hc_unmap(&self->intro, e[i].map_gpa));
	EXPECT_EQ(before, map_count());
}

/*
 * A target page inside a transparent huge page, read by the guest.  A
 * stock kvm.ko before 6.13 takes a reference on each VM_PFNMAP page it
 * maps, which fails for a tail page (KVM_RUN: EFAULT): through the ftrace
 * hook, the map refuses tail pages with EOPNOTSUPP (MM_REMOTE_NO_TAIL).
 */
TEST_F(hc, thp_target_page)
{
	const size_t huge = 2UL << 20;
	bool no_tail = tvm_kvm_hook() == TVM_HOOK_FTRACE &&
		       !tvm_kernel_at_least(6, 13);
	char *raw, *thp, said[4] = "";
	long kb;
	__u32 i;

	/* What the module says of itself, for the scripts that set up VMs. */
	ASSERT_LT(0, read_file(RM_DEBUGFS "kvm_no_tail", said, sizeof(said)));
	EXPECT_EQ(no_tail ? 'Y' : 'N', said[0]);
	raw = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	thp = (char *)(((unsigned long)raw + huge - 1) & ~(huge - 1));
	if (madvise(thp, huge, MADV_HUGEPAGE))
		SKIP(return, "no THP (madvise: %s)", strerror(errno));
	for (i = 0; i < huge / 4096; i++)
		*(__u32 *)(thp + i * 4096) = 0x7a0000 + i;
	if (smaps_vma_kb(0, (uintptr_t)thp, "AnonHugePages", &kb) || kb < 2048)
		SKIP(return, "the target region did not get a huge page");
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 2, 0x200000, thp, huge, 0));

	/* A head and two tail pages of the huge page. */
	for (i = 0; i < 3; i++) {
		__u32 sub = i ? 1 + 200 * i : 0;

		if (no_tail && sub) {
			EXPECT_EQ(-EOPNOTSUPP,
				  hc_map(&self->intro, &self->tok,
					 0x200000 + sub * 4096, MAP_GPA, 0));
			continue;
		}
		ASSERT_EQ(0, hc_map(&self->intro, &self->tok,
				    0x200000 + sub * 4096, MAP_GPA, 0));
		EXPECT_EQ(0x7a0000 + sub,
			  tvm_guest_read32(&self->intro, MAP_GPA));
		tvm_guest_write32(&self->intro, MAP_GPA + 4, sub);
		EXPECT_EQ(sub, *(__u32 *)(thp + sub * 4096 + 4));
		ASSERT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	}
}

/*
 * The target's RAM page goes away under a live target (e.g. its VM was
 * destroyed): the introspector's guest keeps running and reads zeros.
 */
TEST_F(hc, target_unmaps_page_reads_zero)
{
	__u32 *t = target_page(&self->target, REQ_GPA);
	long before = map_count();

	t[0] = 0x1234;
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_EQ(0x1234, tvm_guest_read32(&self->intro, MAP_GPA));
	ASSERT_EQ(0, munmap(t, 4096));
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, MAP_GPA));
	/* Writes go to a page of its own, which it keeps. */
	tvm_guest_write32(&self->intro, MAP_GPA, 5);
	EXPECT_EQ(5, tvm_guest_read32(&self->intro, MAP_GPA));
	ASSERT_EQ(t, mmap(t, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	t[0] = 9;
	EXPECT_EQ(5, tvm_guest_read32(&self->intro, MAP_GPA));
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	EXPECT_EQ(before, map_count());
}

#define POOL_GPA	0xc000U
#define POOL_PAGES	4U

static __s32 hc_pool(struct tiny_vm *vm,
		     const struct remote_mapping_token *tok, __u32 gpa,
		     __u32 npages, __u32 flags)
{
	memcpy(vm->ram + TOKEN_GPA, tok, sizeof(*tok));
	return tvm_hypercall(vm, KVM_HC_MEM_POOL, TOKEN_GPA, gpa, npages,
			     flags);
}

static __s32 hc_unpool(struct tiny_vm *vm, __u32 gpa, __u32 npages)
{
	return tvm_hypercall(vm, KVM_HC_MEM_UNPOOL, gpa, npages, 0, 0);
}

/*
 * Faults taken by the VMM's (this process's) first read of the alias at
 * @gpa of @vm: 0 once the hypercall installed the page.
 */
static long vmm_read_faults(struct tiny_vm *vm, __u32 gpa, __u32 *val)
{
	long before = thread_faults();

	*val = (__u32)peek(vm->ram + gpa);	/* not optimised away */
	return thread_faults() - before;
}

/*
 * KVMMEM_MAP_POPULATE installs the target page in the VMM's page table
 * during the call, single and batched, into RAM and into a pool; without
 * it the first access faults.  Either way the alias follows the target.
 */
TEST_F(hc, map_populate)
{
	struct kvmmem_map_entry *e =
		(struct kvmmem_map_entry *)(self->intro.ram + 0x2000);
	__u32 *t = target_page(&self->target, REQ_GPA);
	const __u32 slot = POOL_GPA + 0x1000;
	__u32 val;

	t[0] = 0x9091a2a3;
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, MAP_GPA,
			    KVMMEM_MAP_POPULATE));
	EXPECT_EQ(0, vmm_read_faults(&self->intro, MAP_GPA, &val))
		TH_LOG("not installed during the map hypercall");
	EXPECT_EQ(0x9091a2a3, val);
	t[0] = 0x9191a2a3;
	EXPECT_EQ(0x9191a2a3, tvm_guest_read32(&self->intro, MAP_GPA));
	ASSERT_EQ(0, hc_unmap(&self->intro, MAP_GPA));

	/* The control: without the flag, the first read faults. */
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_LE(1, vmm_read_faults(&self->intro, MAP_GPA, &val));
	EXPECT_EQ(0x9191a2a3, val);
	ASSERT_EQ(0, hc_unmap(&self->intro, MAP_GPA));

	/* Batched into a pool, read-only too. */
	ASSERT_EQ(0, hc_pool(&self->intro, &self->tok, POOL_GPA, POOL_PAGES,
			     0));
	e[0] = (struct kvmmem_map_entry){ .req_gpa = REQ_GPA,
					  .map_gpa = slot };
	EXPECT_EQ(1, tvm_hypercall(&self->intro, KVM_HC_MEM_MAP_BATCH,
				   TOKEN_GPA, 0x2000, 1,
				   KVMMEM_MAP_POPULATE | KVMMEM_MAP_READONLY));
	EXPECT_EQ(0, e[0].err);
	EXPECT_EQ(0, vmm_read_faults(&self->intro, slot, &val))
		TH_LOG("the pool page was not installed during the batch");
	EXPECT_EQ(0x9191a2a3, val);
	t[0] = 0x9292a2a3;
	EXPECT_EQ(0x9292a2a3, tvm_guest_read32(&self->intro, slot));
	EXPECT_EQ(0, hc_unmap(&self->intro, slot));
	EXPECT_EQ(0, hc_unpool(&self->intro, POOL_GPA, POOL_PAGES));
}

static int maps_lines(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int c, n = 0;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/*
 * A pool: RAM reading zeros, into which maps and unmaps change no VMA of
 * the VMM (this process); its holes stay RAM for the guest.
 */
TEST_F(hc, pool_map_unmap)
{
	__u32 *t = target_page(&self->target, REQ_GPA);
	const __u32 slot = POOL_GPA + 0x1000, hole = POOL_GPA + 0x2000;
	long before = map_count();
	int lines;

	self->intro.ram[slot] = 0x7f;
	ASSERT_EQ(0, hc_pool(&self->intro, &self->tok, POOL_GPA, POOL_PAGES,
			     0));
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, slot));
	EXPECT_EQ(-EALREADY, hc_pool(&self->intro, &self->tok, POOL_GPA,
				     POOL_PAGES, 0));
	lines = maps_lines();

	/* A hole is RAM: what the guest writes stays, for the VMM too. */
	tvm_guest_write32(&self->intro, hole, 0x600d0001);
	EXPECT_EQ(0x600d0001, tvm_guest_read32(&self->intro, hole));
	EXPECT_EQ(0x600d0001, *(__u32 *)(self->intro.ram + hole));

	t[0] = 0x11223344;
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, slot, 0));
	EXPECT_EQ(before + 1, map_count());
	EXPECT_EQ(lines, maps_lines());
	EXPECT_EQ(0x11223344, tvm_guest_read32(&self->intro, slot));
	EXPECT_EQ(0x11223344, *(__u32 *)(self->intro.ram + slot));
	t[0] = 0xa5a5a5a5;
	EXPECT_EQ(0xa5a5a5a5, tvm_guest_read32(&self->intro, slot));
	tvm_guest_write32(&self->intro, slot + 8, 0x55667788);
	EXPECT_EQ(0x55667788, t[2]);
	EXPECT_EQ(-EALREADY, hc_map(&self->intro, &self->tok, REQ_GPA, slot,
				    0));
	EXPECT_EQ(0, hc_unmap(&self->intro, slot));
	EXPECT_EQ(before, map_count());
	EXPECT_EQ(lines, maps_lines());
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, slot + 8));
	EXPECT_EQ(-ENOENT, hc_unmap(&self->intro, slot));

	/* Mapping over a written hole, then unmapping: zeros, not the old. */
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, hole, 0));
	EXPECT_EQ(0xa5a5a5a5, tvm_guest_read32(&self->intro, hole));
	EXPECT_EQ(0, hc_unmap(&self->intro, hole));
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, hole));
	EXPECT_EQ(0x55667788, t[2]);

	/* Back to ordinary RAM, mappings ended. */
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, slot, 0));
	tvm_guest_write32(&self->intro, hole, 0x600d0002);
	EXPECT_EQ(0, hc_unpool(&self->intro, POOL_GPA, POOL_PAGES));
	EXPECT_EQ(before, map_count());
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, slot));
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, hole));
	tvm_guest_write32(&self->intro, slot, 0x600d0003);
	EXPECT_EQ(0x600d0003, *(__u32 *)(self->intro.ram + slot));
	EXPECT_EQ(-ENOENT, hc_unpool(&self->intro, POOL_GPA, POOL_PAGES));
	EXPECT_EQ(0xa5a5a5a5, t[0]);
}

/*
 * Two introspectors of one target page: another process mirrors it in a
 * window (rm-vmcore --pid, Documentation/vmi-tools.rst), then the KVM
 * alias maps it into a pool, single and batched, read-only as rm-vmcore
 * --kvmmem does; and the other way round.
 */
TEST_F(hc, window_mirror_and_alias_share_a_page)
{
	struct kvmmem_map_entry *e =
		(struct kvmmem_map_entry *)(self->intro.ram + 0x2000);
	__u32 *t = target_page(&self->target, REQ_GPA);
	const __u32 slot = POOL_GPA + 0x1000;
	int ready[2], done[2], status;
	char c = 0;
	pid_t child;

	t[0] = 0x0dd0beef;
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		struct remote_mapping_map m = { 0 };
		int dev = open("/dev/remote_mapping", O_RDWR);
		__u32 *win;

		win = dev < 0 ? MAP_FAILED :
		      mmap(NULL, 4096, PROT_READ, MAP_SHARED, dev, 0);
		m.req_hva = (uintptr_t)t;
		m.map_hva = (uintptr_t)win;
		m.target = getppid();
		m.flags = REMOTE_MAPPING_TARGET_PID | REMOTE_MAPPING_READONLY |
			  REMOTE_MAPPING_POPULATE;
		c = win != MAP_FAILED &&
		    !ioctl(dev, REMOTE_MAPPING_MAP, &m) && win[0] == 0x0dd0beef;
		if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(1, c) TH_LOG("the other process could not mirror the page");

	ASSERT_EQ(0, hc_pool(&self->intro, &self->tok, POOL_GPA, POOL_PAGES,
			     0));
	EXPECT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, slot,
			    KVMMEM_MAP_READONLY));
	EXPECT_EQ(0x0dd0beef, tvm_guest_read32(&self->intro, slot));
	EXPECT_EQ(0, hc_unmap(&self->intro, slot));
	e[0].req_gpa = REQ_GPA;
	e[0].map_gpa = slot;
	e[0].err = 1;
	memcpy(self->intro.ram + TOKEN_GPA, &self->tok, sizeof(self->tok));
	EXPECT_EQ(1, tvm_hypercall(&self->intro, KVM_HC_MEM_MAP_BATCH,
				   TOKEN_GPA, 0x2000, 1, KVMMEM_MAP_READONLY));
	EXPECT_EQ(0, e[0].err);
	EXPECT_EQ(0x0dd0beef, tvm_guest_read32(&self->intro, slot));
	EXPECT_EQ(0, hc_unmap(&self->intro, slot));
	/* Again, into another page of the pool (an LRU cache's next slot). */
	e[0].map_gpa = slot + 0x1000;
	e[0].err = 1;
	EXPECT_EQ(1, tvm_hypercall(&self->intro, KVM_HC_MEM_MAP_BATCH,
				   TOKEN_GPA, 0x2000, 1, KVMMEM_MAP_READONLY));
	EXPECT_EQ(0, e[0].err);
	EXPECT_EQ(0x0dd0beef, tvm_guest_read32(&self->intro, slot + 0x1000));
	EXPECT_EQ(0, hc_unmap(&self->intro, slot + 0x1000));

	ASSERT_EQ(1, write(done[1], &c, 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, hc_unpool(&self->intro, POOL_GPA, POOL_PAGES));
}

/* As refused_store_never_lands, in a pool: then the page is RAM again. */
TEST_F(hc, pool_readonly_store_never_lands)
{
	__u32 *t = target_page(&self->target, REQ_GPA);

	t[0] = 0x600df00d;
	ASSERT_EQ(0, hc_pool(&self->intro, &self->tok, POOL_GPA, POOL_PAGES,
			     0));
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, POOL_GPA,
			    KVMMEM_MAP_READONLY));
	check_store_refused(_metadata, &self->intro, POOL_GPA, t, -EFAULT);
	ASSERT_EQ(0, hc_unmap(&self->intro, POOL_GPA));
	tvm_guest_write32(&self->intro, POOL_GPA, 2);
	EXPECT_EQ(2, tvm_guest_read32(&self->intro, POOL_GPA));
	EXPECT_EQ(0x600df00d, t[0]);
	EXPECT_EQ(0, hc_unpool(&self->intro, POOL_GPA, POOL_PAGES));
}

TEST_F(hc, pool_bad_arguments)
{
	struct remote_mapping_token bogus = { .token = { 1, 2, 3, 4 } };
	struct tiny_vm *vm = &self->intro;
	long before = map_count();

	EXPECT_EQ(-EINVAL, hc_pool(vm, &self->tok, POOL_GPA, POOL_PAGES, 1));
	EXPECT_EQ(-EINVAL, hc_pool(vm, &self->tok, POOL_GPA + 8, 1, 0));
	EXPECT_EQ(-EINVAL, hc_pool(vm, &self->tok, POOL_GPA, 0, 0));
	EXPECT_EQ(-EINVAL, hc_pool(vm, &self->tok, POOL_GPA,
				   KVMMEM_POOL_MAX + 1, 0));
	/* Past the end of the memslot, outside RAM. */
	EXPECT_EQ(-EFAULT, hc_pool(vm, &self->tok, TVM_RAM_SIZE - 0x1000, 2,
				   0));
	EXPECT_EQ(-EFAULT, hc_pool(vm, &self->tok, 0x40000000, 1, 0));
	EXPECT_EQ(-EPERM, hc_pool(vm, &bogus, POOL_GPA, POOL_PAGES, 0));
	EXPECT_EQ(-ENOENT, hc_unpool(vm, POOL_GPA, POOL_PAGES));
	EXPECT_EQ(-EINVAL, hc_unpool(vm, POOL_GPA + 1, 1));
	EXPECT_EQ(-EFAULT, hc_unpool(vm, 0x40000000, 1));

	/* Not over a mapping made outside a pool. */
	ASSERT_EQ(0, hc_map(vm, &self->tok, REQ_GPA, POOL_GPA, 0));
	EXPECT_EQ(-EINVAL, hc_pool(vm, &self->tok, POOL_GPA, POOL_PAGES, 0));
	EXPECT_EQ(0, hc_unmap(vm, POOL_GPA));

	/* Only part of a pool is a pool. */
	ASSERT_EQ(0, hc_pool(vm, &self->tok, POOL_GPA, 2, 0));
	EXPECT_EQ(-ENOENT, hc_unpool(vm, POOL_GPA, POOL_PAGES));
	EXPECT_EQ(0, hc_unpool(vm, POOL_GPA + 0x1000, 1));
	EXPECT_EQ(0, hc_unpool(vm, POOL_GPA, 1));
	EXPECT_EQ(before, map_count());
}

/* The VMM unmaps a pool with a mapping in it: the mapping ends. */
TEST_F(hc, pool_vmm_munmap)
{
	long before = map_count();

	ASSERT_EQ(0, hc_pool(&self->intro, &self->tok, POOL_GPA, POOL_PAGES,
			     0));
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, POOL_GPA, 0));
	EXPECT_EQ(before + 1, map_count());
	tvm_destroy(&self->intro);
	EXPECT_EQ(before, map_count());
	tvm_create(&self->intro);
}

/*
 * The VMM replaces a page of a pool with a mapping of its own (MAP_FIXED of
 * a memfd) while the guest destroys the pool: whichever comes first, the
 * VMM's mapping survives, and KVM_HC_MEM_UNPOOL returns 0 or -ENOENT.
 */
struct unpool_race {
	void *page;
	int memfd;
	unsigned int delay;
	int go;		/* iteration to start; -1: exit */
	int done;	/* last iteration finished */
	int err;
};

static void *unpool_race_thread(void *arg)
{
	struct unpool_race *r = arg;
	unsigned int spin;
	int it = 0;

	for (;;) {
		while (__atomic_load_n(&r->go, __ATOMIC_ACQUIRE) == it)
			;
		it = __atomic_load_n(&r->go, __ATOMIC_ACQUIRE);
		if (it < 0)
			return NULL;
		for (spin = 0; spin < r->delay; spin++)
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (mmap(r->page, 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, r->memfd, 0) == MAP_FAILED)
			r->err = errno;
		__atomic_store_n(&r->done, it, __ATOMIC_RELEASE);
	}
}

TEST_F(hc, unpool_race_keeps_vmm_mapping)
{
	struct unpool_race r = {
		.page = self->intro.ram + POOL_GPA + 0x1000,
	};
	unsigned int ok = 0, enoent = 0;
	__u64 start = now_ms();
	pthread_t thread;
	__u32 tag;
	int i, ret;

	r.memfd = memfd_create("unpool_race", MFD_CLOEXEC);
	ASSERT_LE(0, r.memfd);
	ASSERT_EQ(0, ftruncate(r.memfd, 4096));
	ASSERT_EQ(0, pthread_create(&thread, NULL, unpool_race_thread, &r));
	/* 300 rounds, or what fits in 15 s (a debug kernel is slow). */
	for (i = 1; i <= 300 && now_ms() - start < 15000; i++) {
		tag = 0x7a900000 + i;
		ASSERT_EQ((ssize_t)sizeof(tag),
			  pwrite(r.memfd, &tag, sizeof(tag), 0));
		/* Ordinary RAM again where the last round left the memfd. */
		ASSERT_EQ(r.page, mmap(r.page, 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				       -1, 0));
		ASSERT_EQ(0, hc_pool(&self->intro, &self->tok, POOL_GPA,
				     POOL_PAGES, 0));
		r.delay = (i * 37) % 1024;
		__atomic_store_n(&r.go, i, __ATOMIC_RELEASE);
		ret = hc_unpool(&self->intro, POOL_GPA, POOL_PAGES);
		while (__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) != i)
			;
		ASSERT_EQ(0, r.err);
		ASSERT_TRUE(!ret || ret == -ENOENT) TH_LOG("unpool: %d", ret);
		ok += !ret;
		enoent += ret == -ENOENT;
		ASSERT_EQ(tag, *(__u32 *)r.page) {
			TH_LOG("iteration %d: the VMM's mapping is gone (unpool %d)",
			       i, ret);
		}
		/* The pool pieces around the VMM's mapping. */
		if (ret) {
			ASSERT_EQ(0, hc_unpool(&self->intro, POOL_GPA, 1));
			ASSERT_EQ(0, hc_unpool(&self->intro, POOL_GPA + 0x2000,
					       POOL_PAGES - 2));
		}
	}
	__atomic_store_n(&r.go, -1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	close(r.memfd);
	TH_LOG("%d rounds: unpool succeeded %u times, -ENOENT %u times",
	       i - 1, ok, enoent);
	EXPECT_LE(20, i - 1);
}

/* A mirror the VMM makes itself, through /dev/remote_mapping. */
static int vmm_map(int rm, void *req, void *map)
{
	struct remote_mapping_map m = {
		.req_hva = (uintptr_t)req,
		.map_hva = (uintptr_t)map,
		.target = getpid(),
		.flags = REMOTE_MAPPING_TARGET_PID,
	};

	return ioctl(rm, REMOTE_MAPPING_MAP, &m) ? -errno : 0;
}

static int vmm_unmap(int rm, void *map)
{
	struct remote_mapping_unmap u = { .map_hva = (uintptr_t)map };

	return ioctl(rm, REMOTE_MAPPING_UNMAP, &u) ? -errno : 0;
}

/*
 * KVM_HC_MEM_UNMAP ends only mappings that hypercalls made: not one the
 * VMM made in its guest's RAM, nor one it made in a window or a pool.
 */
TEST_F(hc, unmap_refuses_vmm_mirror)
{
	__u32 *t = target_page(&self->target, REQ_GPA);
	const __u32 win_gpa = 0x100000;
	long before = map_count();
	char *win;

	t[0] = 0x5eed0001;
	ASSERT_EQ(0, vmm_map(self->rm, t, self->intro.ram + MAP_GPA));
	EXPECT_EQ(-EPERM, hc_unmap(&self->intro, MAP_GPA));
	EXPECT_EQ(0x5eed0001, tvm_guest_read32(&self->intro, MAP_GPA));
	EXPECT_EQ(before + 1, map_count());
	EXPECT_EQ(0, vmm_unmap(self->rm, self->intro.ram + MAP_GPA));

	/* A pool page the VMM mapped, next to one the guest mapped. */
	ASSERT_EQ(0, hc_pool(&self->intro, &self->tok, POOL_GPA, POOL_PAGES,
			     0));
	ASSERT_EQ(0, vmm_map(self->rm, t, self->intro.ram + POOL_GPA));
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA,
			    POOL_GPA + 0x1000, 0));
	EXPECT_EQ(-EPERM, hc_unmap(&self->intro, POOL_GPA));
	EXPECT_EQ(0x5eed0001, tvm_guest_read32(&self->intro, POOL_GPA));
	EXPECT_EQ(0, hc_unmap(&self->intro, POOL_GPA + 0x1000));
	EXPECT_EQ(0, vmm_unmap(self->rm, self->intro.ram + POOL_GPA));
	EXPECT_EQ(0, hc_unpool(&self->intro, POOL_GPA, POOL_PAGES));

	/* A window the VMM made and gave its guest as RAM. */
	win = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->rm, 0);
	ASSERT_NE(MAP_FAILED, win);
	ASSERT_EQ(0, __tvm_add_slot(&self->intro, 1, win_gpa, win, 0x10000,
				    0));
	ASSERT_EQ(0, vmm_map(self->rm, t, win));
	EXPECT_EQ(-EPERM, hc_unmap(&self->intro, win_gpa));
	EXPECT_EQ(0x5eed0001, *(__u32 *)win);
	/* The guest's own mapping there is its to end. */
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA,
			    win_gpa + 0x1000, 0));
	EXPECT_EQ(0, hc_unmap(&self->intro, win_gpa + 0x1000));
	EXPECT_EQ(0, vmm_unmap(self->rm, win));
	EXPECT_EQ(0, __tvm_add_slot(&self->intro, 1, win_gpa, win, 0, 0));
	EXPECT_EQ(0, munmap(win, 0x10000));
	EXPECT_EQ(before, map_count());
}

/*
 * KVM_HC_MEM_UNMAP_BATCH of pool pages, among them bad entries and a page
 * the VMM mapped (EPERM).  Pages 0 and 2 go in one span, page 1 inside it
 * stays mapped and the guest reads it again through KVM; then 64 pages in
 * one call.  Guest loads reach the first 64 KiB only: the VMM's view of
 * the RAM checks the large pool.
 */
TEST_F(hc, pool_unmap_batch)
{
	struct kvmmem_map_entry *e =
		(struct kvmmem_map_entry *)(self->intro.ram + 0x2000);
	struct kvmmem_unmap_entry *u =
		(struct kvmmem_unmap_entry *)(self->intro.ram + 0x3000);
	const __u32 n = 64, big = 0x40000, req0 = 0x80000;
	__u32 *t = target_page(&self->target, req0);
	long before = map_count();
	__u32 i;

	ASSERT_EQ(0, hc_pool(&self->intro, &self->tok, POOL_GPA, POOL_PAGES,
			     0));
	for (i = 0; i < n; i++) {
		t[i * 0x400] = 0xc0 + i;
		e[i].req_gpa = req0 + i * 0x1000;
		e[i].map_gpa = POOL_GPA + i * 0x1000;
		e[i].err = 1;
	}
	memcpy(self->intro.ram + TOKEN_GPA, &self->tok, sizeof(self->tok));
	ASSERT_EQ(3, tvm_hypercall(&self->intro, KVM_HC_MEM_MAP_BATCH,
				   TOKEN_GPA, 0x2000, 3, 0));
	ASSERT_EQ(0, vmm_map(self->rm, &t[0x400],
			     self->intro.ram + POOL_GPA + 0x3000));
	/* Guest loads put the pages into KVM's page tables. */
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0xc0 + (i < 3 ? i : 1),
			  tvm_guest_read32(&self->intro, POOL_GPA + i * 0x1000));

	u[0].map_gpa = POOL_GPA;
	u[1].map_gpa = POOL_GPA + 0x2000;
	u[2].map_gpa = POOL_GPA + 0x3000;		/* the VMM's */
	u[3].map_gpa = POOL_GPA;			/* twice */
	u[4].map_gpa = POOL_GPA + 0x1004;		/* unaligned */
	u[5].map_gpa = 0x40000000;			/* outside the RAM */
	for (i = 0; i < 6; i++)
		u[i].err = 1;
	EXPECT_EQ(2, tvm_hypercall(&self->intro, KVM_HC_MEM_UNMAP_BATCH,
				   0x3000, 6, 0, 0));
	EXPECT_EQ(0, u[0].err);
	EXPECT_EQ(0, u[1].err);
	EXPECT_EQ(-EPERM, u[2].err);
	EXPECT_EQ(-ENOENT, u[3].err);
	EXPECT_EQ(-EINVAL, u[4].err);
	EXPECT_EQ(-EFAULT, u[5].err);
	EXPECT_EQ(before + 2, map_count());
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, POOL_GPA));
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, POOL_GPA + 0x2000));
	EXPECT_EQ(0xc1, tvm_guest_read32(&self->intro, POOL_GPA + 0x1000));
	t[0x400] = 0x7777;
	EXPECT_EQ(0x7777, tvm_guest_read32(&self->intro, POOL_GPA + 0x1000));
	EXPECT_EQ(0x7777, tvm_guest_read32(&self->intro, POOL_GPA + 0x3000));
	u[0].map_gpa = POOL_GPA + 0x1000;
	EXPECT_EQ(1, tvm_hypercall(&self->intro, KVM_HC_MEM_UNMAP_BATCH,
				   0x3000, 1, 0, 0));
	EXPECT_EQ(0, vmm_unmap(self->rm, self->intro.ram + POOL_GPA + 0x3000));
	EXPECT_EQ(0, hc_unpool(&self->intro, POOL_GPA, POOL_PAGES));
	EXPECT_EQ(before, map_count());

	/* 64 pages, mapped and unmapped in one call each. */
	ASSERT_EQ(0, hc_pool(&self->intro, &self->tok, big, n, 0));
	for (i = 0; i < n; i++) {
		e[i].map_gpa = big + i * 0x1000;
		u[i].map_gpa = big + i * 0x1000;
		u[i].err = 1;
	}
	ASSERT_EQ(n, tvm_hypercall(&self->intro, KVM_HC_MEM_MAP_BATCH,
				   TOKEN_GPA, 0x2000, n, 0));
	for (i = 0; i < n; i++)
		EXPECT_EQ(t[i * 0x400],
			  *(__u32 *)(self->intro.ram + big + i * 0x1000));
	EXPECT_EQ(n, tvm_hypercall(&self->intro, KVM_HC_MEM_UNMAP_BATCH,
				   0x3000, n, 0, 0));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, u[i].err) TH_LOG("entry %u", i);
		EXPECT_EQ(0, *(__u32 *)(self->intro.ram + big + i * 0x1000));
	}
	EXPECT_EQ(before, map_count());

	EXPECT_EQ(-EINVAL, tvm_hypercall(&self->intro, KVM_HC_MEM_UNMAP_BATCH,
					 0x3000, 0, 0, 0));
	EXPECT_EQ(-EINVAL, tvm_hypercall(&self->intro, KVM_HC_MEM_UNMAP_BATCH,
					 0x3000, KVMMEM_BATCH_MAX + 1, 0, 0));
	EXPECT_EQ(-EINVAL, tvm_hypercall(&self->intro, KVM_HC_MEM_UNMAP_BATCH,
					 0x3004, 1, 0, 0));
	EXPECT_EQ(-EFAULT, tvm_hypercall(&self->intro, KVM_HC_MEM_UNMAP_BATCH,
					 0x40000000, 1, 0, 0));
	EXPECT_EQ(0, hc_unpool(&self->intro, big, n));
}

/*
 * KVM_HC_MEM_UNPOOL ends only pools that KVM_HC_MEM_POOL made: not a
 * window the VMM made with mmap(), nor a pool holding a mapping the VMM
 * made.
 */
TEST_F(hc, unpool_refuses_vmm_window)
{
	__u32 *t = target_page(&self->target, REQ_GPA);
	const __u32 win_gpa = 0x100000;
	long before = map_count();
	char *win;
	int lines;

	t[0] = 0x5eed0002;
	win = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->rm, 0);
	ASSERT_NE(MAP_FAILED, win);
	ASSERT_EQ(0, __tvm_add_slot(&self->intro, 1, win_gpa, win, 0x10000,
				    0));
	ASSERT_EQ(0, vmm_map(self->rm, t, win + 0x2000));
	lines = maps_lines();
	EXPECT_EQ(-EPERM, hc_unpool(&self->intro, win_gpa, 16));
	EXPECT_EQ(-EPERM, hc_unpool(&self->intro, win_gpa + 0x2000, 1));
	EXPECT_EQ(lines, maps_lines());
	EXPECT_EQ(0x5eed0002, *(__u32 *)(win + 0x2000));
	EXPECT_EQ(before + 1, map_count());
	EXPECT_EQ(0, vmm_unmap(self->rm, win + 0x2000));
	EXPECT_EQ(0, __tvm_add_slot(&self->intro, 1, win_gpa, win, 0, 0));
	EXPECT_EQ(0, munmap(win, 0x10000));

	/* The guest's pool with a page the VMM mapped into it. */
	ASSERT_EQ(0, hc_pool(&self->intro, &self->tok, POOL_GPA, POOL_PAGES,
			     0));
	ASSERT_EQ(0, vmm_map(self->rm, t, self->intro.ram + POOL_GPA + 0x1000));
	EXPECT_EQ(-EPERM, hc_unpool(&self->intro, POOL_GPA, POOL_PAGES));
	EXPECT_EQ(0x5eed0002, tvm_guest_read32(&self->intro,
					       POOL_GPA + 0x1000));
	/* The rest of the pool is the guest's to give back. */
	EXPECT_EQ(0, hc_unpool(&self->intro, POOL_GPA, 1));
	EXPECT_EQ(0, vmm_unmap(self->rm, self->intro.ram + POOL_GPA + 0x1000));
	EXPECT_EQ(0, hc_unpool(&self->intro, POOL_GPA + 0x1000,
			       POOL_PAGES - 1));
	EXPECT_EQ(before, map_count());
}

/* The target VM's process exits while mapped: zeros, no error, no leak. */
TEST_F(hc, target_exit_reads_zero)
{
	struct remote_mapping_token tok;
	int to_parent[2], to_child[2];
	long before = map_count();
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct tiny_vm t;
		/* /dev/remote_mapping files are bound to their opener's mm. */
		int rm = open("/dev/remote_mapping", O_RDWR);

		close(to_parent[0]);
		close(to_child[1]);
		tvm_create(&t);
		*(__u32 *)(t.ram + REQ_GPA) = 0xcafe0001;
		if (__rm_grant(rm, t.vm_fd, -1, 0, 0, &tok))
			_exit(1);
		if (write(to_parent[1], &tok, sizeof(tok)) != sizeof(tok))
			_exit(1);
		if (read(to_child[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ((ssize_t)sizeof(tok), read(to_parent[0], &tok, sizeof(tok)));
	ASSERT_EQ(0, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_EQ(0xcafe0001, tvm_guest_read32(&self->intro, MAP_GPA));

	ASSERT_EQ(1, write(to_child[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));

	EXPECT_EQ(0, tvm_guest_read32(&self->intro, MAP_GPA));
	tvm_guest_write32(&self->intro, MAP_GPA, 7);
	EXPECT_EQ(7, tvm_guest_read32(&self->intro, MAP_GPA));
	/* The exit revoked the token. */
	EXPECT_EQ(-EPERM, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA + 0x1000,
				 0));
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	EXPECT_EQ(before, map_count());
}

/*
 * Review item 1: an alias is bound to the memslot its gpa was in, never to
 * the hva behind it.  The target's VMM unplugs a RAM range (deletes or
 * moves the memslot, or unmaps its memory) and reuses the addresses for its
 * own data: the introspector must never reach that data.
 */
#define UNPLUG_GPA	0x200000U
#define UNPLUG_SIZE	0x10000UL
#define VMM_SECRET	0x5ec2e700U

static __u32 *unplug_ram(struct __test_metadata *_metadata,
			 struct tiny_vm *vm, int slot)
{
	__u32 *r = mmap(NULL, UNPLUG_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (r == MAP_FAILED)
		return NULL;
	r[0] = 0x600d0001;
	if (__tvm_add_slot(vm, slot, UNPLUG_GPA, r, UNPLUG_SIZE, 0)) {
		TH_LOG("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		munmap(r, UNPLUG_SIZE);
		return NULL;
	}
	return r;
}

/* The introspector reads zeros, and its stores stay its own. */
static void check_alias_ended(struct __test_metadata *_metadata,
			      struct tiny_vm *vm, __u32 *vmm)
{
	EXPECT_EQ(0, tvm_guest_read32(vm, MAP_GPA));
	tvm_guest_write32(vm, MAP_GPA + 4, 0xbad);
	EXPECT_EQ(VMM_SECRET, vmm[0]);
	EXPECT_EQ(VMM_SECRET + 1, vmm[1]);
	EXPECT_EQ(0, tvm_guest_read32(vm, MAP_GPA));
	EXPECT_EQ(0xbad, tvm_guest_read32(vm, MAP_GPA + 4));
}

/*
 * Memslot deleted, its memory unmapped, new memory of the VMM at the same
 * address: whether or not the alias was read before, and whether the new
 * memory comes from mmap(MAP_FIXED) or from a plain mmap() that hands back
 * the same address.
 */
TEST_F(hc, unplugged_memslot_new_memory_never_reached)
{
	int v;

	for (v = 0; v < 4; v++) {
		bool read_first = v & 1, fixed = v & 2;
		__u32 *r = unplug_ram(_metadata, &self->target, 3), *n;

		ASSERT_NE(NULL, r);
		ASSERT_EQ(0, hc_map(&self->intro, &self->tok, UNPLUG_GPA,
				    MAP_GPA, 0));
		if (read_first)
			EXPECT_EQ(0x600d0001,
				  tvm_guest_read32(&self->intro, MAP_GPA));
		ASSERT_EQ(0, __tvm_add_slot(&self->target, 3, UNPLUG_GPA, r,
					    0, 0));
		if (fixed) {
			n = mmap(r, UNPLUG_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0);
		} else {
			ASSERT_EQ(0, munmap(r, UNPLUG_SIZE));
			n = mmap(NULL, UNPLUG_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		}
		ASSERT_NE(MAP_FAILED, n);
		if (n != r)
			TH_LOG("case %d: the new memory is elsewhere",
			       v);
		n[0] = VMM_SECRET;
		n[1] = VMM_SECRET + 1;
		check_alias_ended(_metadata, &self->intro, n);
		/* Its gpa is not RAM any more: no new alias of it either. */
		EXPECT_EQ(-EFAULT, hc_map(&self->intro, &self->tok,
					  UNPLUG_GPA, MAP_GPA + 0x1000, 0));
		EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
		munmap(n, UNPLUG_SIZE);
	}
}

/*
 * Memslot deleted and its memory kept by the VMM for its own data, never
 * unmapped: the alias ends with the memslot, not with the memory.
 */
TEST_F(hc, unplugged_memslot_reused_memory_never_reached)
{
	__u32 *r = unplug_ram(_metadata, &self->target, 3);

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, UNPLUG_GPA, MAP_GPA, 0));
	EXPECT_EQ(0x600d0001, tvm_guest_read32(&self->intro, MAP_GPA));
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 3, UNPLUG_GPA, r, 0, 0));
	r[0] = VMM_SECRET;
	r[1] = VMM_SECRET + 1;
	check_alias_ended(_metadata, &self->intro, r);
	/* Plugged in again: the old alias stays ended, a new one works. */
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 3, UNPLUG_GPA, r,
				    UNPLUG_SIZE, 0));
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, MAP_GPA));
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, UNPLUG_GPA,
			    MAP_GPA + 0x1000, 0));
	EXPECT_EQ(VMM_SECRET, tvm_guest_read32(&self->intro, MAP_GPA + 0x1000));
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA + 0x1000));
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	munmap(r, UNPLUG_SIZE);
}

/*
 * A memslot moved to another gpa: what was granted at the old gpa ends.
 * 6.6+ refuses to move a memslot of a VM that a page-track node watches
 * (KVMGT's rule), which the module's watch is: there the move fails and
 * the alias stays valid.
 */
TEST_F(hc, moved_memslot_ends_alias)
{
	__u32 *r = unplug_ram(_metadata, &self->target, 3);
	int err;

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, UNPLUG_GPA, MAP_GPA, 0));
	EXPECT_EQ(0x600d0001, tvm_guest_read32(&self->intro, MAP_GPA));
	err = __tvm_add_slot(&self->target, 3, 2 * UNPLUG_GPA, r, UNPLUG_SIZE,
			     0);
	if (tvm_kernel_at_least(6, 6)) {
		EXPECT_EQ(-EINVAL, err);
		EXPECT_EQ(0x600d0001, tvm_guest_read32(&self->intro, MAP_GPA));
		EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
		ASSERT_EQ(0, __tvm_add_slot(&self->target, 3, UNPLUG_GPA, r, 0,
					    0));
		munmap(r, UNPLUG_SIZE);
		return;
	}
	ASSERT_EQ(0, err);
	r[0] = VMM_SECRET;
	r[1] = VMM_SECRET + 1;
	check_alias_ended(_metadata, &self->intro, r);
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 3, 2 * UNPLUG_GPA, r, 0,
				    0));
	munmap(r, UNPLUG_SIZE);
}

#define KVM_DEBUGFS	"/sys/kernel/debug/kvm"

/*
 * Whether the VM that @pid created as its fd @fd is alive: KVM's debugfs
 * directory for it lasts from its creation to the start of its
 * destruction.  Counting live VMs (the vendor module's refcnt) instead
 * also counts the VMs of earlier tests whose destruction is deferred,
 * which under the KASAN kernel went on for seconds.
 */
static bool vm_alive(pid_t pid, int fd)
{
	char path[64];

	snprintf(path, sizeof(path), KVM_DEBUGFS "/%d-%d", pid, fd);
	return !access(path, F_OK);
}

/* Up to 20 s for the VM to be @alive: its last put may be a work item. */
static bool vm_alive_settled(pid_t pid, int fd, bool alive)
{
	int i;

	for (i = 0; i < 2000 && vm_alive(pid, fd) != alive; i++)
		usleep(10 * 1000);
	return vm_alive(pid, fd) == alive;
}

/* Still alive after @ms: nothing let it go meanwhile. */
static bool vm_stays_alive(pid_t pid, int fd, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (!vm_alive(pid, fd))
			return false;
		usleep(10 * 1000);
	}
	return vm_alive(pid, fd);
}

/*
 * Watching a target VM's memslots holds its VM object (not its memory)
 * while it has aliases, and lets it go when they are unmapped, or as soon
 * as its process exits even if they are not.
 */
TEST_F(hc, memslot_watch_lets_vm_go)
{
	int to_parent[2], to_child[2], fd;
	struct remote_mapping_token tok;
	struct tiny_vm t2;
	char c = 0;
	pid_t pid;

	if (access(KVM_DEBUGFS, F_OK))
		SKIP(return, "no %s (debugfs) to tell a VM alive", KVM_DEBUGFS);
	tvm_create(&t2);
	fd = t2.vm_fd;
	ASSERT_TRUE(vm_alive(getpid(), fd));
	ASSERT_EQ(0, __rm_grant(self->rm, t2.vm_fd, -1, 0, 0, &tok));
	ASSERT_EQ(0, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA, 0));
	tvm_destroy(&t2);	/* the token's file reference goes too */
	ASSERT_EQ(0, __rm_revoke(self->rm, &tok));
	EXPECT_TRUE(vm_stays_alive(getpid(), fd, 500));
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	EXPECT_TRUE(vm_alive_settled(getpid(), fd, false));

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int rm = open("/dev/remote_mapping", O_RDWR);

		tvm_create(&t2);
		if (__rm_grant(rm, t2.vm_fd, -1, 0, 0, &tok) ||
		    write(to_parent[1], &tok, sizeof(tok)) != sizeof(tok) ||
		    write(to_parent[1], &t2.vm_fd, sizeof(int)) != sizeof(int) ||
		    read(to_child[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ((ssize_t)sizeof(tok), read(to_parent[0], &tok, sizeof(tok)));
	ASSERT_EQ((ssize_t)sizeof(fd), read(to_parent[0], &fd, sizeof(fd)));
	ASSERT_TRUE(vm_alive(pid, fd));
	ASSERT_EQ(0, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA, 0));
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_TRUE(vm_alive_settled(pid, fd, false));
	EXPECT_EQ(0, tvm_guest_read32(&self->intro, MAP_GPA));
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
}

/*
 * Review item 8: a target page the target cannot give for a while (made
 * PROT_NONE, registered with userfaultfd, over its memcg's limit) fails
 * the introspector's access visibly, and the alias follows the target
 * again once it can: it never detaches into a private page in silence.
 */
static void check_fails_then_follows(struct __test_metadata *_metadata,
				     struct tiny_vm *vm, __u32 *t,
				     void (*restore)(void *), void *arg)
{
	__u32 val = 0;

	EXPECT_EQ(-EFAULT, __tvm_guest_read32(vm, MAP_GPA, &val));
	EXPECT_EQ(-EFAULT, __tvm_guest_write32(vm, MAP_GPA + 4, 0xbad));
	restore(arg);
	EXPECT_NE(0xbad, t[1]);
	t[0] = 0x5a5a0002;
	EXPECT_EQ(0, __tvm_guest_read32(vm, MAP_GPA, &val));
	EXPECT_EQ(0x5a5a0002, val);
	EXPECT_EQ(0, __tvm_guest_write32(vm, MAP_GPA + 4, 0x600d));
	EXPECT_EQ(0x600d, t[1]);
}

static void restore_prot(void *page)
{
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
}

TEST_F(hc, target_protnone_fails_then_follows)
{
	__u32 *t = target_page(&self->target, REQ_GPA);

	t[0] = 0x5a5a0001;
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_EQ(0x5a5a0001, tvm_guest_read32(&self->intro, MAP_GPA));
	ASSERT_EQ(0, mprotect(t, 4096, PROT_NONE));
	check_fails_then_follows(_metadata, &self->intro, t, restore_prot, t);
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
}

struct uffd_reg {
	int fd;
	void *page;
};

static void restore_uffd(void *arg)
{
	struct uffd_reg *u = arg;
	struct uffdio_range r = { .start = (uintptr_t)u->page, .len = 4096 };

	ioctl(u->fd, UFFDIO_UNREGISTER, &r);
	close(u->fd);
}

TEST_F(hc, target_userfaultfd_fails_then_follows)
{
	__u32 *t = target_page(&self->target, REQ_GPA);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)t, .len = 4096 },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffd_reg u = { .page = t };

	t[0] = 0x5a5a0001;
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_EQ(0x5a5a0001, tvm_guest_read32(&self->intro, MAP_GPA));
	u.fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u.fd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(u.fd, UFFDIO_API, &api));
	ASSERT_EQ(0, ioctl(u.fd, UFFDIO_REGISTER, &reg));
	/* Missing now, as in a postcopy migration: its handler must fill it. */
	ASSERT_EQ(0, madvise(t, 4096, MADV_DONTNEED));
	check_fails_then_follows(_metadata, &self->intro, t, restore_uffd, &u);
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
}

#define CG_ROOT		"/tmp/rm-cgroup2"
#define CG_DIR		CG_ROOT "/kvm_hc_memcg"

static int cg_write(const char *file, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", CG_DIR, file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static const char *cg_setup(void)
{
	int fd;

	if (mkdir(CG_ROOT, 0700) && errno != EEXIST)
		return "cannot make " CG_ROOT;
	if (mount("none", CG_ROOT, "cgroup2", 0, NULL) && errno != EBUSY)
		return "cannot mount cgroup2";
	fd = open(CG_ROOT "/cgroup.subtree_control", O_WRONLY);
	if (fd < 0 || write(fd, "+memory", 7) != 7) {
		if (fd >= 0)
			close(fd);
		return "no memory controller in cgroup2";
	}
	close(fd);
	if (mkdir(CG_DIR, 0700) && errno != EEXIST)
		return "cannot make a cgroup";
	return NULL;
}

/*
 * The target's memcg is at its limit and its one process cannot be OOM
 * killed: the page an introspector store needs cannot be allocated.
 */
TEST_F(hc, target_memcg_full_fails_then_follows)
{
	struct remote_mapping_token tok;
	int to_parent[2], to_child[2];
	const char *why;
	char cur[32] = "";
	__u32 *t, val;
	char c = 0;
	pid_t pid;
	int fd, n;

	why = cg_setup();
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	/* Shared, so that the parent sees the target's RAM. */
	t = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int rm = open("/dev/remote_mapping", O_RDWR);
		struct tiny_vm tv;
		FILE *f;

		f = fopen("/proc/self/oom_score_adj", "w");
		if (cg_write("cgroup.procs", "0") || !f ||
		    fprintf(f, "-1000\n") < 0 || fclose(f))
			_exit(1);
		tvm_create(&tv);
		/* The page the introspector will store to: never touched. */
		if (__rm_grant(rm, tv.vm_fd, -1, 0, 0, &tok) ||
		    write(to_parent[1], &tok, sizeof(tok)) != sizeof(tok) ||
		    read(to_child[0], &c, 1) != 1)
			_exit(1);
		t[0] = *(__u32 *)(tv.ram + REQ_GPA);
		_exit(0);
	}
	ASSERT_EQ((ssize_t)sizeof(tok), read(to_parent[0], &tok, sizeof(tok)));
	/* Below its usage: nothing more can be charged to it. */
	ASSERT_EQ(0, cg_write("memory.max", "0"));
	fd = open(CG_DIR "/memory.current", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, cur, sizeof(cur) - 1);
	close(fd);
	ASSERT_LT(0, n);
	TH_LOG("target memcg: %.*s bytes over a limit of 0", n - 1, cur);
	ASSERT_EQ(0, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_EQ(-EFAULT, __tvm_guest_write32(&self->intro, MAP_GPA, 0x77));
	ASSERT_EQ(0, cg_write("memory.max", "max"));
	EXPECT_EQ(0, __tvm_guest_write32(&self->intro, MAP_GPA, 0x78));
	EXPECT_EQ(0, __tvm_guest_read32(&self->intro, MAP_GPA, &val));
	EXPECT_EQ(0x78, val);
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(0x78, t[0]);
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	rmdir(CG_DIR);
}

/*
 * Review item 6: stores through an alias bypass the target VM's dirty log
 * (KVM records its own guest's stores only), so a live migration or
 * snapshot of the target would lose them.  While a memslot is
 * dirty-logged, read-write maps of it are refused (EBUSY), read-only ones
 * work, and an existing alias loses write access (within the module's
 * 20 ms poll: KVM says nothing of logging being turned on); once logging
 * stops, stores land again.
 */
TEST_F(hc, dirty_logged_memslot_refuses_writes)
{
	__u32 *r = unplug_ram(_metadata, &self->target, 3);

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, UNPLUG_GPA, MAP_GPA, 0));
	EXPECT_EQ(0x600d0001, tvm_guest_read32(&self->intro, MAP_GPA));
	tvm_guest_write32(&self->intro, MAP_GPA + 4, 1);
	EXPECT_EQ(1, r[1]);

	ASSERT_EQ(0, __tvm_add_slot(&self->target, 3, UNPLUG_GPA, r,
				    UNPLUG_SIZE, KVM_MEM_LOG_DIRTY_PAGES));
	usleep(200 * 1000);
	EXPECT_NE(0, refused_store(&self->intro, MAP_GPA + 4));
	EXPECT_EQ(1, r[1]);
	r[0] = 0x600d0002;
	EXPECT_EQ(0x600d0002, tvm_guest_read32(&self->intro, MAP_GPA));
	EXPECT_NE(0, refused_store(&self->intro, MAP_GPA + 4));
	EXPECT_EQ(1, r[1]);
	EXPECT_EQ(-EBUSY, hc_map(&self->intro, &self->tok, UNPLUG_GPA + 0x1000,
				 MAP_GPA + 0x1000, 0));
	r[1024] = 0x600d0003;
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, UNPLUG_GPA + 0x1000,
			    MAP_GPA + 0x1000, KVMMEM_MAP_READONLY));
	EXPECT_EQ(0x600d0003, tvm_guest_read32(&self->intro, MAP_GPA + 0x1000));
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA + 0x1000));

	ASSERT_EQ(0, __tvm_add_slot(&self->target, 3, UNPLUG_GPA, r,
				    UNPLUG_SIZE, 0));
	usleep(200 * 1000);
	EXPECT_EQ(0, __tvm_guest_write32(&self->intro, MAP_GPA + 4, 2));
	EXPECT_EQ(2, r[1]);
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 3, UNPLUG_GPA, r, 0, 0));
	munmap(r, UNPLUG_SIZE);
}

/*
 * Review item 11: a target page on a FUSE file system served by a daemon
 * that never answers.  Faulting it in would wait for that daemon, with the
 * target's mmap_lock held, inside the introspector's vCPU exit: the
 * introspector VM hung.  Such pages are read as they are, never faulted
 * in: a page the target has not got fails the access at once (KVM_RUN
 * EFAULT), and once the target has it the alias reads it.
 */
#define STALL_DIR	"/tmp/rm-stallfs"
#define STALL_GPA	0x300000U

TEST_F(hc, target_fuse_page_never_hangs)
{
	struct stall_fs fs;
	__u32 val = 0;
	__u8 *p;
	int fd, err;

	err = stall_fs_start(&fs, STALL_DIR);
	if (err)
		SKIP(return, "FUSE: %s", strerror(-err));
	fd = open(fs.file, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", fs.file, strerror(errno));
	p = mmap(NULL, STALLFS_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
		 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 4, STALL_GPA, p,
				    STALLFS_SIZE, 0));
	ASSERT_EQ(0, hc_map(&self->intro, &self->tok, STALL_GPA, MAP_GPA,
			    KVMMEM_MAP_READONLY));
	EXPECT_EQ(-EFAULT, __tvm_guest_read32(&self->intro, MAP_GPA, &val));
	EXPECT_EQ(0, fs.reads) TH_LOG("the module asked the daemon");

	/* The daemon answers; the target reads its page in. */
	stall_fs_answer(&fs);
	EXPECT_EQ(1, p[0]);
	EXPECT_EQ(0, __tvm_guest_read32(&self->intro, MAP_GPA, &val));
	EXPECT_EQ(0x04030201, val);
	EXPECT_EQ(0, hc_unmap(&self->intro, MAP_GPA));
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 4, STALL_GPA, p, 0, 0));
	munmap(p, STALLFS_SIZE);
	close(fd);
	stall_fs_stop(&fs);
	EXPECT_EQ(0, fs.err);
}

TEST_HARNESS_MAIN
