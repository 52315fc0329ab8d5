// SPDX-License-Identifier: GPL-2.0
/*
 * Mm_remote_map() / mm_remote_unmap(): turn a page of current->mm
 * into a mirror of a page of another mm, and back.
 */
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/userfaultfd_k.h>

#include "mm_remote.h"
#include "rm_internal.h"

static bool rm_user_page(unsigned long addr)
{
	return !offset_in_page(addr) && addr && addr < TASK_SIZE_MAX;
}

/* map_hva must be a page of a private anonymous writable mapping. */
static int rm_check_map_vma(struct mm_struct *mm, struct rm_pdb *pdb)
{
	struct vm_area_struct *vma;
	int err = 0;

	mmap_assert_locked(mm);
	vma = find_vma(mm, pdb->map_hva);
	if (!vma || vma->vm_start > pdb->map_hva) {
		err = -EFAULT;
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
		pdb->orig_locked = !!(vma->vm_flags & VM_LOCKED);
	}
	return err;
}

/* req_hva must be ordinary memory of the target, accessible as asked. */
static int rm_check_req_vma(struct mm_struct *req_mm, struct rm_pdb *pdb)
{
	struct vm_area_struct *vma;
	int err = 0;

	mmap_assert_locked(req_mm);
	vma = find_vma(req_mm, pdb->req_hva);
	if (!vma || vma->vm_start > pdb->req_hva)
		err = -EFAULT;
	else if (rm_is_mirror(vma))
		err = -ELOOP;
	else if (vma->vm_flags & (VM_IO | VM_PFNMAP))
		err = -EINVAL;
	else if (userfaultfd_armed(vma))
		err = -EBUSY;
	else if (!(vma->vm_flags & VM_READ) ||
		 (!pdb->readonly && !(vma->vm_flags & VM_WRITE)))
		err = -EACCES;
	return err;
}

/*
 * A failed MAP_FIXED vm_mmap() may have unmapped map_hva already: give the
 * caller anonymous memory back there rather than a hole.
 */
static void rm_restore_hole(struct rm_pdb *pdb)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long addr;
	bool hole;

	mmap_read_lock(mm);
	vma = find_vma(mm, pdb->map_hva);
	hole = !vma || vma->vm_start > pdb->map_hva;
	mmap_read_unlock(mm);
	if (!hole)
		return;
	addr = vm_mmap(NULL, pdb->map_hva, PAGE_SIZE, pdb->orig_prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
		       (pdb->orig_locked ? MAP_LOCKED : 0), 0);
	if (IS_ERR_VALUE(addr))
		pr_warn_ratelimited("remote_mapping: could not refill a page of pid %d after a failed map: %ld\n",
				    task_pid_nr(current), (long)addr);
}

/* Start page i of a batch; a failure only marks that page. */
static void rm_batch_create(struct rm_pdb **pdbs, int *errs,
			    const unsigned long *req_hvas,
			    const unsigned long *map_hvas, unsigned int i,
			    struct mm_struct *req_mm, unsigned int flags)
{
	unsigned long req_hva = req_hvas[i], map_hva = map_hvas[i];

	errs[i] = 0;
	if (!rm_user_page(req_hva) || !rm_user_page(map_hva) ||
	    (req_mm == current->mm && req_hva == map_hva)) {
		errs[i] = -EINVAL;
		return;
	}
	pdbs[i] = rm_pdb_create(req_hva, map_hva, flags);
	if (!pdbs[i])
		errs[i] = -ENOMEM;
}

/*
 * Map pages [0, n) of a batch, amortising what can be: each mm's
 * notifier lookup is one mmap_lock for write, the VMA checks one mmap_lock
 * for read per mm.  The vm_mmap() of each page stays separate.
 * Lock order: the two mms are locked one after the other, never nested.
 */
static unsigned int rm_map_pages(struct mm_struct *req_mm,
				 const unsigned long *req_hvas,
				 const unsigned long *map_hvas, int *errs,
				 unsigned int n, unsigned int flags,
				 struct rm_pdb **pdbs)
{
	struct mm_struct *mm = current->mm;
	unsigned int i, live = 0, mapped = 0;
	struct rm_pending pending;
	struct rm_idb *idb;
	struct rm_tdb *tdb;
	unsigned long addr;

	for (i = 0; i < n; i++) {
		rm_batch_create(pdbs, errs, req_hvas, map_hvas, i, req_mm,
				flags);
		live += !errs[i];
	}
	if (!live)
		return 0;

