// SPDX-License-Identifier: GPL-2.0
/* Tiny KVM VMs in 64-bit, 32-bit and ring-3 modes for raw hypercalls. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hc_vm.h"
#include "rm_util.h"

/*
 * Guest code.  Each blob is copied to HV_CODE_GPA (0), so an offset from
 * its start is its guest address.  Every blob ends with "out %al, $0x10",
 * which leaves rax (the hypercall's result) untouched.
 */
asm(".pushsection .rodata.hv_guest, \"a\"\n"
    /* One hypercall, any mode: vmmcall; out */
	".code32\n"
	".global hv_blob_call, hv_blob_call_end\n"
	"hv_blob_call:\n"
	"	vmmcall\n"
	"	out %al, $0x10\n"
	"hv_blob_call_end:\n"
    /* 32-bit ring 0: iret to ring 3 (IOPL 3 for the out), then the call */
	".global hv_blob_user, hv_blob_user_end\n"
	"hv_blob_user:\n"
	"	pushl $0x23\n"			/* ss: HV_SEL_UDATA */
	"	pushl $0x9000\n"		/* esp: HV_USTACK_GPA */
	"	pushl $0x3002\n"		/* eflags: IOPL 3, IF 0 */
	"	pushl $0x1b\n"			/* cs: HV_SEL_UCODE32 */
	"	pushl $(hv_user_entry - hv_blob_user)\n"
	"	iretl\n"
	"hv_user_entry:\n"
	"	vmmcall\n"
	"	out %al, $0x10\n"
	"hv_blob_user_end:\n"
	".code64\n"
    /* rax = [rbx] */
	".global hv_blob_load, hv_blob_load_end\n"
	"hv_blob_load:\n"
	"	mov (%rbx), %rax\n"
	"	out %al, $0x10\n"
	"hv_blob_load_end:\n"
    /* [rbx] = rcx */
	".global hv_blob_store, hv_blob_store_end\n"
	"hv_blob_store:\n"
	"	mov %rcx, (%rbx)\n"
	"	out %al, $0x10\n"
	"hv_blob_store_end:\n"
    /* Load [rbx], then a VEX (AVX) store of 16 bytes from [rdx] to [rcx] */
	".global hv_blob_vstore, hv_blob_vstore_end\n"
	"hv_blob_vstore:\n"
	"	mov (%rbx), %rax\n"
	"	vmovdqu (%rdx), %xmm0\n"
	"	vmovdqu %xmm0, (%rcx)\n"
	"	out %al, $0x10\n"
	"hv_blob_vstore_end:\n"
    /*
     * Token guessing.  In: rbx token gpa, rdx map gpa, rsi 0 (flags),
     * r9 req gpa, r10 good token gpa, r11 call that uses it, r12 PRNG
     * state, r13 number of calls.  Out: r14 -1 results, r15 zero results,
     * rbp others (the last one at rbx + 64), r12 PRNG state.
     */
	".global hv_blob_guess, hv_blob_guess_end\n"
	"hv_blob_guess:\n"
	"	xor %r14, %r14\n"
	"	xor %r15, %r15\n"
	"	xor %rbp, %rbp\n"
	"1:	test %r13, %r13\n"
	"	jz 9f\n"
	"	mov %rbx, %rdi\n"
	"	mov $4, %r8d\n"
	"2:	mov %r12, %rax\n"		/* xorshift64 */
	"	shl $13, %rax\n"
	"	xor %rax, %r12\n"
	"	mov %r12, %rax\n"
	"	shr $7, %rax\n"
	"	xor %rax, %r12\n"
	"	mov %r12, %rax\n"
	"	shl $17, %rax\n"
	"	xor %rax, %r12\n"
	"	mov %r12, (%rdi)\n"
	"	add $8, %rdi\n"
	"	dec %r8d\n"
	"	jnz 2b\n"
	"	cmp %r11, %r13\n"
	"	jne 3f\n"
	"	mov (%r10), %rax\n"
	"	mov %rax, (%rbx)\n"
	"	mov 8(%r10), %rax\n"
	"	mov %rax, 8(%rbx)\n"
	"	mov 16(%r10), %rax\n"
	"	mov %rax, 16(%rbx)\n"
	"	mov 24(%r10), %rax\n"
	"	mov %rax, 24(%rbx)\n"
	"3:	mov $32, %eax\n"		/* KVM_HC_MEM_MAP */
	"	mov %r9, %rcx\n"
	"	vmmcall\n"
	"	cmp $-1, %rax\n"
	"	jne 4f\n"
	"	inc %r14\n"
	"	jmp 6f\n"
	"4:	test %rax, %rax\n"
	"	jnz 5f\n"
	"	inc %r15\n"
	"	jmp 6f\n"
	"5:	inc %rbp\n"
	"	mov %rax, 64(%rbx)\n"
	"6:	dec %r13\n"
	"	jmp 1b\n"
	"9:	out %al, $0x10\n"
	"hv_blob_guess_end:\n"
	".popsection\n");

