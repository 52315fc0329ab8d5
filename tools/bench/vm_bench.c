// SPDX-License-Identifier: GPL-2.0
/*
 * rm_bench vm: a target KVM VM and an introspector KVM VM (tiny VMs, nested
 * under the test VM), the introspector aliasing the target's RAM through
 * KVM_HC_MEM_MAP_BATCH.  What the target VM pays for the aliases while its
 * guest churns memory, and a scan of the target VM's RAM from the
 * introspector VM's guest.
 *
 * Each target VM has a process of its own, its VMM (a child of the bench,
 * which grants the token); the introspector VMs are the bench's own.  The
 * guests run in flat 32-bit protected mode (tvm_code.c) to reach the
 * memslot above 1 MiB.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <linux/kvm.h>
#include <linux/kvmmem.h>
#include <linux/remote_mapping.h>

#include "rm_bench.h"
#include "tiny_vm.h"
#include "tvm_code.h"

#define WATCH_TARGET	0.95	/* guest throughput with the aliases vs none */
#define SCAN_VS_OWN	0.5	/* scan of the target vs a read of own RAM */
#define SCAN_VS_PVR	10.0	/* the same vs process_vm_readv of 4 KiB */

/* Guest-physical layout of the tiny VMs. */
#define TOKEN_GPA	TVM_DATA_GPA
#define VARS_GPA	0x2000U		/* the scan loop's variables */
#define VAR_NEXT	(VARS_GPA + 0)	/* next target gpa, or own gpa */
#define VAR_LEFT	(VARS_GPA + 4)	/* batches left */
#define MAP_ARRAY_GPA	0x10000U	/* KVMMEM_BATCH_MAX map entries */
#define UNMAP_ARRAY_GPA	0x30000U	/* SCAN_BATCH unmap entries */
#define SLOT_GPA	0x200000U	/* second memslot, 2 MiB-aligned */
#define SZ_2M		0x200000U
#define CHURN_PORT	0x10		/* the churn guest's exit to its VMM */
#define SCAN_BATCH	512
#define SCAN_ROUNDS	3
#define VM_MAX_ROUNDS	64

/*
 * The words of a target page filled with target_word() (byte offsets) and
 * checked in the scan's copies: one in each xmm register of the copy loop's
 * first block, one in a middle block and the last word.
 */
static const uint32_t fill_offs[] = { 0, 24, 40, 56, 2088, PAGE_SZ - 8 };

static void fill_page(uint8_t *p, size_t page)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fill_offs); i++)
		*(uint64_t *)(p + fill_offs[i]) =
			target_word(page, fill_offs[i] / 8);
}

/* A target VM in a process of its own ---------------------------------------- */

struct vm_target_arg {
	size_t pages;		/* memslot at SLOT_GPA */
	size_t churn_pages;	/* its last pages, churned; 0: an idle target */
	bool thp;		/* the memslot's memory: THPs (thp_area()) */
};

struct vm_hello {
	int err;		/* 0, or -errno of the VM's setup */
	int pad;
	__u64 hva;		/* the memslot in the VMM's address space */
	struct remote_mapping_token token;
};

struct vm_cmd {
	double ms;		/* churn rounds for this long */
	int sync;		/* before each madvise(), a VM_MSG_SYNC */
	int pad;
};

enum { VM_MSG_SYNC, VM_MSG_DONE };

struct vm_msg {
	int kind;
	int err;
	long rounds;
	double ns;		/* KVM_RUN + madvise() of all the rounds */
};

struct vm_target {
	struct bench_child child;
	struct vm_hello hello;
	size_t pages, churn_pages;
};

/*
 * The churn guest: a store into each page of the churn area, then an exit
 * to the VMM, which gives the area back (madvise(MADV_DONTNEED), as the
 * free page reporting of virtio-balloon does); again and again.
 */
static void code_churn(struct code *c, uint32_t gpa, uint32_t pages)
{
	int top, inner;

	code_start(c, true);
	top = c->n;
	mov32(c, EBX, gpa);
	mov32(c, ECX, pages);
	inner = c->n;
	store32(c, EBX, EAX);
	add32(c, EBX, PAGE_SZ);
	dec32(c, ECX);
	jnz_to(c, inner);
	out8(c, CHURN_PORT);
	jmp_to(c, top);
}

static int vm_target_setup(struct tiny_vm *vm, const struct vm_target_arg *a,
			   struct vm_hello *h, uint8_t **slot)
{
	struct remote_mapping_token_grant g = { .intro_vm_fd = -1 };
	struct kvm_regs regs = { 0 };
	struct code code;
	size_t i;
	int rm, err;

