/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat_kvm.h - KVM's side of compat.h (see there), for the files that
 * include KVM's headers.
 */
#ifndef _COMPAT_COMPAT_KVM_H
#define _COMPAT_COMPAT_KVM_H

#include <linux/kvm_host.h>
#include <asm/kvm_page_track.h>

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

#endif /* _COMPAT_COMPAT_KVM_H */
