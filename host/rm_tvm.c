// SPDX-License-Identifier: GPL-2.0
/*
 * Target VM watch: the memslots of a VM whose pages were aliased through
 * KVM hypercalls, so that an alias ends with the memslot it was made in.
 */
#include <linux/kthread.h>
#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "rm_internal.h"
#include "rm_kvm.h"

/*
 * One per (target mm, VM of it) that aliases were made of; owned by the
 * target's tdb and freed with it.  Holds a reference on the VM, so that
 * the page-track node stays registered on a live VM until then.
 */
struct rm_tvm {
	struct kvm_page_track_notifier_node node;
	struct list_head link;		/* in tdb->tvms */
	struct kvm *kvm;
	struct rm_tdb *tdb;
	/* What a memslot change does to tdb's aliases: rm_tdb_set_range(). */
	rm_set_range_t *set_range;
	/*
	 * struct rm_tvm_slot: each memslot that aliases were made in, as it
	 * was.  Added by maps and taken out by rm_tvm_end_gone(), both under
	 * tdb->lock.
	 */
	struct list_head slots;
	/* Takes write access from aliases of dirty-logged memslots. */
	struct delayed_work log_work;
	u64 log_gen;		/* memslots generation log_work last saw */
};

/*
 * A memslot as a map saw it.  Its aliases end when the VM no longer has a
 * valid memslot of that id at that gfn and hva: on 6.6+ KVM tells
 * page-track nodes of a deleted memslot only once it is gone, so the
 * range must be known beforehand.  (6.6+ refuses to move a memslot of a
 * VM with a page-track node; 6.1 tells of a move as of a deletion.)
 */
struct rm_tvm_slot {
	struct list_head link;		/* in tvm->slots */
	gfn_t base_gfn;
	unsigned long npages;
	unsigned long hva;
	short id;
};

/*
 * How often a VM's memslots are checked for dirty logging turned on: the
 * most that an alias made writable before can write unlogged after.
 */
#define RM_TVM_LOG_POLL	msecs_to_jiffies(20)

/*
 * Whether @hva is in a dirty-logged memslot of @kvm (KVM_MEM_LOG_DIRTY_PAGES
 * or a dirty ring: both record only the target's own stores).
 */
