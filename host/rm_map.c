// SPDX-License-Identifier: GPL-2.0
/*
 * Mm_remote_map() / mm_remote_unmap(): turn a page of current->mm
 * into a mirror of a page of another mm, and back.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>

#include "mm_remote.h"
#include "rm_internal.h"

static bool rm_user_page(unsigned long addr)
{
	return !offset_in_page(addr) && addr && addr < TASK_SIZE_MAX;
}

/*
 * A 2 MiB mapping is read-only; 511 of its pages are tail pages where a
 * PMD can map it.
 */
static bool rm_map_flags_ok(unsigned int flags)
{
	if (flags & ~MM_REMOTE_FLAGS)
		return false;
	return !(flags & MM_REMOTE_HUGE) ||
	       (flags & (MM_REMOTE_READONLY | MM_REMOTE_NO_TAIL)) ==
	       MM_REMOTE_READONLY;
}

/* An aligned range of @size (a page or 2 MiB) of user addresses. */
static bool rm_user_range(unsigned long addr, unsigned long size)
{
	return IS_ALIGNED(addr, size) && addr && addr < TASK_SIZE_MAX &&
	       size <= TASK_SIZE_MAX - addr;
}

/*
 * The VMA at @addr, or NULL; *@last is the one found before, which the
 * pages of a batch often share.
 */
static struct vm_area_struct *rm_vma_at(struct mm_struct *mm,
					unsigned long addr,
					struct vm_area_struct **last)
{
	struct vm_area_struct *vma = *last;

	mmap_assert_locked(mm);
	if (vma && vma->vm_start <= addr && addr < vma->vm_end)
		return vma;
	vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr)
		return NULL;
	*last = vma;
	return vma;
}

/*
 * map_hva must be a page of a window, or of a private anonymous writable
 * mapping.
 */
static int rm_check_map_vma(struct mm_struct *mm, struct rm_pdb *pdb,
			    struct vm_area_struct **last)
{
	struct vm_area_struct *vma;
	int err = 0;

	vma = rm_vma_at(mm, pdb->map_hva, last);
	if (!vma) {
		err = -EFAULT;
	} else if (pdb->huge && (!rm_is_window(vma) ||
				 vma->vm_end - pdb->map_hva < PMD_SIZE)) {
		err = -EINVAL;
	} else if (rm_is_window(vma)) {
		if (!pdb->readonly && !(vma->vm_flags & VM_WRITE)) {
			err = -EACCES;
		} else {
			/* The pdb holds the window's file from now on. */
			pdb->win = vma->vm_private_data;
			get_file(pdb->win->file);
		}
	} else if (rm_is_mirror(vma)) {
		err = -EALREADY;
	} else if (!vma_is_anonymous(vma) || (vma->vm_flags & VM_SHARED) ||
		   !(vma->vm_flags & VM_WRITE) ||
		   /* unmap could not give a growing stack back as it was */
		   (vma->vm_flags & (VM_GROWSDOWN | VM_GROWSUP))) {
		err = -EINVAL;
	} else {
		pdb->orig_prot = PROT_WRITE;
		if (vma->vm_flags & VM_READ)
			pdb->orig_prot |= PROT_READ;
		if (vma->vm_flags & VM_EXEC)
			pdb->orig_prot |= PROT_EXEC;
		pdb->orig_flags = rm_ram_flags(vma);
	}
	return err;
}

/* req_hva must be ordinary memory of the target, accessible as asked. */
static int rm_check_req_vma(struct mm_struct *req_mm, struct rm_pdb *pdb,
			    struct vm_area_struct **last)
{
	struct vm_area_struct *vma;

	vma = rm_vma_at(req_mm, pdb->req_hva, last);
	if (!vma)
		return -EFAULT;
	if (vma->vm_end - pdb->req_hva < rm_pdb_size(pdb))
		return -EINVAL;
	return rm_target_vma_check(vma, !pdb->readonly);
}

/*
 * Give the caller anonymous memory back at map_hva if it is a hole: after a
 * failed MAP_FIXED vm_mmap(), which may have unmapped it already, and after
 * an unmap's removal of the mirror.
 */
static void rm_refill(struct rm_pdb *pdb, const char *after)
{
	int err;

	err = rm_ram_refill(pdb->map_hva, PAGE_SIZE, pdb->orig_prot,
			    pdb->orig_flags);
	/* A caller being killed has no use for the page (vm_mmap: -EINTR). */
	if (err && err != -EEXIST && !fatal_signal_pending(current))
		pr_warn_ratelimited("remote_mapping: could not refill a page of pid %d after %s: %d\n",
				    task_pid_nr(current), after, err);
}

