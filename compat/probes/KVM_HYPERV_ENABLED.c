// SPDX-License-Identifier: GPL-2.0
/* vcpu->arch.hyperv_enabled: only with CONFIG_KVM_HYPERV since 6.8. */
#include <linux/kvm_host.h>

bool probe(struct kvm_vcpu *vcpu);
bool probe(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.hyperv_enabled;
}
