/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KVM side of remote_mapping.ko: hypercall service and
 * tokens, active only when the patched kvm.ko is loaded.
 */
#ifndef _RM_KVM_H
#define _RM_KVM_H

#include <linux/types.h>

#include "../compat/compat_kvm.h"

struct file;
struct remote_mapping_token_grant;

/* kvm.ko's functions, resolved with symbol_get() so we load without it. */
struct rm_kvm_syms {
	void (*get_kvm)(struct kvm *kvm);
	void (*put_kvm)(struct kvm *kvm);
	compat_track_register_t *track_register;
	void (*track_unregister)(struct kvm *kvm,
				 struct kvm_page_track_notifier_node *n);
};

extern struct rm_kvm_syms rm_kvm;

/* rm_kvm_sym.c */
bool rm_kvm_syms_get(void);
void rm_kvm_syms_put(void);
bool rm_file_is_kvm_vm(struct file *file);
struct file *rm_kvm_fget(int fd);

/* rm_kvm_hook.c */
enum rm_kvm_hook {
	RM_KVM_HOOK_NONE,	/* no KVM, or no way in: hypercalls disabled */
	RM_KVM_HOOK_PATCH,	/* kvm_register_hypercall() of kvm/<line>/0001 */
	RM_KVM_HOOK_FTRACE,	/* redirect of the stock kvm_emulate_hypercall() */
};

extern enum rm_kvm_hook rm_kvm_hook_mode;
/* The hook's kvm.ko cannot map tail pages of huge pages (MM_REMOTE_NO_TAIL). */
extern bool rm_kvm_hook_no_tail;

struct dentry;
struct kvm_vcpu;
/* Serves hypercall @nr of @vcpu; its answer goes to the guest's RAX. */
typedef unsigned long rm_hc_fn(struct kvm_vcpu *vcpu, unsigned long nr,
			       unsigned long a0, unsigned long a1,
			       unsigned long a2, unsigned long a3);
int rm_kvm_hook_arm(rm_hc_fn *serve, const unsigned long *nrs,
		    unsigned int n);
void rm_kvm_hook_disarm(void);
void rm_kvm_hook_debugfs(struct dentry *dir);

/* rm_kvm.c */
int rm_kvm_init(void);
void rm_kvm_exit(void);

/* rm_vmslots.c */
struct remote_mapping_vm_slots;
long rm_vm_slots(struct remote_mapping_vm_slots __user *uarg);

/* rm_token.c */
long rm_token_grant(struct remote_mapping_token_grant __user *uarg);
long rm_token_revoke(void __user *uarg);
struct kvm *rm_token_lookup(const u64 token[4], struct kvm *intro,
			    bool write);
void rm_token_exit(void);

#endif /* _RM_KVM_H */