/*
 * The pdbs of a batch, one per page whose addresses are valid; a
 * failure only marks that page.  Return the number of pages left.
 */
static unsigned int rm_batch_create(struct rm_pdb **pdbs, int *errs,
				    const unsigned long *req_hvas,
				    const unsigned long *map_hvas,
				    unsigned int n, struct mm_struct *req_mm,
				    unsigned int flags)
{
	unsigned int i, live = 0;

	if (rm_pdb_create_bulk(pdbs, n, flags)) {
		for (i = 0; i < n; i++) {
			errs[i] = -ENOMEM;
			pdbs[i] = NULL;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		errs[i] = 0;
		if (!rm_user_range(req_hvas[i], rm_pdb_size(pdbs[i])) ||
		    !rm_user_range(map_hvas[i], rm_pdb_size(pdbs[i])) ||
		    (req_mm == current->mm && req_hvas[i] == map_hvas[i])) {
			errs[i] = -EINVAL;
			rm_pdb_put(pdbs[i]);
			pdbs[i] = NULL;
			continue;
		}
		pdbs[i]->req_hva = req_hvas[i];
		pdbs[i]->map_hva = map_hvas[i];
		live++;
	}
	return live;
}

/*
 * Make the window pages of a batch (bits of @windows) live, in one hold of
 * the mmap_lock: no VMA changes.  The window may have been unmapped since
 * the check.  A page is MAPPING until rm_idb_set_live_bulk(), so no unmap
 * races with its populate, and a munmap() of its window (which needs the
 * mmap_lock for write) leaves it to us; after that another thread may
 * unmap and free it, so it is not touched again.  @keep, a tdb reference,
 * goes to the first window that gets a page.
 */
static void rm_map_window_pages(struct mm_struct *mm, struct rm_idb *idb,
				struct rm_pdb **pdbs, int *errs,
				const unsigned long *windows, unsigned int n,
				unsigned int flags, struct rm_tdb **keep)
{
	struct vm_area_struct *vma, *last = NULL, *run_vma = NULL;
	unsigned int i, first = 0, len = 0;
	struct rm_pdb *pdb;

	if (mmap_read_lock_killable(mm)) {
		for_each_set_bit(i, windows, n)
			if (!errs[i])
				errs[i] = -EINTR;
		return;
	}
	for_each_set_bit(i, windows, n) {
		pdb = pdbs[i];
		if (errs[i])
			continue;
		vma = rm_vma_at(mm, pdb->map_hva, &last);
		if (!vma || !rm_is_window(vma) ||
		    vma->vm_private_data != pdb->win) {
			errs[i] = -EFAULT;
			continue;
		}
		if (*keep) {
			rm_win_keep_tdb(pdb->win, *keep);
			*keep = NULL;
		}
		if (pdb->win->pool)
			rm_win_clear_holes(pdb->win, vma, pdb->map_hva,
					   rm_pdb_size(pdb));
		if (!(flags & MM_REMOTE_POPULATE))
			continue;
		if (pdb->huge) {
			rm_pdb_populate_huge(pdb, vma);
			continue;
		}
		/* Populated by runs of pages that follow each other. */
		if (len && i == first + len && vma == run_vma &&
		    pdb->map_hva == pdbs[i - 1]->map_hva + PAGE_SIZE) {
			len++;
			continue;
		}
		if (len)
			rm_pdb_populate_run(pdbs + first, len, run_vma);
		first = i;
		len = 1;
		run_vma = vma;
	}
	if (len)
		rm_pdb_populate_run(pdbs + first, len, run_vma);
	rm_idb_set_live_bulk(idb, pdbs, errs, windows, n);
	mmap_read_unlock(mm);
}

/*
 * Map pages [0, n) of a batch, amortising what can be: each mm's
 * notifier lookup is one mmap_lock for write, the VMA checks one mmap_lock
 * for read per mm, watching the target pages one tdb->pdbs_sem for write.
 * Pages into windows take one more mmap_lock for read all together; other
 * pages take one vm_mmap() each.
 * Lock order: the two mms are locked one after the other, never nested.
 */
static unsigned int rm_map_pages(struct mm_struct *req_mm,
				 const unsigned long *req_hvas,
				 const unsigned long *map_hvas, int *errs,
				 unsigned int n, unsigned int flags,
				 struct rm_pdb **pdbs, unsigned long *windows)
{
	unsigned int i, live, mapped = 0, windowed = 0;
	struct vm_area_struct *last = NULL;
	struct mm_struct *mm = current->mm;
	struct rm_tdb *tdb, *keep = NULL;
	struct rm_pending pending;
	struct rm_idb *idb;
	unsigned long addr;

	live = rm_batch_create(pdbs, errs, req_hvas, map_hvas, n, req_mm,
			       flags);
	if (!live)
		return 0;

	/* One tdb reference more, for the window that maps pages of it. */
	idb = rm_idb_get(mm, live);
	tdb = IS_ERR(idb) ? ERR_CAST(idb) : rm_tdb_get(req_mm, live + 1);
	if (IS_ERR(tdb) && !IS_ERR(idb)) {
		/* Hand the idb references to the pages, which drop them. */
		for (i = 0; i < n; i++)
			if (!errs[i])
				pdbs[i]->idb = idb;
	}
	for (i = 0; i < n; i++) {
		if (errs[i])
			continue;
		if (IS_ERR(tdb)) {
			errs[i] = PTR_ERR(tdb);
			continue;
		}
		pdbs[i]->idb = idb;
		pdbs[i]->tdb = tdb;
	}
	if (IS_ERR(tdb))
		goto out;
	keep = tdb;
	rm_idb_reserve(idb, pdbs, errs, n);

	if (mmap_read_lock_killable(mm))
		goto out_intr;
	for (i = 0; i < n; i++) {
		if (errs[i])
			continue;
		errs[i] = rm_check_map_vma(mm, pdbs[i], &last);
		if (!errs[i] && pdbs[i]->win)
			__set_bit(i, windows);
	}
	mmap_read_unlock(mm);
	last = NULL;

	if (mmap_read_lock_killable(req_mm))
		goto out_intr;
	for (i = 0; i < n; i++)
		if (!errs[i])
			errs[i] = rm_check_req_vma(req_mm, pdbs[i], &last);
	mmap_read_unlock(req_mm);

	rm_tdb_watch(tdb, pdbs, errs, n);
	/* Resolved now, installed with the mapping, under our lock. */
	if (flags & (MM_REMOTE_POPULATE | MM_REMOTE_NO_TAIL))
		rm_pdb_resolve_bulk(pdbs, errs, n);
	for (i = 0; i < n; i++) {
		if (errs[i])
			continue;
		if (pdbs[i]->tail) {
			errs[i] = -EOPNOTSUPP;
			continue;
		}
		if (test_bit(i, windows)) {
			windowed++;
			continue;
		}

		/* rm_mirror_attach() picks the pdb up from the pending list. */
		rm_tdb_add_pending(tdb, &pending, pdbs[i], false);
		addr = vm_mmap(tdb->file, map_hvas[i], PAGE_SIZE,
			       pdbs[i]->readonly ? PROT_READ :
						   PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED, req_hvas[i]);
		rm_tdb_del_pending(tdb, &pending);
		if (IS_ERR_VALUE(addr)) {
			errs[i] = (int)addr;
			rm_refill(pdbs[i], "a failed map");
		}
	}
	if (windowed)
		rm_map_window_pages(mm, idb, pdbs, errs, windows, n, flags,
				    &keep);
	goto out;

out_intr:
	for (i = 0; i < n; i++)
		if (!errs[i])
			errs[i] = -EINTR;
out:
	if (keep)
		rm_tdb_put(keep);
	for (i = 0; i < n; i++) {
		/*
		 * A mapped page's reference now belongs to its idb entry, and
		 * another thread may already have unmapped it: hands off.
		 */
		if (!errs[i]) {
			mapped++;
			continue;
		}
		if (!pdbs[i])
			continue;
		if (pdbs[i]->reserved)
			rm_idb_erase(pdbs[i]);
		rm_pdb_put(pdbs[i]);
	}
	return mapped;
}

/**
 * mm_remote_map_batch - mirror @n pages of @req_mm into current->mm
 * @req_mm: target address space; the caller holds a reference (mmgrab)
 * @req_hvas: page-aligned addresses in @req_mm
 * @map_hvas: page-aligned addresses in private anonymous writable mappings
 *	of current->mm; the pages there are dropped
 * @errs: receives 0 or a negative errno per page
 * @n: number of pages
 * @flags: MM_REMOTE_READONLY to map without write access; MM_REMOTE_ZEROHOLE
 *	to read zeros once the target unmaps req_hva (see mm_remote.h)
 *
 * The caller is responsible for the permission to access @req_mm.
 *
 * Return: the number of pages mapped, or a negative errno if none could be
 * tried (-EINVAL, -ESRCH for an exited target, -ENOMEM).
 */
int mm_remote_map_batch(struct mm_struct *req_mm,
			const unsigned long *req_hvas,
			const unsigned long *map_hvas, int *errs,
			unsigned int n, unsigned int flags)
{
	unsigned long *windows;
	struct rm_pdb **pdbs;
	int ret = -ENOMEM;

	if (!current->mm || (current->flags & PF_KTHREAD) || !req_mm || !n)
		return -EINVAL;
	if (!rm_map_flags_ok(flags))
		return -EINVAL;
	if (!mmget_not_zero(req_mm))
		return -ESRCH;
	pdbs = kvcalloc(n, sizeof(*pdbs), GFP_KERNEL);
	if (!pdbs)
		goto out_mmput;
	windows = bitmap_zalloc(n, GFP_KERNEL);
	if (!windows)
		goto out_free_pdbs;
	ret = rm_map_pages(req_mm, req_hvas, map_hvas, errs, n, flags, pdbs,
			   windows);
	bitmap_free(windows);
out_free_pdbs:
	kvfree(pdbs);
out_mmput:
	mmput_async(req_mm);
	return ret;
}
EXPORT_SYMBOL_GPL(mm_remote_map_batch);

/**
 * mm_remote_map_flags - mirror a page of @req_mm at @map_hva of current->mm
 * @req_mm: target address space; the caller holds a reference (mmgrab)
 * @req_hva: page-aligned address in @req_mm
 * @map_hva: page-aligned address in a private anonymous writable mapping
 *	of current->mm; the page there is dropped
 * @flags: MM_REMOTE_READONLY to map without write access; MM_REMOTE_ZEROHOLE
 *	to read zeros once the target unmaps req_hva (see mm_remote.h)
 *
 * The caller is responsible for the permission to access @req_mm.
 * Lock order: takes each mm's mmap_lock on its own, never nested.
 *
 * Return: 0 or a negative errno as documented in
 * include/uapi/linux/remote_mapping.h.
 */
int mm_remote_map_flags(struct mm_struct *req_mm, unsigned long req_hva,
			unsigned long map_hva, unsigned int flags)
{
	struct rm_pdb *pdb = NULL;
	unsigned long windows = 0;
	unsigned int mapped;
	int err;

	if (!current->mm || (current->flags & PF_KTHREAD) || !req_mm)
		return -EINVAL;
	if (!rm_map_flags_ok(flags))
		return -EINVAL;
	if (!mmget_not_zero(req_mm))
		return -ESRCH;
	mapped = rm_map_pages(req_mm, &req_hva, &map_hva, &err, 1, flags,
			      &pdb, &windows);
	mmput_async(req_mm);
	return mapped ? 0 : err;
}
EXPORT_SYMBOL_GPL(mm_remote_map_flags);

int mm_remote_map(struct mm_struct *req_mm, unsigned long req_hva,
		  unsigned long map_hva)
{
	return mm_remote_map_flags(req_mm, req_hva, map_hva, 0);
}
EXPORT_SYMBOL_GPL(mm_remote_map);

/*
 * A window page goes back to being a hole: no VMA changes.  Called with
 * the mmap_lock held for read, which it drops.  Marking the pdb
 * unmapped before the zap (under the PTL) keeps a racing fault from
 * installing it again.
 */
static int rm_unmap_window_page_unlock(struct vm_area_struct *vma,
				       unsigned long map_hva)
{
	struct rm_win *win = vma->vm_private_data;
	struct rm_pdb *pdb;
	int err;

	mmap_assert_locked(vma->vm_mm);
	pdb = rm_idb_take_live(win->idb, map_hva, win, false, &err);
	if (pdb)
		rm_pdb_unmap(pdb, vma);
	mmap_read_unlock(vma->vm_mm);
	if (!pdb)
		return err;
	rm_pdb_put(pdb);
	return 0;
}

/*
 * Remove the page mirror of @pdb (UNMAPPING) from current->mm if it is
 * still there, leaving a hole.  Checking it under the mmap_lock and then
 * calling vm_mmap(MAP_FIXED), which takes the lock again, would destroy
 * whatever another thread mapped there in between.  Instead, a MAP_FIXED
 * vm_mmap() of the mirror's own file, MAP_PRIVATE to tell it from a map:
 * do_mmap() asks the file's ->get_unmapped_area() (rm_unmap_guard()) with
 * the lock held for write and only then unmaps the range, in the same hold
 * of the lock; its ->mmap() (rm_mirror_attach()) then refuses.  Return
 * whether the guard let it go.
 */
static bool rm_unmap_mirror(struct rm_pdb *pdb, int *err)
{
	struct rm_pending pending;
	unsigned long addr;

	rm_tdb_add_pending(pdb->tdb, &pending, pdb, true);
	addr = vm_mmap(pdb->tdb->file, pdb->map_hva, PAGE_SIZE, PROT_READ,
		       MAP_PRIVATE | MAP_FIXED, pdb->req_hva);
	rm_tdb_del_pending(pdb->tdb, &pending);
	/* The ->mmap() refusal, or a failure before or after the unmap. */
	*err = IS_ERR_VALUE(addr) ? (int)addr : -EINVAL;
	return pending.removing;
}

/**
 * mm_remote_unmap - end the mapping at @map_hva of current->mm
 * @map_hva: page-aligned address of a mirror made by mm_remote_map()
 *
 * @map_hva becomes private anonymous memory again (a fresh zero page), with
 * the protection it had before the map.  For an instant in between it is a
 * hole (see Documentation/limits.rst); what another thread maps there
 * meanwhile is kept.
 *
 * Return: 0; -EINVAL for a bad address; -ENOENT if @map_hva is not a
 * mirror, also if another thread unmapped or replaced it meanwhile (its new
 * mapping stays); -EAGAIN if another thread is mapping or unmapping it;
 * -ENOMEM or -EINTR with the mapping still in place.
 */
int mm_remote_unmap(unsigned long map_hva)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool removing, detached;
	struct rm_pdb *pdb = NULL;
	struct rm_idb *idb;
	int err = 0;

	if (!mm || (current->flags & PF_KTHREAD) || !rm_user_page(map_hva))
		return -EINVAL;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = find_vma(mm, map_hva);
	if (vma && vma->vm_start <= map_hva && rm_is_window(vma))
		return rm_unmap_window_page_unlock(vma, map_hva);
	if (vma && vma->vm_start <= map_hva && rm_is_page_mirror(vma)) {
		pdb = vma->vm_private_data;
		kref_get(&pdb->ref);
	}
	mmap_read_unlock(mm);
	if (!pdb)
		return -ENOENT;

	idb = pdb->idb;
	xa_lock(&idb->pdbs);
	if (xa_load(&idb->pdbs, map_hva >> PAGE_SHIFT) != pdb)
		err = -ENOENT;
	else if (pdb->state != RM_PDB_LIVE)
		err = -EAGAIN;
	else
		pdb->state = RM_PDB_UNMAPPING;
	xa_unlock(&idb->pdbs);
	if (err)
		goto out_put;

	/* Removing the mirror closes it: rm_idb_detach() marks DETACHED. */
	removing = rm_unmap_mirror(pdb, &err);

	xa_lock(&idb->pdbs);
	detached = pdb->state == RM_PDB_DETACHED;
	if (!detached)
		pdb->state = RM_PDB_LIVE;
	xa_unlock(&idb->pdbs);
	if (!detached) {
		/* Failed before the unmap: still mapped. */
	} else if (removing) {
		/*
		 * Refilled before the entry goes: until then a map of this
		 * address by another thread gets -EAGAIN, not the hole.
		 */
		rm_refill(pdb, "an unmap");
		rm_idb_erase(pdb);
		rm_pdb_put(pdb);
		err = 0;
	} else {
		/* Another thread's munmap() or mmap() ended it: hands off. */
		rm_idb_erase(pdb);
		rm_pdb_put(pdb);
		err = -ENOENT;
	}
out_put:
	rm_pdb_put(pdb);
	return err;
}
EXPORT_SYMBOL_GPL(mm_remote_unmap);

