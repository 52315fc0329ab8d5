// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem_map.c - KVM_INTRO_MEM_MAP, _MAP_BATCH, _UNMAP and _UNMAP_BATCH of
 * /dev/kvmmem.
 *
 * A map asks the host to back a guest page of the driver's own with the
 * target VM's page at @gpa, and makes @gva reach it: a page of a pool if
 * @gva is in an mmap() of the file (kvmmem_pool.c), else a slot put at
 * @gva in place of the caller's private anonymous page (kvmmem_slot.c).
 * Both are pages of host pools, so no map changes a VMA of the VMM.  An
 * unmap (and close()) asks the host to make the page ordinary pool RAM
 * again.  A page whose unmap the host refused is never handed out again:
 * it may still alias the target's memory.
 */
#include <linux/atomic.h>
#include <linux/sizes.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "kvmmem_internal.h"

/* One page, or 2 MiB (KVMMEM_MAP_HUGE), mapped through a file. */
struct kvmmem_map {
	unsigned long gva;	/* key, as given to KVM_INTRO_MEM_MAP */
	phys_addr_t gpa;	/* local gpa, backed by the target */
	struct kvmmem_slot *slot;	/* reference; NULL in a pool */
	bool place;		/* @slot to be put at @gva once mapped */
	bool readonly;
	bool huge;		/* 2 MiB of a pool from @gva, read-only */
};

/* Pages of @map: one, or the 512 of a 2 MiB map. */
static unsigned long kvmmem_map_pages(const struct kvmmem_map *map)
{
	return map->huge ? SZ_2M >> PAGE_SHIFT : 1;
}

/*
 * Enter @map in kf->maps at each of its pages, so that no other map takes
 * one; only the first is its key.  0, or -EALREADY with none entered.
 */
