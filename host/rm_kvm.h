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
/* Whether hypercalls are served: set by rm_kvm.c. */
extern bool rm_kvm_hooked;

/* rm_kvm_sym.c */
bool rm_kvm_syms_get(void);
void rm_kvm_syms_put(void);
bool rm_file_is_kvm_vm(struct file *file);

/* rm_kvm.c */
int rm_kvm_init(void);
void rm_kvm_exit(void);

/* rm_token.c */
long rm_token_grant(struct remote_mapping_token_grant __user *uarg);
long rm_token_revoke(void __user *uarg);
struct kvm *rm_token_lookup(const u64 token[4], struct kvm *intro,
			    bool write);
void rm_token_exit(void);

#endif /* _RM_KVM_H */
