// SPDX-License-Identifier: GPL-2.0
/*
 * REMOTE_MAPPING_VM_SLOTS: a KVM VM's RAM layout, for processes that map
 * its pages by guest-physical address through its VMM's addresses.
 */
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include <linux/remote_mapping.h>

#include "rm_kvm.h"

static int rm_vm_slot_cmp(const void *a, const void *b)
{
	const struct remote_mapping_vm_slot *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/* A user memslot that userspace sees; KVM's own (APIC page, TSS) are not. */
static bool rm_vm_slot_listed(const struct kvm_memory_slot *slot)
{
	return slot->id < KVM_USER_MEM_SLOTS &&
	       !(slot->flags & KVM_MEMSLOT_INVALID);
}

/*
 * Fill @out (room for @room) from @kvm's memslots; returns how many the VM
 * has.  One srcu section, so that both counts see one generation.
 */
static u32 rm_vm_slots_read(struct kvm *kvm, struct remote_mapping_vm_slot *out,
			    u32 room)
{
	struct kvm_memory_slot *slot;
	struct kvm_memslots *slots;
	int idx, bkt;
	u32 n = 0;

	idx = srcu_read_lock(&kvm->srcu);
	slots = kvm_memslots(kvm);
	kvm_for_each_memslot(slot, bkt, slots) {
		if (!rm_vm_slot_listed(slot))
			continue;
		if (n < room) {
			out[n] = (struct remote_mapping_vm_slot) {
				.gpa = gfn_to_gpa(slot->base_gfn),
				.size = slot->npages << PAGE_SHIFT,
				.hva = slot->userspace_addr,
			};
			if (slot->flags & KVM_MEM_READONLY)
				out[n].flags |= REMOTE_MAPPING_SLOT_READONLY;
			if (slot->flags & KVM_MEM_LOG_DIRTY_PAGES)
				out[n].flags |= REMOTE_MAPPING_SLOT_LOGGED;
		}
		n++;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return n;
}

long rm_vm_slots(struct remote_mapping_vm_slots __user *uarg)
{
	struct remote_mapping_vm_slot *out = NULL;
	struct remote_mapping_vm_slots arg;
	struct file *vm_file;
	u32 room, n;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved[0] || arg.reserved[1])
		return -EINVAL;
	vm_file = rm_kvm_fget(arg.vm_fd);
	if (!vm_file)
		return -EBADF;

	room = min_t(u32, arg.count, KVM_USER_MEM_SLOTS);
	if (room) {
		ret = -ENOMEM;
		out = kvcalloc(room, sizeof(*out), GFP_KERNEL_ACCOUNT);
		if (!out)
			goto out_fput;
	}
	n = rm_vm_slots_read(vm_file->private_data, out, room);
	ret = -EFAULT;
	if (n > arg.count) {
		if (!put_user(n, &uarg->count))
			ret = -E2BIG;
		goto out_free;
	}
	sort(out, n, sizeof(*out), rm_vm_slot_cmp, NULL);
	if (put_user(n, &uarg->count) ||
	    copy_to_user(u64_to_user_ptr(arg.slots), out, n * sizeof(*out)))
		goto out_free;
	ret = n;
out_free:
	kvfree(out);
out_fput:
	fput(vm_file);
	return ret;
}
