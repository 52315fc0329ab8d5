// SPDX-License-Identifier: GPL-2.0
/*
 * Intro_db: per introspector mm index of its mappings by map_hva.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "rm_internal.h"

static struct mmu_notifier *rm_idb_alloc_notifier(struct mm_struct *mm)
{
	struct rm_idb *idb;

	idb = kzalloc(sizeof(*idb), GFP_KERNEL);
	if (!idb)
		return ERR_PTR(-ENOMEM);
	xa_init(&idb->pdbs);
	init_rwsem(&idb->zap_sem);
	mutex_init(&idb->huge_lock);
	atomic_inc(&rm_idb_count);
	return &idb->rmn.mn;
}

static void rm_idb_free_notifier(struct mmu_notifier *mn)
{
	struct rm_idb *idb = container_of(mn, struct rm_idb, rmn.mn);

	/* Every pdb holds a reference: none can be left. */
	WARN_ON(!xa_empty(&idb->pdbs));
	xa_destroy(&idb->pdbs);
	rm_mn_unhash(&idb->rmn);
	kfree_rcu(idb, rmn.rcu);
	atomic_dec(&rm_idb_count);
}

/*
 * The introspector is exiting, and exit_mmap() unmaps everything next
 * without telling us again: forget every VMA now.  The mirror PTEs left
 * until then are read by no one (the mm has no user), and zapping a special
 * PTE touches no page.  Closing the mirror VMAs afterwards ends the
 * mappings (rm_idb_detach()).
 */
static void rm_idb_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct rm_idb *idb = container_of(mn, struct rm_idb, rmn.mn);

	rm_idb_forget_range(idb, 0, TASK_SIZE_MAX);
}

/*
 * An unmap of this mm frees the page tables of the range next
 * (free_pgtables()), or moves them (mremap()): forget the VMAs of the
 * mirrors there before that.  A VMA stays usable until the end of the
 * unmap's invalidation, so target invalidations until then still zap
 * through it, concurrently with the unmap's own zap.
 */
static void rm_idb_invalidate_range_end(struct mmu_notifier *mn,
					const struct mmu_notifier_range *range)
{
	struct rm_idb *idb = container_of(mn, struct rm_idb, rmn.mn);

	/* The OOM reaper's unmap cannot sleep, but skips PFNMAP VMAs. */
	if (range->event != MMU_NOTIFY_UNMAP ||
	    !mmu_notifier_range_blockable(range))
		return;
	rm_idb_forget_range(idb, range->start, range->end);
}

static const struct mmu_notifier_ops rm_idb_ops = {
	.release		= rm_idb_release,
	.invalidate_range_end	= rm_idb_invalidate_range_end,
	.alloc_notifier		= rm_idb_alloc_notifier,
	.free_notifier		= rm_idb_free_notifier,
};

/*
 * Return the idb of @mm with @refs references, one per pdb to come.
 * Takes mm's mmap_lock for write at most once, however many references.
 */
struct rm_idb *rm_idb_get(struct mm_struct *mm, unsigned int refs)
{
	struct rm_mn *r = rm_mn_get(&rm_idb_ops, mm, refs);

	if (IS_ERR(r))
		return ERR_CAST(r);
	return container_of(r, struct rm_idb, rmn);
}

/* The same, one reference, for a caller holding mm's mmap_lock for write. */
struct rm_idb *rm_idb_get_locked(struct mm_struct *mm)
{
	struct mmu_notifier *mn = mmu_notifier_get_locked(&rm_idb_ops, mm);
	struct rm_idb *idb;

	if (IS_ERR(mn))
		return ERR_CAST(mn);
	idb = container_of(mn, struct rm_idb, rmn.mn);
	rm_mn_hold(&idb->rmn, 1);
	return idb;
}

void rm_idb_put(struct rm_idb *idb)
{
	rm_mn_put(&idb->rmn);
}

/* A window's anchor (struct rm_win) reads as a free slot. */
static void *rm_unzero(void *entry)
{
	return xa_is_zero(entry) ? NULL : entry;
}

/*
 * The 2 MiB pdb whose pages hold @index, which has no entry of its own,
 * or NULL.
 */
