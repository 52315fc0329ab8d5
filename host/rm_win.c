// SPDX-License-Identifier: GPL-2.0
/*
 * Windows: mirror VMAs made by mmap() of /dev/remote_mapping, or over a
 * KVM introspector's RAM by KVM_HC_MEM_POOL, into which pages are mapped
 * and unmapped without creating or splitting a VMA.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "rm_internal.h"

/* Pages of a closing window put together (rm_pdb_put_bulk()). */
#define RM_WIN_CLOSE_BATCH	512
#define RM_WIN_CLOSE_MIN	32

/* Last reference to the window's file: no VMA and no pdb uses it. */
static int rm_win_release(struct inode *inode, struct file *file)
{
	struct rm_win *win = file->private_data;
	unsigned long index;
	struct page *page;

	xa_release(&win->idb->pdbs, win->anchor);
	/* No PTE is left: the VMAs are gone. */
	xa_for_each(&win->holes, index, page)
		__free_page(page);
	xa_destroy(&win->holes);
	if (win->tdb)
		rm_tdb_put(win->tdb);
	rm_idb_put(win->idb);
	kfree(win);
	rm_file_unpin();
	return 0;
}

/*
 * Why [@start, @start + @len) of @mm cannot become a pool: 0 if it is
 * private anonymous read-write memory without a gap (*@flags: its
 * RM_RAM_FLAGS), else the errno.  It may be several VMAs of the same
 * flags: a range an earlier pool gave back is a VMA of its own
 * (rm_ram_refill()), which a guest's next pool may cross.
 */
static int rm_win_ram_check(struct mm_struct *mm, unsigned long start,
			    unsigned long len, u32 *flags)
{
	struct vm_area_struct *vma;
	unsigned long addr;

	mmap_assert_locked(mm);
	for (addr = start; addr < start + len; addr = vma->vm_end) {
		vma = vma_lookup(mm, addr);
		if (!vma)
			return addr == start ? -EFAULT : -EINVAL;
		if (rm_is_window(vma))
			return addr == start ? -EALREADY : -EINVAL;
		if (!vma_is_anonymous(vma) ||
		    (vma->vm_flags & (VM_SHARED | VM_GROWSDOWN | VM_GROWSUP)) ||
		    (vma->vm_flags & (VM_READ | VM_WRITE)) !=
		    (VM_READ | VM_WRITE))
			return -EINVAL;
		/* One refill gives all of it back (rm_win_pool_destroy()). */
		if (addr != start && rm_ram_flags(vma) != *flags)
			return -EINVAL;
		*flags = rm_ram_flags(vma);
	}
	return 0;
}

/*
 * Whether [@start, @start + @len) of @mm is all pool memory: 0, or -ENOENT.
 * *@flags: the RM_RAM_FLAGS of the RAM its pools were made over.
 */
static int rm_win_pool_check(struct mm_struct *mm, unsigned long start,
			     unsigned long len, u32 *flags)
{
	struct vm_area_struct *vma;
	struct rm_win *win;
	unsigned long addr;

	mmap_assert_locked(mm);
	for (addr = start; addr < start + len; addr = vma->vm_end) {
		vma = vma_lookup(mm, addr);
		win = vma && rm_is_window(vma) ? vma->vm_private_data : NULL;
		if (!win)
			return -ENOENT;
		/* A window its VMM made is not the guest's to destroy. */
		if (!win->pool)
			return -EPERM;
		*flags |= win->orig_flags;
	}
	return 0;
}

/*
 * Refuses mremap() of a window, which asks the file for the new area; only
 * the pool's own vm_mmap() calls get one, and only if the range is still
 * what they checked.  This runs with the mmap_lock held for write, and
 * do_mmap() unmaps what is in the range only after it, in the same hold of
 * the lock: so they never replace a mapping another thread made meanwhile.
 */
