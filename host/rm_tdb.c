// SPDX-License-Identifier: GPL-2.0
/*
 * Target_db: per target mm state and the pseudo file its mirrors
 * map.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/userfaultfd_k.h>

#include "rm_internal.h"

/*
 * The pending pdb that the vm_mmap() of current, now mapping @len bytes
 * of the pseudo file at @addr of its mm from offset @pgoff, is for (to map
 * it, or to @unmap it); or NULL.  Called with tdb->lock held.
 */
static struct rm_pending *rm_tdb_find_pending(struct rm_tdb *tdb,
					      unsigned long addr,
					      unsigned long len,
					      unsigned long pgoff, bool unmap)
{
	struct rm_pending *p;

	lockdep_assert_held(&tdb->lock);
	list_for_each_entry(p, &tdb->pending, node)
		if (p->mapper == current && p->unmap == unmap &&
		    p->pdb->idb->rmn.mn.mm == current->mm &&
		    p->pdb->map_hva == addr && len == PAGE_SIZE &&
		    pgoff == p->pdb->req_hva >> PAGE_SHIFT)
			return p;
	return NULL;
}

/*
 * ->get_unmapped_area() of the removal vm_mmap() of rm_unmap_mirror(), with
 * current's mmap_lock held for write: the page mirror of p->pdb may go only
 * if it is still at @addr.  do_mmap() unmaps it right after this, in the
 * same hold of the lock, so nothing else can be there by then.
 */
static unsigned long rm_unmap_guard(struct rm_pending *p, unsigned long addr)
{
	struct vm_area_struct *vma;

	mmap_assert_write_locked(current->mm);
	vma = find_vma(current->mm, addr);
	if (!vma || vma->vm_start != addr || !rm_is_page_mirror(vma) ||
	    vma->vm_private_data != p->pdb)
		return -ENOENT;
	p->removing = true;
	return addr;
}

/*
 * ->get_unmapped_area() of the pseudo file: only mm_remote_map()'s own
 * MAP_FIXED vm_mmap() gets an area, and mm_remote_unmap()'s MAP_PRIVATE one
 * if its guard agrees.  This is what refuses to move a page mirror with
 * mremap(), which asks for the new area first.
 */
static unsigned long rm_mirror_get_area(struct file *file, unsigned long addr,
					unsigned long len, unsigned long pgoff,
					unsigned long flags)
{
	struct rm_tdb *tdb = file->private_data;
	bool unmap = !(flags & MAP_SHARED);
	struct rm_pending *p;

	if (!(flags & MAP_FIXED))
		return -EINVAL;
	spin_lock(&tdb->lock);
	p = rm_tdb_find_pending(tdb, addr, len, pgoff, unmap);
	spin_unlock(&tdb->lock);
	if (!p)
		return -EINVAL;
	/* p is current's, on its stack until its vm_mmap() returns. */
	return unmap ? rm_unmap_guard(p, addr) : addr;
}

/*
 * ->mmap() of the pseudo file: only the vm_mmap() issued by mm_remote_map()
 * for a pending pdb may succeed; anything else reaching the file (e.g.
 * through /proc/PID/map_files) is refused.  So is mm_remote_unmap()'s
 * removal, which has unmapped the mirror by now and wants the hole.
 */
static int rm_mirror_attach(struct rm_tdb *tdb, struct vm_area_struct *vma)
{
	struct rm_pdb *found = NULL;
	struct rm_pending *p;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -ECANCELED;
	spin_lock(&tdb->lock);
	p = rm_tdb_find_pending(tdb, vma->vm_start,
				vma->vm_end - vma->vm_start, vma->vm_pgoff,
				false);
	if (p) {
		list_del_init(&p->node);
		found = p->pdb;
	}
	spin_unlock(&tdb->lock);
	if (!found)
		return -EPERM;

	/* Nothing below may fail: mmap_region() calls no ->close() on error. */
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP |
			  VM_DONTCOPY);
	vm_flags_clear(vma, VM_MAYEXEC);
	if (found->readonly)
		vm_flags_clear(vma, VM_MAYWRITE);
	vma->vm_ops = &rm_mirror_vm_ops;
	vma->vm_private_data = found;
	kref_get(&found->ref);
	found->vmas = 1;
	/* Like remap_pfn_range() from ->mmap(); rm_map_pages() resolved it. */
	if (found->populate)
		rm_pdb_populate(found, vma);
	rm_idb_set_live(found);
	return 0;
}