struct rm_pdb *rm_idb_huge_at(struct rm_idb *idb, unsigned long index)
{
	struct rm_pdb *pdb;

	lockdep_assert_held(&idb->pdbs.xa_lock);
	if (!idb->huge)
		return NULL;
	pdb = xa_load(&idb->pdbs, ALIGN_DOWN(index, RM_HUGE_PAGES));
	return pdb && pdb->huge ? pdb : NULL;
}

/*
 * The first entry of the 512 pages of a 2 MiB pdb at @xas, or NULL: its
 * own slot, then those it leaves empty.
 */
static struct rm_pdb *rm_idb_huge_busy(struct xa_state *xas)
{
	unsigned long index = xas->xa_index + 1;
	struct rm_pdb *old;

	old = rm_unzero(xas_load(xas));
	if (!old)
		old = xa_find(xas->xa, &index, xas->xa_index + RM_HUGE_PAGES - 1,
			      XA_PRESENT);
	return old;
}

/*
 * Claim map_hva of every page of [0, n) without an error for a new mapping
 * in state MAPPING, in one hold of the xa_lock (dropped only to allocate).
 * Consecutive pages, as in a window, step to the next slot rather than
 * walk down from the root again.  An entry holds the caller's reference on
 * its pdb until it is erased; pdb->reserved says it has one.
 */
void rm_idb_reserve(struct rm_idb *idb, struct rm_pdb **pdbs, int *errs,
		    unsigned int n)
{
	XA_STATE(xas, &idb->pdbs, 0);
	struct rm_pdb *pdb, *old;
	bool at_prev = false;	/* xas is at the slot before this page's */
	unsigned long index;
	unsigned int i;

	xas_lock(&xas);
	for (i = 0; i < n; i++) {
		if (errs[i])
			continue;
		pdb = pdbs[i];
		/* Set while the pdb is still private to this call. */
		pdb->state = RM_PDB_MAPPING;
		index = pdb->map_hva >> PAGE_SHIFT;
		if (pdb->huge) {
			xas_set(&xas, index);
			old = rm_idb_huge_busy(&xas);
		} else if (at_prev && xas.xa_index + 1 == index) {
			old = rm_unzero(xas_next(&xas));
		} else {
			xas_set(&xas, index);
			old = rm_unzero(xas_load(&xas));
		}
		if (!old)
			old = rm_idb_huge_at(idb, index);
		while (!old) {
			xas_store(&xas, pdb);
			if (xas_error(&xas) != -ENOMEM)
				break;
			xas_unlock(&xas);
			if (!xas_nomem(&xas, GFP_KERNEL)) {
				xas_lock(&xas);
				break;
			}
			xas_lock(&xas);
			old = pdb->huge ? rm_idb_huge_busy(&xas) :
					  rm_unzero(xas_load(&xas));
			if (!old)
				old = rm_idb_huge_at(idb, index);
		}
		at_prev = !xas_error(&xas) && !pdb->huge;
		if (xas_error(&xas)) {
			errs[i] = xas_error(&xas);
		} else if (old) {
			errs[i] = old->state == RM_PDB_LIVE ? -EALREADY :
							       -EAGAIN;
		} else {
			pdb->reserved = true;
			idb->huge += pdb->huge;
		}
	}
	xas_unlock(&xas);
	/* Frees a node allocated for a slot that another thread took. */
	xas_set(&xas, 0);
	xas_nomem(&xas, GFP_KERNEL);
}

/* Called from ->mmap() with the introspector's mmap_lock held for write. */
void rm_idb_set_live(struct rm_pdb *pdb)
{
	mmap_assert_write_locked(pdb->idb->rmn.mn.mm);
	xa_lock(&pdb->idb->pdbs);
	pdb->state = RM_PDB_LIVE;
	atomic_inc(&rm_map_count);
	xa_unlock(&pdb->idb->pdbs);
}

