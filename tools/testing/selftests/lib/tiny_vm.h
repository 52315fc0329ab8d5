/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal KVM VMs in real mode that issue hypercalls and touch memory. */
#ifndef SELFTEST_TINY_VM_H
#define SELFTEST_TINY_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/kvm.h>

#define TVM_RAM_SIZE	0x100000UL	/* 1 MiB */
#define TVM_CODE_GPA	0x0UL	/* guest code lives in the first page */
#define TVM_DATA_GPA	0x1000UL	/* token and scratch */

struct tiny_vm {
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	__u8 *ram;		/* TVM_RAM_SIZE bytes at gpa 0 */
};

/* 0 or -errno; tvm_create() also makes one vCPU. */
int __tvm_create(struct tiny_vm *vm);
void tvm_create(struct tiny_vm *vm);
void tvm_destroy(struct tiny_vm *vm);
/* Add a memslot of @size bytes at @gpa backed by @hva (flags: KVM_MEM_*). */
int __tvm_add_slot(struct tiny_vm *vm, int slot, __u64 gpa, void *hva,
		   __u64 size, __u32 flags);

/* Run "vmmcall; hlt" with these registers: the guest's 32-bit rax. */
__s32 tvm_hypercall(struct tiny_vm *vm, __u32 nr, __u32 a0,
		    __u32 a1, __u32 a2, __u32 a3);
/* The guest loads / stores a dword at @gpa (< 64 KiB) with its own mov. */
__u32 tvm_guest_read32(struct tiny_vm *vm, __u32 gpa);
/* The same load: 0, or as __tvm_guest_write32(). */
int __tvm_guest_read32(struct tiny_vm *vm, __u32 gpa, __u32 *val);
void tvm_guest_write32(struct tiny_vm *vm, __u32 gpa, __u32 val);
/*
 * The same store: 0; or, if KVM could not make it, the -errno of KVM_RUN
 * or the exit reason (KVM_EXIT_MMIO, with run->mmio filled in).
 */
int __tvm_guest_write32(struct tiny_vm *vm, __u32 gpa, __u32 val);

/* How remote_mapping serves the hypercalls: its debugfs file kvm_hook. */
enum tvm_hook {
	TVM_HOOK_ABSENT,	/* no module, no debugfs, or an unknown word */
	TVM_HOOK_NONE,
	TVM_HOOK_PATCH,
	TVM_HOOK_FTRACE,
};

enum tvm_hook tvm_kvm_hook(void);
/* "absent", "none", "patch" or "ftrace". */
const char *tvm_hook_name(enum tvm_hook hook);
/* Whether the running kernel is @major.@minor or later. */
bool tvm_kernel_at_least(int major, int minor);

#endif /* SELFTEST_TINY_VM_H */
