/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat_kvm.h - KVM's side of compat.h (see there), for the files that
 * include KVM's headers.
 */
#ifndef _COMPAT_COMPAT_KVM_H
#define _COMPAT_COMPAT_KVM_H

#include <linux/ftrace.h>
#include <linux/kvm_host.h>
#include <asm/kvm_page_track.h>

/*
 * A watch learns of a deleted or moved memslot through KVM's page-track
 * notifier, which 6.6+ offers modules only with this option; Debian's
 * kernels have it (selected by DRM_I915_GVT_KVMGT).
 */
#ifndef COMPAT_HAVE_KVM_PAGE_TRACK_NOTIFIER
#error "remote_mapping needs KVM's page-track notifier: CONFIG_KVM_EXTERNAL_WRITE_TRACKING=y"
#endif

/*
 * 6.6: a page-track node is told of a deleted or moved memslot by its gfn
 * range (track_remove_region), not by the slot (track_flush_slot), and
 * its registration returns an error.  For 6.1 the node's callback calls
 * the newer one; COMPAT_TRACK_REMOVE_REGION(fn) defines that adapter.
 */
#ifdef COMPAT_HAVE_KVM_TRACK_REMOVE_REGION
typedef int compat_track_register_t(struct kvm *kvm,
				    struct kvm_page_track_notifier_node *n);
#define COMPAT_TRACK_REMOVE_REGION(fn)
#define compat_track_set_remove_region(node, fn) \
	((node)->track_remove_region = (fn))
#define compat_track_register(reg, kvm, node)	((reg)(kvm, node))
#else
typedef void compat_track_register_t(struct kvm *kvm,
				     struct kvm_page_track_notifier_node *n);
#define COMPAT_TRACK_REMOVE_REGION(fn)					\
static void fn##_flush_slot(struct kvm *kvm,				\
			    struct kvm_memory_slot *slot,		\
			    struct kvm_page_track_notifier_node *node)	\
{									\
	fn(slot->base_gfn, slot->npages, node);				\
}

#define compat_track_set_remove_region(node, fn) \
	((node)->track_flush_slot = fn##_flush_slot)
#define compat_track_register(reg, kvm, node)	({ (reg)(kvm, node); 0; })
#endif

/* 6.4: an ftrace callback reads its function's arguments with this. */
#ifndef COMPAT_HAVE_FTRACE_REGS_GET_ARGUMENT
#define ftrace_regs_get_argument(fregs, n) \
	regs_get_kernel_argument(&(fregs)->regs, n)
#endif

/* 6.6: ftrace_instruction_pointer_set() renamed. */
#ifndef COMPAT_HAVE_FTRACE_REGS_SET_INSTRUCTION_POINTER
#define ftrace_regs_set_instruction_pointer(fregs, ip) \
	ftrace_instruction_pointer_set(fregs, ip)
#endif

/* 6.8: Hyper-V emulation is optional (CONFIG_KVM_HYPERV). */
#ifdef COMPAT_HAVE_KVM_HYPERV_ENABLED
#define compat_kvm_hyperv_enabled(vcpu)	((vcpu)->arch.hyperv_enabled)
#else
#define compat_kvm_hyperv_enabled(vcpu)	false
#endif

/* Whether KVM hands @kvm's hypercalls to its Xen emulation. */
#if !IS_ENABLED(CONFIG_KVM_XEN)
#define compat_kvm_xen_hcall(kvm)	false
#elif defined(COMPAT_HAVE_KVM_XEN_HVM_CONFIG)	/* 6.14: moved */
#define compat_kvm_xen_hcall(kvm) \
	((kvm)->arch.xen.hvm_config.flags & KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL)
#else
#define compat_kvm_xen_hcall(kvm) \
	((kvm)->arch.xen_hvm_config.flags & KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL)
#endif

#endif /* _COMPAT_COMPAT_KVM_H */
