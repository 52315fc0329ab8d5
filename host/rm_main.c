// SPDX-License-Identifier: GPL-2.0
/*
 * Remote_mapping.ko: module init/exit and debugfs counters.
 */
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/workqueue.h>

#include "rm_internal.h"
#include "rm_kvm.h"

atomic_t rm_map_count;
atomic_t rm_pdb_count;
atomic_t rm_tdb_count;
atomic_t rm_idb_count;

struct workqueue_struct *rm_wq;

/*
 * The notifier of @ops on @mm, created on first use, with @refs of our
 * references on it (@refs_of gives their counter), taken under one hold of
 * mm's mmap_lock for write.
 *
 * One notifier user reference stands for all of ours, so that a batch
 * takes its references with one atomic add rather than one lookup each
 * under the mm's notifier lock.  It is the reference of whoever takes ours
 * from zero, and is dropped by whoever takes them to zero.  A get racing
 * with that last put holds a user reference of its own meanwhile, so the
 * notifier stays registered and it keeps the user reference it took.
 */
struct mmu_notifier *rm_notifier_get(const struct mmu_notifier_ops *ops,
				     struct mm_struct *mm, unsigned int refs,
				     atomic_t *(*refs_of)(struct mmu_notifier *))
{
	struct mmu_notifier *mn;

	if (mmap_write_lock_killable(mm))
		return ERR_PTR(-EINTR);
	mn = mmu_notifier_get_locked(ops, mm);
	mmap_write_unlock(mm);
	if (!IS_ERR(mn))
		rm_notifier_hold(mn, refs_of(mn), refs);
	return mn;
}

/* @n more references on @mn, which the caller got one user reference of. */
void rm_notifier_hold(struct mmu_notifier *mn, atomic_t *refs, unsigned int n)
{
	if (atomic_add_return(n, refs) != n)
		mmu_notifier_put(mn);
}

void rm_notifier_put(struct mmu_notifier *mn, atomic_t *refs)
{
	if (atomic_dec_and_test(refs))
		mmu_notifier_put(mn);
}

static struct dentry *rm_debugfs;

static void rm_debugfs_init(void)
{
	rm_debugfs = debugfs_create_dir("remote_mapping", NULL);
	debugfs_create_atomic_t("map_count", 0400, rm_debugfs, &rm_map_count);
	debugfs_create_atomic_t("pdb_count", 0400, rm_debugfs, &rm_pdb_count);
	debugfs_create_atomic_t("tdb_count", 0400, rm_debugfs, &rm_tdb_count);
	debugfs_create_atomic_t("idb_count", 0400, rm_debugfs, &rm_idb_count);
	debugfs_create_bool("kvm_hook", 0400, rm_debugfs, &rm_kvm_hooked);
}

static int __init rm_init(void)
{
	int err;

	err = rm_pdb_cache_init();
	if (err)
		return err;
	rm_wq = alloc_workqueue("remote_mapping", 0, 0);
	if (!rm_wq) {
		err = -ENOMEM;
		goto err_destroy_cache;
	}
	err = rm_kvm_init();
	if (err)
		goto err_destroy_wq;
	rm_debugfs_init();
	err = rm_dev_init();
	if (err)
		goto err_remove_debugfs;
	return 0;

err_remove_debugfs:
	debugfs_remove(rm_debugfs);
	rm_kvm_exit();
err_destroy_wq:
	destroy_workqueue(rm_wq);
err_destroy_cache:
	rm_pdb_cache_exit();
	return err;
}

static void __exit rm_exit(void)
{
	rm_dev_exit();
	debugfs_remove(rm_debugfs);
	rm_kvm_exit();
	rm_tdb_exit();
	rm_fs_exit();
	destroy_workqueue(rm_wq);
	rm_pdb_cache_exit();
}

module_init(rm_init);
module_exit(rm_exit);
MODULE_DESCRIPTION("Map pages of another process's memory, kept coherent without pinning");
MODULE_LICENSE("GPL");