static int rm_mirror_mmap(struct file *file, struct vm_area_struct *vma)
{
	return rm_mirror_attach(file->private_data, vma);
}

static const struct file_operations rm_mirror_fops = {
	.owner			= THIS_MODULE,
	.mmap			= rm_mirror_mmap,
	.get_unmapped_area	= rm_mirror_get_area,
};

/* The first pdb of @root (a tree of @tdb's) at or after @start, or NULL. */
static struct rm_pdb *rm_tdb_first(struct rm_tdb *tdb, struct rb_root *root,
				   unsigned long start)
{
	struct rb_node *node = root->rb_node;
	struct rm_pdb *pdb, *first = NULL;

	lockdep_assert_held(&tdb->pdbs_sem);
	while (node) {
		pdb = rb_entry(node, struct rm_pdb, tnode);
		if (pdb->req_hva >= start) {
			first = pdb;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return first;
}

static struct rm_pdb *rm_tdb_next(struct rm_pdb *pdb)
{
	struct rb_node *node = rb_next(&pdb->tnode);

	return node ? rb_entry(node, struct rm_pdb, tnode) : NULL;
}

/*
 * The first pdb of @tdb with a page in [@start, @end) of @root, or NULL: a
 * 2 MiB one (hpdbs) starts up to 2 MiB before @start.
 */
static struct rm_pdb *rm_tdb_first_in(struct rm_tdb *tdb, struct rb_root *root,
				      unsigned long start, unsigned long end)
{
	struct rm_pdb *pdb;

	if (root == &tdb->hpdbs)
		start = ALIGN_DOWN(start, PMD_SIZE);
	pdb = rm_tdb_first(tdb, root, start);
	return pdb && pdb->req_hva < end ? pdb : NULL;
}

/*
 * The caches (bits of enum rm_pdb_cache) that @range leaves as they are:
 * none for a change of the target's pages.  A write-protection
 * (MMU_NOTIFY_PROTECTION_PAGE: fork's COW, page_mkclean()) keeps the
 * pfn, so read-only mirrors stay; a copy on write that replaces it later
 * is an invalidation of its own.  A protection change of a VMA
 * (MMU_NOTIFY_PROTECTION_VMA: mprotect(), NUMA balancing's hinting scan,
 * userfaultfd's write-protection) keeps every pfn too: read-only mirrors
 * stay where the target's VMA still grants reads, writable ones where it
 * still grants writes, so a hinting scan, which changes no flag, leaves
 * every mirror.  mprotect() sets the flags before its invalidation, so
 * one that takes access away is seen here.  Cached failures go: the
 * change may have lifted them.  A VMA registered with userfaultfd keeps
 * nothing: its read protection (7.3's uffd RWP) is such a change too.
 */
static u8 rm_tdb_keep(const struct mmu_notifier_range *range)
{
	struct vm_area_struct *vma;

	if (range->event == MMU_NOTIFY_PROTECTION_PAGE)
		return BIT(RM_CACHE_RO);
	if (range->event != MMU_NOTIFY_PROTECTION_VMA)
		return 0;
	/* Each of those callers holds it, for write or read. */
	lockdep_assert_held(&range->mm->mmap_lock);
	vma = vma_lookup(range->mm, range->start);
	if (!vma || range->end > vma->vm_end || !(vma->vm_flags & VM_READ) ||
	    userfaultfd_armed(vma))
		return 0;
	if (!(vma->vm_flags & VM_WRITE))
		return BIT(RM_CACHE_RO);
	return BIT(RM_CACHE_RO) | BIT(RM_CACHE_RW);
}

/*
 * rm_pdb_invalidate() of @pdb and of those after it in its tree that start
 * before the end of @range; false if @range does not let us sleep.
 */
static bool rm_tdb_walk(struct mmu_interval_notifier *sub,
			const struct mmu_notifier_range *range,
			unsigned long cur_seq, struct rm_pdb *pdb, u8 keep,
			bool *found, struct rm_pdb_inval *inv)
{
	for (; pdb && pdb->req_hva < range->end; pdb = rm_tdb_next(pdb)) {
		if (!mmu_notifier_range_blockable(range))
			return false;
		if (!*found) {
			/* Before any pdb->lock: see rm_pdb_invalidate(). */
			mmu_interval_set_seq(sub, cur_seq);
			*found = true;
		}
		rm_pdb_invalidate(pdb, range->event, keep, inv);
	}
	return true;
}

/*
 * Every invalidation of the target mm comes here.  Those of watched pages
 * bump the notifier's sequence, so that a resolution in flight is not
 * installed and a new one waits for the invalidation to end, and zap the
 * mirrors of those pages.
 *
 * The sequence is set only when a watched page is in the range, unlike
 * what mmu_interval_set_seq() asks of a notifier over one range.  That is
 * safe because a resolution compares it (mmu_interval_read_retry()) only
 * for its own page, under its pdb's lock, which the walk below takes
 * after setting it: an invalidation that did not set it found no pdb
 * of that page, so the pdb was not watching yet and carries the
 * sequence of such an invalidation in (miss_seq, rm_tdb_watch()).  And the
 * value set is always cur_seq, the one mmu_interval_read_begin() waits on,
 * so the core's own bookkeeping (odd while invalidating, then the next
 * even value) is what every reader sees.
 *
 *   resolution (rm_pdb_resolve())        invalidation (here)
 *
 *   seq = mmu_interval_read_begin()
 *   hmm_range_fault(): the old page       range_start
 *                                         pdbs_sem (read): the pdb is there
 *                                         mmu_interval_set_seq(cur_seq)
 *                                         pdb->lock: cache NONE, read vma
 *                                         zap the mirror PTE
 *   pdb->lock
 *   mmu_interval_read_retry(seq): true
 *   store nothing; the fault retries      (the target's PTE changes)
 *   pdb->lock dropped                     range_end
 *
 * A pdb added while an invalidation runs that did not find it, in the
 * tree or within its bounds, which a range outside them does not take
 * pdbs_sem to look at: a barrier pair orders the two sides.
 *
 *   map (rm_tdb_watch())                 invalidation (here)
 *
 *                                         miss_seq = cur_seq
 *                                         smp_mb()
 *                                         range outside the bounds
 *   pdbs_sem (write): add the pdb
 *   grow the bounds
 *   smp_mb()
 *   mmu_interval_set_seq(miss_seq)
 *   mmu_interval_read_begin() waits ...   (the target's PTE changes)
 *   ... for the end: then resolves        range_end
 *
 * A protection change that keeps mirrors (rm_tdb_keep()) changes only
 * the pdbs counted in wp_pdbs (read-only mirrors stay) or in fail_pdbs
 * (writable ones stay too).  When none is counted, it takes no pdb->lock
 * at all, and a barrier pair does what that lock does above: of the two
 * stores, one is seen.
 *
 *   resolution of a writable page         protection change (here)
 *   or of a failure
 *
 *   pdb->lock; wp_pdbs++ (fail_pdbs++)    mmu_interval_set_seq(cur_seq)
 *   smp_mb__after_atomic()                smp_mb()
 *   mmu_interval_read_retry(seq)          the count is 0: no walk
 *
 * A count goes only after the invalidation that dropped its pdb's cache
 * has zapped the mirror, so a 0 also means that no such PTE of a target
 * page is left for a zap still under way.
 */
static bool rm_tdb_invalidate(struct mmu_interval_notifier *sub,
			      const struct mmu_notifier_range *range,
			      unsigned long cur_seq)
{
	struct rm_tdb *tdb = container_of(sub, struct rm_tdb, notifier);
	bool blockable = mmu_notifier_range_blockable(range);
	struct rm_pdb_inval inv = { };
	bool found = false, ret = true;
	struct rm_pdb *pdb, *hpdb;
	u8 keep = 0;

	if (rm_zap_nested(range))
		return true;
	/*
	 * Before the bounds are read: a pdb added meanwhile is either in
	 * them or given this sequence (pairs with rm_tdb_watch()).
	 */
	WRITE_ONCE(tdb->miss_seq, cur_seq);
	smp_mb();	/* pairs with rm_tdb_watch() */
	if (range->end <= READ_ONCE(tdb->watch_lo) ||
	    range->start > READ_ONCE(tdb->watch_hi))
		return true;

	/* The zaps sleep: only the OOM reaper does not let us. */
	if (!blockable) {
		if (!down_read_trylock(&tdb->pdbs_sem))
			return false;
	} else {
		down_read(&tdb->pdbs_sem);
	}
	pdb = rm_tdb_first_in(tdb, &tdb->pdbs, range->start, range->end);
	hpdb = rm_tdb_first_in(tdb, &tdb->hpdbs, range->start, range->end);
	/* The VMA is looked up only when a watched page is in the range. */
	if (pdb || hpdb)
		keep = rm_tdb_keep(range);
	if (keep) {
		/* Only the pdbs counted change: see above. */
		mmu_interval_set_seq(sub, cur_seq);
		found = true;
		smp_mb();	/* pairs with rm_pdb_store() */
		if (!atomic_read(keep & BIT(RM_CACHE_RW) ? &tdb->fail_pdbs :
							   &tdb->wp_pdbs)) {
			pdb = NULL;
			hpdb = NULL;
		}
	}
	ret = rm_tdb_walk(sub, range, cur_seq, pdb, keep, &found, &inv) &&
	      rm_tdb_walk(sub, range, cur_seq, hpdb, keep, &found, &inv);
	/* The pages of a fork's or a munmap()'s range: one zap per span. */
	rm_pdb_invalidate_done(&inv);
	if (inv.wp_zapped) {
		/* After the zaps, both: see wp_pdbs. */
		smp_mb();
		atomic_sub(inv.wp_zapped, &tdb->wp_pdbs);
		atomic_sub(inv.fail_zapped, &tdb->fail_pdbs);
	}
	up_read(&tdb->pdbs_sem);
	return ret;
}

/*
 * The KVM aliases (MM_REMOTE_ZEROHOLE pdbs) of target pages in
 * [start, end) whose cache is @from, or all of them if @from is
 * RM_CACHE_NONE: their cache becomes @to and their PTEs are zapped.
 *
 * For changes KVM reports outside any invalidation of the target, which
 * the tdb's tvms pass on (rm_tvm.c): a memslot deleted or moved (its
 * aliases end: RM_CACHE_GONE), dirty logging turned on (RM_CACHE_RW drops
 * to NONE: no write access any more) or off (RM_CACHE_RO and RM_CACHE_ERR
 * drop: write access again).  So the zap
 * starts the introspector's invalidation rather than nesting in the
 * target's, and must not hold zap_sem, which that invalidation's
 * rm_idb_forget_range() takes: the pdbs are taken with references
 * under pdbs_sem, then zapped without it (rm_pdb_zap()).
 */
static void rm_tdb_set_range(struct rm_tdb *tdb, unsigned long start,
			     unsigned long end, u8 from, u8 to)
{
	struct rb_root *roots[] = { &tdb->pdbs, &tdb->hpdbs };
	struct rm_pdb *pdb, *one, **pdbs;
	unsigned int n = 0, i = 0, r;

	/* Nothing is allocated under pdbs_sem: reclaim takes it. */
	down_read(&tdb->pdbs_sem);
	for (r = 0; r < ARRAY_SIZE(roots); r++)
		for (pdb = rm_tdb_first_in(tdb, roots[r], start, end);
		     pdb && pdb->req_hva < end; pdb = rm_tdb_next(pdb))
			n++;
	up_read(&tdb->pdbs_sem);
	if (!n)
		return;
	pdbs = kvmalloc_array(n, sizeof(*pdbs), GFP_KERNEL);
	if (!pdbs) {
		/* One at a time: each round changes one cache for good. */
		pdbs = &one;
		n = 1;
	}
again:
	down_read(&tdb->pdbs_sem);
	for (r = 0; r < ARRAY_SIZE(roots); r++)
		for (pdb = rm_tdb_first_in(tdb, roots[r], start, end);
		     pdb && pdb->req_hva < end && i < n;
		     pdb = rm_tdb_next(pdb)) {
			if (!pdb->zerohole || !rm_pdb_set_cache(pdb, from, to))
				continue;
			/* A pdb at 0 references is leaving: nothing to zap. */
			if (kref_get_unless_zero(&pdb->ref))
				pdbs[i++] = pdb;
		}
	up_read(&tdb->pdbs_sem);

	if (pdbs == &one && i) {
		rm_pdb_zap(one);
		rm_pdb_put(one);
		i = 0;
		goto again;
	}
	while (i--) {
		rm_pdb_zap(pdbs[i]);
		rm_pdb_put(pdbs[i]);
	}
	if (pdbs != &one)
		kvfree(pdbs);
}

static const struct mmu_interval_notifier_ops rm_tdb_notifier_ops = {
	.invalidate = rm_tdb_invalidate,
};

static bool rm_pdb_less(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct rm_pdb, tnode)->req_hva <
	       rb_entry(b, struct rm_pdb, tnode)->req_hva;
}

/*
 * Watch the target pages of the pages of [0, n) without an error, before
 * they are resolved.  An invalidation that ran before this found none of
 * them but may not have changed the target's page tables yet: as
 * mmu_interval_notifier_insert() does for a notifier inserted then, make
 * the next mmu_interval_read_begin() wait for its end.
 */
void rm_tdb_watch(struct rm_tdb *tdb, struct rm_pdb **pdbs, const int *errs,
		  unsigned int n)
{
	unsigned long miss_seq, lo = ULONG_MAX, hi = 0;
	unsigned int i;

	down_write(&tdb->pdbs_sem);
	for (i = 0; i < n; i++) {
		if (errs[i])
			continue;
		rb_add(&pdbs[i]->tnode,
		       pdbs[i]->huge ? &tdb->hpdbs : &tdb->pdbs, rm_pdb_less);
		pdbs[i]->watched = true;
		lo = min(lo, pdbs[i]->req_hva);
		hi = max(hi, pdbs[i]->req_hva + rm_pdb_size(pdbs[i]) -
			     PAGE_SIZE);
	}
	if (lo < tdb->watch_lo)
		WRITE_ONCE(tdb->watch_lo, lo);
	if (hi > tdb->watch_hi)
		WRITE_ONCE(tdb->watch_hi, hi);
	/*
	 * An invalidation stores its sequence before it reads the bounds:
	 * either it sees the new ones or we see its sequence (pairs with
	 * rm_tdb_invalidate()).  The sequence stored is always that of the
	 * latest invalidation period, so it only moves forward.
	 */
	smp_mb();	/* pairs with rm_tdb_invalidate() */
	miss_seq = READ_ONCE(tdb->miss_seq);
	if ((long)(miss_seq - READ_ONCE(tdb->notifier.invalidate_seq)) > 0)
		mmu_interval_set_seq(&tdb->notifier, miss_seq);
	up_write(&tdb->pdbs_sem);
}

static void rm_tdb_free_work(struct work_struct *work)
{
	struct rm_tdb *tdb = container_of(work, struct rm_tdb, free_work);

	WARN_ON(!list_empty(&tdb->pending));
	WARN_ON(!RB_EMPTY_ROOT(&tdb->pdbs) || !RB_EMPTY_ROOT(&tdb->hpdbs));
	WARN_ON(atomic_read(&tdb->wp_pdbs));
	WARN_ON(atomic_read(&tdb->fail_pdbs));
	/* Before the module reference of tdb->file goes: KVM calls us. */
	flush_work(&tdb->tvm_work);
	rm_tvm_detach_all(tdb);
	/* Waits for a running rm_tdb_invalidate(); may sleep. */
	mmu_interval_notifier_remove(&tdb->notifier);
	fput(tdb->file);
	rm_file_unpin();
	kfree_rcu(tdb, rmn.rcu);
	atomic_dec(&rm_tdb_count);
}

static void rm_tdb_tvm_work(struct work_struct *work)
{
	rm_tvm_detach_all(container_of(work, struct rm_tdb, tvm_work));
}

/* Called with mm's mmap_lock held for write (mmu_notifier_get_locked()). */
static struct mmu_notifier *rm_tdb_alloc_notifier(struct mm_struct *mm)
{
	struct rm_tdb *tdb;
	struct file *file;
	int err;

	mmap_assert_write_locked(mm);
	tdb = kzalloc(sizeof(*tdb), GFP_KERNEL);
	if (!tdb)
		return ERR_PTR(-ENOMEM);
	init_rwsem(&tdb->pdbs_sem);
	tdb->pdbs = RB_ROOT;
	tdb->hpdbs = RB_ROOT;
	tdb->watch_lo = ULONG_MAX;
	spin_lock_init(&tdb->lock);
	INIT_LIST_HEAD(&tdb->pending);
	INIT_LIST_HEAD(&tdb->tvms);
	INIT_WORK(&tdb->tvm_work, rm_tdb_tvm_work);
	INIT_WORK(&tdb->free_work, rm_tdb_free_work);

	file = rm_file_create(&rm_mirror_fops, tdb);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_free_tdb;
	}
	tdb->file = file;

	/*
	 * From here on, a failure of the caller's registration frees the tdb
	 * through ->free_notifier(), which removes the notifier.
	 */
	err = mmu_interval_notifier_insert_locked(&tdb->notifier, mm, 0,
						  TASK_SIZE_MAX,
						  &rm_tdb_notifier_ops);
	if (err)
		goto err_put_file;
	atomic_inc(&rm_tdb_count);
	return &tdb->rmn.mn;

err_put_file:
	fput(file);
	rm_file_unpin();
err_free_tdb:
	kfree(tdb);
	return ERR_PTR(err);
}

