// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem_dev.c - /dev/kvmmem: map pages of another VM into a process of
 * this (introspector) VM with the KVM_HC_MEM_* hypercalls.
 *
 * KVM_INTRO_MEM_MAP asks the host to back a guest page of the driver's own
 * with the target VM's page at @gpa, and makes @gva reach it: a page of a
 * pool if @gva is in an mmap() of the file, else a slot put at @gva in
 * place of the caller's private anonymous page (kvmmem_slot.c).  Both are
 * pages of host pools, so no map changes a VMA of the VMM.
 * KVM_INTRO_MEM_UNMAP (and close()) ask the host to make the page ordinary
 * pool RAM again.  A page whose unmap the host refused is never handed out
 * again: it may still alias the target's memory.
 *
 * mmap() of the file gives the caller pages of a pool of its own: guest
 * pages of the driver, which the first map into them turns into a host
 * pool (KVM_HC_MEM_POOL).  They go back to the page allocator when the
 * file is released (after its last mmap() is gone too), once the host has
 * made them ordinary RAM again (KVM_HC_MEM_UNPOOL).
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kvm_para.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "kvmmem_internal.h"

/* KVM_HC_MEM_UNMAP attempts while the host answers EAGAIN. */
#define KVMMEM_UNMAP_TRIES	100

/* One page mapped through a file. */
struct kvmmem_map {
	unsigned long gva;	/* key, as given to KVM_INTRO_MEM_MAP */
	phys_addr_t gpa;	/* local gpa, backed by the target */
	struct kvmmem_slot *slot;	/* reference; NULL in a pool */
	bool place;		/* @slot to be put at @gva once mapped */
	bool readonly;
};

/* The pages of one mmap() of the file, physically contiguous. */
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

static const struct vm_operations_struct kvmmem_pool_vm_ops;

static atomic_t kvmmem_nr_maps = ATOMIC_INIT(0);
static atomic_t kvmmem_nr_leaked = ATOMIC_INIT(0);
atomic_t kvmmem_nr_pools = ATOMIC_INIT(0);
static struct dentry *kvmmem_debugfs;

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

static int kvmmem_hc_unmap(struct kvmmem_map *map)
{
	int tries = KVMMEM_UNMAP_TRIES;
	int ret;

	do {
		ret = kvmmem_hc_result(kvm_hypercall1(KVM_HC_MEM_UNMAP,
						      map->gpa));
		if (ret != -EAGAIN)
			break;
		usleep_range(1000, 2000);
	} while (--tries);

	/* The host no longer maps it: the page is ours again. */
	if (ret == -ENOENT)
		ret = 0;
	return ret;
}

/* KVM_HC_MEM_UNPOOL, retried while the host answers EAGAIN or EINTR. */
int kvmmem_hc_unpool(phys_addr_t gpa, unsigned long npages)
{
	int tries = KVMMEM_UNMAP_TRIES;
	int ret;

	do {
		ret = kvmmem_hc_result(kvm_hypercall2(KVM_HC_MEM_UNPOOL, gpa,
						      npages));
		if (ret != -EAGAIN && ret != -EINTR)
			break;
		usleep_range(1000, 2000);
	} while (--tries);
	return ret;
}

/* Free a map the host no longer backs (or never did). */
static void kvmmem_free_map(struct kvmmem_map *map)
{
	if (map->slot)
		kvmmem_slot_put(map->slot);
	kfree(map);
}

/*
 * End a map the host made, for good.  If the host refuses the unmap, the
 * page may still alias the target: it is never handed out again.
 */
static void kvmmem_end_map(struct kvmmem_map *map)
{
	int ret = kvmmem_hc_unmap(map);

	atomic_dec(&kvmmem_nr_maps);
	if (!ret)
		return;
	pr_warn_ratelimited("unmap of gpa %pa failed (%d), page leaked\n",
			    &map->gpa, ret);
	atomic_inc(&kvmmem_nr_leaked);
	/* Its reference is never put. */
	map->slot = NULL;
}

/*
 * Where the page at @gva of the caller is: in an mmap() of @kf (*@pool and
 * map->gpa set, 0), a slot of @kf put there before (map->slot and map->gpa
 * set, 0), or private anonymous memory (1); else -errno.
 */
