// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_HC_MEM_MAP/UNMAP and tokens, end to end through KVM with tiny VMs in
 * one host process: the guest's own loads and stores reach the target VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvmmem.h>
#include <linux/remote_mapping.h>

#include "kselftest_harness.h"
#include "tiny_vm.h"

#define KVM_ENOSYS	1000
#define TOKEN_GPA	TVM_DATA_GPA
#define MAP_GPA		0x4000U
#define REQ_GPA		0x8000U

static int read_debugfs(const char *name, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/debug/remote_mapping/%s",
		 name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static long map_count(void)
{
	char buf[32];

	return read_debugfs("map_count", buf, sizeof(buf)) ? -1 : atol(buf);
}

static int __grant(int rm, int vm_fd, int intro_fd, unsigned int flags,
		   unsigned int ttl_ms, struct remote_mapping_token *tok)
{
	struct remote_mapping_token_grant g = {
		.vm_fd = vm_fd,
		.intro_vm_fd = intro_fd,
		.flags = flags,
		.ttl_ms = ttl_ms,
	};

	if (ioctl(rm, REMOTE_MAPPING_TOKEN_GRANT, &g))
		return -errno;
	*tok = g.token;
	return 0;
}

static int __revoke(int rm, const struct remote_mapping_token *tok)
{
	struct remote_mapping_token_revoke r = { .token = *tok };

	return ioctl(rm, REMOTE_MAPPING_TOKEN_REVOKE, &r) ? -errno : 0;
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

FIXTURE(hc) {
	int rm;
	struct tiny_vm intro;
	struct tiny_vm target;
	struct remote_mapping_token tok;
};

FIXTURE_SETUP(hc)
{
	char hook[8] = "";

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm");
	if (read_debugfs("kvm_hook", hook, sizeof(hook)) || hook[0] != 'Y')
		SKIP(return, "remote_mapping has no KVM hook (patched kvm.ko not loaded)");
	self->rm = open("/dev/remote_mapping", O_RDWR);
	ASSERT_LE(0, self->rm)
		TH_LOG("open /dev/remote_mapping: %s", strerror(errno));
	tvm_create(&self->intro);
	tvm_create(&self->target);
	ASSERT_EQ(0, __grant(self->rm, self->target.vm_fd, -1, 0, 0,
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

	ASSERT_EQ(0, __grant(self->rm, self->target.vm_fd, -1, 0, 0, &tok));
	ASSERT_EQ(0, __revoke(self->rm, &tok));
	EXPECT_EQ(-EPERM, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA, 0));
	EXPECT_EQ(-ENOENT, __revoke(self->rm, &tok));

	ASSERT_EQ(0, __grant(self->rm, self->target.vm_fd, -1, 0, 1, &tok));
	usleep(20 * 1000);
	EXPECT_EQ(-EPERM, hc_map(&self->intro, &tok, REQ_GPA, MAP_GPA, 0));

	/* Bound to another introspector VM. */
	tvm_create(&other);
	ASSERT_EQ(0, __grant(self->rm, self->target.vm_fd, other.vm_fd,
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

	ASSERT_EQ(0, __grant(self->rm, self->target.vm_fd, -1,
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
	EXPECT_EQ(-EINVAL, hc_map(vm, &self->tok, REQ_GPA, MAP_GPA, 2));
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

TEST_F(hc, token_ioctls)
{
	struct remote_mapping_token_grant g = { .vm_fd = self->target.vm_fd,
						.intro_vm_fd = -1 };
	struct remote_mapping_token toks[REMOTE_MAPPING_MAX_TOKENS];
	struct remote_mapping_token tok;
	int i, devnull = open("/dev/null", O_RDONLY);
	int granted = 1; /* the fixture's */

	EXPECT_EQ(-EBADF, __grant(self->rm, devnull, -1, 0, 0, &tok));
	EXPECT_EQ(-EBADF, __grant(self->rm, self->target.vm_fd, devnull,
				  REMOTE_MAPPING_TOKEN_BIND, 0, &tok));
	EXPECT_EQ(-EINVAL, __grant(self->rm, self->target.vm_fd, -1, 4, 0,
				   &tok));
	g.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->rm, REMOTE_MAPPING_TOKEN_GRANT, &g));
	EXPECT_EQ(EINVAL, errno);
	close(devnull);

	/* A bound on outstanding tokens per target VM. */
	for (i = 0; granted < REMOTE_MAPPING_MAX_TOKENS; i++, granted++)
		ASSERT_EQ(0, __grant(self->rm, self->target.vm_fd, -1, 0, 0,
				     &toks[i]));
	EXPECT_EQ(-ENOSPC, __grant(self->rm, self->target.vm_fd, -1, 0, 0,
				   &tok));
	/* Two grants never give the same token. */
	EXPECT_NE(0, memcmp(&toks[0], &toks[1], sizeof(toks[0])));
	ASSERT_EQ(0, __revoke(self->rm, &toks[0]));
	EXPECT_EQ(0, __grant(self->rm, self->target.vm_fd, -1, 0, 0, &tok));
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

static long anon_huge_kb(void *addr)
{
	char line[256], range[64];
	bool in = false;
	long kb = -1;
	FILE *f;

	snprintf(range, sizeof(range), "%lx-", (unsigned long)addr);
	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, range, strlen(range)))
			in = true;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* A target page inside a transparent huge page, read by the guest. */
TEST_F(hc, thp_target_page)
{
	const size_t huge = 2UL << 20;
	char *raw, *thp;
	__u32 i;

	raw = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	thp = (char *)(((unsigned long)raw + huge - 1) & ~(huge - 1));
	if (madvise(thp, huge, MADV_HUGEPAGE))
		SKIP(return, "no THP (madvise: %s)", strerror(errno));
	for (i = 0; i < huge / 4096; i++)
		*(__u32 *)(thp + i * 4096) = 0x7a0000 + i;
	if (anon_huge_kb(thp) < 2048)
		SKIP(return, "the target region did not get a huge page");
	ASSERT_EQ(0, __tvm_add_slot(&self->target, 2, 0x200000, thp, huge, 0));

	/* A head and two tail pages of the huge page. */
	for (i = 0; i < 3; i++) {
		__u32 sub = i ? 1 + 200 * i : 0;

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
		if (__grant(rm, t.vm_fd, -1, 0, 0, &tok))
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

TEST_HARNESS_MAIN
