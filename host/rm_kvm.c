// SPDX-License-Identifier: GPL-2.0
/*
 * Hypercalls KVM_HC_MEM_MAP / KVM_HC_MEM_UNMAP: an introspector VM maps pages
 * of a target VM, served through the hypercall hook of the patched kvm.ko.
 */
#include <linux/kvm_host.h>
#include <linux/kvm_para.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <linux/kvmmem.h>

#include "mm_remote.h"
#include "rm_internal.h"
#include "rm_kvm.h"

#define RM_HC_MAP_FLAGS	(KVMMEM_MAP_READONLY | KVMMEM_MAP_POPULATE | \
			 KVMMEM_MAP_HUGE)

/*
 * What a hypercall's mapping is, with its flags (KVMMEM_MAP_*): a KVM
 * alias (MM_REMOTE_ZEROHOLE) that the guest may unmap.  On a stock kvm.ko
 * that takes references on the VM_PFNMAP pages it maps (before 6.13), tail
 * pages of THPs and huge pages are refused: KVM could not map them
 * (rm_kvm_hook_no_tail).
 */
static unsigned int rm_hc_map_flags(unsigned long hc_flags)
{
	unsigned int flags = MM_REMOTE_ZEROHOLE | MM_REMOTE_GUEST;

	if (hc_flags & KVMMEM_MAP_READONLY)
		flags |= MM_REMOTE_READONLY;
	if (hc_flags & KVMMEM_MAP_POPULATE)
		flags |= MM_REMOTE_POPULATE;
	if (hc_flags & KVMMEM_MAP_HUGE)
		flags |= MM_REMOTE_HUGE;
	if (rm_kvm_hook_no_tail)
		flags |= MM_REMOTE_NO_TAIL;
	return flags;
}

/*
 * The flags of a map hypercall: 0, or -EINVAL for unknown ones and for a
 * 2 MiB alias that is not read-only; -EOPNOTSUPP for a 2 MiB alias where
 * KVM cannot map tail pages (see rm_hc_map_flags()).
 */
static int rm_hc_flags_check(unsigned long flags)
{
	if (flags & ~(unsigned long)RM_HC_MAP_FLAGS)
		return -EINVAL;
	if (!(flags & KVMMEM_MAP_HUGE))
		return 0;
	if (!(flags & KVMMEM_MAP_READONLY))
		return -EINVAL;
	return rm_kvm_hook_no_tail ? -EOPNOTSUPP : 0;
}

/* Bytes a map hypercall with @flags maps per entry: a page, or 2 MiB. */
static unsigned long rm_hc_map_size(unsigned long flags)
{
	return flags & KVMMEM_MAP_HUGE ? PMD_SIZE : PAGE_SIZE;
}

/*
 * Guest memory is found and accessed here the way KVM's inline helpers do,
 * not through gfn_to_memslot(), kvm_vcpu_gfn_to_hva() or
 * kvm_vcpu_read/write_guest(): 7.x exports those to kvm-amd and kvm-intel
 * only, and calling them would rest on symbol_get() not checking symbol
 * namespaces.  Callers hold the memslots' kvm->srcu.
 */

/* The user memslot of @gfn in @slots (ROM only if @rom), or NULL. */
static struct kvm_memory_slot *rm_user_slot(struct kvm_memslots *slots,
					    gfn_t gfn, bool rom)
{
	struct kvm_memory_slot *slot = __gfn_to_memslot(slots, gfn);

	if (!slot || slot->id >= KVM_USER_MEM_SLOTS ||
	    (slot->flags & KVM_MEMSLOT_INVALID) ||
	    (!rom && (slot->flags & KVM_MEM_READONLY)))
		return NULL;
	return slot;
}

/* Whether [@gfn, @gfn + @npages) is all in @slot, whose first gfn it is in. */
static bool rm_slot_holds(const struct kvm_memory_slot *slot, gfn_t gfn,
			  unsigned long npages)
{
	return gfn + npages <= slot->base_gfn + slot->npages;
}

