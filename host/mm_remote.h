/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel API of remote_mapping.ko: mirror a page of another
 * address space into current->mm.
 */
#ifndef _MM_REMOTE_H
#define _MM_REMOTE_H

#include <linux/bits.h>

struct mm_struct;

/* mm_remote_map_flags() flags */
#define MM_REMOTE_READONLY	BIT(0)
/*
 * Once the target has no memory at req_hva (it unmapped it), read zeros and
 * write a private page, as after the target's exit, instead of raising
 * SIGBUS; for good, even if the target maps new memory there later.  For
 * callers that cannot take a fault error, such as KVM.
 */
#define MM_REMOTE_ZEROHOLE	BIT(1)
/*
 * Resolve the target page and install it (as a read fault would: writable
 * only if the mapping and the target's page are) while mapping, so that
 * the first access takes no fault.  Best effort, like MAP_POPULATE: a page
 * that cannot be resolved now is faulted in on first access.
 */
#define MM_REMOTE_POPULATE	BIT(2)
/*
 * Made for a guest's hypercall (KVM_HC_MEM_MAP*): KVM_HC_MEM_UNMAP and
 * KVM_HC_MEM_UNPOOL end only such mappings, never one its VMM made.
 */
#define MM_REMOTE_GUEST		BIT(3)
/*
 * Refuse (-EOPNOTSUPP) a target page that is a tail page of a compound
 * page (a THP or a huge page), at the map and at every later resolution:
 * for a stock kvm.ko before 6.13, which takes a reference on each
 * VM_PFNMAP page it maps and cannot on such a page, so that the VM's
 * KVM_RUN would fail with EFAULT.  Implies resolving at the map.
 */
#define MM_REMOTE_NO_TAIL	BIT(4)
/*
 * Map 2 MiB as one mapping: req_hva and map_hva aligned to 2 MiB, map_hva
 * in a window or a pool, with MM_REMOTE_READONLY and without
 * MM_REMOTE_NO_TAIL.  Installed as one PMD where the target maps a huge
 * page there, the kernel has special huge PMDs and no page table of PTEs
 * is left there (a pool hole the guest touched), else as PTEs.
 */
#define MM_REMOTE_HUGE		BIT(5)
#define MM_REMOTE_FLAGS		(MM_REMOTE_READONLY | MM_REMOTE_ZEROHOLE | \
				 MM_REMOTE_POPULATE | MM_REMOTE_GUEST | \
				 MM_REMOTE_NO_TAIL | MM_REMOTE_HUGE)

int mm_remote_map(struct mm_struct *req_mm, unsigned long req_hva,
		  unsigned long map_hva);
int mm_remote_map_flags(struct mm_struct *req_mm, unsigned long req_hva,
			unsigned long map_hva, unsigned int flags);
int mm_remote_map_batch(struct mm_struct *req_mm,
			const unsigned long *req_hvas,
			const unsigned long *map_hvas, int *errs,
			unsigned int n, unsigned int flags);
int mm_remote_unmap(unsigned long map_hva);
int mm_remote_unmap_batch(const unsigned long *map_hvas, int *errs,
			  unsigned int n, unsigned int flags);

#endif /* _MM_REMOTE_H */
