// SPDX-License-Identifier: GPL-2.0
/*
 * Hypercalls KVM_HC_MEM_MAP / KVM_HC_MEM_UNMAP: an introspector VM maps pages
 * of a target VM, served through the hypercall hook of the patched kvm.ko.
 */
#include <linux/kvm_host.h>
#include <linux/kvm_para.h>
#include <linux/module.h>

#include <linux/kvmmem.h>

#include "mm_remote.h"
#include "rm_internal.h"
#include "rm_kvm.h"
#include "rm_kvm_hook.h"

struct rm_kvm_syms rm_kvm;
bool rm_kvm_hooked;

/* Resolved together: all or nothing. */
static struct {
	int (*register_hc)(unsigned long nr,
			   const struct kvm_hypercall_ops *ops);
	void (*unregister_hc)(unsigned long nr,
			      const struct kvm_hypercall_ops *ops);
	struct kvm_memory_slot *(*gfn_to_memslot)(struct kvm *kvm, gfn_t gfn);
	unsigned long (*vcpu_gfn_to_hva)(struct kvm_vcpu *vcpu, gfn_t gfn);
	int (*vcpu_read_guest)(struct kvm_vcpu *vcpu, gpa_t gpa, void *data,
			       unsigned long len);
} rm_kvm_fn;

/* A target gpa in a user RAM memslot: its hva in the target's mm. */
static unsigned long rm_target_hva(struct kvm *kvm, gpa_t gpa)
{
	struct kvm_memory_slot *slot;
	unsigned long hva = KVM_HVA_ERR_BAD;
	int idx;

	idx = srcu_read_lock(&kvm->srcu);
	slot = rm_kvm_fn.gfn_to_memslot(kvm, gpa_to_gfn(gpa));
	if (slot && slot->id < KVM_USER_MEM_SLOTS &&
	    !(slot->flags & (KVM_MEM_READONLY | KVM_MEMSLOT_INVALID)))
		hva = __gfn_to_hva_memslot(slot, gpa_to_gfn(gpa));
	srcu_read_unlock(&kvm->srcu, idx);
	return hva;
}

static long rm_hc_map(struct kvm_vcpu *vcpu, gpa_t token_gpa, gpa_t req_gpa,
		      gpa_t map_gpa, unsigned long flags)
{
	struct kvmi_map_mem_token token;
	unsigned long req_hva, map_hva;
	bool readonly = flags & KVMMEM_MAP_READONLY;
	struct kvm *target;
	long err;

	if (flags & ~KVMMEM_MAP_READONLY)
		return -EINVAL;
	if (!PAGE_ALIGNED(req_gpa) || !PAGE_ALIGNED(map_gpa) ||
	    offset_in_page(token_gpa) + sizeof(token) > PAGE_SIZE)
		return -EINVAL;
	if (rm_kvm_fn.vcpu_read_guest(vcpu, token_gpa, &token, sizeof(token)))
		return -EFAULT;

	target = rm_token_lookup(token.token, vcpu->kvm, !readonly);
	memzero_explicit(&token, sizeof(token));
	if (IS_ERR(target))
		return PTR_ERR(target);

	err = -EFAULT;
	req_hva = rm_target_hva(target, req_gpa);
	if (kvm_is_error_hva(req_hva))
		goto out_put;
	/* KVM holds vcpu->kvm->srcu while it handles the exit. */
	map_hva = rm_kvm_fn.vcpu_gfn_to_hva(vcpu, gpa_to_gfn(map_gpa));
	if (kvm_is_error_hva(map_hva))
		goto out_put;

	err = mm_remote_map_flags(target->mm, req_hva, map_hva,
				  readonly ? MM_REMOTE_READONLY : 0);
out_put:
	rm_kvm.put_kvm(target);
	return err;
}

static long rm_hc_unmap(struct kvm_vcpu *vcpu, gpa_t map_gpa)
{
	unsigned long map_hva;

	if (!PAGE_ALIGNED(map_gpa))
		return -EINVAL;
	map_hva = rm_kvm_fn.vcpu_gfn_to_hva(vcpu, gpa_to_gfn(map_gpa));
	if (kvm_is_error_hva(map_hva))
		return -EFAULT;
	return mm_remote_unmap(map_hva);
}