	err = __tvm_create(vm);
	if (err)
		return err;
	*slot = a->thp ? thp_area(a->pages) : anon_area(a->pages);
	if (!*slot)
		return -ENOMEM;
	err = __tvm_add_slot(vm, 1, SLOT_GPA, *slot, a->pages * PAGE_SZ, 0);
	if (err)
		return err;
	for (i = 0; i < a->pages; i++)
		fill_page(*slot + i * PAGE_SZ, i);
	if (a->thp)
		thp_collapse(*slot, a->pages);
	h->hva = (uintptr_t)*slot;
	rm = rm_open();
	if (rm < 0)
		return rm;
	g.vm_fd = vm->vm_fd;
	err = ioctl(rm, REMOTE_MAPPING_TOKEN_GRANT, &g) ? -errno : 0;
	close(rm);
	if (err)
		return err;
	h->token = g.token;
	if (!a->churn_pages)
		return 0;
	code_churn(&code, SLOT_GPA + (a->pages - a->churn_pages) * PAGE_SZ,
		   a->churn_pages);
	return code_load(vm, &code, &regs);
}

/* Churn rounds for @cmd->ms: KVM_RUN to the guest's exit, then madvise(). */
static struct vm_msg vm_target_churn(struct tiny_vm *vm, uint8_t *area,
				     size_t len, const struct vm_cmd *cmd,
				     int cfd, int rfd)
{
	struct vm_msg m = { .kind = VM_MSG_DONE };
	struct vm_msg sync = { .kind = VM_MSG_SYNC };
	uint64_t end = cmd->ms * 1e6, t0, t1;
	double ns = 0;
	char ack;

	do {
		t0 = now_ns();
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0)) {
			m.err = -errno;
			break;
		}
		t1 = now_ns();
		if (vm->run->exit_reason != KVM_EXIT_IO ||
		    vm->run->io.port != CHURN_PORT) {
			fprintf(stderr, "vm: churn guest: exit reason %u\n",
				vm->run->exit_reason);
			m.err = -EIO;
			break;
		}
		ns += t1 - t0;
		/* The introspector reads the aliases of the area meanwhile. */
		if (cmd->sync && (!write_full(rfd, &sync, sizeof(sync)) ||
				  !read_full(cfd, &ack, 1)))
			_exit(1);
		t0 = now_ns();
		if (madvise(area, len, MADV_DONTNEED)) {
			m.err = -errno;
			break;
		}
		ns += now_ns() - t0;
		m.rounds++;
	} while (ns < end);
	m.ns = ns;
	return m;
}

static void vm_target_main(void *arg, int cfd, int rfd)
{
	const struct vm_target_arg *a = arg;
	struct vm_hello h = { 0 };
	struct tiny_vm vm;
	struct vm_cmd cmd;
	struct vm_msg m;
	uint8_t *slot = NULL, *area;

	keep_only_fds(cfd, rfd);
	h.err = vm_target_setup(&vm, a, &h, &slot);
	if (!write_full(rfd, &h, sizeof(h)) || h.err)
		_exit(1);
	area = slot + (a->pages - a->churn_pages) * PAGE_SZ;
	while (read_full(cfd, &cmd, sizeof(cmd))) {
		m = vm_target_churn(&vm, area, a->churn_pages * PAGE_SZ, &cmd,
				    cfd, rfd);
		if (!write_full(rfd, &m, sizeof(m)))
			_exit(1);
	}
	tvm_destroy(&vm);
}

/* 0, or -errno of the target's setup (then it has exited). */
static int vm_target_start(struct vm_target *t, size_t pages,
			   size_t churn_pages, bool thp)
{
	struct vm_target_arg a = { pages, churn_pages, thp };
	int err;

	memset(t, 0, sizeof(*t));
	t->pages = pages;
	t->churn_pages = churn_pages;
	err = bench_child_start(&t->child, vm_target_main, &a);
	if (err)
		die("vm: starting a target VM: %s", strerror(-err));
	if (!read_full(t->child.res, &t->hello, sizeof(t->hello)))
		t->hello.err = -EPIPE;
	if (t->hello.err)
		bench_child_stop(&t->child);
	return t->hello.err;
}

/* The introspector VM, the bench's own ------------------------------------- */

struct intro {
	struct tiny_vm vm;
	bool created;
	uint8_t *slot;		/* at SLOT_GPA */
	size_t slot_pages;
	int32_t pool;		/* KVM_HC_MEM_POOL's result over the slot */
};

/*
 * An introspector VM for @t with a memslot of @pages at SLOT_GPA, whose
 * memory is aligned to 2 MiB if @aligned (for 2 MiB aliases).
 */
static const char *intro_create(struct intro *in, const struct vm_target *t,
				size_t pages, bool pool, bool aligned)
{
	int err;

	memset(in, 0, sizeof(*in));
	err = __tvm_create(&in->vm);
	if (err)
		return "creating the introspector VM failed";
	in->created = true;
	in->slot = aligned ? anon_area_2m(pages) : anon_area(pages);
	if (!in->slot)
		return "no 2 MiB-aligned memory for the introspector";
	in->slot_pages = pages;
	err = __tvm_add_slot(&in->vm, 1, SLOT_GPA, in->slot, pages * PAGE_SZ,
			     0);
	if (err)
		return "KVM_SET_USER_MEMORY_REGION failed";
	memcpy(in->vm.ram + TOKEN_GPA, &t->hello.token,
	       sizeof(t->hello.token));
	/* Like the guest driver's mmap(): maps there change no host VMA. */
	in->pool = pool ? tvm_hypercall(&in->vm, KVM_HC_MEM_POOL, TOKEN_GPA,
					SLOT_GPA, pages, 0) : -1;
	return NULL;
}