/* The same for the pages of [0, n) in @which without an error. */
void rm_idb_set_live_bulk(struct rm_idb *idb, struct rm_pdb **pdbs,
			  const int *errs, const unsigned long *which,
			  unsigned int n)
{
	unsigned int i;

	xa_lock(&idb->pdbs);
	for_each_set_bit(i, which, n) {
		if (errs[i])
			continue;
		pdbs[i]->state = RM_PDB_LIVE;
		atomic_inc(&rm_map_count);
	}
	xa_unlock(&idb->pdbs);
}

/* Erase @pdb's entry, where @xas points. */
static void __rm_idb_erase_at(struct xa_state *xas, struct rm_pdb *pdb)
{
	void *old;

	lockdep_assert_held(&pdb->idb->pdbs.xa_lock);
	if (pdb->state == RM_PDB_LIVE || pdb->state == RM_PDB_DETACHED)
		atomic_dec(&rm_map_count);
	pdb->idb->huge -= pdb->huge;
	/* A window's anchor is reserved again; replacing never allocates. */
	if (pdb->win && xas->xa_index == pdb->win->anchor)
		old = xas_store(xas, XA_ZERO_ENTRY);
	else
		old = xas_store(xas, NULL);
	WARN_ON(old != pdb);
}

static void __rm_idb_erase(struct rm_pdb *pdb)
{
	XA_STATE(xas, &pdb->idb->pdbs, pdb->map_hva >> PAGE_SHIFT);

	__rm_idb_erase_at(&xas, pdb);
}

/* Drop the entry of pdb; its reference is the caller's to put. */
void rm_idb_erase(struct rm_pdb *pdb)
{
	xa_lock(&pdb->idb->pdbs);
	__rm_idb_erase(pdb);
	xa_unlock(&pdb->idb->pdbs);
}

/*
 * The last mirror VMA of pdb is gone (munmap, exit, or the unmap path's
 * own vm_mmap()).  A LIVE mapping ends here: true, and the entry's
 * reference is the caller's to put.  An UNMAPPING one is finished by
 * mm_remote_unmap(), which sees DETACHED.
 */
bool rm_idb_detach(struct rm_pdb *pdb)
{
	struct rm_idb *idb = pdb->idb;
	bool erased = false;

	xa_lock(&idb->pdbs);
	if (pdb->state == RM_PDB_LIVE) {
		__rm_idb_erase(pdb);
		erased = true;
	} else if (pdb->state == RM_PDB_UNMAPPING) {
		pdb->state = RM_PDB_DETACHED;
	}
	xa_unlock(&idb->pdbs);
	return erased;
}

/* The live mapping of window @win at @addr with a reference, or NULL. */
struct rm_pdb *rm_idb_get_live(struct rm_idb *idb, unsigned long addr,
			       struct rm_win *win)
{
	struct rm_pdb *pdb;

	xa_lock(&idb->pdbs);
	pdb = xa_load(&idb->pdbs, addr >> PAGE_SHIFT) ?:
	      rm_idb_huge_at(idb, addr >> PAGE_SHIFT);
	if (pdb && pdb->win == win && pdb->state == RM_PDB_LIVE)
		kref_get(&pdb->ref);
	else
		pdb = NULL;
	xa_unlock(&idb->pdbs);
	return pdb;
}

/*
 * Whether @addr is a page of a 2 MiB pdb of @win other than its first,
 * in any state: a VMA of the window may not be split there.
 */
bool rm_idb_in_huge(struct rm_idb *idb, unsigned long addr,
		    struct rm_win *win)
{
	struct rm_pdb *pdb;

	if (IS_ALIGNED(addr, PMD_SIZE))
		return false;
	xa_lock(&idb->pdbs);
	pdb = rm_idb_huge_at(idb, addr >> PAGE_SHIFT);
	xa_unlock(&idb->pdbs);
	return pdb && pdb->win == win;
}

/*
 * End the live mapping of window @win at @addr: erase its entry and return
 * the entry's reference.  NULL with *err -ENOENT if there is none, -EAGAIN
 * if another thread is mapping it, -EPERM if @guest_only and a hypercall
 * did not make it.
 */
struct rm_pdb *rm_idb_take_live(struct rm_idb *idb, unsigned long addr,
				struct rm_win *win, bool guest_only, int *err)
{
	struct rm_pdb *pdb;

