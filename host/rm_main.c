// SPDX-License-Identifier: GPL-2.0
/*
 * Remote_mapping.ko: module init/exit and debugfs counters.
 */
#include <linux/debugfs.h>
#include <linux/hashtable.h>
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
 * Our notifiers with references, by mm: found without the mm's mmap_lock.
 * Writers take rm_notifiers_lock (also from SRCU callbacks); readers use
 * RCU, and the objects are freed after a grace period.
 */
static DEFINE_HASHTABLE(rm_notifiers, 8);
static DEFINE_SPINLOCK(rm_notifiers_lock);

/*
 * The notifier of @ops on @mm, created on first use, with @refs of our
 * references on it.
 *
 * One notifier user reference stands for all of ours, so that a batch
 * takes its references with one atomic add rather than one lookup each
 * under the mm's notifier lock.  It is the reference of whoever takes ours
 * from zero, and is dropped by whoever takes them to zero.  A get racing
 * with that last put holds a user reference of its own meanwhile, so the
 * notifier stays registered and it keeps the user reference it took.
 *
 * So while ours are not zero, more can be taken without the notifier core
 * at all: the table finds the notifier of a mm without taking its
 * mmap_lock for write, which every map would otherwise do to the target
 * and the introspector (stalling their page faults).  Only a first map
 * takes it, to create the notifier or to take the first reference.
 */
struct rm_mn *rm_notifier_get(const struct mmu_notifier_ops *ops,
			      struct mm_struct *mm, unsigned int refs)
{
	struct mmu_notifier *mn;
	struct rm_mn *r;

	rcu_read_lock();
	hash_for_each_possible_rcu(rm_notifiers, r, node, (unsigned long)mm) {
		if (r->mn.mm == mm && r->mn.ops == ops &&
		    atomic_add_unless(&r->refs, refs, 0)) {
			rcu_read_unlock();
			return r;
		}
	}
	rcu_read_unlock();

	if (mmap_write_lock_killable(mm))
		return ERR_PTR(-EINTR);
	mn = mmu_notifier_get_locked(ops, mm);
	mmap_write_unlock(mm);
	if (IS_ERR(mn))
		return ERR_CAST(mn);
	r = container_of(mn, struct rm_mn, mn);
	rm_notifier_hold(r, refs);
	return r;
}

/* @n more references on @r, which the caller got one user reference of. */
void rm_notifier_hold(struct rm_mn *r, unsigned int n)
{
	if (atomic_add_return(n, &r->refs) != n) {
		mmu_notifier_put(&r->mn);
		return;
	}
	spin_lock_bh(&rm_notifiers_lock);
	if (hlist_unhashed(&r->node))
		hash_add_rcu(rm_notifiers, &r->node, (unsigned long)r->mn.mm);
	spin_unlock_bh(&rm_notifiers_lock);
}

void rm_notifier_put(struct rm_mn *r)
{
	if (atomic_dec_and_test(&r->refs))
		mmu_notifier_put(&r->mn);
}

/*
 * From ->free_notifier(), an SRCU callback (so the _bh lock): free @r only
 * after an RCU grace period.
 */
void rm_notifier_unhash(struct rm_mn *r)
{
	spin_lock_bh(&rm_notifiers_lock);
	if (!hlist_unhashed(&r->node))
		hash_del_rcu(&r->node);
	spin_unlock_bh(&rm_notifiers_lock);
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

	rm_zap_init();
	err = rm_pdb_cache_init();
	if (err)
		return err;
	rm_wq = alloc_workqueue("remote_mapping", WQ_UNBOUND, 0);
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
