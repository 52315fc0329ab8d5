// SPDX-License-Identifier: GPL-2.0
/*
 * The module's mmu_notifiers (struct rm_mn, in an idb or a tdb)
 * with its own count of references, and the table that finds them by mm.
 */
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/workqueue.h>

#include "rm_internal.h"

/*
 * Our notifiers with references, by mm: found without the mm's mmap_lock.
 * Writers take rm_mn_lock (also from SRCU callbacks, so _bh); readers use
 * RCU, and the objects are freed after a grace period.
 */
static DEFINE_HASHTABLE(rm_mn_table, 8);
static DEFINE_SPINLOCK(rm_mn_lock);

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
struct rm_mn *rm_mn_get(const struct mmu_notifier_ops *ops,
			struct mm_struct *mm, unsigned int refs)
{
	struct mmu_notifier *mn;
	struct rm_mn *r;

	rcu_read_lock();
	hash_for_each_possible_rcu(rm_mn_table, r, node, (unsigned long)mm) {
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
	rm_mn_hold(r, refs);
	return r;
}

/* @n more references on @r, which the caller got one user reference of. */
void rm_mn_hold(struct rm_mn *r, unsigned int n)
{
	if (atomic_add_return(n, &r->refs) != n) {
		mmu_notifier_put(&r->mn);
		return;
	}
	spin_lock_bh(&rm_mn_lock);
	if (hlist_unhashed(&r->node))
		hash_add_rcu(rm_mn_table, &r->node, (unsigned long)r->mn.mm);
	spin_unlock_bh(&rm_mn_lock);
}

void rm_mn_put(struct rm_mn *r)
{
	if (atomic_dec_and_test(&r->refs))
		mmu_notifier_put(&r->mn);
}

/*
 * From ->free_notifier(), an SRCU callback (so the _bh lock): free @r only
 * after an RCU grace period.
 */
void rm_mn_unhash(struct rm_mn *r)
{
	spin_lock_bh(&rm_mn_lock);
	if (!hlist_unhashed(&r->node))
		hash_del_rcu(&r->node);
	spin_unlock_bh(&rm_mn_lock);
}

/*
 * Module exit, after every user of the table is gone: wait for the
 * ->free_notifier() callbacks of our notifiers (SRCU), then for the frees
 * they queued on rm_wq, which drop what the objects held (files of rm_fs.c
 * among them).
 */
void rm_mn_exit(void)
{
	mmu_notifier_synchronize();
	flush_workqueue(rm_wq);
}