static unsigned long rm_win_get_area(struct file *file, unsigned long addr,
				     unsigned long len, unsigned long pgoff,
				     unsigned long flags)
{
	struct rm_win *win = file->private_data;
	u32 ram_flags = 0;
	int err;

	if (!(flags & MAP_FIXED))
		return -EINVAL;
	if ((flags & MAP_SHARED) && READ_ONCE(win->pool_mapper) == current)
		err = rm_win_ram_check(current->mm, addr, len,
				       &win->orig_flags);
	else if (!(flags & MAP_SHARED) &&
		 READ_ONCE(win->pool_unmapper) == current)
		err = rm_win_pool_check(current->mm, addr, len, &ram_flags);
	else
		err = -EINVAL;
	return err ? err : addr;
}

/* Once per window, for the VMA it is made with. */
static void rm_win_setup(struct vm_area_struct *vma, struct rm_win *win)
{
	win->anchor = vma->vm_start >> PAGE_SHIFT;
	/* Only saves allocations: a failure (page being mapped) is fine. */
	if (xa_reserve(&win->idb->pdbs, win->anchor, GFP_KERNEL_ACCOUNT))
		pr_debug("remote_mapping: no anchor for a window\n");

	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP |
			  VM_DONTCOPY);
	vm_flags_clear(vma, VM_MAYEXEC);
	vma->vm_ops = &rm_win_vm_ops;
	vma->vm_private_data = win;
}

/*
 * Only rm_win_pool_create()'s own vm_mmap() maps the file, once: anything
 * else reaching it (e.g. /proc/PID/map_files) must not make a second VMA
 * at other addresses.  rm_win_pool_destroy()'s private one has unmapped
 * the pool by now and wants the hole.
 */
static int rm_win_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct rm_win *win = file->private_data;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -ECANCELED;
	if (READ_ONCE(win->pool_mapper) != current ||
	    vma->vm_mm != win->idb->rmn.mn.mm)
		return -EPERM;
	WRITE_ONCE(win->pool_mapper, NULL);
	rm_win_setup(vma, win);
	return 0;
}

static const struct file_operations rm_win_fops = {
	.owner			= THIS_MODULE,
	.release		= rm_win_release,
	.mmap			= rm_win_file_mmap,
	.get_unmapped_area	= rm_win_get_area,
};

/*
 * A window of @idb with its own file.  It takes over the caller's
 * reference on @idb, and drops it if it fails.
 */
static struct rm_win *rm_win_alloc(struct rm_idb *idb)
{
	struct rm_win *win;
	struct file *file;

	win = kzalloc(sizeof(*win), GFP_KERNEL_ACCOUNT);
	if (!win) {
		rm_idb_put(idb);
		return ERR_PTR(-ENOMEM);
	}
	spin_lock_init(&win->lock);
	xa_init(&win->holes);
	win->idb = idb;
	file = rm_file_create(&rm_win_fops, win);
	if (IS_ERR(file)) {
		kfree(win);
		rm_idb_put(idb);
		return ERR_CAST(file);
	}
	win->file = file;
	return win;
}

/* Keep a reference on @tdb, the target just mapped into @win (consumed). */
void rm_win_keep_tdb(struct rm_win *win, struct rm_tdb *tdb)
{
	spin_lock(&win->lock);
	swap(win->tdb, tdb);
	spin_unlock(&win->lock);
	if (tdb)
		rm_tdb_put(tdb);
}

struct rm_hole {
	struct rm_win *win;
	struct vm_area_struct *vma;
	struct page *page;	/* the zero page, or the hole's own page */
};

/* rm_win_install_hole()'s answer when the page is not a hole just now. */
#define RM_HOLE_BUSY	1

/*
 * apply_to_page_range() callback: install a pool hole's page, under the
 * PTL, unless the page is being mapped, mapped or being unmapped
 * (RM_HOLE_BUSY): a map reserves its idb entry before it zaps the hole
 * (rm_win_clear_holes()).
 */