	idb = rm_idb_get(mm, live);
	tdb = IS_ERR(idb) ? ERR_CAST(idb) : rm_tdb_get(req_mm, live);
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
		errs[i] = rm_idb_reserve(idb, pdbs[i]);
		if (errs[i])
			continue;
		pdbs[i]->reserved = true;
	}
	if (IS_ERR(tdb))
		goto out;

	if (mmap_read_lock_killable(mm))
		goto out_intr;
	for (i = 0; i < n; i++)
		if (!errs[i])
			errs[i] = rm_check_map_vma(mm, pdbs[i]);
	mmap_read_unlock(mm);

	if (mmap_read_lock_killable(req_mm))
		goto out_intr;
	for (i = 0; i < n; i++)
		if (!errs[i])
			errs[i] = rm_check_req_vma(req_mm, pdbs[i]);
	mmap_read_unlock(req_mm);

	for (i = 0; i < n; i++) {
		if (errs[i])
			continue;
		errs[i] = rm_pdb_watch(pdbs[i], req_mm);
		if (errs[i])
			continue;

		/* rm_mirror_attach() picks the pdb up from the pending list. */
		rm_tdb_add_pending(tdb, &pending, pdbs[i]);
		addr = vm_mmap(tdb->file, map_hvas[i], PAGE_SIZE,
			       pdbs[i]->readonly ? PROT_READ :
						   PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED, req_hvas[i]);
		rm_tdb_del_pending(tdb, &pending);
		if (IS_ERR_VALUE(addr)) {
			errs[i] = (int)addr;
			rm_restore_hole(pdbs[i]);
		}
	}
	goto out;

out_intr:
	for (i = 0; i < n; i++)
		if (!errs[i])
			errs[i] = -EINTR;
out:
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
		else
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
	struct rm_pdb **pdbs;
	unsigned int mapped;

	if (!current->mm || (current->flags & PF_KTHREAD) || !req_mm || !n)
		return -EINVAL;
	if (flags & ~(MM_REMOTE_READONLY | MM_REMOTE_ZEROHOLE))
		return -EINVAL;
	if (!mmget_not_zero(req_mm))
		return -ESRCH;
	pdbs = kvcalloc(n, sizeof(*pdbs), GFP_KERNEL);
	if (!pdbs) {
		mmput(req_mm);
		return -ENOMEM;
	}
	mapped = rm_map_pages(req_mm, req_hvas, map_hvas, errs, n, flags,
			      pdbs);
	kvfree(pdbs);
	mmput(req_mm);
	return mapped;
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
	unsigned int mapped;
	int err;

	if (!current->mm || (current->flags & PF_KTHREAD) || !req_mm)
		return -EINVAL;
	if (flags & ~(MM_REMOTE_READONLY | MM_REMOTE_ZEROHOLE))
		return -EINVAL;
	if (!mmget_not_zero(req_mm))
		return -ESRCH;
	mapped = rm_map_pages(req_mm, &req_hva, &map_hva, &err, 1, flags,
			      &pdb);
	mmput(req_mm);
	return mapped ? 0 : err;
}
EXPORT_SYMBOL_GPL(mm_remote_map_flags);

int mm_remote_map(struct mm_struct *req_mm, unsigned long req_hva,
		  unsigned long map_hva)
{
	return mm_remote_map_flags(req_mm, req_hva, map_hva, 0);
}
EXPORT_SYMBOL_GPL(mm_remote_map);

/**
 * mm_remote_unmap - end the mapping at @map_hva of current->mm
 * @map_hva: page-aligned address of a mirror made by mm_remote_map()
 *
 * @map_hva becomes private anonymous memory again (a fresh zero page), with
 * the protection it had before the map.
 *
 * Return: 0, -EINVAL for a bad address, -ENOENT if @map_hva is not a
 * mirror, -EAGAIN if another thread is mapping or unmapping it.
 */
int mm_remote_unmap(unsigned long map_hva)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct rm_pdb *pdb = NULL;
	struct rm_idb *idb;
	unsigned long addr;
	int err = 0;

	if (!mm || (current->flags & PF_KTHREAD) || !rm_user_page(map_hva))
		return -EINVAL;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = find_vma(mm, map_hva);
	if (vma && vma->vm_start <= map_hva && rm_is_mirror(vma)) {
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

	/* Replacing the mirror closes it: rm_idb_detach() marks DETACHED. */
	addr = vm_mmap(NULL, map_hva, PAGE_SIZE, pdb->orig_prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
		       (pdb->orig_locked ? MAP_LOCKED : 0), 0);
	if (IS_ERR_VALUE(addr))
		err = (int)addr;

	xa_lock(&idb->pdbs);
	if (pdb->state == RM_PDB_DETACHED) {
		xa_unlock(&idb->pdbs);
		rm_idb_erase(pdb);
	} else {
		/* vm_mmap() failed before unmapping: still mapped. */
		pdb->state = RM_PDB_LIVE;
		xa_unlock(&idb->pdbs);
	}
out_put:
	rm_pdb_put(pdb);
	return err;
}
EXPORT_SYMBOL_GPL(mm_remote_unmap);
