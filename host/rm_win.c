// SPDX-License-Identifier: GPL-2.0
/*
 * Windows: mirror VMAs made by mmap() of /dev/remote_mapping, into which
 * pages are mapped and unmapped without creating or splitting a VMA.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "rm_internal.h"

/* Last reference to the window's file: no VMA and no page_db uses it. */
static int rm_win_release(struct inode *inode, struct file *file)
{
	struct rm_win *win = file->private_data;

	if (win->tdb)
		rm_tdb_put(win->tdb);
	rm_idb_put(win->idb);
	kfree(win);
	rm_file_unpin();
	return 0;
}

/* Refuses mremap() of a window, which asks the file for the new area. */
static unsigned long rm_win_get_area(struct file *file, unsigned long addr,
				     unsigned long len, unsigned long pgoff,
				     unsigned long flags)
{
	return -EINVAL;
}

/*
 * No ->mmap: the file is reached only through the window VMAs themselves
 * (e.g. /proc/PID/map_files), and mapping it again must not make a second
 * VMA at other addresses.
 */
static const struct file_operations rm_win_fops = {
	.owner			= THIS_MODULE,
	.release		= rm_win_release,
	.get_unmapped_area	= rm_win_get_area,
};

/* Keep a reference on @tdb, the target just mapped into @win (consumed). */
void rm_win_keep_tdb(struct rm_win *win, struct rm_tdb *tdb)
{
	spin_lock(&win->lock);
	swap(win->tdb, tdb);
	spin_unlock(&win->lock);
	if (tdb)
		rm_tdb_put(tdb);
}

static vm_fault_t rm_win_fault(struct vm_fault *vmf)
{
	struct rm_win *win = vmf->vma->vm_private_data;
	struct rm_pdb *pdb;
	vm_fault_t ret;

	/* Nothing mapped there: a hole, as in Xen's privcmd. */
	pdb = rm_idb_get_live(win->idb, vmf->address, win);
	if (!pdb)
		return VM_FAULT_SIGBUS;
	if ((vmf->flags & FAULT_FLAG_WRITE) && pdb->readonly)
		ret = VM_FAULT_SIGBUS;
	else
		ret = rm_pdb_fault(vmf, pdb);
	/*
	 * May be the last reference, if the page was unmapped meanwhile;
	 * releasing it waits only for target invalidations, which never
	 * need this mm's mmap_lock.
	 */
	rm_pdb_put(pdb);
	return ret;
}

/* Close of (a part of) a window, with the mmap_lock held. */
static void rm_win_close(struct vm_area_struct *vma)
{
	struct rm_win *win = vma->vm_private_data;

	rm_idb_detach_range(win->idb, win, vma->vm_start, vma->vm_end);
}

/*
 * A split (munmap() or mprotect() of a part) is making @vma, the new part,
 * with the mmap_lock held for write: the VMA being split still covers it.
 * The page_dbs there name the VMA being split, which will not cover them;
 * zap their PTEs through it and forget it, and they refault into @vma.  If
 * the split fails, @vma is closed empty and they refault into the old one.
 *
 * Splits are the only opens: windows are VM_DONTCOPY (and VM_IO, so
 * MADV_DOFORK cannot clear it), and mremap() is refused before it copies.
 */
static void rm_win_open(struct vm_area_struct *vma)
{
	struct vm_area_struct *old = vma_lookup(vma->vm_mm, vma->vm_start);
	struct rm_win *win = vma->vm_private_data;

	mmap_assert_write_locked(vma->vm_mm);
	if (!old || old == vma || !rm_is_window(old) ||
	    old->vm_private_data != win || old->vm_end < vma->vm_end)
		return;
	zap_vma_ptes(old, vma->vm_start, vma->vm_end - vma->vm_start);
	rm_idb_forget_range(win->idb, vma->vm_start, vma->vm_end);
}

const struct vm_operations_struct rm_win_vm_ops = {
	.open		= rm_win_open,
	.close		= rm_win_close,
	.mremap		= rm_mirror_mremap,	/* pages indexed by address */
	.fault		= rm_win_fault,
	.pfn_mkwrite	= rm_mirror_pfn_mkwrite,
};

/*
 * ->mmap() of /dev/remote_mapping, for the mm the file is bound to, with
 * its mmap_lock held for write: a window of holes over the whole VMA.
 */
int rm_win_mmap(struct vm_area_struct *vma)
{
	struct rm_win *win;
	struct file *file;
	int err;

	/* VM_MAYSHARE: do_mmap() drops VM_SHARED for a read-only file. */
	if (!(vma->vm_flags & VM_MAYSHARE) || vma->vm_pgoff)
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;

	win = kzalloc(sizeof(*win), GFP_KERNEL_ACCOUNT);
	if (!win)
		return -ENOMEM;
	spin_lock_init(&win->lock);
	win->idb = rm_idb_get_locked(vma->vm_mm);
	if (IS_ERR(win->idb)) {
		err = PTR_ERR(win->idb);
		goto err_free_win;
	}
	file = rm_file_create(&rm_win_fops, win);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_put_idb;
	}
	win->file = file;

	/*
	 * From here the window belongs to its file: the VMA's reference
	 * frees it, also when mmap_region() fails after this.
	 */
	vma_set_file(vma, file);
	fput(file);
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP |
			 VM_DONTCOPY;
	vma->vm_flags &= ~VM_MAYEXEC;
	vma->vm_ops = &rm_win_vm_ops;
	vma->vm_private_data = win;
	return 0;

err_put_idb:
	rm_idb_put(win->idb);
err_free_win:
	kfree(win);
	return err;
}