static int rm_win_install_hole(pte_t *ptep, unsigned long addr, void *data)
{
	struct rm_hole *h = data;
	struct rm_idb *idb = h->win->idb;
	pte_t pte;
	int ret = 0;

	if (!pte_none(ptep_get(ptep)))
		return 0;
	pte = pte_mkspecial(pfn_pte(page_to_pfn(h->page),
				    h->vma->vm_page_prot));
	if (h->page == ZERO_PAGE(addr))
		pte = pte_wrprotect(pte);
	else
		pte = pte_mkdirty(pte_mkwrite_novma(pte));
	xa_lock(&idb->pdbs);
	if (xa_load(&idb->pdbs, addr >> PAGE_SHIFT) ||
	    rm_idb_huge_at(idb, addr >> PAGE_SHIFT))
		ret = RM_HOLE_BUSY;
	else
		set_pte_at(h->vma->vm_mm, addr, ptep, pte_mkyoung(pte));
	xa_unlock(&idb->pdbs);
	return ret;
}

/* The page of the pool hole at @addr: allocated on the first write. */
static struct page *rm_win_hole_page(struct rm_win *win, unsigned long addr,
				     bool write)
{
	unsigned long index = addr >> PAGE_SHIFT;
	struct page *page, *old;

	page = xa_load(&win->holes, index);
	if (page || !write)
		return page ?: ZERO_PAGE(addr);
	page = alloc_page(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT);
	if (!page)
		return NULL;
	old = xa_cmpxchg(&win->holes, index, NULL, page, GFP_KERNEL_ACCOUNT);
	if (!old)
		return page;
	__free_page(page);
	return xa_is_err(old) ? NULL : old;
}

/*
 * A hole of a pool is RAM that reads zeros: the zero page for a read, a
 * page of its own for a write (kept until the pool goes, zeroed when a
 * mapping replaces it).  Never SIGBUS, which KVM would turn into the end
 * of the introspector VM.  Pages are never freed while the window lives,
 * so @page stays valid whatever happens meanwhile.
 */
static vm_fault_t rm_win_hole_fault(struct vm_fault *vmf, struct rm_win *win)
{
	unsigned long addr = vmf->address & PAGE_MASK;
	struct rm_hole h = {
		.win	= win,
		.vma	= vmf->vma,
	};
	int err;

	h.page = rm_win_hole_page(win, addr, vmf->flags & FAULT_FLAG_WRITE);
	if (!h.page)
		return VM_FAULT_OOM;
	err = apply_to_page_range(vmf->vma->vm_mm, addr, PAGE_SIZE,
				  rm_win_install_hole, &h);
	if (err == -ENOMEM)
		return VM_FAULT_OOM;
	if (err != RM_HOLE_BUSY)
		return VM_FAULT_NOPAGE;

	/* A map or unmap of this page is in progress: come back after it. */
	if (!(vmf->flags & FAULT_FLAG_ALLOW_RETRY))
		return VM_FAULT_SIGBUS;
	if (!(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
		mmap_read_unlock(vmf->vma->vm_mm);
		cond_resched();
	}
	return VM_FAULT_RETRY;
}

/*
 * A map is replacing the pool holes of [@addr, @addr + @size) of @vma (a
 * page or 2 MiB; its idb entry is reserved, so no hole page is installed
 * again): zap their PTEs if they have any, and zero their pages for when
 * they are holes again.  A page table left over 2 MiB keeps a PMD out:
 * the mapping gets PTEs.
 */
void rm_win_clear_holes(struct rm_win *win, struct vm_area_struct *vma,
			unsigned long addr, unsigned long size)
{
	unsigned long index;
	struct page *page;

	/* Most holes were never touched: no zap, no KVM TLB flush. */
	if (size == PAGE_SIZE ? rm_pte_present(vma, addr) :
				rm_pmd_table(vma->vm_mm, addr))
		rm_zap_mirror(vma, addr, size);
	xa_for_each_range(&win->holes, index, page, addr >> PAGE_SHIFT,
			  (addr + size - 1) >> PAGE_SHIFT)
		clear_highpage(page);
}

static vm_fault_t rm_win_fault(struct vm_fault *vmf)
{
	struct rm_win *win = vmf->vma->vm_private_data;
	struct rm_pdb *pdb;
	vm_fault_t ret;

	/* Nothing mapped there: a hole, as in Xen's privcmd. */
	pdb = rm_idb_get_live(win->idb, vmf->address, win);
	if (!pdb && win->pool)
		return rm_win_hole_fault(vmf, win);
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

#ifdef RM_HAVE_PMD_MIRROR
/* A PMD for a 2 MiB mapping, or VM_FAULT_FALLBACK to rm_win_fault(). */
static vm_fault_t rm_win_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct rm_win *win = vmf->vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_FALLBACK;
	struct rm_pdb *pdb;

	if (order != PMD_ORDER)
		return VM_FAULT_FALLBACK;
	pdb = rm_idb_get_live(win->idb, vmf->address, win);
	if (!pdb)
		return VM_FAULT_FALLBACK;
	if (pdb->huge)
		ret = rm_pdb_huge_fault(vmf, pdb);
	rm_pdb_put(pdb);
	return ret;
}
#endif

/*
 * A 2 MiB mapping is all in one VMA of its window, as it was checked to be
 * when it was made: its PMD, pdb->vma and the unmap of its part of the
 * window (rm_idb_forget_range(), rm_win_close()) all assume so.  So a
 * split inside one is refused, as for hugetlbfs pages.
 */
static int rm_win_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	struct rm_win *win = vma->vm_private_data;

	return rm_idb_in_huge(win->idb, addr, win) ? -EINVAL : 0;
}

