// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem_slot.c - slots: pages of the driver that KVM_INTRO_MEM_MAP puts at
 * a gva of private anonymous memory, from chunks that are host pools.
 *
 * Mapping the caller's own page instead would have the host replace that
 * page of the VMM's guest RAM with a mirror VMA: a split of the VMM's RAM
 * VMA per page, until vm.max_map_count stops the VMM's own mmap()s, and a
 * page that an IOMMU (VFIO) no longer agrees on.  A slot is a page of a
 * chunk, which KVM_HC_MEM_POOL made a host pool once: maps and unmaps
 * there change no VMA of the VMM.  Chunks stay pools until the module
 * goes, so the VMM's RAM is split once per chunk, not per map.
 *
 * The caller's page at the gva is replaced by the slot in the caller's own
 * address space (a vm_mmap() of its file's slot file) only once the host
 * mapped the target's page into the slot: a failed map changes nothing.
 * A slot lives while a VMA maps it or a host mapping is in it (kref).
 * After an unmap its VMA stays, reading zeros like any unmapped pool page,
 * and the next map at that gva uses it again.
 */

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "kvmmem_internal.h"

/* Pages per chunk: 2 MiB, smaller when memory is fragmented. */
#define KVMMEM_CHUNK_ORDER	9

/* Guest pages that are a host pool, carved into slots. */
struct kvmmem_chunk {
	struct list_head node;	/* in kvmmem_chunks */
	void *kaddr;		/* alloc_pages_exact() */
	phys_addr_t gpa;
	unsigned int npages;
	unsigned int used;	/* slots handed out */
	unsigned long *busy;	/* bitmap of the slots handed out */
};

struct kvmmem_slot {
	struct kvmmem_chunk *chunk;
	unsigned int index;	/* page in the chunk */
	/* Its VMA (kvmmem_slot_vm_ops), and the map that has it mapped. */
	struct kref ref;
};

/* Protects kvmmem_chunks and each chunk's used and busy. */
static DEFINE_MUTEX(kvmmem_chunks_lock);
static LIST_HEAD(kvmmem_chunks);

/* A new chunk, made a host pool with @token. */
static struct kvmmem_chunk *
kvmmem_chunk_create(const struct kvmi_map_mem_token *token)
{
	struct kvmmem_chunk *chunk;
	int order, ret = -ENOMEM;

	lockdep_assert_held(&kvmmem_chunks_lock);
	chunk = kzalloc(sizeof(*chunk), GFP_KERNEL);
	if (!chunk)
		return ERR_PTR(-ENOMEM);
	for (order = KVMMEM_CHUNK_ORDER; order >= 0; order -= 3) {
		chunk->kaddr = alloc_pages_exact(PAGE_SIZE << order,
						 GFP_KERNEL | __GFP_NOWARN);
		if (chunk->kaddr)
			break;
	}
	if (!chunk->kaddr)
		goto err_free_chunk;
	chunk->npages = 1U << order;
	chunk->gpa = virt_to_phys(chunk->kaddr);
	chunk->busy = bitmap_zalloc(chunk->npages, GFP_KERNEL);
	if (!chunk->busy)
		goto err_free_pages;

	/* The host drops the pages' contents: they read zeros from now on. */
	ret = kvmmem_hc_pool(token, chunk->gpa, chunk->npages);
	if (ret)
		goto err_free_busy;
	atomic_add(chunk->npages, &kvmmem_nr_chunk_pages);
	atomic_inc(&kvmmem_nr_pools);
	list_add_tail(&chunk->node, &kvmmem_chunks);
	return chunk;

err_free_busy:
	bitmap_free(chunk->busy);
err_free_pages:
	free_pages_exact(chunk->kaddr, PAGE_SIZE << order);
err_free_chunk:
	kfree(chunk);
	return ERR_PTR(ret);
}

/**
 * kvmmem_slot_alloc - a free slot, in a new chunk if none has one
 * @token: for KVM_HC_MEM_POOL of a new chunk; guest-physically contiguous
 *
 * Its page holds nothing the caller may see: the host mapping made into
 * it replaces its contents, and after an unmap it reads zeros.
 *
 * Return: the slot, with one reference; or an ERR_PTR: -ENOMEM, or the
 * host's errno for a new chunk (e.g. -EPERM for a bad token).
 */
struct kvmmem_slot *kvmmem_slot_alloc(const struct kvmi_map_mem_token *token)
{
	struct kvmmem_chunk *chunk;
	struct kvmmem_slot *slot;

	slot = kzalloc(sizeof(*slot), GFP_KERNEL);
	if (!slot)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&kvmmem_chunks_lock);
	list_for_each_entry(chunk, &kvmmem_chunks, node)
		if (chunk->used < chunk->npages)
			goto found;
	chunk = kvmmem_chunk_create(token);
	if (IS_ERR(chunk)) {
		mutex_unlock(&kvmmem_chunks_lock);
		kfree(slot);
		return ERR_CAST(chunk);
	}
found:
	slot->index = find_first_zero_bit(chunk->busy, chunk->npages);
	__set_bit(slot->index, chunk->busy);
	chunk->used++;
	mutex_unlock(&kvmmem_chunks_lock);

	slot->chunk = chunk;
	kref_init(&slot->ref);
	atomic_inc(&kvmmem_nr_slots);
	return slot;
}