#ifndef BIT_ULL
#define BIT_ULL(nr)	(1ULL << (nr))
#endif

#define HV_CR0_PE	BIT_ULL(0)
#define HV_CR0_ET	BIT_ULL(4)
#define HV_CR0_NE	BIT_ULL(5)
#define HV_CR0_PG	BIT_ULL(31)
#define HV_CR4_PAE	BIT_ULL(5)
#define HV_CR4_OSFXSR	BIT_ULL(9)
#define HV_CR4_OSXMMEXCPT BIT_ULL(10)
#define HV_CR4_OSXSAVE	BIT_ULL(18)
#define HV_XCR0_AVX	0x7ULL		/* x87, SSE, AVX state */
#define HV_EFER_LME	BIT_ULL(8)
#define HV_EFER_LMA	BIT_ULL(10)

#define HV_PTE_P	BIT_ULL(0)
#define HV_PTE_RW	BIT_ULL(1)
#define HV_PTE_PS	BIT_ULL(7)

/* Flat 4 GiB descriptors: access byte and flags (G, D/B, L). */
static __u64 hv_desc(unsigned int access, unsigned int flags)
{
	return 0xffffULL | (__u64)access << 40 | 0xfULL << 48 |
	       (__u64)flags << 52;
}

static void hv_write_tables(struct tiny_vm *vm)
{
	__u64 *gdt = (__u64 *)(vm->ram + HV_GDT_GPA);
	__u64 *pml4 = (__u64 *)(vm->ram + HV_PML4_GPA);
	__u64 *pdpt = (__u64 *)(vm->ram + HV_PDPT_GPA);
	__u64 *pd = (__u64 *)(vm->ram + HV_PD_GPA);
	__u64 tss = HV_TSS_GPA;
	int i;

	memset(gdt, 0, 0x1000);
	gdt[HV_SEL_CODE32 >> 3] = hv_desc(0x9a, 0xc);
	gdt[HV_SEL_DATA >> 3] = hv_desc(0x92, 0xc);
	gdt[HV_SEL_UCODE32 >> 3] = hv_desc(0xfa, 0xc);
	gdt[HV_SEL_UDATA >> 3] = hv_desc(0xf2, 0xc);
	gdt[HV_SEL_CODE64 >> 3] = hv_desc(0x9a, 0xa);
	/* 64-bit available TSS, limit 0x67 */
	gdt[HV_SEL_TSS >> 3] = 0x67 | (tss & 0xffffff) << 16 |
			       0x89ULL << 40 | (tss >> 24 & 0xff) << 56;
	gdt[(HV_SEL_TSS >> 3) + 1] = tss >> 32;

	/* Identity map of the first GiB with 2 MiB pages. */
	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	pml4[0] = HV_PDPT_GPA | HV_PTE_P | HV_PTE_RW;
	pdpt[0] = HV_PD_GPA | HV_PTE_P | HV_PTE_RW;
	for (i = 0; i < 512; i++)
		pd[i] = ((__u64)i << 21) | HV_PTE_P | HV_PTE_RW | HV_PTE_PS;
	memset(vm->ram + HV_TSS_GPA, 0, 0x68);
}