/*
 * Close of (a part of) a window, with the mmap_lock held (munmap, exit):
 * end the live mappings of the part.
 */
static void rm_win_close(struct vm_area_struct *vma)
{
	struct rm_win *win = vma->vm_private_data;
	unsigned long index = vma->vm_start >> PAGE_SHIFT;
	unsigned long last = (vma->vm_end >> PAGE_SHIFT) - 1;
	struct rm_pdb *one[RM_WIN_CLOSE_MIN], **pdbs;
	unsigned int i, n, max = RM_WIN_CLOSE_BATCH;

	mmap_assert_locked(vma->vm_mm);
	pdbs = kmalloc_array(max, sizeof(*pdbs), GFP_KERNEL | __GFP_NOWARN);
	if (!pdbs) {
		pdbs = one;
		max = ARRAY_SIZE(one);
	}
	do {
		n = rm_idb_take_win(win->idb, win, &index, last, pdbs, max);
		for (i = 0; i < n; i++)
			rm_pdb_unmapped(pdbs[i]);
		/* An exit's window of thousands: a tree lock per batch. */
		rm_pdb_put_bulk(pdbs, n);
	} while (n == max);
	if (pdbs != one)
		kfree(pdbs);
}

/*
 * A split (munmap() or mprotect() of a part) is making @vma, the new part,
 * with the mmap_lock held for write: the VMA being split still covers it.
 * The pdbs there name the VMA being split, which will not cover them;
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
	rm_zap_mirror(old, vma->vm_start, vma->vm_end - vma->vm_start);
	rm_idb_forget_range(win->idb, vma->vm_start, vma->vm_end);
}

const struct vm_operations_struct rm_win_vm_ops = {
	.open		= rm_win_open,
	.close		= rm_win_close,
	.may_split	= rm_win_may_split,
	.mremap		= rm_mirror_mremap,	/* pages indexed by address */
	.fault		= rm_win_fault,
#ifdef RM_HAVE_PMD_MIRROR
	.huge_fault	= rm_win_huge_fault,
#endif
	.pfn_mkwrite	= rm_mirror_pfn_mkwrite,
};