static int kvmmem_local_page(struct kvmmem_file *kf, unsigned long gva,
			     struct kvmmem_map *map, struct kvmmem_pool **pool)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct kvmmem_slot *slot;
	unsigned long index;
	int ret = 0;

	ret = mmap_read_lock_killable(mm);
	if (ret)
		return ret;
	vma = vma_lookup(mm, gva);
	if (!vma) {
		ret = -EINVAL;
		goto out_unlock;
	}
	map->readonly = !(vma->vm_flags & VM_WRITE);
	slot = kvmmem_slot_of(kf, vma);
	if (IS_ERR(slot)) {
		ret = PTR_ERR(slot);
	} else if (slot) {
		map->slot = slot;
		map->gpa = kvmmem_slot_gpa(slot);
	} else if (vma->vm_ops == &kvmmem_pool_vm_ops) {
		*pool = vma->vm_private_data;
		/* Split or moved VMAs keep their page offset in vm_pgoff. */
		index = vma->vm_pgoff + ((gva - vma->vm_start) >> PAGE_SHIFT);
		if ((*pool)->kf != kf || index >= (*pool)->npages)
			ret = -EINVAL;
		else
			map->gpa = (*pool)->gpa + index * PAGE_SIZE;
	} else {
		ret = kvmmem_vma_replaceable(kf, vma) ? 1 : -EINVAL;
	}
out_unlock:
	mmap_read_unlock(mm);
	return ret;
}

/*
 * The local page to map at @gva into @map: a page of a pool (made a host
 * pool now, with @token, if it is not one yet), the slot at @gva, or a new
 * slot to put at @gva once the host mapped it (map->place).  Called with
 * kf->lock held.
 */
static int kvmmem_get_page(struct kvmmem_file *kf, unsigned long gva,
			   const struct kvmi_map_mem_token *token,
			   struct kvmmem_map *map)
{
	struct kvmmem_pool *pool = NULL;
	struct kvmmem_slot *slot;
	int ret;

	lockdep_assert_held(&kf->lock);
	ret = kvmmem_local_page(kf, gva, map, &pool);
	if (ret < 0)
		return ret;
	if (ret) {
		slot = kvmmem_slot_alloc(token);
		if (IS_ERR(slot))
			return PTR_ERR(slot);
		map->slot = slot;
		map->gpa = kvmmem_slot_gpa(slot);
		map->place = true;
		return 0;
	}
	if (pool && !pool->pooled) {
		ret = kvmmem_hc_result(kvm_hypercall4(KVM_HC_MEM_POOL,
						      __pa(token), pool->gpa,
						      pool->npages, 0));
		if (ret)
			return ret;
		pool->pooled = true;
		atomic_inc(&kvmmem_nr_pools);
	}
	return 0;
}

/* After the host mapped @map: put its new slot, if any, at its gva. */
static int kvmmem_place(struct kvmmem_file *kf, struct kvmmem_map *map)
{
	int ret;

	if (!map->place)
		return 0;
	ret = kvmmem_slot_place(kf, map->slot, map->gva, map->readonly);
	if (!ret)
		map->place = false;
	return ret;
}

static long kvmmem_ioctl_map(struct kvmmem_file *kf, void __user *argp)
{
	struct kvmi_map_mem_token *token;
	struct kvmi_mem_map req;
	struct kvmmem_map *map;
	unsigned long index;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (!PAGE_ALIGNED(req.gva) || !PAGE_ALIGNED(req.gpa) ||
	    req.gva != (unsigned long)req.gva) {
		ret = -EINVAL;
		goto out_wipe;
	}
	index = req.gva >> PAGE_SHIFT;

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map) {
		ret = -ENOMEM;
		goto out_wipe;
	}
	/* Hypercall argument: 32 bytes, naturally aligned, in one page. */
	token = kmemdup(&req.token, sizeof(*token), GFP_KERNEL);
	if (!token) {
		ret = -ENOMEM;
		goto err_free_map;
	}
	if (WARN_ON_ONCE(offset_in_page(token) + sizeof(*token) > PAGE_SIZE)) {
		ret = -EIO;
		goto err_free_token;
	}

	mutex_lock(&kf->lock);
	ret = xa_insert(&kf->maps, index, map, GFP_KERNEL);
	if (ret) {
		if (ret == -EBUSY)
			ret = -EALREADY;
		goto err_unlock;
	}

	map->gva = req.gva;
	ret = kvmmem_get_page(kf, req.gva, token, map);
	if (ret)
		goto err_erase_map;

	ret = kvmmem_hc_result(kvm_hypercall4(KVM_HC_MEM_MAP, __pa(token),
					      req.gpa, map->gpa,
					      map->readonly ?
					      KVMMEM_MAP_READONLY : 0));
	if (ret)
		goto err_put_page;
	atomic_inc(&kvmmem_nr_maps);
	ret = kvmmem_place(kf, map);
	if (ret)
		goto err_unmap;

	mutex_unlock(&kf->lock);
	kfree_sensitive(token);
	memzero_explicit(&req, sizeof(req));
	return 0;