static int kvmmem_maps_insert(struct kvmmem_file *kf, struct kvmmem_map *map)
{
	unsigned long first = map->gva >> PAGE_SHIFT, i;
	int ret = 0;

	lockdep_assert_held(&kf->lock);
	for (i = 0; i < kvmmem_map_pages(map); i++) {
		ret = xa_insert(&kf->maps, first + i, map, GFP_KERNEL);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	while (i--)
		xa_erase(&kf->maps, first + i);
	return ret == -EBUSY ? -EALREADY : ret;
}

static void kvmmem_maps_erase(struct kvmmem_file *kf, struct kvmmem_map *map)
{
	unsigned long first = map->gva >> PAGE_SHIFT, i;

	for (i = 0; i < kvmmem_map_pages(map); i++)
		xa_erase(&kf->maps, first + i);
}

/* The map whose key is @gva, or NULL (also for the other pages of one). */
static struct kvmmem_map *kvmmem_maps_find(struct kvmmem_file *kf,
					   unsigned long gva)
{
	struct kvmmem_map *map = xa_load(&kf->maps, gva >> PAGE_SHIFT);

	return map && map->gva == gva ? map : NULL;
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
	int ret = kvmmem_hc_unmap(map->gpa);

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
	/* 2 MiB of a pool only: slots and anonymous memory are pages. */
	if (map->huge) {
		ret = kvmmem_pool_page(kf, vma, gva, SZ_2M, pool, &map->gpa);
		if (ret > 0)
			ret = -EINVAL;
		goto out_unlock;
	}
	slot = kvmmem_slot_of(kf, vma);
	if (IS_ERR(slot)) {
		ret = PTR_ERR(slot);
	} else if (slot) {
		map->slot = slot;
		map->gpa = kvmmem_slot_gpa(slot);
	} else {
		ret = kvmmem_pool_page(kf, vma, gva, PAGE_SIZE, pool,
				       &map->gpa);
		if (ret > 0 && !kvmmem_vma_replaceable(kf, vma))
			ret = -EINVAL;
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
	/*
	 * The host maps 2 MiB read-only (a store would stop the VM), at a
	 * local gpa aligned as the target's.
	 */
	if (map->huge && !map->readonly)
		return -EACCES;
	if (map->huge && !IS_ALIGNED(map->gpa, SZ_2M))
		return -EINVAL;
	if (ret) {
		slot = kvmmem_slot_alloc(token);
		if (IS_ERR(slot))
			return PTR_ERR(slot);
		map->slot = slot;
		map->gpa = kvmmem_slot_gpa(slot);
		map->place = true;
		return 0;
	}
	return pool ? kvmmem_pool_make(pool, token) : 0;
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
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (!PAGE_ALIGNED(req.gva) || !PAGE_ALIGNED(req.gpa) ||
	    req.gva != (unsigned long)req.gva) {
		ret = -EINVAL;
		goto out_wipe;
	}

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

	map->gva = req.gva;
	mutex_lock(&kf->lock);
	ret = kvmmem_maps_insert(kf, map);
	if (ret)
		goto err_unlock;

	ret = kvmmem_get_page(kf, req.gva, token, map);
	if (ret)
		goto err_erase_map;

	ret = kvmmem_hc_map(token, req.gpa, map->gpa, map->readonly);
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
	kvmmem_maps_erase(kf, map);
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

/*
 * One group of a batch: pages of the same writability, one hypercall with
 * @flags (KVMMEM_MAP_*).
 */
static void kvmmem_batch_hc(const struct kvmi_map_mem_token *token,
			    struct kvmmem_map_entry *e, unsigned int n,
			    u32 flags)
{
	unsigned int i;
	int ret;

	if (!n)
		return;
	ret = kvmmem_hc_map_batch(token, e, n, flags);
	if (ret)
		for (i = 0; i < n; i++)
			e[i].err = ret;
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

/*
 * Reserve page i (2 MiB if @huge) and its local page; 0 or -errno
 * (nothing held on error).
 */
static int kvmmem_batch_get(struct kvmmem_file *kf, struct kvmmem_batch *b,
			    unsigned int i,
			    const struct kvmi_map_mem_token *token, bool huge)
{
	struct kvmmem_map *map;
	int ret;

	if (!PAGE_ALIGNED(b->gvas[i]) ||
	    !IS_ALIGNED(b->gpas[i], huge ? SZ_2M : PAGE_SIZE) ||
	    b->gvas[i] != (unsigned long)b->gvas[i])
		return -EINVAL;
	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	map->gva = b->gvas[i];
	map->huge = huge;
	ret = kvmmem_maps_insert(kf, map);
	if (ret) {
		kfree(map);
		return ret;
	}
	ret = kvmmem_get_page(kf, b->gvas[i], token, map);
	if (ret) {
		kvmmem_maps_erase(kf, map);
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
	bool huge;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ret = -EINVAL;
	if (!req.count || req.count > KVMMEM_BATCH_MAX ||
	    (req.flags & ~KVMMEM_MAP_HUGE) || req.pad || req.reserved)
		goto out_wipe;
	huge = req.flags & KVMMEM_MAP_HUGE;
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
		b.errs[i] = kvmmem_batch_get(kf, &b, i, token, huge);
		if (b.errs[i])
			continue;
		b.slot[i] = b.maps[i]->readonly ? --nro : nrw++;
		b.e[b.slot[i]].req_gpa = b.gpas[i];
		b.e[b.slot[i]].map_gpa = b.maps[i]->gpa;
		b.e[b.slot[i]].err = -EIO;
	}
	kvmmem_batch_hc(token, b.e, nrw, 0);
	kvmmem_batch_hc(token, b.e + nro, n - nro,
			KVMMEM_MAP_READONLY | (huge ? KVMMEM_MAP_HUGE : 0));

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
		kvmmem_maps_erase(kf, b.maps[i]);
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
	struct kvmmem_map *map;
	int ret;

	if (!PAGE_ALIGNED(gva))
		return -EINVAL;

	mutex_lock(&kf->lock);
	map = kvmmem_maps_find(kf, gva);
	if (!map) {
		ret = -ENOENT;
		goto out_unlock;
	}
	/* On failure the map stays: unmap can be retried, close() tries too. */
	ret = kvmmem_hc_unmap(map->gpa);
	if (ret)
		goto out_unlock;
	kvmmem_maps_erase(kf, map);
	atomic_dec(&kvmmem_nr_maps);
	kvmmem_free_map(map);
out_unlock:
	mutex_unlock(&kf->lock);
	return ret;
}

/* Marks a map taken by the unmap batch in progress (under kf->lock). */
#define KVMMEM_MARK_BATCH	XA_MARK_1

struct kvmmem_unbatch {
	u64 *gvas;
	s32 *errs;
	struct kvmmem_map **maps;	/* of entry k of @e */
	unsigned int *index;		/* page of entry k of @e */
	struct kvmmem_unmap_entry *e;	/* hypercall argument: contiguous */
};

static void kvmmem_unbatch_free(struct kvmmem_unbatch *b)
{
	kfree(b->e);
	kvfree(b->index);
	kvfree(b->maps);
	kvfree(b->errs);
	kvfree(b->gvas);
}

static int kvmmem_unbatch_alloc(struct kvmmem_unbatch *b, unsigned int n)
{
	b->gvas = kvmalloc_array(n, sizeof(*b->gvas), GFP_KERNEL);
	b->errs = kvmalloc_array(n, sizeof(*b->errs), GFP_KERNEL);
	b->maps = kvmalloc_array(n, sizeof(*b->maps), GFP_KERNEL);
	b->index = kvmalloc_array(n, sizeof(*b->index), GFP_KERNEL);
	/* kmalloc: the host reads it by guest-physical address. */
	b->e = kmalloc_array(n, sizeof(*b->e), GFP_KERNEL | __GFP_NOWARN);
	if (b->gvas && b->errs && b->maps && b->index && b->e)
		return 0;
	kvmmem_unbatch_free(b);
	return -ENOMEM;
}

/*
 * Collect the maps of the batch's pages into @b->e: -errno in errs[i] for
 * a page that is not one (or named twice: -ENOENT, as a second unmap).
 * Returns the number of entries.
 */
static unsigned int kvmmem_unbatch_get(struct kvmmem_file *kf,
				       struct kvmmem_unbatch *b,
				       unsigned int count)
{
	struct kvmmem_map *map;
	unsigned long index;
	unsigned int i, n = 0;

	lockdep_assert_held(&kf->lock);
	for (i = 0; i < count; i++) {
		b->errs[i] = -EINVAL;
		if (!PAGE_ALIGNED(b->gvas[i]) ||
		    b->gvas[i] != (unsigned long)b->gvas[i])
			continue;
		index = b->gvas[i] >> PAGE_SHIFT;
		map = kvmmem_maps_find(kf, b->gvas[i]);
		b->errs[i] = -ENOENT;
		if (!map || xa_get_mark(&kf->maps, index, KVMMEM_MARK_BATCH))
			continue;
		xa_set_mark(&kf->maps, index, KVMMEM_MARK_BATCH);
		b->e[n].map_gpa = map->gpa;
		b->e[n].err = 0;
		b->maps[n] = map;
		b->index[n++] = i;
	}
	return n;
}

/*
 * Unmap @count pages with one KVM_HC_MEM_UNMAP_BATCH.  As for one unmap, a
 * page the host refuses to unmap stays mapped (it can be retried, close()
 * tries too); one it says it does not map (-ENOENT) counts as unmapped.
 */
static long kvmmem_ioctl_unmap_batch(struct kvmmem_file *kf,
				     void __user *argp)
{
	struct kvmi_mem_unmap_batch req;
	struct kvmmem_unbatch b = { };
	unsigned int k, n;
	struct kvmmem_map *map;
	long ret, done = 0;
	int err;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved[0] || req.reserved[1] || req.reserved[2] ||
	    !req.count || req.count > KVMMEM_BATCH_MAX)
		return -EINVAL;
	ret = kvmmem_unbatch_alloc(&b, req.count);
	if (ret)
		return ret;
	ret = -EFAULT;
	if (copy_from_user(b.gvas, u64_to_user_ptr(req.gvas),
			   req.count * sizeof(*b.gvas)))
		goto out_free;
	/* Fail before unmapping anything if the results cannot be returned. */
	if (clear_user(u64_to_user_ptr(req.errs), req.count * sizeof(*b.errs)))
		goto out_free;

	mutex_lock(&kf->lock);
	n = kvmmem_unbatch_get(kf, &b, req.count);
	err = n ? kvmmem_hc_unmap_batch(b.e, n) : 0;
	for (k = 0; k < n; k++) {
		map = b.maps[k];
		xa_clear_mark(&kf->maps, map->gva >> PAGE_SHIFT,
			      KVMMEM_MARK_BATCH);
		if (err)
			b.e[k].err = err;
		/* A map or fault of the page in flight: once more, with retries. */
		if (b.e[k].err == -EAGAIN)
			b.e[k].err = kvmmem_hc_unmap(map->gpa);
		if (b.e[k].err == -ENOENT)
			b.e[k].err = 0;
		b.errs[b.index[k]] = b.e[k].err;
		if (b.e[k].err)
			continue;
		kvmmem_maps_erase(kf, map);
		atomic_dec(&kvmmem_nr_maps);
		kvmmem_free_map(map);
		done++;
	}
	mutex_unlock(&kf->lock);
	ret = done;
	if (copy_to_user(u64_to_user_ptr(req.errs), b.errs,
			 req.count * sizeof(*b.errs)))
		ret = -EFAULT;
out_free:
	kvmmem_unbatch_free(&b);
	return ret;
}

/*
 * At the file's release: every map ends, also those in slots, whose VMAs
 * hold only the slot file: they stay and read zeros.
 */
void kvmmem_maps_end_all(struct kvmmem_file *kf)
{
	struct kvmmem_map *map;
	unsigned long index;

	/* A 2 MiB map's key comes before its other pages, erased with it. */
	xa_for_each(&kf->maps, index, map) {
		kvmmem_end_map(map);
		kvmmem_maps_erase(kf, map);
		kvmmem_free_map(map);
	}
	xa_destroy(&kf->maps);
}

/* The ioctls of a map; -ENOTTY for others. */
long kvmmem_map_ioctl(struct kvmmem_file *kf, unsigned int cmd,
		      unsigned long arg)
{
	switch (cmd) {
	case KVM_INTRO_MEM_MAP:
		return kvmmem_ioctl_map(kf, (void __user *)arg);
	case KVM_INTRO_MEM_UNMAP:
		return kvmmem_ioctl_unmap(kf, arg);
	case KVM_INTRO_MEM_MAP_BATCH:
		return kvmmem_ioctl_map_batch(kf, (void __user *)arg);
	case KVM_INTRO_MEM_UNMAP_BATCH:
		return kvmmem_ioctl_unmap_batch(kf, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}
