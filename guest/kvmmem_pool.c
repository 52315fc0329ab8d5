// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem_pool.c - mmap() of /dev/kvmmem: pages of a pool of the caller's
 * own, which the first map into them makes a host pool.
 *
 * The pages are guest pages of the driver, physically contiguous, mapped
 * at mmap() time.  Until a map into them they are ordinary RAM; then the
 * host makes them a pool (KVM_HC_MEM_POOL), whose pages it backs with
 * target pages without changing a VMA of its VMM.  They go back to the page
 * allocator when the file is released (after its last mmap() is gone
 * too), once the host has made them ordinary RAM again (KVM_HC_MEM_UNPOOL).
 */
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "kvmmem_internal.h"

/* The pages of one mmap() of the file. */
struct kvmmem_pool {
	struct list_head node;	/* in kvmmem_file::pools */
	struct kvmmem_file *kf;
	void *kaddr;		/* alloc_pages_exact() */
	phys_addr_t gpa;
	unsigned long npages;
	bool pooled;		/* KVM_HC_MEM_POOL done, under kf->lock */
};

/* Largest mmap(): one physically contiguous allocation. */
#define KVMMEM_MMAP_MAX		(PAGE_SIZE << MAX_PAGE_ORDER)

/* Pool pages are mapped at mmap() time: no fault, no page to find. */
static const struct vm_operations_struct kvmmem_pool_vm_ops = {
};

/*
 * If @vma is a pool of @kf: 0 with the gpa of its page at @gva in @gpa,
 * or -EINVAL (another file's, or @size bytes from @gva past its pages or
 * past @vma); 1 if @vma is no pool.  Called with the mmap_lock held.
 */
int kvmmem_pool_page(struct kvmmem_file *kf, struct vm_area_struct *vma,
		     unsigned long gva, unsigned long size,
		     struct kvmmem_pool **pool, phys_addr_t *gpa)
{
	struct kvmmem_pool *p = vma->vm_private_data;
	unsigned long index;

	mmap_assert_locked(vma->vm_mm);
	if (vma->vm_ops != &kvmmem_pool_vm_ops)
		return 1;
	/* Split or moved VMAs keep their page offset in vm_pgoff. */
	index = vma->vm_pgoff + ((gva - vma->vm_start) >> PAGE_SHIFT);
	if (p->kf != kf || index + (size >> PAGE_SHIFT) > p->npages ||
	    size > vma->vm_end - gva)
		return -EINVAL;
	*pool = p;
	*gpa = p->gpa + index * PAGE_SIZE;
	return 0;
}

/* Make @pool a host pool, with @token, if it is not one yet. */
int kvmmem_pool_make(struct kvmmem_pool *pool,
		     const struct kvmi_map_mem_token *token)
{
	int ret;

	lockdep_assert_held(&pool->kf->lock);
	if (pool->pooled)
		return 0;
	ret = kvmmem_hc_pool(token, pool->gpa, pool->npages);
	if (ret)
		return ret;
	pool->pooled = true;
	atomic_inc(&kvmmem_nr_pools);
	return 0;
}

/*
 * A region of pool pages for the caller: zeroed guest pages of the
 * driver's own, mapped read-write (or as the caller asked).  The pool is
 * freed with the file.
 */
int kvmmem_pool_mmap(struct kvmmem_file *kf, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	struct kvmmem_pool *pool;
	int ret;

	if (vma->vm_mm != kf->mm || !(vma->vm_flags & VM_SHARED) ||
	    vma->vm_pgoff || len > KVMMEM_MMAP_MAX)
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return -ENOMEM;
	pool->kaddr = alloc_pages_exact(len, GFP_KERNEL_ACCOUNT | __GFP_ZERO |
					     __GFP_NOWARN);
	if (!pool->kaddr) {
		ret = -ENOMEM;
		goto err_free_pool;
	}
	pool->gpa = virt_to_phys(pool->kaddr);
	pool->npages = len >> PAGE_SHIFT;
	pool->kf = kf;

	vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND);
	vm_flags_clear(vma, VM_MAYEXEC);
	/*
	 * Its maps are read-only aliases, which a store would stop the VM
	 * at: mprotect() may not make it writable later.
	 */
	if (!(vma->vm_flags & VM_WRITE))
		vm_flags_clear(vma, VM_MAYWRITE);
	ret = remap_pfn_range(vma, vma->vm_start, PHYS_PFN(pool->gpa), len,
			      vma->vm_page_prot);
	if (ret)
		goto err_free_pages;
	vma->vm_ops = &kvmmem_pool_vm_ops;
	vma->vm_private_data = pool;

	/* Kept until release, even if mmap_region() fails after this. */
	spin_lock(&kf->pools_lock);
	list_add(&pool->node, &kf->pools);
	spin_unlock(&kf->pools_lock);
	return 0;

err_free_pages:
	free_pages_exact(pool->kaddr, len);
err_free_pool:
	kfree(pool);
	return ret;
}

/*
 * No mmap() of the file is left, and no map: make the pool's pages RAM
 * on the host again and give them back.  If the host refuses, they may
 * still alias a target: keep them for good.
 */
static void kvmmem_pool_free(struct kvmmem_pool *pool)
{
	int ret = 0;

	if (pool->pooled)
		ret = kvmmem_hc_unpool(pool->gpa, pool->npages);
	if (ret) {
		pr_warn_ratelimited("unpool of %lu pages at %pa failed (%d), pages leaked\n",
				    pool->npages, &pool->gpa, ret);
		atomic_add(pool->npages, &kvmmem_nr_leaked);
	} else {
		free_pages_exact(pool->kaddr, pool->npages << PAGE_SHIFT);
	}
	kfree(pool);
}

/* At the file's release: the mmap()s hold it, so no PTE maps a pool page. */
void kvmmem_pools_free(struct kvmmem_file *kf)
{
	struct kvmmem_pool *pool, *next;

	list_for_each_entry_safe(pool, next, &kf->pools, node)
		kvmmem_pool_free(pool);
}
