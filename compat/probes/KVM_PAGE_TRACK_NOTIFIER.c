// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's page-track notifier is there for modules: always before 6.6, and
 * since then only with KVM_EXTERNAL_WRITE_TRACKING (selected by KVMGT).
 */
#include <linux/kvm_host.h>
#include <asm/kvm_page_track.h>

static void probe_register(struct kvm *kvm,
			   struct kvm_page_track_notifier_node *n)
{
	kvm_page_track_register_notifier(kvm, n);
}

/* Used, and no prototype wanted: W=1 on a CONFIG_WERROR kernel. */
void (*probe_fn)(struct kvm *kvm, struct kvm_page_track_notifier_node *n) =
	probe_register;
