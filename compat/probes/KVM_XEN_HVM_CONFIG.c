// SPDX-License-Identifier: GPL-2.0
/* kvm->arch.xen.hvm_config: kvm->arch.xen_hvm_config moved (6.14). */
#include <linux/kvm_host.h>

u32 probe(struct kvm *kvm);
u32 probe(struct kvm *kvm)
{
	return kvm->arch.xen.hvm_config.flags;
}