static void intro_destroy(struct intro *in)
{
	if (in->created)
		tvm_destroy(&in->vm);
	if (in->slot)
		munmap(in->slot, in->slot_pages * PAGE_SZ);
	in->created = false;
	in->slot = NULL;
}

/*
 * Alias target pages @first.. at SLOT_GPA.., @n of them, by guest
 * KVM_HC_MEM_MAP_BATCH hypercalls of up to KVMMEM_BATCH_MAX pages.
 */
static const char *intro_map(struct intro *in, size_t first, size_t n)
{
	struct kvmmem_map_entry *e = (void *)(in->vm.ram + MAP_ARRAY_GPA);
	struct kvm_regs regs;
	struct code code;
	size_t i, k, cnt;

	code_start(&code, true);
	vmmcall(&code);
	hlt(&code);
	for (i = 0; i < n; i += cnt) {
		cnt = n - i < KVMMEM_BATCH_MAX ? n - i : KVMMEM_BATCH_MAX;
		for (k = 0; k < cnt; k++)
			e[k] = (struct kvmmem_map_entry){
				SLOT_GPA + (first + i + k) * PAGE_SZ,
				SLOT_GPA + (i + k) * PAGE_SZ, 1 };
		memset(&regs, 0, sizeof(regs));
		regs.rax = KVM_HC_MEM_MAP_BATCH;
		regs.rbx = TOKEN_GPA;
		regs.rcx = MAP_ARRAY_GPA;
		regs.rdx = cnt;
		if (run_code(&in->vm, &code, &regs) ||
		    (int32_t)regs.rax != (int32_t)cnt)
			return "KVM_HC_MEM_MAP_BATCH failed";
	}
	return NULL;
}

/*
 * The introspector's guest reads a word of each of @n pages from @gpa: its
 * aliases become live mappings (the NPT entries too).  With @check, page k
 * must hold target_word(@first + k, 0) (its low half).
 */
static const char *intro_touch(struct intro *in, uint32_t gpa, size_t n,
			       bool check, size_t first)
{
	struct kvm_regs regs = {
		.rbx = gpa, .rdx = first * PAGE_SZ, .rdi = n,
	};
	struct code code;
	int top, e = -1;

	code_start(&code, true);
	top = code.n;
	load32(&code, EAX, EBX);
	if (check) {
		cmp_reg(&code, EAX, EDX);
		e = jnz_fwd32(&code);
	}
	add32(&code, EBX, PAGE_SZ);
	add32(&code, EDX, PAGE_SZ);
	loop_to(&code, top);
	if (e >= 0)
		patch32_to_here(&code, e);
	hlt(&code);
	if (run_code(&in->vm, &code, &regs))
		return "the introspector's touch loop failed";
	if ((uint32_t)regs.rdi)
		return "an alias reads wrong in the introspector's guest";
	return NULL;
}

/* Row 1: the watched VM's churn ------------------------------------------- */

enum { VC_NONE, VC_MANY, VC_CHURNED, NVC };

static const char * const vc_names[NVC] = {
	"no_alias", "aliases", "aliases_of_churned",
};

/* ns per churn round of @t over @ms; NAN and @why on failure. */
static double vm_churn(struct vm_target *t, struct intro *in, double ms,
		       size_t alias_first, char *why, size_t len)
{
	struct vm_cmd cmd = { .ms = ms, .sync = !!in };
	const char *fail;
	struct vm_msg m;
	char ack = 1;

	if (!write_full(t->child.cmd, &cmd, sizeof(cmd)))
		goto gone;
	for (;;) {
		if (!read_full(t->child.res, &m, sizeof(m)))
			goto gone;
		if (m.kind == VM_MSG_DONE)
			break;
		fail = intro_touch(in, SLOT_GPA + alias_first * PAGE_SZ,
				   t->churn_pages, false, 0);
		if (fail) {
			snprintf(why, len, "not available: %s", fail);
			return NAN;
		}
		if (!write_full(t->child.cmd, &ack, 1))
			goto gone;
	}
	if (m.err || m.rounds <= 0) {
		snprintf(why, len,
			 "not available: the churn guest stopped: %s",
			 strerror(m.err ? -m.err : EIO));
		return NAN;
	}
	return m.ns / m.rounds;
gone:
	snprintf(why, len, "not available: a target VM's VMM stopped");
	return NAN;
}