	rm_idb_take_live_bulk(idb, &addr, 1, win, guest_only, &pdb, err);
	return pdb;
}

/*
 * rm_idb_take_live() of each of @addrs[0..n), pages of window @win, in one
 * hold of the xa_lock: @pdbs[i] gets the entry's reference, or NULL with
 * @errs[i] set.  Consecutive pages step to the next slot rather than walk
 * down from the root again.
 */
void rm_idb_take_live_bulk(struct rm_idb *idb, const unsigned long *addrs,
			   unsigned int n, struct rm_win *win, bool guest_only,
			   struct rm_pdb **pdbs, int *errs)
{
	XA_STATE(xas, &idb->pdbs, 0);
	bool at_prev = false;	/* xas is at the slot before this page's */
	unsigned long index;
	struct rm_pdb *pdb;
	unsigned int i;

	xas_lock(&xas);
	for (i = 0; i < n; i++) {
		index = addrs[i] >> PAGE_SHIFT;
		if (at_prev && xas.xa_index + 1 == index) {
			pdb = xas_next(&xas);
		} else {
			xas_set(&xas, index);
			pdb = xas_load(&xas);
		}
		at_prev = true;
		pdb = rm_unzero(pdb);
		pdbs[i] = NULL;
		if (!pdb || pdb->win != win) {
			errs[i] = -ENOENT;
		} else if (pdb->state != RM_PDB_LIVE) {
			errs[i] = -EAGAIN;
		} else if (guest_only && !pdb->guest) {
			errs[i] = -EPERM;
		} else {
			__rm_idb_erase_at(&xas, pdb);
			pdbs[i] = pdb;
		}
	}
	xas_unlock(&xas);
}

/*
 * End the live mappings of window @win in [*@index, @last] (page
 * indices), at most @max: erase their entries into @pdbs, whose
 * references are the caller's, with *@index past the last; how many.
 * Pages still being mapped are left to their mapper, which finds the
 * window gone.  One walk under one xa_lock hold, not a lookup from the
 * root per page: a closing window may have thousands.
 */
unsigned int rm_idb_take_win(struct rm_idb *idb, struct rm_win *win,
			     unsigned long *index, unsigned long last,
			     struct rm_pdb **pdbs, unsigned int max)
{
	XA_STATE(xas, &idb->pdbs, *index);
	struct rm_pdb *pdb;
	unsigned int n = 0;

	xas_lock(&xas);
	xas_for_each(&xas, pdb, last) {
		/* The zero entries of window anchors. */
		if (xas_retry(&xas, pdb))
			continue;
		if (pdb->win != win || pdb->state != RM_PDB_LIVE)
			continue;
		__rm_idb_erase_at(&xas, pdb);
		pdbs[n++] = pdb;
		*index = xas.xa_index + 1;
		if (n == max)
			break;
	}
	xas_unlock(&xas);
	return n;
}

/*
 * Forget the VMA of every mirror page in [@start, @end), waiting for the
 * target invalidations zapping through one: the VMA's page tables are about
 * to go, or its pages to move to another vm_area_struct.  Nothing installs
 * a PTE there meanwhile: the VMAs are detached, or the mmap_lock is held
 * for write.
 */
void rm_idb_forget_range(struct rm_idb *idb, unsigned long start,
			 unsigned long end)
{
	unsigned long index = start >> PAGE_SHIFT;
	unsigned long last = (end - 1) >> PAGE_SHIFT;
	XA_STATE(xas, &idb->pdbs, index);
	struct rm_pdb *pdb;

	/* Most unmaps of an introspector's memory have no mirror in them. */
	if (start >= end || !xa_find(&idb->pdbs, &index, last, XA_PRESENT))
		return;

	xas_set(&xas, index);
	down_write(&idb->zap_sem);
	xas_lock(&xas);
	xas_for_each(&xas, pdb, last) {
		if (xas_retry(&xas, pdb))
			continue;
		spin_lock(&pdb->lock);
		pdb->vma = NULL;
		spin_unlock(&pdb->lock);
	}
	xas_unlock(&xas);
	up_write(&idb->zap_sem);
}
