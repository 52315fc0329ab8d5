/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the one place where the supported kernel lines (6.1, 6.12,
 * 7.x) differ.  Every object of host/ and guest/ includes it first
 * (compat/Kbuild.include).  The code is written against the newest API;
 * for older kernels this header supplies it, below.  The switches are
 * COMPAT_HAVE_<NAME> from compat-gen.h, which compat/probe.sh writes at
 * build time by compiling compat/probes/<NAME>.c against the kernel being
 * built for, and macros tested directly: no kernel version is tested.
 */
#ifndef _COMPAT_COMPAT_H
#define _COMPAT_COMPAT_H

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/pgtable.h>

/* 6.3: vm_flags is written through these (they also lock the VMA). */
#ifndef COMPAT_HAVE_VM_FLAGS_SET
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	mmap_assert_write_locked(vma->vm_mm);
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	mmap_assert_write_locked(vma->vm_mm);
	vma->vm_flags &= ~flags;
}
#endif

/* 6.12: struct fd is opaque. */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

/*
 * The struct pid of a pidfd, or NULL if @file is none (pidfd_pid() is not
 * exported).  6.9: pidfds are files of pidfs, the pid in the inode; before,
 * anon inode files named "[pidfd]", which only pidfd_create() makes, the
 * pid in private_data.
 */
static inline struct pid *compat_pidfd_pid(struct file *file)
{
	struct inode *inode = file_inode(file);

#ifdef PID_FS_MAGIC
	if (inode->i_sb->s_magic == PID_FS_MAGIC)
		return inode->i_private;
#endif
	if (inode->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	    !strcmp(file->f_path.dentry->d_name.name, "[pidfd]"))
		return file->private_data;
	return NULL;
}

/* 6.6: pte_mkwrite() takes the VMA; the old one is pte_mkwrite_novma(). */
#ifndef COMPAT_HAVE_PTE_MKWRITE_NOVMA
#define pte_mkwrite_novma(pte)	pte_mkwrite(pte)
#endif

/*
 * 6.12 on x86-64: a VM_PFNMAP mapping can hold a huge PMD marked special
 * (pmd_special()), which GUP-fast does not take references through, as a
 * special PTE.  Before it, such a PMD of a target page would give one, so
 * 6.1 mirrors a 2 MiB range with PTEs only.  6.17 dropped pfn_t.
 */
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
#define RM_HAVE_PMD_MIRROR 1
#ifdef COMPAT_HAVE_VMF_INSERT_PFN_PMD_PFN
#define rm_insert_pfn_pmd(vmf, pfn)	vmf_insert_pfn_pmd(vmf, pfn, false)
#else
#include <linux/pfn_t.h>
#define rm_insert_pfn_pmd(vmf, pfn) \
	vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, 0), false)
#endif
#endif

/* 6.5: pmdp_get_lockless(); a PMD is one word on x86-64. */
#ifndef COMPAT_HAVE_PMDP_GET_LOCKLESS
#define pmdp_get_lockless(pmdp)	READ_ONCE(*(pmdp))
#endif

/*
 * 6.8: the largest allocation order is MAX_PAGE_ORDER.  It was MAX_ORDER
 * from 6.4, and one less than MAX_ORDER before.
 */
#ifndef MAX_PAGE_ORDER
#ifdef COMPAT_HAVE_MAX_ORDER_INCLUSIVE
#define MAX_PAGE_ORDER	MAX_ORDER
#else
#define MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif
#endif

/* 7.2: zap_vma_ptes() is zap_special_vma_range(), the same contract. */
#ifndef COMPAT_HAVE_ZAP_SPECIAL_VMA_RANGE
#define zap_special_vma_range(vma, addr, size)	zap_vma_ptes(vma, addr, size)
#endif

/*
 * 6.12: follow_pfnmap_start()/_end() look up the pfn of a VM_IO/VM_PFNMAP
 * address (follow_pte() before, which 6.12 no longer exports).  Only what
 * the module uses: whether there is one, and its pfn.  The page table lock
 * is not held until _end(): no caller relies on the pfn staying.
 */
#ifndef COMPAT_HAVE_FOLLOW_PFNMAP_START
struct follow_pfnmap_args {
	struct vm_area_struct *vma;	/* in */
	unsigned long address;		/* in */
	unsigned long pfn;		/* out */
};

static inline int follow_pfnmap_start(struct follow_pfnmap_args *args)
{
	spinlock_t *ptl;	/* the page table's, held on success */
	pte_t *ptep;
	int ret;

	ret = follow_pte(args->vma->vm_mm, args->address, &ptep, &ptl);
	if (ret)
		return ret;
	__acquire(ptl);
	args->pfn = pte_pfn(ptep_get(ptep));
	pte_unmap_unlock(ptep, ptl);
	return 0;
}

static inline void follow_pfnmap_end(struct follow_pfnmap_args *args)
{
}
#endif

#endif /* _COMPAT_COMPAT_H */