/*
 * The hva of @gpa in the calling VM's RAM, whose memslot holds @size bytes
 * from it, or KVM_HVA_ERR_BAD.
 */
static unsigned long rm_vcpu_hva(struct kvm_vcpu *vcpu, gpa_t gpa,
				 unsigned long size)
{
	struct kvm_memory_slot *slot;
	gfn_t gfn = gpa_to_gfn(gpa);

	slot = rm_user_slot(kvm_vcpu_memslots(vcpu), gfn, false);
	if (!slot || !rm_slot_holds(slot, gfn, size >> PAGE_SHIFT))
		return KVM_HVA_ERR_BAD;
	return __gfn_to_hva_memslot(slot, gfn) + offset_in_page(gpa);
}

/*
 * Copy [gpa, gpa + len) of the calling VM's RAM to @data, or @data to it,
 * through the VMM's mapping of it: the vCPU thread runs in the VM's mm
 * (rm_hc_call()).  A store into a dirty-logged memslot would miss the log
 * (marking it is KVM-internal too): -EBUSY, as for a writable alias of a
 * dirty-logged target page.
 */
static int rm_vcpu_copy(struct kvm_vcpu *vcpu, gpa_t gpa, void *data,
			unsigned long len, bool store)
{
	struct kvm_memslots *slots = kvm_vcpu_memslots(vcpu);
	struct kvm_memory_slot *slot;
	void __user *p;
	unsigned long n;

	while (len) {
		n = min_t(unsigned long, len, PAGE_SIZE - offset_in_page(gpa));
		/* Loads may come from ROM, as kvm_vcpu_read_guest()'s do. */
		slot = rm_user_slot(slots, gpa_to_gfn(gpa), !store);
		if (!slot)
			return -EFAULT;
		if (store && (slot->flags & KVM_MEM_LOG_DIRTY_PAGES))
			return -EBUSY;
		p = (void __user *)__gfn_to_hva_memslot(slot, gpa_to_gfn(gpa)) +
		    offset_in_page(gpa);
		if (store ? copy_to_user(p, data, n) : copy_from_user(data, p, n))
			return -EFAULT;
		gpa += n;
		data += n;
		len -= n;
	}
	return 0;
}

/* A last reference on a target VM, put by rm_kvm_put_work. */
struct rm_kvm_put {
	struct llist_node node;
	struct kvm *kvm;
};

static LLIST_HEAD(rm_kvm_puts);

static void rm_kvm_put_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&rm_kvm_puts);
	struct rm_kvm_put *p, *tmp;

	llist_for_each_entry_safe(p, tmp, list, node) {
		rm_kvm.put_kvm(p->kvm);
		kfree(p);
	}
}

/* Flushed by rm_kvm_exit() before kvm_put_kvm's symbol is put. */
static DECLARE_WORK(rm_kvm_put_work, rm_kvm_put_fn);

/*
 * Drop a hypercall's reference on its target VM.  Never the last one
 * there: kvm_destroy_vm() would vcpu_load() the dead VM's vCPUs while the
 * calling vCPU is loaded on this CPU (VMCS switched, kvm_running_vcpu
 * cleared under it).  A work item puts that one.
 */
static void rm_kvm_put_target(struct kvm *kvm)
{
	struct rm_kvm_put *p;

	if (refcount_dec_not_one(&kvm->users_count))
		return;
	/* A few bytes, once per VM: nothing to fall back on. */
	p = kmalloc(sizeof(*p), GFP_KERNEL | __GFP_NOFAIL);
	p->kvm = kvm;
	llist_add(&p->node, &rm_kvm_puts);
	queue_work(rm_wq, &rm_kvm_put_work);
}

/*
 * A target gpa in a user RAM memslot that holds @size bytes from it: its
 * hva in the target's mm, and the memslot noted in the watch of @tdb.
 * Called with kvm->srcu held across the map that uses it, so that a
 * deletion of the memslot waits for the map and then ends what it made
 * (rm_tvm_remove_region()): an alias never outlives the memslot it was
 * made in, whatever the VMM puts at that hva later.
 */
