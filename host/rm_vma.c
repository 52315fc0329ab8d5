// SPDX-License-Identifier: GPL-2.0
/*
 * The ordinary memory around mirrors: which target VMAs may be mirrored,
 * and the flags of the introspector's RAM that a mirror replaces.
 */
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/userfaultfd_k.h>

#include "rm_internal.h"

/*
 * Whether the target's @vma may be mirrored, for writes too if @write: 0 or
 * the errno.  Checked at the map and at every resolution of the target
 * page (the target may have mapped something else there since).  It
 * refuses what GUP's check_vma_flags() refuses, so that a mapping never
 * reads what ptrace could not: memfd_secret memory, which is out of the
 * kernel's direct map (vma_is_secretmem() is not exported: every file of
 * that filesystem is secretmem), and mappings of memory that is no plain
 * RAM, such as [vvar] (VM_IO | VM_PFNMAP on 6.1, VM_MIXEDMAP on later
 * kernels).  hmm_range_fault() checks neither secretmem nor VM_MIXEDMAP.
 */
int rm_target_vma_check(struct vm_area_struct *vma, bool write)
{
	if (rm_is_mirror(vma))
		return -ELOOP;
	if (vma->vm_file &&
	    file_inode(vma->vm_file)->i_sb->s_magic == SECRETMEM_MAGIC)
		return -EPERM;
	if (vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP))
		return -EINVAL;
	if (userfaultfd_armed(vma))
		return -EBUSY;
	if (!(vma->vm_flags & VM_READ) ||
	    (write && !(vma->vm_flags & VM_WRITE)))
		return -EACCES;
	return 0;
}

/*
 * Whether a fault of the target's page in @vma is served by the kernel
 * alone: anonymous memory, shmem/memfd (tmpfs), hugetlbfs.  Any other file
 * may wait for user space (a FUSE daemon, a network file system), possibly
 * the target's own: a KVM alias must not fault it in from a vCPU exit
 * while holding the target's mmap_lock (see rm_pdb_resolve()).
 */
bool rm_target_faults_safely(struct vm_area_struct *vma)
{
	unsigned long magic;

	if (vma_is_anonymous(vma) || (vma->vm_flags & VM_HUGETLB))
		return true;
	magic = file_inode(vma->vm_file)->i_sb->s_magic;
	return magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC;
}

/*
 * What a VMM's private anonymous memory carries beyond its protection and
 * a map or a pool replaces, to be given back when it goes: mlock, and the
 * advice QEMU gives guest RAM (MADV_DONTFORK, MADV_HUGEPAGE, MADV_MERGEABLE,
 * MADV_DONTDUMP with dump-guest-core=off).
 */
#define RM_RAM_FLAGS	(VM_LOCKED | VM_LOCKONFAULT | VM_NORESERVE | \
			 VM_DONTCOPY | VM_WIPEONFORK | VM_DONTDUMP | \
			 VM_HUGEPAGE | VM_NOHUGEPAGE | VM_MERGEABLE)
/* Of those, what mmap() can set itself. */
#define RM_RAM_MMAP_FLAGS	(VM_LOCKED | VM_NORESERVE)

u32 rm_ram_flags(const struct vm_area_struct *vma)
{
	BUILD_BUG_ON(RM_RAM_FLAGS > U32_MAX);
	return vma->vm_flags & RM_RAM_FLAGS;
}

/*
 * Give current->mm private anonymous memory in the hole [@addr, @addr +
 * @len), with @prot and the RM_RAM_FLAGS @flags of the memory that was
 * there.  MAP_FIXED_NOREPLACE checks for the hole under the mmap_lock:
 * whatever another thread mapped there meanwhile stays (-EEXIST).
 *
 * mmap() takes only mlock and MAP_NORESERVE; the advice flags are then set
 * as madvise() sets them, on the VMA just made, if it is still there
 * without them.  It stays a VMA of its own: joining it to neighbours of
 * the same flags takes vma_merge(), which is not exported; a later pool
 * may cross it (rm_win_ram_check()).  KSM and khugepaged know the mm
 * already: the replaced VMA had the advice.
 */
int rm_ram_refill(unsigned long addr, unsigned long len, int prot, u32 flags)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long ret;

	ret = vm_mmap(NULL, addr, len, prot,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE |
		      (flags & VM_LOCKED ? MAP_LOCKED : 0) |
		      (flags & VM_NORESERVE ? MAP_NORESERVE : 0), 0);
	if (IS_ERR_VALUE(ret))
		return (int)ret;
	if (!(flags & ~RM_RAM_MMAP_FLAGS))
		return 0;

	mmap_write_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_start == addr && vma->vm_end == addr + len &&
	    vma_is_anonymous(vma) && !(vma->vm_flags & VM_SHARED) &&
	    !(vma->vm_flags & RM_RAM_FLAGS & ~RM_RAM_MMAP_FLAGS))
		vm_flags_set(vma, flags);
	mmap_write_unlock(mm);
	return 0;
}