static unsigned long rm_hc_call(struct kvm_vcpu *vcpu, unsigned long nr,
				unsigned long a0, unsigned long a1,
				unsigned long a2, unsigned long a3)
{
	/* The mappings are made in the VM's process, which is current. */
	if (current->mm != vcpu->kvm->mm)
		return -KVM_EPERM;

	switch (nr) {
	case KVM_HC_MEM_MAP:
		return rm_hc_map(vcpu, a0, a1, a2, a3);
	case KVM_HC_MEM_UNMAP:
		return rm_hc_unmap(vcpu, a0);
	}
	return -KVM_ENOSYS;
}

static const struct kvm_hypercall_ops rm_hc_ops = {
	.call = rm_hc_call,
};

static void rm_kvm_put_syms(void)
{
	if (rm_kvm_fn.register_hc)
		symbol_put(kvm_register_hypercall);
	if (rm_kvm_fn.unregister_hc)
		symbol_put(kvm_unregister_hypercall);
	if (rm_kvm_fn.gfn_to_memslot)
		symbol_put(gfn_to_memslot);
	if (rm_kvm_fn.vcpu_gfn_to_hva)
		symbol_put(kvm_vcpu_gfn_to_hva);
	if (rm_kvm_fn.vcpu_read_guest)
		symbol_put(kvm_vcpu_read_guest);
	if (rm_kvm.file_is_kvm)
		symbol_put(file_is_kvm);
	if (rm_kvm.get_kvm)
		symbol_put(kvm_get_kvm);
	if (rm_kvm.put_kvm)
		symbol_put(kvm_put_kvm);
	memset(&rm_kvm_fn, 0, sizeof(rm_kvm_fn));
	memset(&rm_kvm, 0, sizeof(rm_kvm));
}

/*
 * The KVM path needs the patched kvm.ko loaded before us; without it the
 * module still serves /dev/remote_mapping between processes.
 */
int rm_kvm_init(void)
{
	int err;

	rm_kvm_fn.register_hc = symbol_get(kvm_register_hypercall);
	rm_kvm_fn.unregister_hc = symbol_get(kvm_unregister_hypercall);
	rm_kvm_fn.gfn_to_memslot = symbol_get(gfn_to_memslot);
	rm_kvm_fn.vcpu_gfn_to_hva = symbol_get(kvm_vcpu_gfn_to_hva);
	rm_kvm_fn.vcpu_read_guest = symbol_get(kvm_vcpu_read_guest);
	rm_kvm.file_is_kvm = symbol_get(file_is_kvm);
	rm_kvm.get_kvm = symbol_get(kvm_get_kvm);
	rm_kvm.put_kvm = symbol_get(kvm_put_kvm);
	if (!rm_kvm_fn.register_hc || !rm_kvm_fn.unregister_hc ||
	    !rm_kvm_fn.gfn_to_memslot || !rm_kvm_fn.vcpu_gfn_to_hva ||
	    !rm_kvm_fn.vcpu_read_guest || !rm_kvm.file_is_kvm ||
	    !rm_kvm.get_kvm || !rm_kvm.put_kvm) {
		pr_info("remote_mapping: no patched kvm.ko loaded: KVM hypercalls disabled, process-to-process use only\n");
		rm_kvm_put_syms();
		return 0;
	}

	err = rm_kvm_fn.register_hc(KVM_HC_MEM_MAP, &rm_hc_ops);
	if (err)
		goto err_put_syms;
	err = rm_kvm_fn.register_hc(KVM_HC_MEM_UNMAP, &rm_hc_ops);
	if (err)
		goto err_unregister_map;
	rm_kvm_hooked = true;
	pr_info("remote_mapping: serving KVM hypercalls %d and %d\n",
		KVM_HC_MEM_MAP, KVM_HC_MEM_UNMAP);
	return 0;

err_unregister_map:
	rm_kvm_fn.unregister_hc(KVM_HC_MEM_MAP, &rm_hc_ops);
err_put_syms:
	pr_warn("remote_mapping: cannot register KVM hypercalls: %d\n", err);
	rm_kvm_put_syms();
	return 0;
}

void rm_kvm_exit(void)
{
	if (!rm_kvm_hooked)
		return;
	/* Waits for hypercalls in flight. */
	rm_kvm_fn.unregister_hc(KVM_HC_MEM_UNMAP, &rm_hc_ops);
	rm_kvm_fn.unregister_hc(KVM_HC_MEM_MAP, &rm_hc_ops);
	rm_kvm_hooked = false;
	rm_token_exit();
	rm_kvm_put_syms();
}
