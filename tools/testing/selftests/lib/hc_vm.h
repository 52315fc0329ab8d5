/* SPDX-License-Identifier: GPL-2.0 */
/* Tiny KVM VMs in 64-bit, 32-bit and ring-3 modes for raw hypercalls. */
#ifndef SELFTEST_HC_VM_H
#define SELFTEST_HC_VM_H

#include <stdbool.h>
#include <linux/kvm.h>
#include <linux/kvmmem.h>
#include <linux/remote_mapping.h>

#include "tiny_vm.h"

/* KVM's hypercall errors (include/uapi/linux/kvm_para.h). */
#define HV_KVM_ENOSYS	1000
#define HV_KVM_EPERM	1

/* Guest-physical layout of a tiny VM (TVM_RAM_SIZE bytes of RAM at 0). */
#define HV_CODE_GPA	0x0UL		/* guest code, below 4 KiB */
#define HV_TOKEN_GPA	0x1000UL	/* token the guest passes */
#define HV_RESULT_GPA	0x1040UL	/* last unexpected result (token loop) */
#define HV_GOOD_GPA	0x1100UL	/* a valid token (token loop control) */
#define HV_GDT_GPA	0x2000UL
#define HV_PML4_GPA	0x3000UL
#define HV_PDPT_GPA	0x4000UL
#define HV_PD_GPA	0x5000UL
#define HV_TSS_GPA	0x6000UL
#define HV_STACK_GPA	0x8000UL	/* ring-0 stack top */
#define HV_USTACK_GPA	0x9000UL	/* ring-3 stack top */
#define HV_MAP_GPA	0x10000UL	/* first page the tests map at */
#define HV_REQ_GPA	0x20000UL	/* first target page the tests map */
#define HV_ARRAY_GPA	0x40000UL	/* batch arrays, up to 96 KiB */
#define HV_BMAP_GPA	0x80000UL	/* batch map_gpa pages, to 0xeffff */
#define HV_BMAP_END	0xf0000UL

/* GDT selectors */
#define HV_SEL_CODE32	0x08
#define HV_SEL_DATA	0x10
#define HV_SEL_UCODE32	0x1b	/* DPL 3, RPL 3 */
#define HV_SEL_UDATA	0x23	/* DPL 3, RPL 3 */
#define HV_SEL_CODE64	0x28
#define HV_SEL_TSS	0x30

/* The port the guest code writes to when it is done. */
#define HV_DONE_PORT	0x10

enum hv_mode {
	HV_MODE_LONG,		/* 64-bit, CPL 0: full 64-bit arguments */
	HV_MODE_PROT,		/* 32-bit protected mode, CPL 0 */
	HV_MODE_USER,		/* 32-bit, iret to CPL 3 before the hypercall */
	HV_MODE_LONG_AVX,	/* HV_MODE_LONG with AVX enabled (XCR0) */
};

/* Guest code of hc_vm.c (start and end of each blob). */
extern const unsigned char hv_blob_call[], hv_blob_call_end[];
extern const unsigned char hv_blob_user[], hv_blob_user_end[];
extern const unsigned char hv_blob_load[], hv_blob_load_end[];
extern const unsigned char hv_blob_store[], hv_blob_store_end[];
extern const unsigned char hv_blob_guess[], hv_blob_guess_end[];
extern const unsigned char hv_blob_vstore[], hv_blob_vstore_end[];

/* 0 or -errno: a tiny VM whose vCPU can run in every hv_mode. */
int hv_create(struct tiny_vm *vm);

/*
 * Run one hypercall from the guest in @mode with nr and a0..a3 in rax,
 * rbx, rcx, rdx, rsi: the guest's rax afterwards (sign-extended from 32
 * bits in the 32-bit modes), or -errno of the host side with *@fail set.
 */
long long hv_hypercall(struct tiny_vm *vm, enum hv_mode mode, __u64 nr,
		       __u64 a0, __u64 a1, __u64 a2, __u64 a3, bool *fail);

/*
 * In a kselftest_harness test: hv_hypercall() from @vm's guest in 64-bit
 * mode at CPL 0, the guest's rax; not running the guest fails the test.
 */
#define HV_HC(vm, nr, a0, a1, a2, a3) ({				\
	bool __fail = false;						\
	long long __r = hv_hypercall(vm, HV_MODE_LONG, nr, a0, a1, a2,	\
				     a3, &__fail);			\
	ASSERT_FALSE(__fail) TH_LOG("running the guest: %s",		\
				    strerror((int)-__r));		\
	__r;								\
})

/* The privilege level the vCPU stopped at (SS.DPL), or -errno. */
int hv_cpl(struct tiny_vm *vm);

/* The guest's own 64-bit load/store at @gpa: 0 or -errno. */
int hv_guest_load(struct tiny_vm *vm, __u64 gpa, __u64 *val);
int hv_guest_store(struct tiny_vm *vm, __u64 gpa, __u64 val);

/*
 * The guest loads 8 bytes at @load_gpa, then copies 16 bytes from
 * @src_gpa to @store_gpa with AVX (vmovdqu), which KVM's instruction
 * emulator cannot do: 0, -EOPNOTSUPP without AVX, -EIO if the guest
 * stopped elsewhere (an emulation failure), or -errno.
 */
int hv_guest_vstore(struct tiny_vm *vm, __u64 load_gpa, __u64 store_gpa,
		    __u64 src_gpa);

/* The results of a run of the token-guessing loop. */
struct hv_guess {
	__u64 eperm;		/* refused with -KVM_EPERM / -EPERM */
	__u64 ok;		/* accepted (0) */
	__u64 other;		/* any other result */
	__s64 last_other;	/* the last such result */
	__u64 state;		/* PRNG state to continue with */
};

/*
 * The guest calls KVM_HC_MEM_MAP @n times, each time with 256 fresh
 * pseudo-random bits (xorshift64 from @seed) at HV_TOKEN_GPA.  If
 * @good_at is non-zero, call number @good_at (counting down from @n to 1)
 * uses the token at HV_GOOD_GPA instead.  0 or -errno.
 */
int hv_guess_tokens(struct tiny_vm *vm, __u64 seed, __u64 n, __u64 good_at,
		    __u64 req_gpa, __u64 map_gpa, struct hv_guess *res);

/* Token ioctls: 0 or -errno. */

/* Why tiny-VM hypercall tests cannot run here (a SKIP reason), or NULL. */
const char *hv_unavailable(void);

#endif /* SELFTEST_HC_VM_H */