err_unmap:
	kvmmem_end_map(map);
err_put_page:
	if (map->slot)
		kvmmem_slot_put(map->slot);
err_erase_map:
	xa_erase(&kf->maps, index);
err_unlock:
	mutex_unlock(&kf->lock);
err_free_token:
	kfree_sensitive(token);
err_free_map:
	kfree(map);
out_wipe:
	memzero_explicit(&req, sizeof(req));
	return ret;
}

/* One group of a batch: pages of the same writability, one hypercall. */
static void kvmmem_batch_hc(const struct kvmi_map_mem_token *token,
			    struct kvmmem_map_entry *e, unsigned int n,
			    bool readonly)
{
	unsigned int i;
	long ret;

	if (!n)
		return;
	ret = kvm_hypercall4(KVM_HC_MEM_MAP_BATCH, __pa(token), __pa(e), n,
			     readonly ? KVMMEM_MAP_READONLY : 0);
	if (ret < 0)
		for (i = 0; i < n; i++)
			e[i].err = kvmmem_hc_result(ret);
}

struct kvmmem_batch {
	u64 *gpas;
	u64 *gvas;
	s32 *errs;
	struct kvmmem_map **maps;
	unsigned int *slot;		/* entry of page i in @e */
	struct kvmmem_map_entry *e;	/* hypercall argument: contiguous */
};

static void kvmmem_batch_free(struct kvmmem_batch *b)
{
	kfree(b->e);
	kvfree(b->slot);
	kvfree(b->maps);
	kvfree(b->errs);
	kvfree(b->gvas);
	kvfree(b->gpas);
}

static int kvmmem_batch_alloc(struct kvmmem_batch *b, unsigned int n)
{
	b->gpas = kvmalloc_array(n, sizeof(*b->gpas), GFP_KERNEL);
	b->gvas = kvmalloc_array(n, sizeof(*b->gvas), GFP_KERNEL);
	b->errs = kvmalloc_array(n, sizeof(*b->errs), GFP_KERNEL);
	b->maps = kvcalloc(n, sizeof(*b->maps), GFP_KERNEL);
	b->slot = kvmalloc_array(n, sizeof(*b->slot), GFP_KERNEL);
	/* kmalloc: the host reads it by guest-physical address. */
	b->e = kmalloc_array(n, sizeof(*b->e), GFP_KERNEL | __GFP_NOWARN);
	if (b->gpas && b->gvas && b->errs && b->maps && b->slot && b->e)
		return 0;
	kvmmem_batch_free(b);
	return -ENOMEM;
}

/* Reserve page i and its local page; 0 or -errno (nothing held on error). */
static int kvmmem_batch_get(struct kvmmem_file *kf, struct kvmmem_batch *b,
			    unsigned int i,
			    const struct kvmi_map_mem_token *token)
{
	struct kvmmem_map *map;
	int ret;

	if (!PAGE_ALIGNED(b->gvas[i]) || !PAGE_ALIGNED(b->gpas[i]) ||
	    b->gvas[i] != (unsigned long)b->gvas[i])
		return -EINVAL;
	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	ret = xa_insert(&kf->maps, b->gvas[i] >> PAGE_SHIFT, map, GFP_KERNEL);
	if (ret) {
		kfree(map);
		return ret == -EBUSY ? -EALREADY : ret;
	}
	map->gva = b->gvas[i];
	ret = kvmmem_get_page(kf, b->gvas[i], token, map);
	if (ret) {
		xa_erase(&kf->maps, b->gvas[i] >> PAGE_SHIFT);
		kfree(map);
		return ret;
	}
	b->maps[i] = map;
	return 0;
}

