/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kvm/0001-KVM-x86-let-a-module-serve-hypercall-numbers
 * .patch adds to kvm.ko (declared in arch/x86/kvm/x86.h there, which is not
 * part of the kernel headers a module is built against).
 */
#ifndef _RM_KVM_HOOK_H
#define _RM_KVM_HOOK_H

struct kvm_vcpu;

struct kvm_hypercall_ops {
	unsigned long (*call)(struct kvm_vcpu *vcpu, unsigned long nr,
			      unsigned long a0, unsigned long a1,
			      unsigned long a2, unsigned long a3);
};

int kvm_register_hypercall(unsigned long nr,
			   const struct kvm_hypercall_ops *ops);
void kvm_unregister_hypercall(unsigned long nr,
			      const struct kvm_hypercall_ops *ops);

#endif /* _RM_KVM_HOOK_H */