/*
 * ->mmap() of /dev/remote_mapping, for the mm the file is bound to, with
 * its mmap_lock held for write: a window of holes over the whole VMA.
 */
int rm_win_mmap(struct vm_area_struct *vma)
{
	struct rm_idb *idb;
	struct rm_win *win;

	/* VM_MAYSHARE: do_mmap() drops VM_SHARED for a read-only file. */
	if (!(vma->vm_flags & VM_MAYSHARE) || vma->vm_pgoff)
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;

	idb = rm_idb_get_locked(vma->vm_mm);
	if (IS_ERR(idb))
		return PTR_ERR(idb);
	win = rm_win_alloc(idb);
	if (IS_ERR(win))
		return PTR_ERR(win);

	/*
	 * From here the window belongs to its file: the VMA's reference
	 * frees it, also when mmap_region() fails after this.
	 */
	vma_set_file(vma, win->file);
	fput(win->file);
	rm_win_setup(vma, win);
	return 0;
}

/*
 * After a pool's removal, or a failed vm_mmap() over [start, start + len)
 * of current->mm: give the VMM anonymous memory back in the holes there,
 * which its VM could not survive touching.  MAP_FIXED_NOREPLACE checks for
 * the hole under the mmap_lock: what another thread mapped meanwhile stays
 * (then the gap is looked up again, a few times at most).
 */
static void rm_win_refill(unsigned long start, unsigned long len, u32 flags)
{
	unsigned long addr = start, end = start + len, gap_end;
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int retries = 8;
	int err;

	while (addr < end) {
		mmap_read_lock(mm);
		vma = find_vma(mm, addr);
		if (vma && vma->vm_start <= addr) {
			addr = vma->vm_end;
			mmap_read_unlock(mm);
			continue;
		}
		gap_end = vma ? min(vma->vm_start, end) : end;
		mmap_read_unlock(mm);
		err = rm_ram_refill(addr, gap_end - addr,
				    PROT_READ | PROT_WRITE, flags);
		if (err == -EEXIST && retries--)
			continue;
		if (err && err != -EEXIST)
			pr_warn_ratelimited("remote_mapping: could not refill %lu pages of pid %d after a pool change: %d\n",
					    (gap_end - addr) >> PAGE_SHIFT,
					    task_pid_nr(current), err);
		addr = gap_end;
	}
}

/**
 * rm_win_pool_create - turn RAM of current->mm into a pool window
 * @start: page-aligned start, in one private anonymous read-write VMA
 * @len: page-aligned length
 *
 * The memory there is replaced: afterwards it reads zeros, and it behaves
 * as RAM except that pages are mapped into it and unmapped from it without
 * VMA changes.  Its holes never raise SIGBUS (rm_win_hole_fault()).
 *
 * Return: 0; -EFAULT if nothing is mapped at @start; -EALREADY if it is in
 * a window already; -EINVAL if the range is not in one private anonymous
 * read-write VMA (a mapping made there, shared memory); -ENOMEM, -EINTR.
 */
int rm_win_pool_create(unsigned long start, unsigned long len)
{
	struct mm_struct *mm = current->mm;
	struct rm_idb *idb;
	struct rm_win *win;
	unsigned long addr;
	u32 flags = 0;
	int err;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	err = rm_win_ram_check(mm, start, len, &flags);
	mmap_read_unlock(mm);
	if (err)
		return err;

	idb = rm_idb_get(mm, 1);
	if (IS_ERR(idb))
		return PTR_ERR(idb);
	win = rm_win_alloc(idb);
	if (IS_ERR(win))
		return PTR_ERR(win);
	win->pool = true;
	win->orig_flags = flags;

	/* rm_win_get_area() checks the range again, rm_win_file_mmap() maps. */
	WRITE_ONCE(win->pool_mapper, current);
	addr = vm_mmap(win->file, start, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, 0);
	WRITE_ONCE(win->pool_mapper, NULL);
	/* The VMA holds the file now, or it is released with the window. */
	fput(win->file);
	if (!IS_ERR_VALUE(addr))
		return 0;
	rm_win_refill(start, len, flags);
	return (int)addr;
}