/* Called from an SRCU callback: fput() and unmounting must not run here. */
static void rm_tdb_free_notifier(struct mmu_notifier *mn)
{
	struct rm_tdb *tdb = container_of(mn, struct rm_tdb, rmn.mn);

	rm_mn_unhash(&tdb->rmn);
	queue_work(rm_wq, &tdb->free_work);
}

/*
 * The target is exiting.  From now on mirrors read the zero page (or their
 * orphan page).  What they showed of the target is zapped already: the
 * release of the target's interval notifiers, which runs before this,
 * invalidated all of the mm and so every pdb, and a refault since then
 * found no mm user left (rm_pdb_resolve()) and did not map the target's
 * page again.
 */
static void rm_tdb_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct rm_tdb *tdb = container_of(mn, struct rm_tdb, rmn.mn);

	WRITE_ONCE(tdb->dead, true);
	/* Its VMs' memslots no longer matter: let the VMs go. */
	queue_work(rm_wq, &tdb->tvm_work);
}

static const struct mmu_notifier_ops rm_tdb_ops = {
	.release	= rm_tdb_release,
	.alloc_notifier	= rm_tdb_alloc_notifier,
	.free_notifier	= rm_tdb_free_notifier,
};

/*
 * Return the tdb of @mm with @refs references, taking mm's mmap_lock for
 * write at most once.  The caller holds an mm_users reference.
 */
