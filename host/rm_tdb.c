// SPDX-License-Identifier: GPL-2.0
/*
 * Target_db: per target mm state and the pseudo file its mirrors
 * map.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>

#include "rm_internal.h"

#define RM_FS_MAGIC	0x726d6170	/* "rmap" */

static struct vfsmount *rm_mnt;
static int rm_mnt_count;

/*
 * Our i_mmap_rwsem is taken from target invalidations, which may already
 * hold the i_mmap_rwsem of a file the target maps (rmap walks).  It is never
 * held while taking another one, so give it its own class.
 */
static struct lock_class_key rm_i_mmap_key;

/* Mirrors show up as "[remote_mapping]" in /proc/PID/maps. */
static char *rm_dname(struct dentry *dentry, char *buffer, int buflen)
{
	static const char name[] = "[remote_mapping]";

	if (buflen < sizeof(name))
		return ERR_PTR(-ENAMETOOLONG);
	buffer += buflen - sizeof(name);
	memcpy(buffer, name, sizeof(name));
	return buffer;
}

static const struct dentry_operations rm_dops = {
	.d_dname	= rm_dname,
};

static int rm_fs_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, RM_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &rm_dops;
	return 0;
}

/*
 * The mount is pinned while any target_db exists (simple_pin_fs()), and a
 * mounted superblock holds a reference on .owner: the module cannot go
 * away under a mirror's file.
 */
static struct file_system_type rm_fs_type = {
	.owner		 = THIS_MODULE,
	.name		 = "remote_mapping",
	.init_fs_context = rm_fs_init_fs_context,
	.kill_sb	 = kill_anon_super,
};

static int rm_mirror_mmap(struct file *file, struct vm_area_struct *vma)
{
	return rm_mirror_attach(file->private_data, vma);
}

static const struct file_operations rm_mirror_fops = {
	.owner	= THIS_MODULE,
	.mmap	= rm_mirror_mmap,
};

bool rm_is_mirror(struct vm_area_struct *vma)
{
	return vma->vm_ops == &rm_mirror_vm_ops;
}

static struct file *rm_tdb_file_create(struct rm_tdb *tdb)
{
	struct inode *inode;
	struct file *file;
	int err;

	err = simple_pin_fs(&rm_fs_type, &rm_mnt, &rm_mnt_count);
	if (err)
		return ERR_PTR(err);

	inode = alloc_anon_inode(rm_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto err_release_fs;
	}
	lockdep_set_class(&inode->i_mapping->i_mmap_rwsem, &rm_i_mmap_key);

	/* Dropped by fops_put() in __fput(), like anon_inode_getfile(). */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, rm_mnt, "remote_mapping", O_RDWR,
				 &rm_mirror_fops);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_put_module;
	}
	file->private_data = tdb;
	return file;

err_put_module:
	module_put(THIS_MODULE);
	iput(inode);
err_release_fs:
	simple_release_fs(&rm_mnt, &rm_mnt_count);
	return ERR_PTR(err);
}

static void rm_tdb_free_work(struct work_struct *work)
{
	struct rm_tdb *tdb = container_of(work, struct rm_tdb, free_work);

	WARN_ON(!list_empty(&tdb->pending));
	fput(tdb->file);
	simple_release_fs(&rm_mnt, &rm_mnt_count);
	kfree(tdb);
	atomic_dec(&rm_tdb_count);
}

static struct mmu_notifier *rm_tdb_alloc_notifier(struct mm_struct *mm)
{
	struct rm_tdb *tdb;
	struct file *file;

	tdb = kzalloc(sizeof(*tdb), GFP_KERNEL);
	if (!tdb)
		return ERR_PTR(-ENOMEM);

	file = rm_tdb_file_create(tdb);
	if (IS_ERR(file)) {
		kfree(tdb);
		return ERR_CAST(file);
	}
	tdb->file = file;
	spin_lock_init(&tdb->lock);
	INIT_LIST_HEAD(&tdb->pending);
	INIT_WORK(&tdb->free_work, rm_tdb_free_work);
	atomic_inc(&rm_tdb_count);
	return &tdb->mn;
}

/* Called from an SRCU callback: fput() and unmounting must not run here. */
static void rm_tdb_free_notifier(struct mmu_notifier *mn)
{
	struct rm_tdb *tdb = container_of(mn, struct rm_tdb, mn);

	queue_work(rm_wq, &tdb->free_work);
}

/*
 * The target is exiting.  From now on mirrors read the zero page (or their
 * orphan page), so zap what they show of the target now.  The target's own
 * unmapping that follows invalidates each page_db's interval as well.
 */
static void rm_tdb_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct rm_tdb *tdb = container_of(mn, struct rm_tdb, mn);

	WRITE_ONCE(tdb->dead, true);
	unmap_mapping_range(tdb->file->f_mapping, 0, 0, 1);
}

static const struct mmu_notifier_ops rm_tdb_ops = {
	.release	= rm_tdb_release,
	.alloc_notifier	= rm_tdb_alloc_notifier,
	.free_notifier	= rm_tdb_free_notifier,
};

/*
 * Return the tdb of @mm with @refs references, taking mm's mmap_lock for
 * write once.  The caller holds an mm_users reference.
 */
struct rm_tdb *rm_tdb_get(struct mm_struct *mm, unsigned int refs)
{
	struct mmu_notifier *mn = rm_notifier_get(&rm_tdb_ops, mm, refs);

	if (IS_ERR(mn))
		return ERR_CAST(mn);
	return container_of(mn, struct rm_tdb, mn);
}

void rm_tdb_put(struct rm_tdb *tdb)
{
	mmu_notifier_put(&tdb->mn);
}

void rm_tdb_add_pending(struct rm_tdb *tdb, struct rm_pending *p,
			struct rm_pdb *pdb)
{
	p->pdb = pdb;
	p->mapper = current;
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

/*
 * ->mmap() of the pseudo file: only the vm_mmap() issued by mm_remote_map()
 * for a pending page_db may succeed; anything else reaching the file (e.g.
 * through /proc/PID/map_files) is refused.
 */
int rm_mirror_attach(struct rm_tdb *tdb, struct vm_area_struct *vma)
{
	struct rm_pdb *found = NULL;
	struct rm_pending *p;

	spin_lock(&tdb->lock);
	list_for_each_entry(p, &tdb->pending, node) {
		if (p->mapper == current &&
		    p->pdb->idb->mn.mm == vma->vm_mm &&
		    p->pdb->map_hva == vma->vm_start &&
		    vma->vm_end - vma->vm_start == PAGE_SIZE &&
		    vma->vm_pgoff == p->pdb->req_hva >> PAGE_SHIFT) {
			list_del_init(&p->node);
			found = p->pdb;
			break;
		}
	}
	spin_unlock(&tdb->lock);
	if (!found)
		return -EPERM;

	/* Nothing below may fail: mmap_region() calls no ->close() on error. */
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP |
			 VM_DONTCOPY;
	vma->vm_flags &= ~VM_MAYEXEC;
	if (found->readonly)
		vma->vm_flags &= ~VM_MAYWRITE;
	vma->vm_ops = &rm_mirror_vm_ops;
	vma->vm_private_data = found;
	kref_get(&found->ref);
	found->vmas = 1;
	rm_idb_set_live(found);
	return 0;
}

void rm_tdb_exit(void)
{
	/* Free works are queued from SRCU callbacks; wait for both. */
	mmu_notifier_synchronize();
	flush_workqueue(rm_wq);
	WARN_ON(rm_mnt_count);
}