phys_addr_t kvmmem_slot_gpa(const struct kvmmem_slot *slot)
{
	return slot->chunk->gpa + ((phys_addr_t)slot->index << PAGE_SHIFT);
}

/* Called with kvmmem_chunks_lock held, which it drops. */
static void kvmmem_slot_release(struct kref *ref)
{
	struct kvmmem_slot *slot = container_of(ref, struct kvmmem_slot, ref);

	__clear_bit(slot->index, slot->chunk->busy);
	slot->chunk->used--;
	mutex_unlock(&kvmmem_chunks_lock);
	atomic_dec(&kvmmem_nr_slots);
	kfree(slot);
}

/*
 * Only once no host mapping is in it (or that mapping's unmap succeeded):
 * a slot whose unmap the host refused may alias the target for good.
 */
void kvmmem_slot_put(struct kvmmem_slot *slot)
{
	kref_put_mutex(&slot->ref, kvmmem_slot_release, &kvmmem_chunks_lock);
}

static void kvmmem_slot_vm_open(struct vm_area_struct *vma)
{
	struct kvmmem_slot *slot = vma->vm_private_data;

	kref_get(&slot->ref);
}

static void kvmmem_slot_vm_close(struct vm_area_struct *vma)
{
	kvmmem_slot_put(vma->vm_private_data);
}

/* The page is mapped at mmap() time: no fault, no page to find. */
static const struct vm_operations_struct kvmmem_slot_vm_ops = {
	.open	= kvmmem_slot_vm_open,
	.close	= kvmmem_slot_vm_close,
};

/**
 * kvmmem_slot_of - the slot of @kf that @vma maps, if any
 * @kf: the file the caller maps through
 * @vma: a VMA of @kf's mm, whose mmap_lock is held
 *
 * Return: the slot with a new reference, or NULL.
 */
struct kvmmem_slot *kvmmem_slot_of(struct kvmmem_file *kf,
				   struct vm_area_struct *vma)
{
	struct kvmmem_slot *slot = vma->vm_private_data;

	mmap_assert_locked(vma->vm_mm);
	if (vma->vm_ops != &kvmmem_slot_vm_ops ||
	    vma->vm_file->private_data != kf)
		return NULL;
	kref_get(&slot->ref);
	return slot;
}

/**
 * kvmmem_vma_replaceable - whether a slot of @kf may replace @vma's page
 * @kf: the file the caller maps through
 * @vma: a VMA of @kf's mm, whose mmap_lock is held
 *
 * Private anonymous memory, or a slot of another file with nothing mapped
 * in it (its only reference is @vma's), such as one a closed file left:
 * both are plain memory to the caller.
 */
bool kvmmem_vma_replaceable(struct kvmmem_file *kf, struct vm_area_struct *vma)
{
	struct kvmmem_slot *slot = vma->vm_private_data;

	mmap_assert_locked(vma->vm_mm);
	if (vma->vm_ops == &kvmmem_slot_vm_ops)
		return vma->vm_file->private_data != kf &&
		       kref_read(&slot->ref) == 1;
	return vma_is_anonymous(vma) &&
	       !(vma->vm_flags & (VM_SHARED | VM_GROWSDOWN | VM_GROWSUP));
}

/*
 * Only kvmmem_slot_place()'s own vm_mmap() maps a slot file.  This runs
 * with the mmap_lock held for write, and do_mmap() unmaps what is at
 * @addr only after it, in the same hold of the lock: the page replaced is
 * still the one that was checked, never what another thread mapped there
 * meanwhile.
 */