struct rm_tdb *rm_tdb_get(struct mm_struct *mm, unsigned int refs)
{
	struct rm_mn *r = rm_mn_get(&rm_tdb_ops, mm, refs);

	if (IS_ERR(r))
		return ERR_CAST(r);
	return container_of(r, struct rm_tdb, rmn);
}

/*
 * The tdb of @kvm's process, with a reference, watching @kvm's memslots
 * (rm_tvm_attach()): taken before a map of its pages (under kvm->srcu or
 * not) and put after.  The caller holds a reference on @kvm.
 */
struct rm_tdb *rm_tdb_get_vm(struct kvm *kvm)
{
	struct rm_tdb *tdb;
	int err;

	/* Held until the node is registered, from this mm (rm_tvm_attach()). */
	if (!mmget_not_zero(kvm->mm))
		return ERR_PTR(-ESRCH);
	tdb = rm_tdb_get(kvm->mm, 1);
	if (!IS_ERR(tdb)) {
		err = rm_tvm_attach(tdb, kvm, rm_tdb_set_range);
		if (err) {
			rm_tdb_put(tdb);
			tdb = ERR_PTR(err);
		}
	}
	mmput_async(kvm->mm);
	return tdb;
}

void rm_tdb_add_pending(struct rm_tdb *tdb, struct rm_pending *p,
			struct rm_pdb *pdb, bool unmap)
{
	p->pdb = pdb;
	p->mapper = current;
	p->unmap = unmap;
	p->removing = false;
	spin_lock(&tdb->lock);
	list_add(&p->node, &tdb->pending);
	spin_unlock(&tdb->lock);
}

void rm_tdb_del_pending(struct rm_tdb *tdb, struct rm_pending *p)
{
	spin_lock(&tdb->lock);
	list_del_init(&p->node);
	spin_unlock(&tdb->lock);
}
