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

	if (mmap_read_lock_killable(mm))
		return -EINTR;
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
	mmap_read_unlock(mm);
	return err;
}

/* req_hva must be ordinary memory of the target, accessible as asked. */
static int rm_check_req_vma(struct mm_struct *req_mm, struct rm_pdb *pdb)
{
	struct vm_area_struct *vma;
	int err = 0;

	if (mmap_read_lock_killable(req_mm))
		return -EINTR;
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
	mmap_read_unlock(req_mm);
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

/**
 * mm_remote_map_flags - mirror a page of @req_mm at @map_hva of current->mm
 * @req_mm: target address space; the caller holds a reference (mmgrab)
 * @req_hva: page-aligned address in @req_mm
 * @map_hva: page-aligned address in a private anonymous writable mapping
 *	of current->mm; the page there is dropped
 * @flags: MM_REMOTE_READONLY to map without write access
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
	struct mm_struct *mm = current->mm;
	struct rm_pdb *pdb;
	struct rm_tdb *tdb;
	unsigned long addr;
	int err;

	if (!mm || (current->flags & PF_KTHREAD) || !req_mm)
		return -EINVAL;
	if (flags & ~MM_REMOTE_READONLY)
		return -EINVAL;
	if (!rm_user_page(req_hva) || !rm_user_page(map_hva))
		return -EINVAL;
	if (req_mm == mm && req_hva == map_hva)
		return -EINVAL;
	if (!mmget_not_zero(req_mm))
		return -ESRCH;

	err = -ENOMEM;
	pdb = rm_pdb_create(req_hva, map_hva, flags & MM_REMOTE_READONLY);
	if (!pdb)
		goto err_put_req_mm;

	pdb->idb = rm_idb_get(mm);
	if (IS_ERR(pdb->idb)) {
		err = PTR_ERR(pdb->idb);
		pdb->idb = NULL;
		goto err_put_pdb;
	}
	err = rm_idb_reserve(pdb->idb, pdb);
	if (err)
		goto err_put_pdb;

	err = rm_check_map_vma(mm, pdb);
	if (err)
		goto err_erase;
	err = rm_check_req_vma(req_mm, pdb);
	if (err)
		goto err_erase;

	tdb = rm_tdb_get(req_mm);
	if (IS_ERR(tdb)) {
		err = PTR_ERR(tdb);
		goto err_erase;
	}
	pdb->tdb = tdb;
	err = rm_pdb_watch(pdb, req_mm);
	if (err)
		goto err_erase;

	/* rm_mirror_attach() picks pdb up from the pending list. */
	rm_tdb_add_pending(tdb, pdb);
	addr = vm_mmap(tdb->file, map_hva, PAGE_SIZE,
		       pdb->readonly ? PROT_READ : PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, req_hva);
	rm_tdb_del_pending(tdb, pdb);
	if (IS_ERR_VALUE(addr)) {
		err = (int)addr;
		goto err_restore;
	}

	mmput(req_mm);
	return 0;

err_restore:
	rm_restore_hole(pdb);
err_erase:
	/* Drops the reservation's reference, which is the last one. */
	rm_idb_erase(pdb);
	mmput(req_mm);
	return err;
err_put_pdb:
	rm_pdb_put(pdb);
err_put_req_mm:
	mmput(req_mm);
	return err;
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