static unsigned long kvmmem_slot_get_area(struct file *file,
					  unsigned long addr,
					  unsigned long len,
					  unsigned long pgoff,
					  unsigned long flags)
{
	struct kvmmem_file *kf = file->private_data;
	struct vm_area_struct *vma;

	if (READ_ONCE(kf->placer) != current || !(flags & MAP_FIXED) ||
	    len != PAGE_SIZE)
		return -EINVAL;
	vma = vma_lookup(current->mm, addr);
	if (!vma || !kvmmem_vma_replaceable(kf, vma))
		return -EINVAL;
	return addr;
}

static int kvmmem_slot_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kvmmem_file *kf = file->private_data;
	struct kvmmem_slot *slot = kf->placing;
	int ret;

	if (READ_ONCE(kf->placer) != current || !slot)
		return -EINVAL;

	vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND);
	vm_flags_clear(vma, VM_MAYEXEC);
	/* A read-only alias stops the VM at a store: keep it read-only. */
	if (!(vma->vm_flags & VM_WRITE))
		vm_flags_clear(vma, VM_MAYWRITE);
	ret = remap_pfn_range(vma, vma->vm_start,
			      PHYS_PFN(kvmmem_slot_gpa(slot)), PAGE_SIZE,
			      vma->vm_page_prot);
	if (ret)
		return ret;
	vma->vm_ops = &kvmmem_slot_vm_ops;
	vma->vm_private_data = slot;
	/*
	 * Should mmap_region() fail after this, the VMA goes without
	 * ->close(): the slot is then never handed out again, which is safe.
	 */
	kref_get(&slot->ref);
	kf->placing = NULL;
	return 0;
}

static int kvmmem_slot_file_release(struct inode *inode, struct file *file)
{
	kvmmem_file_put(file->private_data);
	return 0;
}

static const struct file_operations kvmmem_slot_fops = {
	.owner			= THIS_MODULE,
	.release		= kvmmem_slot_file_release,
	.mmap			= kvmmem_slot_mmap,
	.get_unmapped_area	= kvmmem_slot_get_area,
	.llseek			= noop_llseek,
};

/**
 * kvmmem_slot_place - put @slot at @gva of current->mm
 * @kf: the file mapping; current->mm is its mm
 * @slot: a slot the host mapped the target's page into
 * @gva: page-aligned, kvmmem_vma_replaceable(); its page is dropped
 * @readonly: map it read-only
 *
 * Called with kf->lock held, which makes kf->placing ours.
 *
 * Return: 0; -EINVAL if @gva is no longer what was checked (what is there
 * stays); -ENOMEM, -EINTR.
 */
int kvmmem_slot_place(struct kvmmem_file *kf, struct kvmmem_slot *slot,
		      unsigned long gva, bool readonly)
{
	unsigned long addr;
	struct file *file;

	lockdep_assert_held(&kf->lock);
	if (!kf->slot_file) {
		file = anon_inode_getfile("[kvmmem-slot]", &kvmmem_slot_fops,
					  kf, O_RDWR);
		if (IS_ERR(file))
			return PTR_ERR(file);
		kref_get(&kf->ref);
		kf->slot_file = file;
	}

	kf->placing = slot;
	WRITE_ONCE(kf->placer, current);
	addr = vm_mmap(kf->slot_file, gva, PAGE_SIZE,
		       PROT_READ | (readonly ? 0 : PROT_WRITE),
		       MAP_SHARED | MAP_FIXED, 0);
	WRITE_ONCE(kf->placer, NULL);
	kf->placing = NULL;
	return IS_ERR_VALUE(addr) ? (int)addr : 0;
}

/*
 * Module exit: no file is open, so no slot is mapped or in use, but those
 * whose unmap the host refused.  The pages of a chunk with such a slot, or
 * of one the host does not give back, stay allocated for good.
 */
void kvmmem_slots_exit(void)
{
	struct kvmmem_chunk *chunk, *next;

	list_for_each_entry_safe(chunk, next, &kvmmem_chunks, node) {
		list_del(&chunk->node);
		if (chunk->used ||
		    kvmmem_hc_unpool(chunk->gpa, chunk->npages))
			pr_warn("chunk of %u pages at %pa leaked (%u slots in use)\n",
				chunk->npages, &chunk->gpa, chunk->used);
		else
			free_pages_exact(chunk->kaddr,
					 chunk->npages << PAGE_SHIFT);
		bitmap_free(chunk->busy);
		kfree(chunk);
	}
}