/* Give the vCPU what KVM supports, so that long mode (EFER.LME) is valid. */
static int hv_set_cpuid(struct tiny_vm *vm)
{
	struct kvm_cpuid2 *cpuid;
	int kvm, nent = 128, err = 0;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -errno;
	cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
	if (!cpuid) {
		close(kvm);
		return -ENOMEM;
	}
	cpuid->nent = nent;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) ||
	    ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid))
		err = -errno;
	free(cpuid);
	close(kvm);
	return err;
}

int hv_create(struct tiny_vm *vm)
{
	int err = __tvm_create(vm);

	if (!err)
		err = hv_set_cpuid(vm);
	if (!err)
		hv_write_tables(vm);
	return err;
}

static void hv_seg(struct kvm_segment *s, __u16 sel, __u8 type, bool l)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = sel & 3;
	s->s = 1;
	s->g = 1;
	s->l = l;
	s->db = !l;
}

static int hv_set_mode(struct tiny_vm *vm, enum hv_mode mode)
{
	struct kvm_sregs sregs;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs))
		return -errno;
	sregs.gdt.base = HV_GDT_GPA;
	sregs.gdt.limit = 0x100 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	hv_seg(&sregs.ds, HV_SEL_DATA, 3, false);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.base = HV_TSS_GPA;
	sregs.tr.limit = 0x67;
	sregs.tr.selector = HV_SEL_TSS;
	sregs.tr.type = 11;	/* busy TSS */
	sregs.tr.present = 1;
	memset(&sregs.ldt, 0, sizeof(sregs.ldt));
	sregs.ldt.type = 2;
	sregs.ldt.present = 1;
	sregs.ldt.unusable = 1;
	if (mode == HV_MODE_LONG || mode == HV_MODE_LONG_AVX) {
		hv_seg(&sregs.cs, HV_SEL_CODE64, 11, true);
		sregs.cr0 = HV_CR0_PE | HV_CR0_ET | HV_CR0_NE | HV_CR0_PG;
		sregs.cr3 = HV_PML4_GPA;
		sregs.cr4 = HV_CR4_PAE;
		if (mode == HV_MODE_LONG_AVX)
			sregs.cr4 |= HV_CR4_OSFXSR | HV_CR4_OSXMMEXCPT |
				     HV_CR4_OSXSAVE;
		sregs.efer = HV_EFER_LME | HV_EFER_LMA;
	} else {
		hv_seg(&sregs.cs, HV_SEL_CODE32, 11, false);
		sregs.cr0 = HV_CR0_PE | HV_CR0_ET | HV_CR0_NE;
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.efer = 0;
	}
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs))
		return -errno;
	if (mode == HV_MODE_LONG_AVX) {
		struct kvm_xcrs xcrs = {
			.nr_xcrs = 1,
			.xcrs[0] = { .xcr = 0, .value = HV_XCR0_AVX },
		};

		/* KVM refuses what its CPUID does not offer. */
		if (ioctl(vm->vcpu_fd, KVM_SET_XCRS, &xcrs))
			return -EOPNOTSUPP;
	}
	return 0;
}

/* Run @code in @mode until it writes to HV_DONE_PORT; 0 or -errno. */
static int hv_run(struct tiny_vm *vm, enum hv_mode mode,
		  const unsigned char *code, const unsigned char *end,
		  struct kvm_regs *regs)
{
	int err, i;

	/*
	 * A refused store left the vCPU in an MMIO exit (7.x emulates VEX
	 * stores, in 16-byte fragments): complete it without running the
	 * guest, as a VMM does before it sets registers.
	 */
	for (i = 0; i < 16 && vm->run->exit_reason == KVM_EXIT_MMIO; i++) {
		vm->run->immediate_exit = 1;
		err = ioctl(vm->vcpu_fd, KVM_RUN, 0) ? -errno : 0;
		vm->run->immediate_exit = 0;
		if (err && err != -EINTR)
			return err;
	}