/*
 * The window pages of a batch, under one hold of the mmap_lock: mark each
 * unmapped (no fault installs it again), zap them by spans, and only then
 * forget their VMA, as rm_pdb_unmap() does for one.  Addresses that are
 * not in a window are marked in @singles for mm_remote_unmap().
 */
static unsigned int rm_unmap_window_pages(struct mm_struct *mm,
					  const unsigned long *map_hvas,
					  int *errs, unsigned int n,
					  bool guest_only,
					  struct rm_pdb **pdbs,
					  unsigned long *singles)
{
	struct vm_area_struct *vma, *last = NULL;
	struct rm_zap_span span = { };
	unsigned int i, j, k, done = 0;
	struct rm_win *win;
	unsigned long addr;

	mmap_assert_locked(mm);
	for (i = 0; i < n; i = k) {
		k = i + 1;
		addr = map_hvas[i];
		if (!rm_user_page(addr)) {
			errs[i] = -EINVAL;
			continue;
		}
		vma = rm_vma_at(mm, addr, &last);
		if (!vma || !rm_is_window(vma)) {
			if (guest_only && vma && rm_is_page_mirror(vma) &&
			    !((struct rm_pdb *)vma->vm_private_data)->guest) {
				errs[i] = -EPERM;
				continue;
			}
			__set_bit(i, singles);
			continue;
		}
		/* The pages of this window that follow: one xa_lock hold. */
		while (k < n && rm_user_page(map_hvas[k]) &&
		       map_hvas[k] >= vma->vm_start && map_hvas[k] < vma->vm_end)
			k++;
		win = vma->vm_private_data;
		rm_idb_take_live_bulk(win->idb, map_hvas + i, k - i, win,
				      guest_only, pdbs + i, errs + i);
		for (j = i; j < k; j++) {
			if (!pdbs[j])
				continue;
			if (pdbs[j]->huge) {
				rm_pdb_unmap(pdbs[j], vma);
			} else {
				rm_pdb_unmapped(pdbs[j]);
				if (rm_pte_present(vma, map_hvas[j]))
					rm_zap_span_add(&span, vma, map_hvas[j],
							PAGE_SIZE);
			}
			errs[j] = 0;
			done++;
		}
	}
	rm_zap_span_flush(&span);
	for (i = 0; i < n; i++)
		if (pdbs[i])
			rm_pdb_forget_vma(pdbs[i]);
	return done;
}