/* A page of [start, end) of @idb is mapped by the VMM, not a hypercall. */
static bool rm_win_vmm_mapped(struct rm_idb *idb, unsigned long start,
			      unsigned long end)
{
	struct rm_pdb *pdb;
	unsigned long index;
	bool found = false;

	xa_lock(&idb->pdbs);
	xa_for_each_range(&idb->pdbs, index, pdb, start >> PAGE_SHIFT,
			  (end >> PAGE_SHIFT) - 1) {
		if (!pdb->guest) {
			found = true;
			break;
		}
	}
	xa_unlock(&idb->pdbs);
	return found;
}

/*
 * Whether @addr of @mm is a page of a 2 MiB mapping of a window other than
 * its first, where the window cannot be split (rm_win_may_split()).
 */
static bool rm_win_in_huge(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	struct rm_win *win;

	if (!vma || !rm_is_window(vma))
		return false;
	win = vma->vm_private_data;
	return rm_idb_in_huge(win->idb, addr, win);
}

/**
 * rm_win_pool_destroy - give pool memory of current->mm back as RAM
 * @start: page-aligned start
 * @len: page-aligned length; [start, start + len) must be pool memory
 *
 * Mappings there end; the range is private anonymous memory again,
 * reading zeros.
 *
 * Only what the guest made goes: a window its VMM made with mmap(), or a
 * pool holding a mapping its VMM made, is refused.  Only the VMM could
 * map there after the check, racing its own guest.
 *
 * Return: 0; -ENOENT if part of the range is not a window (also if another
 * thread changed it meanwhile: what it mapped stays); -EPERM if part of it
 * is a window or a mapping made by the VMM; -EINVAL if it starts or ends
 * inside a 2 MiB mapping; -EAGAIN if another thread is destroying it;
 * -ENOMEM, -EINTR.
 */
int rm_win_pool_destroy(unsigned long start, unsigned long len)
{
	struct mm_struct *mm = current->mm;
	struct rm_win *win = NULL;
	struct file *file;
	unsigned long addr;
	u32 flags = 0;
	int err;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	err = rm_win_pool_check(mm, start, len, &flags);
	if (!err) {
		win = vma_lookup(mm, start)->vm_private_data;
		if (rm_win_vmm_mapped(win->idb, start, start + len))
			err = -EPERM;
		else if (rm_win_in_huge(mm, start) ||
			 rm_win_in_huge(mm, start + len))
			err = -EINVAL;
		else	/* Its VMA's reference goes with the pool. */
			file = get_file(win->file);
	}
	mmap_read_unlock(mm);
	if (err)
		return err;

	/*
	 * Remove the pool, leaving a hole, then refill it.  Not one
	 * vm_mmap(MAP_FIXED) of anonymous memory, which would replace
	 * whatever another thread mapped there since the check: a private
	 * MAP_FIXED vm_mmap() of the window's file, whose
	 * rm_win_get_area() checks again with the mmap_lock held for write,
	 * right before do_mmap() unmaps the range in the same hold of the
	 * lock; rm_win_file_mmap() then refuses (-ECANCELED).
	 */
	if (cmpxchg(&win->pool_unmapper, NULL, current)) {
		fput(file);
		return -EAGAIN;
	}
	addr = vm_mmap(file, start, len, PROT_READ, MAP_PRIVATE | MAP_FIXED, 0);
	WRITE_ONCE(win->pool_unmapper, NULL);
	fput(file);
	if (addr == -ECANCELED) {
		/* Removed: the pool is gone whether or not the refill works. */
		rm_win_refill(start, len, flags);
		return 0;
	}
	/* A failure after the unmap leaves a hole too. */
	rm_win_refill(start, len, flags);
	return (int)addr;
}