	memcpy(vm->ram + HV_CODE_GPA, code, end - code);
	err = hv_set_mode(vm, mode);
	if (err)
		return err;
	regs->rip = HV_CODE_GPA;
	regs->rflags = 2;
	regs->rsp = HV_STACK_GPA;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, regs))
		return -errno;
	if (ioctl(vm->vcpu_fd, KVM_RUN, 0))
		return -errno;
	if (vm->run->exit_reason != KVM_EXIT_IO ||
	    vm->run->io.port != HV_DONE_PORT) {
		fprintf(stderr, "# hc_vm: guest exit reason %u (port %#x)\n",
			vm->run->exit_reason,
			vm->run->exit_reason == KVM_EXIT_IO ?
			vm->run->io.port : 0);
		return -EIO;
	}
	return ioctl(vm->vcpu_fd, KVM_GET_REGS, regs) ? -errno : 0;
}

long long hv_hypercall(struct tiny_vm *vm, enum hv_mode mode, __u64 nr,
		       __u64 a0, __u64 a1, __u64 a2, __u64 a3, bool *fail)
{
	struct kvm_regs regs = {
		.rax = nr, .rbx = a0, .rcx = a1, .rdx = a2, .rsi = a3,
	};
	int err;

	if (mode == HV_MODE_USER)
		err = hv_run(vm, mode, hv_blob_user, hv_blob_user_end, &regs);
	else
		err = hv_run(vm, mode, hv_blob_call, hv_blob_call_end, &regs);
	if (err) {
		*fail = true;
		return err;
	}
	if (mode == HV_MODE_LONG)
		return (long long)regs.rax;
	return (__s32)regs.rax;
}

int hv_cpl(struct tiny_vm *vm)
{
	struct kvm_sregs sregs;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs))
		return -errno;
	return sregs.ss.dpl;
}

int hv_guest_load(struct tiny_vm *vm, __u64 gpa, __u64 *val)
{
	struct kvm_regs regs = { .rbx = gpa };
	int err;

	err = hv_run(vm, HV_MODE_LONG, hv_blob_load, hv_blob_load_end, &regs);
	if (!err)
		*val = regs.rax;
	return err;
}

int hv_guest_store(struct tiny_vm *vm, __u64 gpa, __u64 val)
{
	struct kvm_regs regs = { .rbx = gpa, .rcx = val };

	return hv_run(vm, HV_MODE_LONG, hv_blob_store, hv_blob_store_end,
		      &regs);
}

int hv_guest_vstore(struct tiny_vm *vm, __u64 load_gpa, __u64 store_gpa,
		    __u64 src_gpa)
{
	struct kvm_regs regs = {
		.rbx = load_gpa, .rcx = store_gpa, .rdx = src_gpa,
	};

	return hv_run(vm, HV_MODE_LONG_AVX, hv_blob_vstore,
		      hv_blob_vstore_end, &regs);
}

int hv_guess_tokens(struct tiny_vm *vm, __u64 seed, __u64 n, __u64 good_at,
		    __u64 req_gpa, __u64 map_gpa, struct hv_guess *res)
{
	struct kvm_regs regs = {
		.rbx = HV_TOKEN_GPA, .rdx = map_gpa, .rsi = 0,
		.r9 = req_gpa, .r10 = HV_GOOD_GPA, .r11 = good_at,
		.r12 = seed ? seed : 1, .r13 = n,
	};
	int err;

	err = hv_run(vm, HV_MODE_LONG, hv_blob_guess, hv_blob_guess_end,
		     &regs);
	if (err)
		return err;
	res->eperm = regs.r14;
	res->ok = regs.r15;
	res->other = regs.rbp;
	memcpy(&res->last_other, vm->ram + HV_RESULT_GPA,
	       sizeof(res->last_other));
	res->state = regs.r12;
	return 0;
}

const char *hv_unavailable(void)
{
	if (geteuid())
		return "needs root";
	if (access("/dev/kvm", R_OK | W_OK))
		return "no /dev/kvm";
	if (rm_counters_init())
		return "no " RM_DEBUGFS_DIR;
	if (tvm_kvm_hook() < TVM_HOOK_PATCH)
		return "remote_mapping serves no hypercalls (kvm_hook: none)";
	return NULL;
}