static void vm_watch_unavailable(struct json *j, const char *why)
{
	printf("vm: churn: %s\n", why);
	json_str(j, "churn_note", why);
	add_unavailable("watch_vm_vs_none", TK_SPEEDUP, WATCH_TARGET,
			"guest throughput, 65536 aliases of its RAM",
			"the same VM, no alias", why);
}

static void vm_watch(const struct cfg *c, struct json *j)
{
	size_t n = c->vm_aliases, churn = c->vm_churn_pages;
	size_t pages = n + churn;
	/* Target pages aliased: others than the churned ones, or up to them. */
	const size_t first[NVC] = { 0, 0, churn };
	double ns[NVC][VM_MAX_ROUNDS], med[NVC];
	int rounds = c->vm_rounds < VM_MAX_ROUNDS ? c->vm_rounds :
		     VM_MAX_ROUNDS;
	int r, i, cf, err;
	struct vm_target t[NVC];
	struct intro in[NVC];
	struct result *res;
	char why[200] = "", what[96];
	const char *fail = NULL;
	uint64_t t0;

	printf("vm: target VM churning %zu pages per round with 0 or %zu aliases, %d x %.0f ms\n",
	       churn, n, rounds, c->vm_ms);
	memset(in, 0, sizeof(in));
	for (cf = 0; cf < NVC; cf++) {
		err = vm_target_start(&t[cf], pages, churn, false);
		if (err) {
			snprintf(why, sizeof(why),
				 "not available: a target VM's setup: %s",
				 strerror(-err));
			while (cf--)
				bench_child_stop(&t[cf].child);
			vm_watch_unavailable(j, why);
			return;
		}
	}
	t0 = now_ns();
	for (cf = VC_MANY; cf < NVC && !fail; cf++) {
		fail = intro_create(&in[cf], &t[cf], n, true, false);
		fail = fail ?: intro_map(&in[cf], first[cf], n);
		fail = fail ?: intro_touch(&in[cf], SLOT_GPA, n, true,
					   first[cf]);
	}
	if (fail) {
		snprintf(why, sizeof(why), "not available: %s", fail);
		goto out;
	}
	printf("vm: %zu aliases each in 2 introspector VMs (pool: %s), %.1f s\n",
	       n, in[VC_MANY].pool ? "no" : "yes", (now_ns() - t0) / 1e9);

	/* Rounds interleave the configurations, in a rotating order. */
	for (r = 0; r < rounds; r++)
		for (i = 0; i < NVC; i++) {
			cf = (i + r) % NVC;
			if (cf == VC_MANY)
				prof_part_on("churn");
			/* The aliases of the churned pages: n - churn on. */
			ns[cf][r] = vm_churn(&t[cf], cf == VC_CHURNED ?
					     &in[cf] : NULL, c->vm_ms,
					     n - churn, why, sizeof(why));
			if (cf == VC_MANY)
				prof_part_off("churn");
			if (!isfinite(ns[cf][r]))
				goto out;
		}

	json_obj(j, "churn");
	json_int(j, "aliases", n);
	json_int(j, "churn_pages", churn);
	json_int(j, "rounds", rounds);
	json_num(j, "round_ms", c->vm_ms);
	json_bool(j, "pool", !in[VC_MANY].pool);
	json_str(j, "round",
		 "guest stores into each churn page, exits (out); VMM madvise(MADV_DONTNEED)s them");
	for (cf = 0; cf < NVC; cf++) {
		med[cf] = median_of(ns[cf], rounds);
		json_num(j, vc_names[cf], med[cf]);
	}
	json_end_obj(j);
	printf("vm: churn round %.0f us (no alias), %.0f us (aliases), ",
	       med[VC_NONE] / 1e3, med[VC_MANY] / 1e3);
	printf("%.0f us (aliases of the churned pages too)\n",
	       med[VC_CHURNED] / 1e3);

	snprintf(what, sizeof(what), "guest churn rate, %zu aliases of its RAM",
		 n);
	res = add_result("watch_vm_vs_none", TK_SPEEDUP, WATCH_TARGET, what,
			 "the same VM, no alias", med[VC_MANY], med[VC_NONE]);
	snprintf(res->note, sizeof(res->note),
		 "round: stores to %zu pages, exit, madvise(DONTNEED); KVM_RUN+madvise timed%s",
		 churn, in[VC_MANY].pool ? "" : "; aliases in a pool");
	snprintf(what, sizeof(what),
		 "guest churn rate, %zu aliases incl. the churned", n);
	res = add_result("watch_vm_churned_vs_none", TK_INFO_SPEEDUP, 0, what,
			 "the same VM, no alias", med[VC_CHURNED],
			 med[VC_NONE]);
	snprintf(res->note, sizeof(res->note),
		 "the introspector reads the churned pages' aliases before each madvise (not timed)");
out:
	if (why[0])
		vm_watch_unavailable(j, why);
	for (cf = 0; cf < NVC; cf++) {
		intro_destroy(&in[cf]);
		bench_child_stop(&t[cf].child);
	}
}

/* Row 2: a scan of the target VM ------------------------------------------- */