static bool rm_tvm_logged(struct kvm *kvm, unsigned long hva)
{
	struct kvm_memory_slot *slot;
	struct kvm_memslots *slots;
	bool logged = false;
	int idx, bkt;

	idx = srcu_read_lock(&kvm->srcu);
	slots = kvm_memslots(kvm);
	kvm_for_each_memslot(slot, bkt, slots) {
		if (hva >= slot->userspace_addr &&
		    hva - slot->userspace_addr < slot->npages << PAGE_SHIFT &&
		    (slot->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
			logged = true;
			break;
		}
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return logged;
}

/*
 * Whether the target page at @hva of @tdb's mm is in a dirty-logged
 * memslot of one of its VMs that aliases were made of.  Writes through an
 * alias bypass the VM's dirty log (KVM records its own stores only), so
 * live migration or a snapshot would lose them: such pages are mapped
 * read-only.
 */
bool rm_tvm_dirty_logged(struct rm_tdb *tdb, unsigned long hva)
{
	struct rm_tvm *tvm;
	bool logged = false;

	spin_lock(&tdb->lock);
	list_for_each_entry(tvm, &tdb->tvms, link) {
		if (rm_tvm_logged(tvm->kvm, hva)) {
			logged = true;
			break;
		}
	}
	spin_unlock(&tdb->lock);
	return logged;
}

/*
 * Drop the cached page of @tvm's aliases in [@start, @end) that cache
 * @cache: the next access resolves again.
 */
static void rm_tvm_drop_range(struct rm_tvm *tvm, unsigned long start,
			      unsigned long end, u8 cache)
{
	tvm->set_range(tvm->tdb, start, end, cache, RM_CACHE_NONE);
}

/*
 * KVM tells nobody when dirty logging is turned on or off (a flags-only
 * memslot change): look.  Take write access from the aliases of every
 * logged memslot, whose next write resolves again and is refused.  After
 * any memslot change, let those of the others resolve again too: an alias
 * made read-only while its memslot was logged would otherwise stay so
 * (6.1's KVM exits to the VMM on a store to a read-only PTE, never faults
 * it), and one whose store was refused then would fail once more (6.12
 * faults it: RM_CACHE_ERR).
 */
static void rm_tvm_log_work(struct work_struct *work)
{
	struct rm_tvm *tvm = container_of(to_delayed_work(work), struct rm_tvm,
					  log_work);
	struct kvm_memory_slot *slot;
	struct kvm_memslots *slots;
	unsigned long start, end;
	bool changed;
	int idx, bkt;

	/* SRCU readers may sleep: the walks take pdbs_sem and zap. */
	idx = srcu_read_lock(&tvm->kvm->srcu);
	slots = kvm_memslots(tvm->kvm);
	changed = slots->generation != tvm->log_gen;
	tvm->log_gen = slots->generation;
	kvm_for_each_memslot(slot, bkt, slots) {
		start = slot->userspace_addr;
		end = start + (slot->npages << PAGE_SHIFT);
		if (slot->flags & KVM_MEM_LOG_DIRTY_PAGES) {
			rm_tvm_drop_range(tvm, start, end, RM_CACHE_RW);
		} else if (changed) {
			rm_tvm_drop_range(tvm, start, end, RM_CACHE_RO);
			/* And the stores refused while it was logged. */
			rm_tvm_drop_range(tvm, start, end, RM_CACHE_ERR);
		}
	}
	srcu_read_unlock(&tvm->kvm->srcu, idx);
	queue_delayed_work(rm_wq, &tvm->log_work, RM_TVM_LOG_POLL);
}

/* Serialises the registration of a VM's node against another one's. */
static DEFINE_MUTEX(rm_tvm_mutex);

static bool rm_tvm_slot_same(const struct rm_tvm_slot *ts,
			     const struct kvm_memory_slot *slot)
{
	return slot && slot->base_gfn == ts->base_gfn &&
	       slot->npages == ts->npages && slot->userspace_addr == ts->hva &&
	       !(slot->flags & KVM_MEMSLOT_INVALID);
}

/*
 * Record that a map of @tdb's @kvm is about to alias a page of @slot.
 * Called under kvm->srcu, held until the alias is in tdb->pdbs: a deletion
 * waits for that before it calls rm_tvm_remove_region().
 */
int rm_tvm_note_slot(struct rm_tdb *tdb, struct kvm *kvm,
		     const struct kvm_memory_slot *slot)
{
	struct rm_tvm_slot *ts, *new = NULL;
	struct rm_tvm *tvm;
	int err = 0;

again:
	spin_lock(&tdb->lock);
	list_for_each_entry(tvm, &tdb->tvms, link)
		if (tvm->kvm == kvm)
			goto found;
	/* Detached: the target exited, and the map will fail on its mm. */
	err = -ESRCH;
	goto out_unlock;
found:
	list_for_each_entry(ts, &tvm->slots, link)
		if (ts->id == slot->id && rm_tvm_slot_same(ts, slot))
			goto out_unlock;
	if (!new) {
		spin_unlock(&tdb->lock);
		new = kmalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new)
			return -ENOMEM;
		goto again;
	}
	new->base_gfn = slot->base_gfn;
	new->npages = slot->npages;
	new->hva = slot->userspace_addr;
	new->id = slot->id;
	list_add(&new->link, &tvm->slots);
	new = NULL;
out_unlock:
	spin_unlock(&tdb->lock);
	kfree(new);
	return err;
}

/*
 * End the aliases made in memslots of @tvm's VM that are no longer where
 * they were: deleted, moved or being so (invalid).  @slots is the VM's
 * current memslots, stable under kvm->slots_lock.
 */
static void rm_tvm_end_gone(struct rm_tvm *tvm, struct kvm_memslots *slots)
{
	struct rm_tvm_slot *ts, *tmp;
	LIST_HEAD(gone);

	spin_lock(&tvm->tdb->lock);
	list_for_each_entry_safe(ts, tmp, &tvm->slots, link)
		if (!rm_tvm_slot_same(ts, id_to_memslot(slots, ts->id)))
			list_move(&ts->link, &gone);
	spin_unlock(&tvm->tdb->lock);

	list_for_each_entry_safe(ts, tmp, &gone, link) {
		/* What is there now is not the memory that was granted. */
		tvm->set_range(tvm->tdb, ts->hva,
			       ts->hva + (ts->npages << PAGE_SHIFT),
			       RM_CACHE_NONE, RM_CACHE_GONE);
		kfree(ts);
	}
}

/*
 * A memslot of the VM is being deleted (6.1: or moved) or, on 6.6+, was
 * deleted.  KVM calls this after it replaced the slot by an invalid copy
 * and waited for kvm->srcu readers, among them every map of a gpa in the
 * slot (rm_target_hva()): each of their aliases is in tdb->pdbs by now,
 * its slot in tvm->slots, and ends here.  Process context,
 * kvm->slots_lock held, which makes the memslots stable.
 */
static void rm_tvm_remove_region(gfn_t gfn, unsigned long nr_pages,
				 struct kvm_page_track_notifier_node *node)
{
	struct rm_tvm *tvm = container_of(node, struct rm_tvm, node);

	lockdep_assert_held(&tvm->kvm->slots_lock);
	rm_tvm_end_gone(tvm, kvm_memslots(tvm->kvm));
}

COMPAT_TRACK_REMOVE_REGION(rm_tvm_remove_region)

struct rm_tvm_reg {
	struct work_struct work;
	struct rm_tvm *tvm;
	int ret;
};

/*
 * KVM registers a page-track node only from the VM's own mm (6.6): a
 * worker, a kthread, borrows it.  The caller holds an mm_users reference.
 * 6.6+ walks the memslots there under slots_arch_lock alone, which
 * __kvm_memslots() does not accept (lockdep: suspicious RCU usage): hold
 * kvm->srcu, as KVM's own vCPU paths do when they take slots_arch_lock.
 */
static void rm_tvm_register_work(struct work_struct *work)
{
	struct rm_tvm_reg *reg = container_of(work, struct rm_tvm_reg, work);
	struct kvm *kvm = reg->tvm->kvm;
	int idx;

	kthread_use_mm(kvm->mm);
	idx = srcu_read_lock(&kvm->srcu);
	reg->ret = compat_track_register(rm_kvm.track_register, kvm,
					 &reg->tvm->node);
	srcu_read_unlock(&kvm->srcu, idx);
	kthread_unuse_mm(kvm->mm);
}

static int rm_tvm_register(struct rm_tvm *tvm)
{
	struct rm_tvm_reg reg = { .tvm = tvm };

	INIT_WORK_ONSTACK(&reg.work, rm_tvm_register_work);
	queue_work(rm_wq, &reg.work);
	flush_work(&reg.work);
	destroy_work_on_stack(&reg.work);
	return reg.ret;
}

static bool rm_tvm_find(struct rm_tdb *tdb, struct kvm *kvm)
{
	struct rm_tvm *tvm;
	bool found = false;

	spin_lock(&tdb->lock);
	list_for_each_entry(tvm, &tdb->tvms, link) {
		if (tvm->kvm == kvm) {
			found = true;
			break;
		}
	}
	spin_unlock(&tdb->lock);
	return found;
}

/*
 * Watch @kvm's memslots for @tdb, if not yet: their changes reach tdb's
 * aliases through @set_range.  The caller holds an mm_users reference on
 * kvm->mm, and a reference on @kvm.
 */
int rm_tvm_attach(struct rm_tdb *tdb, struct kvm *kvm,
		  rm_set_range_t *set_range)
{
	struct rm_tvm *tvm;
	int err = 0;

	if (rm_tvm_find(tdb, kvm))
		return 0;
	tvm = kzalloc(sizeof(*tvm), GFP_KERNEL_ACCOUNT);
	if (!tvm)
		return -ENOMEM;
	compat_track_set_remove_region(&tvm->node, rm_tvm_remove_region);
	INIT_LIST_HEAD(&tvm->slots);
	tvm->kvm = kvm;
	tvm->tdb = tdb;
	tvm->set_range = set_range;
	INIT_DELAYED_WORK(&tvm->log_work, rm_tvm_log_work);

	mutex_lock(&rm_tvm_mutex);
	if (rm_tvm_find(tdb, kvm)) {
		kfree(tvm);
		goto out_unlock;
	}
	err = rm_tvm_register(tvm);
	if (err) {
		kfree(tvm);
		goto out_unlock;
	}
	rm_kvm.get_kvm(kvm);
	spin_lock(&tdb->lock);
	list_add(&tvm->link, &tdb->tvms);
	spin_unlock(&tdb->lock);
	queue_delayed_work(rm_wq, &tvm->log_work, RM_TVM_LOG_POLL);
out_unlock:
	mutex_unlock(&rm_tvm_mutex);
	return err;
}

/*
 * Stop watching: the target exited (its aliases are dead, whatever its
 * memslots do now), or the tdb is being freed.  The unregistration waits
 * for a flush in flight.  Runs in a work item, never in a vCPU's
 * hypercall nor in the target's exit_mmap(): the VM reference may be the
 * last one, and kvm_destroy_vm() unregisters KVM's own mmu_notifier.
 */
void rm_tvm_detach_all(struct rm_tdb *tdb)
{
	struct rm_tvm_slot *ts, *ts_tmp;
	struct rm_tvm *tvm, *tmp;
	LIST_HEAD(tvms);

	mutex_lock(&rm_tvm_mutex);
	spin_lock(&tdb->lock);
	list_splice_init(&tdb->tvms, &tvms);
	spin_unlock(&tdb->lock);
	mutex_unlock(&rm_tvm_mutex);

	list_for_each_entry_safe(tvm, tmp, &tvms, link) {
		cancel_delayed_work_sync(&tvm->log_work);
		rm_kvm.track_unregister(tvm->kvm, &tvm->node);
		rm_kvm.put_kvm(tvm->kvm);
		list_for_each_entry_safe(ts, ts_tmp, &tvm->slots, link)
			kfree(ts);
		kfree(tvm);
	}
}
