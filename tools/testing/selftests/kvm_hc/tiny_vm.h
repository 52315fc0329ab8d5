/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal KVM VMs in real mode that issue hypercalls and touch memory. */
#ifndef SELFTEST_TINY_VM_H
#define SELFTEST_TINY_VM_H

#include <stdint.h>
#include <linux/kvm.h>

#define TVM_RAM_SIZE	0x100000UL	/* 1 MiB */
#define TVM_CODE_GPA	0x0UL	/* guest code lives in the first page */
#define TVM_DATA_GPA	0x1000UL	/* token and scratch */

struct tiny_vm {
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	uint8_t *ram;		/* TVM_RAM_SIZE bytes at gpa 0 */
};

/* 0 or -errno; tvm_create() also makes one vCPU. */
int __tvm_create(struct tiny_vm *vm);
void tvm_create(struct tiny_vm *vm);
void tvm_destroy(struct tiny_vm *vm);
/* Add a memslot of @size bytes at @gpa backed by @hva (flags: KVM_MEM_*). */
int __tvm_add_slot(struct tiny_vm *vm, int slot, uint64_t gpa, void *hva,
		   uint64_t size, uint32_t flags);

/* Run "vmmcall; hlt" with these registers: the guest's 32-bit rax. */
int32_t tvm_hypercall(struct tiny_vm *vm, uint32_t nr, uint32_t a0,
		      uint32_t a1, uint32_t a2, uint32_t a3);
/* The guest loads / stores a dword at @gpa (< 64 KiB) with its own mov. */
uint32_t tvm_guest_read32(struct tiny_vm *vm, uint32_t gpa);
void tvm_guest_write32(struct tiny_vm *vm, uint32_t gpa, uint32_t val);

#endif /* SELFTEST_TINY_VM_H */