enum { VS_VM, VS_VM_LAZY, VS_VM_2M, VS_OWN, VS_PVR, NVS };

static const char * const vs_names[NVS] = {
	"vm_batch_map", "vm_batch_map_lazy", "vm_map_2m", "own_ram",
	"process_vm_readv_4k",
};

/*
 * The introspector's scan: per batch of SCAN_BATCH target pages from
 * VAR_NEXT on, fill in the target gpas of @n map entries @stride bytes
 * apart (512 pages, or one 2 MiB alias), KVM_HC_MEM_MAP_BATCH with @flags
 * into the window, copy the window into the buffer (sse_copy64()), then
 * KVM_HC_MEM_UNMAP_BATCH; VAR_LEFT times, or until a hypercall maps or
 * unmaps fewer (eax then says how many).
 */
static void code_scan(struct code *c, uint32_t win, uint32_t buf,
		      uint32_t flags, uint32_t n, uint32_t stride)
{
	int top, fill, e1, e2;

	code_start(c, true);
	top = c->n;
	load_abs(c, EDX, VAR_NEXT);
	mov32(c, EBX, MAP_ARRAY_GPA);
	mov32(c, ECX, n);
	fill = c->n;
	store32(c, EBX, EDX);
	add32(c, EBX, sizeof(struct kvmmem_map_entry));
	add32(c, EDX, stride);
	dec32(c, ECX);
	jnz_to(c, fill);
	store_abs(c, VAR_NEXT, EDX);
	hypercall(c, KVM_HC_MEM_MAP_BATCH, TOKEN_GPA, MAP_ARRAY_GPA, n, flags);
	cmp32(c, EAX, n);
	e1 = jnz_fwd32(c);
	mov32(c, ESI, win);
	mov32(c, EDI, buf);
	mov32(c, ECX, SCAN_BATCH * PAGE_SZ / 64);
	sse_copy64(c);
	hypercall(c, KVM_HC_MEM_UNMAP_BATCH, UNMAP_ARRAY_GPA, n, 0, 0);
	cmp32(c, EAX, n);
	e2 = jnz_fwd32(c);
	dec_abs(c, VAR_LEFT);
	jnz_to(c, top);
	patch32_to_here(c, e1);
	patch32_to_here(c, e2);
	hlt(c);
}

/* The same copies from the introspector's own RAM, VAR_NEXT on. */
static void code_own(struct code *c, uint32_t buf)
{
	int top;

	code_start(c, true);
	top = c->n;
	load_abs(c, ESI, VAR_NEXT);
	mov32(c, EDI, buf);
	mov32(c, ECX, SCAN_BATCH * PAGE_SZ / 64);
	sse_copy64(c);
	store_abs(c, VAR_NEXT, ESI);
	dec_abs(c, VAR_LEFT);
	jnz_to(c, top);
	hlt(c);
}

struct vm_scan {
	struct intro in;	/* window at SLOT_GPA, pooled */
	struct intro hin;	/* the same for 2 MiB aliases of th */
	uint8_t *mem;		/* own RAM: buffer, then own copy */
	uint32_t buf_gpa, own_gpa;
	const struct vm_target *t;
	const struct vm_target *th;	/* its memslot in THPs */
	size_t pages;
	uint8_t *pvr_buf;
	struct code scan, scan_lazy, scan_2m, own;
	char no_2m[120];	/* why 2 MiB aliases are not measured */
};

/* The buffer holds the last batch: the filled words of each copy are checked. */
static bool scan_check(const uint8_t *buf, size_t pages)
{
	size_t k, i, first = pages - SCAN_BATCH;
	uint32_t o;

	for (k = 0; k < SCAN_BATCH; k++)
		for (i = 0; i < ARRAY_SIZE(fill_offs); i++) {
			o = fill_offs[i];
			if (load64(buf + k * PAGE_SZ + o) !=
			    target_word(first + k, o / 8))
				return false;
		}
	return true;
}