static long kvmmem_ioctl_map_batch(struct kvmmem_file *kf, void __user *argp)
{
	struct kvmi_mem_map_batch req;
	struct kvmi_map_mem_token *token;
	struct kvmmem_batch b = { };
	unsigned int i, n, nrw = 0, nro;
	long mapped = 0, ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ret = -EINVAL;
	if (!req.count || req.count > KVMMEM_BATCH_MAX ||
	    req.reserved[0] || req.reserved[1])
		goto out_wipe;
	n = req.count;
	ret = -ENOMEM;
	token = kmemdup(&req.token, sizeof(*token), GFP_KERNEL);
	if (!token)
		goto out_wipe;
	if (kvmmem_batch_alloc(&b, n))
		goto out_free_token;
	ret = -EFAULT;
	if (copy_from_user(b.gpas, u64_to_user_ptr(req.gpas), n * 8) ||
	    copy_from_user(b.gvas, u64_to_user_ptr(req.gvas), n * 8) ||
	    clear_user(u64_to_user_ptr(req.errs), n * sizeof(*b.errs)))
		goto out_free_batch;

	/* Read-write pages fill @e from the front, read-only from the back. */
	mutex_lock(&kf->lock);
	nro = n;
	for (i = 0; i < n; i++) {
		b.errs[i] = kvmmem_batch_get(kf, &b, i, token);
		if (b.errs[i])
			continue;
		b.slot[i] = b.maps[i]->readonly ? --nro : nrw++;
		b.e[b.slot[i]].req_gpa = b.gpas[i];
		b.e[b.slot[i]].map_gpa = b.maps[i]->gpa;
		b.e[b.slot[i]].err = -EIO;
	}
	kvmmem_batch_hc(token, b.e, nrw, false);
	kvmmem_batch_hc(token, b.e + nro, n - nro, true);

	for (i = 0; i < n; i++) {
		if (!b.maps[i])
			continue;
		b.errs[i] = kvmmem_hc_result(b.e[b.slot[i]].err);
		if (!b.errs[i]) {
			atomic_inc(&kvmmem_nr_maps);
			b.errs[i] = kvmmem_place(kf, b.maps[i]);
			if (!b.errs[i]) {
				mapped++;
				continue;
			}
			kvmmem_end_map(b.maps[i]);
		}
		xa_erase(&kf->maps, b.gvas[i] >> PAGE_SHIFT);
		kvmmem_free_map(b.maps[i]);
	}
	mutex_unlock(&kf->lock);

	ret = mapped;
	/* The pages stay mapped: the caller sees them with KVM_INTRO_MEM_UNMAP. */
	if (copy_to_user(u64_to_user_ptr(req.errs), b.errs, n * sizeof(*b.errs)))
		ret = -EFAULT;
out_free_batch:
	kvmmem_batch_free(&b);
out_free_token:
	kfree_sensitive(token);
out_wipe:
	memzero_explicit(&req, sizeof(req));
	return ret;
}

static long kvmmem_ioctl_unmap(struct kvmmem_file *kf, unsigned long gva)
{
	unsigned long index = gva >> PAGE_SHIFT;
	struct kvmmem_map *map;
	int ret;

	if (!PAGE_ALIGNED(gva))
		return -EINVAL;

	mutex_lock(&kf->lock);
	map = xa_load(&kf->maps, index);
	if (!map) {
		ret = -ENOENT;
		goto out_unlock;
	}
	/* On failure the map stays: unmap can be retried, close() tries too. */
	ret = kvmmem_hc_unmap(map);
	if (ret)
		goto out_unlock;
	xa_erase(&kf->maps, index);
	atomic_dec(&kvmmem_nr_maps);
	kvmmem_free_map(map);
out_unlock:
	mutex_unlock(&kf->lock);
	return ret;
}

