// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem_hc.c - the KVM_HC_MEM_* hypercalls of kvmmem.ko, one typed
 * function each, and their results as 0 or -errno.
 */
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/kvm_para.h>

#include "kvmmem_internal.h"

/* Attempts of an undo (unmap, unpool) while the host answers "again". */
#define KVMMEM_HC_TRIES		100

/* Turn a KVM hypercall result into 0 or -errno. */
int kvmmem_hc_result(long ret)
{
	if (!ret)
		return 0;
	if (ret == -KVM_ENOSYS)
		return -ENOSYS;
	if (ret < 0 && ret >= -MAX_ERRNO)
		return ret;
	return -EIO;
}

/*
 * An undo the host may refuse for a moment (a map or fault of the page in
 * flight: -EAGAIN; for a pool also -EINTR): retried for up to about 0.1-0.2 s.
 */
static int kvmmem_hc_retry(unsigned int nr, unsigned long a0, unsigned long a1,
			   bool eintr)
{
	int tries = KVMMEM_HC_TRIES;
	int ret;

	do {
		ret = kvmmem_hc_result(kvm_hypercall2(nr, a0, a1));
		if (ret != -EAGAIN && !(eintr && ret == -EINTR))
			break;
		usleep_range(1000, 2000);
	} while (--tries);
	return ret;
}

/* KVM_HC_MEM_MAP: back the local page at @map_gpa with the target's @gpa. */
int kvmmem_hc_map(const struct kvmi_map_mem_token *token, u64 gpa,
		  phys_addr_t map_gpa, bool readonly)
{
	return kvmmem_hc_result(kvm_hypercall4(KVM_HC_MEM_MAP, __pa(token),
					       gpa, map_gpa,
					       readonly ? KVMMEM_MAP_READONLY : 0));
}

/*
 * KVM_HC_MEM_MAP_BATCH of @n entries at @e (physically contiguous), with
 * @flags (KVMMEM_MAP_*): the host writes each entry's result; -errno if
 * the call as a whole failed.
 */
int kvmmem_hc_map_batch(const struct kvmi_map_mem_token *token,
			struct kvmmem_map_entry *e, unsigned int n,
			u32 flags)
{
	long ret = kvm_hypercall4(KVM_HC_MEM_MAP_BATCH, __pa(token), __pa(e), n,
				  flags);

	return ret < 0 ? kvmmem_hc_result(ret) : 0;
}

/* KVM_HC_MEM_POOL: make @npages local pages at @gpa a host pool. */
int kvmmem_hc_pool(const struct kvmi_map_mem_token *token, phys_addr_t gpa,
		   unsigned long npages)
{
	return kvmmem_hc_result(kvm_hypercall4(KVM_HC_MEM_POOL, __pa(token),
					       gpa, npages, 0));
}

/* KVM_HC_MEM_UNMAP of the local page at @gpa; 0 once the host no longer maps it. */
int kvmmem_hc_unmap(phys_addr_t gpa)
{
	int ret = kvmmem_hc_retry(KVM_HC_MEM_UNMAP, gpa, 0, false);

	return ret == -ENOENT ? 0 : ret;
}

/*
 * KVM_HC_MEM_UNMAP_BATCH of @n entries at @e (physically contiguous): the
 * host writes each entry's result; -errno if the call as a whole failed.
 */
int kvmmem_hc_unmap_batch(struct kvmmem_unmap_entry *e, unsigned int n)
{
	long ret = kvm_hypercall2(KVM_HC_MEM_UNMAP_BATCH, __pa(e), n);

	return ret < 0 ? kvmmem_hc_result(ret) : 0;
}

/* KVM_HC_MEM_UNPOOL: the pool's pages become ordinary RAM again. */
int kvmmem_hc_unpool(phys_addr_t gpa, unsigned long npages)
{
	return kvmmem_hc_retry(KVM_HC_MEM_UNPOOL, gpa, npages, true);
}