/* ns per page of one scan by @m; NAN (and @why) on failure. */
static double vm_scan_once(struct vm_scan *s, int m, char *why, size_t len)
{
	struct intro *in = m == VS_VM_2M ? &s->hin : &s->in;
	uint32_t *vars = (void *)(in->vm.ram + VARS_GPA);
	uint8_t *buf = s->mem;
	struct kvm_regs regs = { 0 };
	struct iovec l, r;
	uint64_t t0;
	size_t k;
	int err = 0;

	memset(buf, 0, SCAN_BATCH * PAGE_SZ);
	vars[0] = m == VS_OWN ? s->own_gpa : SLOT_GPA;
	vars[1] = s->pages / SCAN_BATCH;
	prof_part_on(vs_names[m]);
	t0 = now_ns();
	switch (m) {
	case VS_VM:
		err = run_code(&s->in.vm, &s->scan, &regs);
		break;
	case VS_VM_LAZY:
		err = run_code(&s->in.vm, &s->scan_lazy, &regs);
		break;
	case VS_VM_2M:
		err = run_code(&s->hin.vm, &s->scan_2m, &regs);
		break;
	case VS_OWN:
		err = run_code(&s->in.vm, &s->own, &regs);
		break;
	default:
		buf = s->pvr_buf;
		for (k = 0; k < s->pages && !err; k++) {
			l.iov_base = buf + k % SCAN_BATCH * PAGE_SZ;
			l.iov_len = PAGE_SZ;
			r.iov_base = (void *)(uintptr_t)(s->t->hello.hva +
							 k * PAGE_SZ);
			r.iov_len = PAGE_SZ;
			if (process_vm_readv(s->t->child.pid, &l, 1, &r, 1, 0) !=
			    PAGE_SZ)
				err = -errno;
		}
		break;
	}
	t0 = now_ns() - t0;
	prof_part_off(vs_names[m]);
	if (err || (m != VS_PVR && vars[1])) {
		snprintf(why, len,
			 "not available: %s: error %d, %u batches left, eax %d",
			 vs_names[m], err, vars[1], (int32_t)regs.rax);
		return NAN;
	}
	if (!scan_check(buf, s->pages)) {
		snprintf(why, len, "not available: %s read wrong",
			 vs_names[m]);
		return NAN;
	}
	return (double)t0 / s->pages;
}

static void vm_scan_2m_unavailable(const char *why)
{
	printf("vm: scan with 2 MiB aliases: %s\n", why);
	add_unavailable("scan_vm_2m_vs_own", TK_SPEEDUP, SCAN_VS_OWN,
			"scan of a VM with 2 MiB aliases",
			"guest read of own RAM", why);
	add_unavailable("scan_vm_2m_vs_pvr4k", TK_SPEEDUP, SCAN_VS_PVR,
			"scan of a VM with 2 MiB aliases",
			"process_vm_readv of its VMM, 4 KiB per call", why);
}

static void vm_scan_unavailable(struct json *j, const char *why)
{
	printf("vm: scan: %s\n", why);
	json_str(j, "scan_note", why);
	add_unavailable("scan_vm_vs_own", TK_SPEEDUP, SCAN_VS_OWN,
			"scan of a VM from the introspector VM",
			"guest read of own RAM", why);
	vm_scan_2m_unavailable(why);
}

/*
 * The target VM @s->th with its memslot in THPs, and an introspector whose
 * pool is 2 MiB-aligned, for the 2 MiB scan (VS_VM_2M); else s->no_2m
 * says why not.  How many of the target's 2 MiB ranges are THPs: *@thp.
 */
static void vm_scan_2m_setup(struct vm_scan *s, struct vm_target *th,
			     long *thp)
{
	struct kvmmem_map_entry *e;
	struct kvmmem_unmap_entry *u;
	const char *fail;
	int err;

	err = vm_target_start(th, s->pages, 0, true);
	if (err) {
		snprintf(s->no_2m, sizeof(s->no_2m),
			 "not available: the THP target VM's setup: %s",
			 strerror(-err));
		return;
	}
	s->th = th;
	*thp = thp_ranges(th->child.pid, th->hello.hva, s->pages);
	fail = intro_create(&s->hin, th, SCAN_BATCH, true, true);
	if (!fail && s->hin.pool)
		fail = "KVM_HC_MEM_POOL failed";
	if (!fail && __tvm_add_slot(&s->hin.vm, 2, s->buf_gpa, s->mem,
				    (SCAN_BATCH + s->pages) * PAGE_SZ, 0))
		fail = "KVM_SET_USER_MEMORY_REGION failed";
	if (fail) {
		snprintf(s->no_2m, sizeof(s->no_2m), "not available: %s", fail);
		return;
	}
	e = (void *)(s->hin.vm.ram + MAP_ARRAY_GPA);
	u = (void *)(s->hin.vm.ram + UNMAP_ARRAY_GPA);
	e[0] = (struct kvmmem_map_entry){ 0, SLOT_GPA, 0 };
	u[0] = (struct kvmmem_unmap_entry){ SLOT_GPA, 0 };
	code_scan(&s->scan_2m, SLOT_GPA, s->buf_gpa,
		  KVMMEM_MAP_READONLY | KVMMEM_MAP_HUGE | KVMMEM_MAP_POPULATE,
		  1, SZ_2M);
}

/*
 * The slope of the guest's copy (info): ns per 4 KiB of own RAM, against the
 * scan section's user memcpy when it ran before.
 */
static void vm_copy_slope(double own_ns)
{
	int i;

	printf("vm: the guest's SSE copy of own RAM: %.0f ns per 4 KiB (%.3f ns/B)",
	       own_ns, own_ns / PAGE_SZ);
	for (i = 0; i < nresults; i++)
		if (!strcmp(results[i].id, "scan_vs_own") &&
		    results[i].available)
			break;
	if (i < nresults)
		printf("; the scan section's user memcpy: %.0f ns per 4 KiB (%.3f ns/B)",
		       results[i].baseline, results[i].baseline / PAGE_SZ);
	printf("\n");
}