/**
 * mm_remote_unmap_batch - end the mappings at @n addresses of current->mm
 * @map_hvas: page-aligned addresses of mirrors made by mm_remote_map*()
 * @errs: receives 0 or a negative errno per address, as mm_remote_unmap()
 *	returns it
 * @n: number of addresses
 * @flags: MM_REMOTE_GUEST to end only mappings made with it (-EPERM for
 *	the others)
 *
 * Pages in windows are unmapped under one hold of the mmap_lock and zapped
 * together where they lie close: for a run of pages, one TLB flush in all.
 * Mirrors that replaced anonymous memory go one by one, as
 * mm_remote_unmap() ends them.
 *
 * Return: the number of pages unmapped, or a negative errno if none could
 * be tried (-EINVAL, -ENOMEM, -EINTR).
 */
int mm_remote_unmap_batch(const unsigned long *map_hvas, int *errs,
			  unsigned int n, unsigned int flags)
{
	struct mm_struct *mm = current->mm;
	/* One page (the single unmap hypercall) allocates nothing. */
	struct rm_pdb *one_pdb = NULL, **pdbs = &one_pdb;
	unsigned long one_single = 0, *singles = &one_single;
	unsigned int i, k;
	int ret;

	if (!mm || (current->flags & PF_KTHREAD) || !n)
		return -EINVAL;
	if (flags & ~MM_REMOTE_GUEST)
		return -EINVAL;
	if (n > 1) {
		pdbs = kvcalloc(n, sizeof(*pdbs), GFP_KERNEL);
		if (!pdbs)
			return -ENOMEM;
		singles = bitmap_zalloc(n, GFP_KERNEL);
		ret = -ENOMEM;
		if (!singles)
			goto out_free_pdbs;
	}
	ret = -EINTR;
	if (mmap_read_lock_killable(mm))
		goto out_free_singles;
	ret = rm_unmap_window_pages(mm, map_hvas, errs, n,
				    flags & MM_REMOTE_GUEST, pdbs, singles);
	mmap_read_unlock(mm);

	/* Out of their tdbs' trees under one lock hold per run of a tdb. */
	for (i = 0, k = 0; i < n; i++)
		if (pdbs[i])
			pdbs[k++] = pdbs[i];
	rm_pdb_put_bulk(pdbs, k);
	for_each_set_bit(i, singles, n) {
		errs[i] = mm_remote_unmap(map_hvas[i]);
		if (!errs[i])
			ret++;
	}
out_free_singles:
	if (singles != &one_single)
		bitmap_free(singles);
out_free_pdbs:
	if (pdbs != &one_pdb)
		kvfree(pdbs);
	return ret;
}
EXPORT_SYMBOL_GPL(mm_remote_unmap_batch);