static long kvmmem_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct kvmmem_file *kf = file->private_data;

	if (current->mm != kf->mm)
		return -EINVAL;

	switch (cmd) {
	case KVM_INTRO_MEM_MAP:
		return kvmmem_ioctl_map(kf, (void __user *)arg);
	case KVM_INTRO_MEM_UNMAP:
		return kvmmem_ioctl_unmap(kf, arg);
	case KVM_INTRO_MEM_MAP_BATCH:
		return kvmmem_ioctl_map_batch(kf, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

/* Pool pages are mapped at mmap() time: no fault, no page to find. */
static const struct vm_operations_struct kvmmem_pool_vm_ops = {
};

/*
 * A region of pool pages for the caller: zeroed guest pages of the
 * driver's own, mapped read-write (or as the caller asked).  Until a map
 * into them they are ordinary RAM.  The pool is freed with the file.
 */
static int kvmmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kvmmem_file *kf = file->private_data;
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
static void kvmmem_free_pool(struct kvmmem_pool *pool)
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

static int kvmmem_open(struct inode *inode, struct file *file)
{
	struct kvmmem_file *kf;

	if (!current->mm)
		return -EINVAL;

	kf = kzalloc(sizeof(*kf), GFP_KERNEL);
	if (!kf)
		return -ENOMEM;
	mmgrab(current->mm);
	kf->mm = current->mm;
	kref_init(&kf->ref);
	mutex_init(&kf->lock);
	xa_init(&kf->maps);
	spin_lock_init(&kf->pools_lock);
	INIT_LIST_HEAD(&kf->pools);
	file->private_data = kf;
	return 0;
}

static void kvmmem_file_free(struct kref *ref)
{
	struct kvmmem_file *kf = container_of(ref, struct kvmmem_file, ref);

	mutex_destroy(&kf->lock);
	mmdrop(kf->mm);
	kfree(kf);
}

void kvmmem_file_put(struct kvmmem_file *kf)
{
	kref_put(&kf->ref, kvmmem_file_free);
}

/*
 * Every map ends here, also those in slots, whose VMAs hold only the slot
 * file: they stay and read zeros.
 */
static int kvmmem_release(struct inode *inode, struct file *file)
{
	struct kvmmem_file *kf = file->private_data;
	struct kvmmem_pool *pool, *next;
	struct kvmmem_map *map;
	unsigned long index;

	xa_for_each(&kf->maps, index, map) {
		kvmmem_end_map(map);
		kvmmem_free_map(map);
	}
	xa_destroy(&kf->maps);
	/* The mmap()s hold the file: no guest PTE maps a pool page now. */
	list_for_each_entry_safe(pool, next, &kf->pools, node)
		kvmmem_free_pool(pool);
	/* Its VMAs may hold it still; the last reference puts kf's. */
	if (kf->slot_file)
		fput(kf->slot_file);
	kvmmem_file_put(kf);
	return 0;
}

static const struct file_operations kvmmem_fops = {
	.owner		= THIS_MODULE,
	.open		= kvmmem_open,
	.release	= kvmmem_release,
	.unlocked_ioctl	= kvmmem_ioctl,
	.mmap		= kvmmem_mmap,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvmmem_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kvmmem",
	.fops	= &kvmmem_fops,
	.mode	= 0600,
};

static int __init kvmmem_init(void)
{
	int ret;

	if (!kvm_para_available())
		return -ENODEV;

	kvmmem_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_atomic_t("mappings", 0400, kvmmem_debugfs,
				&kvmmem_nr_maps);
	debugfs_create_atomic_t("leaked", 0400, kvmmem_debugfs,
				&kvmmem_nr_leaked);
	debugfs_create_atomic_t("pools", 0400, kvmmem_debugfs,
				&kvmmem_nr_pools);
	kvmmem_slots_debugfs(kvmmem_debugfs);

	ret = misc_register(&kvmmem_dev);
	if (ret)
		goto err_remove_debugfs;
	return 0;

err_remove_debugfs:
	debugfs_remove(kvmmem_debugfs);
	return ret;
}
module_init(kvmmem_init);

static void __exit kvmmem_exit(void)
{
	misc_deregister(&kvmmem_dev);
	kvmmem_slots_exit();
	debugfs_remove(kvmmem_debugfs);
}
module_exit(kvmmem_exit);

MODULE_DESCRIPTION("Map pages of another VM through KVM_HC_MEM_MAP (/dev/kvmmem)");
MODULE_LICENSE("GPL");