static int rm_target_hva(struct rm_tdb *tdb, struct kvm *kvm, gpa_t gpa,
			 unsigned long size, bool write, unsigned long *hva)
{
	struct kvm_memory_slot *slot;
	int err;

	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&kvm->srcu),
			 "remote_mapping: target memslots without kvm->srcu");
	slot = rm_user_slot(kvm_memslots(kvm), gpa_to_gfn(gpa), false);
	if (!slot || !rm_slot_holds(slot, gpa_to_gfn(gpa), size >> PAGE_SHIFT))
		return -EFAULT;
	/* Stores through the alias would miss the log: rm_tvm_dirty_logged(). */
	if (write && (slot->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return -EBUSY;
	err = rm_tvm_note_slot(tdb, kvm, slot);
	if (err)
		return err;
	*hva = __gfn_to_hva_memslot(slot, gpa_to_gfn(gpa));
	return 0;
}

/* The target VM that the token at @token_gpa grants, with a reference. */
static struct kvm *rm_hc_target(struct kvm_vcpu *vcpu, gpa_t token_gpa,
				bool write)
{
	struct kvmi_map_mem_token token;
	struct kvm *target;

	if (offset_in_page(token_gpa) + sizeof(token) > PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	if (rm_vcpu_copy(vcpu, token_gpa, &token, sizeof(token), false))
		return ERR_PTR(-EFAULT);
	target = rm_token_lookup(token.token, vcpu->kvm, write);
	memzero_explicit(&token, sizeof(token));
	return target;
}

/* Both gpas of one mapping of @size bytes, as hvas; 0 or -errno. */
static int rm_hc_translate(struct kvm_vcpu *vcpu, struct rm_tdb *tdb,
			   struct kvm *target, gpa_t req_gpa, gpa_t map_gpa,
			   unsigned long size, bool write,
			   unsigned long *req_hva, unsigned long *map_hva)
{
	int err;

	if (!IS_ALIGNED(req_gpa, size) || !IS_ALIGNED(map_gpa, size))
		return -EINVAL;
	err = rm_target_hva(tdb, target, req_gpa, size, write, req_hva);
	if (err)
		return err;
	/* KVM holds vcpu->kvm->srcu while it handles the exit. */
	*map_hva = rm_vcpu_hva(vcpu, map_gpa, size);
	if (kvm_is_error_hva(*map_hva))
		return -EFAULT;
	return 0;
}

static long rm_hc_map(struct kvm_vcpu *vcpu, gpa_t token_gpa, gpa_t req_gpa,
		      gpa_t map_gpa, unsigned long flags)
{
	bool readonly = flags & KVMMEM_MAP_READONLY;
	unsigned long req_hva, map_hva;
	struct rm_tdb *tdb;
	struct kvm *target;
	int idx;
	long err;

	err = rm_hc_flags_check(flags);
	if (err)
		return err;
	if (!IS_ALIGNED(req_gpa, rm_hc_map_size(flags)) ||
	    !IS_ALIGNED(map_gpa, rm_hc_map_size(flags)))
		return -EINVAL;
	target = rm_hc_target(vcpu, token_gpa, !readonly);
	if (IS_ERR(target))
		return PTR_ERR(target);
	/* Watching the memslots before their lock: it may sleep long. */
	tdb = rm_tdb_get_vm(target);
	if (IS_ERR(tdb)) {
		err = PTR_ERR(tdb);
		goto out_put;
	}
	idx = srcu_read_lock(&target->srcu);
	err = rm_hc_translate(vcpu, tdb, target, req_gpa, map_gpa,
			      rm_hc_map_size(flags), !readonly, &req_hva,
			      &map_hva);
	if (!err)
		err = mm_remote_map_flags(target->mm, req_hva, map_hva,
					  rm_hc_map_flags(flags));
	srcu_read_unlock(&target->srcu, idx);
	rm_tdb_put(tdb);
out_put:
	rm_kvm_put_target(target);
	return err;
}

struct rm_hc_batch {
	struct kvmmem_map_entry *entries;
	unsigned long *req_hvas;
	unsigned long *map_hvas;
	unsigned int *index;	/* entry of each translated page */
	int *errs;
};

static void rm_hc_batch_free(struct rm_hc_batch *b)
{
	kvfree(b->errs);
	kvfree(b->index);
	kvfree(b->map_hvas);
	kvfree(b->req_hvas);
	kvfree(b->entries);
}

static int rm_hc_batch_alloc(struct rm_hc_batch *b, unsigned long count)
{
	b->entries = kvmalloc_array(count, sizeof(*b->entries), GFP_KERNEL);
	b->req_hvas = kvmalloc_array(count, sizeof(*b->req_hvas), GFP_KERNEL);
	b->map_hvas = kvmalloc_array(count, sizeof(*b->map_hvas), GFP_KERNEL);
	b->index = kvmalloc_array(count, sizeof(*b->index), GFP_KERNEL);
	b->errs = kvmalloc_array(count, sizeof(*b->errs), GFP_KERNEL);
	if (b->entries && b->req_hvas && b->map_hvas && b->index && b->errs)
		return 0;
	rm_hc_batch_free(b);
	return -ENOMEM;
}

static long rm_hc_map_batch(struct kvm_vcpu *vcpu, gpa_t token_gpa,
			    gpa_t array_gpa, unsigned long count,
			    unsigned long flags)
{
	bool readonly = flags & KVMMEM_MAP_READONLY;
	struct rm_hc_batch b = { };
	unsigned long i, n = 0;
	struct rm_tdb *tdb;
	struct kvm *target;
	int idx;
	long ret;

	ret = rm_hc_flags_check(flags);
	if (ret)
		return ret;
	if (!count || count > KVMMEM_BATCH_MAX || !IS_ALIGNED(array_gpa, 8))
		return -EINVAL;
	target = rm_hc_target(vcpu, token_gpa, !readonly);
	if (IS_ERR(target))
		return PTR_ERR(target);
	ret = rm_hc_batch_alloc(&b, count);
	if (ret)
		goto out_put;
	/* Fail before mapping anything if the results cannot be returned. */
	ret = rm_vcpu_copy(vcpu, array_gpa, b.entries,
			   count * sizeof(*b.entries), false);
	if (!ret)
		ret = rm_vcpu_copy(vcpu, array_gpa, b.entries,
				   count * sizeof(*b.entries), true);
	if (ret)
		goto out_free;

	tdb = rm_tdb_get_vm(target);
	if (IS_ERR(tdb)) {
		ret = PTR_ERR(tdb);
		goto out_free;
	}
	idx = srcu_read_lock(&target->srcu);
	for (i = 0; i < count; i++) {
		b.entries[i].err = rm_hc_translate(vcpu, tdb, target,
						   b.entries[i].req_gpa,
						   b.entries[i].map_gpa,
						   rm_hc_map_size(flags),
						   !readonly, &b.req_hvas[n],
						   &b.map_hvas[n]);
		if (!b.entries[i].err)
			b.index[n++] = i;
	}
	ret = 0;
	if (n) {
		ret = mm_remote_map_batch(target->mm, b.req_hvas, b.map_hvas,
					  b.errs, n,
					  rm_hc_map_flags(flags));
		for (i = 0; i < n; i++)
			b.entries[b.index[i]].err = ret < 0 ? ret : b.errs[i];
	}
	srcu_read_unlock(&target->srcu, idx);
	rm_tdb_put(tdb);
	if (rm_vcpu_copy(vcpu, array_gpa, b.entries,
			 count * sizeof(*b.entries), true))
		ret = -EFAULT;
out_free:
	rm_hc_batch_free(&b);
out_put:
	rm_kvm_put_target(target);
	return ret;
}

/*
 * Only a mapping the guest made (MM_REMOTE_GUEST): one its VMM made is
 * -EPERM, checked under the same mmap_lock hold as the unmap of a window
 * page.
 */
static long rm_hc_unmap(struct kvm_vcpu *vcpu, gpa_t map_gpa)
{
	unsigned long map_hva;
	int ret, err;

	if (!PAGE_ALIGNED(map_gpa))
		return -EINVAL;
	map_hva = rm_vcpu_hva(vcpu, map_gpa, PAGE_SIZE);
	if (kvm_is_error_hva(map_hva))
		return -EFAULT;
	ret = mm_remote_unmap_batch(&map_hva, &err, 1, MM_REMOTE_GUEST);
	return ret < 0 ? ret : err;
}

/*
 * KVM_HC_MEM_UNMAP_BATCH: as @count KVM_HC_MEM_UNMAP calls, with the pool
 * pages among them zapped together (mm_remote_unmap_batch()).
 */
static long rm_hc_unmap_batch(struct kvm_vcpu *vcpu, gpa_t array_gpa,
			      unsigned long count)
{
	struct kvmmem_unmap_entry *entries;
	unsigned long *map_hvas, i;
	unsigned int *index;
	unsigned int n = 0;
	int *errs;
	long ret;

	if (!count || count > KVMMEM_BATCH_MAX || !IS_ALIGNED(array_gpa, 8))
		return -EINVAL;
	entries = kvmalloc_array(count, sizeof(*entries), GFP_KERNEL);
	map_hvas = kvmalloc_array(count, sizeof(*map_hvas), GFP_KERNEL);
	index = kvmalloc_array(count, sizeof(*index), GFP_KERNEL);
	errs = kvmalloc_array(count, sizeof(*errs), GFP_KERNEL);
	ret = -ENOMEM;
	if (!entries || !map_hvas || !index || !errs)
		goto out_free;
	/* Fail before unmapping anything if the results cannot be returned. */
	ret = rm_vcpu_copy(vcpu, array_gpa, entries,
			   count * sizeof(*entries), false);
	if (!ret)
		ret = rm_vcpu_copy(vcpu, array_gpa, entries,
				   count * sizeof(*entries), true);
	if (ret)
		goto out_free;

	for (i = 0; i < count; i++) {
		entries[i].err = -EINVAL;
		if (!PAGE_ALIGNED(entries[i].map_gpa))
			continue;
		map_hvas[n] = rm_vcpu_hva(vcpu, entries[i].map_gpa,
					  PAGE_SIZE);
		entries[i].err = -EFAULT;
		if (kvm_is_error_hva(map_hvas[n]))
			continue;
		index[n++] = i;
	}
	ret = 0;
	if (n) {
		ret = mm_remote_unmap_batch(map_hvas, errs, n, MM_REMOTE_GUEST);
		for (i = 0; i < n; i++)
			entries[index[i]].err = ret < 0 ? ret : errs[i];
	}
	if (rm_vcpu_copy(vcpu, array_gpa, entries, count * sizeof(*entries),
			 true))
		ret = -EFAULT;
out_free:
	kvfree(errs);
	kvfree(index);
	kvfree(map_hvas);
	kvfree(entries);
	return ret;
}

/*
 * [gpa, gpa + npages pages) of the calling VM, in one RAM memslot, as the
 * hva of its start; 0 or -errno.
 */
static int rm_hc_pool_range(struct kvm_vcpu *vcpu, gpa_t gpa,
			    unsigned long npages, unsigned long *hva)
{
	struct kvm_memory_slot *slot;
	gfn_t gfn = gpa_to_gfn(gpa);

	if (!PAGE_ALIGNED(gpa) || !npages || npages > KVMMEM_POOL_MAX)
		return -EINVAL;
	/* KVM holds vcpu->kvm->srcu while it handles the exit. */
	slot = rm_user_slot(kvm_vcpu_memslots(vcpu), gfn, false);
	if (!slot || !rm_slot_holds(slot, gfn, npages))
		return -EFAULT;
	*hva = __gfn_to_hva_memslot(slot, gfn);
	return 0;
}

/* Only a VM holding a token (an introspector) makes a pool. */
static long rm_hc_pool(struct kvm_vcpu *vcpu, gpa_t token_gpa, gpa_t gpa,
		       unsigned long npages, unsigned long flags)
{
	struct kvm *target;
	unsigned long hva;
	long err;

	if (flags)
		return -EINVAL;
	err = rm_hc_pool_range(vcpu, gpa, npages, &hva);
	if (err)
		return err;
	target = rm_hc_target(vcpu, token_gpa, false);
	if (IS_ERR(target))
		return PTR_ERR(target);
	rm_kvm_put_target(target);
	return rm_win_pool_create(hva, npages << PAGE_SHIFT);
}

static long rm_hc_unpool(struct kvm_vcpu *vcpu, gpa_t gpa,
			 unsigned long npages)
{
	unsigned long hva;
	long err;

	err = rm_hc_pool_range(vcpu, gpa, npages, &hva);
	if (err)
		return err;
	return rm_win_pool_destroy(hva, npages << PAGE_SHIFT);
}

static unsigned long rm_hc_serve(struct kvm_vcpu *vcpu, unsigned long nr,
				 unsigned long a0, unsigned long a1,
				 unsigned long a2, unsigned long a3)
{
	switch (nr) {
	case KVM_HC_MEM_MAP:
		return rm_hc_map(vcpu, a0, a1, a2, a3);
	case KVM_HC_MEM_UNMAP:
		return rm_hc_unmap(vcpu, a0);
	case KVM_HC_MEM_MAP_BATCH:
		return rm_hc_map_batch(vcpu, a0, a1, a2, a3);
	case KVM_HC_MEM_POOL:
		return rm_hc_pool(vcpu, a0, a1, a2, a3);
	case KVM_HC_MEM_UNPOOL:
		return rm_hc_unpool(vcpu, a0, a1);
	case KVM_HC_MEM_UNMAP_BATCH:
		return rm_hc_unmap_batch(vcpu, a0, a1);
	}
	return -KVM_ENOSYS;
}

static unsigned long rm_hc_call(struct kvm_vcpu *vcpu, unsigned long nr,
				unsigned long a0, unsigned long a1,
				unsigned long a2, unsigned long a3)
{
	unsigned long ret;

	/* The mappings are made in the VM's process, which is current. */
	if (current->mm != vcpu->kvm->mm)
		return -KVM_EPERM;

	/*
	 * A call makes files, notifiers and VMAs with our ops, which must not
	 * outlive the module: while rm_exit() runs, answer as once it is
	 * gone.  The put below is safe: rm_kvm_hook_disarm() waits for
	 * this call to return to kvm.ko.
	 */
	if (!try_module_get(THIS_MODULE))
		return -KVM_ENOSYS;
	ret = rm_hc_serve(vcpu, nr, a0, a1, a2, a3);
	module_put(THIS_MODULE);
	return ret;
}

static const unsigned long rm_hc_nrs[] = {
	KVM_HC_MEM_MAP, KVM_HC_MEM_UNMAP, KVM_HC_MEM_MAP_BATCH,
	KVM_HC_MEM_POOL, KVM_HC_MEM_UNPOOL, KVM_HC_MEM_UNMAP_BATCH,
};

/*
 * Serve the hypercalls through whichever hook works on this kvm.ko
 * (rm_kvm_hook.c); without kvm.ko, or without a hook, the module still
 * serves /dev/remote_mapping between processes.
 */
int rm_kvm_init(void)
{
	if (!rm_kvm_syms_get()) {
		pr_info("remote_mapping: no kvm.ko loaded: KVM hypercalls disabled, process-to-process use only\n");
		return 0;
	}
	if (rm_kvm_hook_arm(rm_hc_call, rm_hc_nrs, ARRAY_SIZE(rm_hc_nrs))) {
		pr_info("remote_mapping: KVM hypercalls disabled, process-to-process use only\n");
		rm_kvm_syms_put();
	}
	return 0;
}

void rm_kvm_exit(void)
{
	if (rm_kvm_hook_mode == RM_KVM_HOOK_NONE)
		return;
	/* Waits for hypercalls in flight. */
	rm_kvm_hook_disarm();
	rm_token_exit();
	flush_work(&rm_kvm_put_work);
	rm_kvm_syms_put();
}