static void vm_scan(const struct cfg *c, struct json *j)
{
	struct kvmmem_map_entry *e;
	struct kvmmem_unmap_entry *u;
	size_t pages = c->vm_scan_pages, i;
	int rounds = c->smoke ? 1 : SCAN_ROUNDS, r, m, err;
	double v[NVS][SCAN_ROUNDS], med[NVS], warm, warm_max = 0;
	struct vm_target t, th;
	struct vm_scan s;
	long thp = -1;
	const char *fail;
	struct result *res;
	char why[200] = "", what[96];

	pages -= pages % SCAN_BATCH;
	printf("vm: every page of a %zu MiB target VM read from the introspector VM, %d rounds\n",
	       pages * PAGE_SZ >> 20, rounds);
	err = vm_target_start(&t, pages, 0, false);
	if (err) {
		snprintf(why, sizeof(why),
			 "not available: the target VM's setup: %s",
			 strerror(-err));
		vm_scan_unavailable(j, why);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.t = &t;
	s.pages = pages;
	fail = intro_create(&s.in, &t, SCAN_BATCH, true, false);
	if (fail)
		goto out;
	/* Own RAM above the window: the buffer, then the own copy. */
	s.buf_gpa = SLOT_GPA + SCAN_BATCH * PAGE_SZ;
	s.own_gpa = s.buf_gpa + SCAN_BATCH * PAGE_SZ;
	s.mem = anon_area(SCAN_BATCH + pages);
	if (__tvm_add_slot(&s.in.vm, 2, s.buf_gpa, s.mem,
			   (SCAN_BATCH + pages) * PAGE_SZ, 0)) {
		fail = "KVM_SET_USER_MEMORY_REGION failed";
		goto out;
	}
	for (i = 0; i < pages; i++)
		fill_page(s.mem + (SCAN_BATCH + i) * PAGE_SZ, i);
	s.pvr_buf = anon_area(SCAN_BATCH);
	e = (void *)(s.in.vm.ram + MAP_ARRAY_GPA);
	u = (void *)(s.in.vm.ram + UNMAP_ARRAY_GPA);
	for (i = 0; i < SCAN_BATCH; i++) {
		e[i] = (struct kvmmem_map_entry){ 0, SLOT_GPA + i * PAGE_SZ, 0 };
		u[i] = (struct kvmmem_unmap_entry){ SLOT_GPA + i * PAGE_SZ, 0 };
	}
	code_scan(&s.scan, SLOT_GPA, s.buf_gpa, KVMMEM_MAP_POPULATE,
		  SCAN_BATCH, PAGE_SZ);
	code_scan(&s.scan_lazy, SLOT_GPA, s.buf_gpa, 0, SCAN_BATCH, PAGE_SZ);
	code_own(&s.own, s.buf_gpa);
	vm_scan_2m_setup(&s, &th, &thp);
	/* A refusal (KVM maps no tail page here) shows in a first scan. */
	if (!s.no_2m[0] &&
	    !isfinite(vm_scan_once(&s, VS_VM_2M, s.no_2m, sizeof(s.no_2m))))
		vm_scan_2m_unavailable(s.no_2m);
	else if (s.no_2m[0])
		vm_scan_2m_unavailable(s.no_2m);

	/*
	 * Methods interleave within each round: drift hits all alike.  Each
	 * own round comes after an untimed one (its warm-up, printed): the
	 * timed copy then finds the introspector's NPT entries of its RAM in
	 * place.  Else it pays their first touch in round 0, and after a scan
	 * their refaults (NUMA balancing in the test VM unmaps the bench's
	 * pages every few seconds): 40-120 us a page nested under TCG, which
	 * made up nearly all of the baseline.
	 */
	for (r = 0; r < rounds; r++)
		for (i = 0; i < NVS; i++) {
			m = (i + r) % NVS;
			v[m][r] = NAN;
			if (m == VS_VM_2M && s.no_2m[0])
				continue;
			if (m == VS_OWN) {
				warm = vm_scan_once(&s, m, why, sizeof(why));
				if (!isfinite(warm))
					goto out;
				printf("vm: scan round %d, own_ram warm-up: %.2f us/page\n",
				       r, warm / 1e3);
				warm_max = fmax(warm_max, warm);
			}
			v[m][r] = vm_scan_once(&s, m, why, sizeof(why));
			if (!isfinite(v[m][r]))
				goto out;
			printf("vm: scan round %d, %s: %.2f us/page\n", r,
			       vs_names[m], v[m][r] / 1e3);
		}
	json_obj(j, "scan");
	json_int(j, "pages", pages);
	json_int(j, "batch", SCAN_BATCH);
	json_int(j, "rounds", rounds);
	json_bool(j, "pool", !s.in.pool);
	json_num(j, "own_ram_warm_up_max", warm_max);
	json_str(j, "copy", "sse: 4 movdqu loads and stores, 64 B a turn");
	json_int(j, "thp_ranges_2m", thp);
	for (m = 0; m < NVS; m++) {
		med[m] = median_of(v[m], rounds);
		if (m != VS_VM_2M || !s.no_2m[0])
			json_num(j, vs_names[m], med[m]);
	}
	json_end_obj(j);
	printf("vm: scan %.2f us/page (batch map, populate), %.2f us/page (without), ",
	       med[VS_VM] / 1e3, med[VS_VM_LAZY] / 1e3);
	if (!s.no_2m[0])
		printf("%.2f us/page (2 MiB aliases), ", med[VS_VM_2M] / 1e3);
	printf("%.2f us/page (own RAM), ", med[VS_OWN] / 1e3);
	printf("%.2f us/page (process_vm_readv 4 KiB)\n", med[VS_PVR] / 1e3);
	vm_copy_slope(med[VS_OWN]);

	snprintf(what, sizeof(what),
		 "scan of a %zu MiB VM from the introspector VM",
		 pages * PAGE_SZ >> 20);
	res = add_result("scan_vm_vs_own", TK_SPEEDUP, SCAN_VS_OWN, what,
			 "the guest's copy of its own RAM", med[VS_VM],
			 med[VS_OWN]);
	snprintf(res->note, sizeof(res->note),
		 "per %d pages: MAP_BATCH with POPULATE, copy, UNMAP_BATCH; copies: SSE loop, 64 B a turn (TCG emulates rep movs per element); own RAM warm%s",
		 SCAN_BATCH, s.in.pool ? "" : "; window pooled");
	res = add_result("scan_vm_lazy_vs_own", TK_INFO_SPEEDUP, 0, what,
			 "the guest's copy of its own RAM", med[VS_VM_LAZY],
			 med[VS_OWN]);
	snprintf(res->note, sizeof(res->note),
		 "MAP_BATCH without populate: each page resolved at its first access's fault");
	res = add_result("scan_vm_vs_pvr4k", TK_INFO_SPEEDUP, 0, what,
			 "process_vm_readv of its VMM, 4 KiB per call",
			 med[VS_VM], med[VS_PVR]);
	snprintf(res->note, sizeof(res->note),
		 "process_vm_readv from the bench (the host process) of the target VMM's memslot");
	if (s.no_2m[0])
		goto out;
	snprintf(what, sizeof(what),
		 "scan of a %zu MiB VM (THPs) with 2 MiB aliases",
		 pages * PAGE_SZ >> 20);
	res = add_result("scan_vm_2m_vs_own", TK_SPEEDUP, SCAN_VS_OWN, what,
			 "the guest's copy of its own RAM", med[VS_VM_2M],
			 med[VS_OWN]);
	snprintf(res->note, sizeof(res->note),
		 "per 2 MiB: MAP_BATCH of one alias (READONLY, HUGE, POPULATE), copy, UNMAP_BATCH; %ld of the target's %zu 2 MiB ranges THPs",
		 thp, pages / SCAN_BATCH);
	res = add_result("scan_vm_2m_vs_4k", TK_INFO_SPEEDUP, 0, what,
			 "the scan by 4 KiB aliases (POPULATE)", med[VS_VM_2M],
			 med[VS_VM]);
	snprintf(res->note, sizeof(res->note),
		 "the same copies; one map and one unmap per 2 MiB instead of 512 pages' worth");
	res = add_result("scan_vm_2m_vs_pvr4k", TK_SPEEDUP, SCAN_VS_PVR, what,
			 "process_vm_readv of its VMM, 4 KiB per call",
			 med[VS_VM_2M], med[VS_PVR]);
	snprintf(res->note, sizeof(res->note),
		 "the pvr baseline is the 4 KiB target's (the same pages, not THPs); a scan costs at least the guest's copy");
out:
	if (fail)
		snprintf(why, sizeof(why), "not available: %s", fail);
	if (why[0])
		vm_scan_unavailable(j, why);
	intro_destroy(&s.in);
	intro_destroy(&s.hin);
	if (s.th)
		bench_child_stop(&th.child);
	if (s.mem)
		munmap(s.mem, (SCAN_BATCH + pages) * PAGE_SZ);
	if (s.pvr_buf)
		munmap(s.pvr_buf, SCAN_BATCH * PAGE_SZ);
	bench_child_stop(&t.child);
}

void bench_vm(const struct cfg *c, int rm, struct json *j)
{
	const char *why = NULL;

	(void)rm;
	if (access("/dev/kvm", R_OK | W_OK))
		why = "not available: no /dev/kvm";
	else if (tvm_kvm_hook() < TVM_HOOK_PATCH)
		why = "not available: remote_mapping has no KVM hook";
	json_obj(j, "vm");
	if (why) {
		vm_watch_unavailable(j, why);
		vm_scan_unavailable(j, why);
	} else {
		vm_watch(c, j);
		vm_scan(c, j);
	}
	json_end_obj(j);
}
