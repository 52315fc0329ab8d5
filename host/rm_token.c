// SPDX-License-Identifier: GPL-2.0
/*
 * Tokens that authorise KVM_HC_MEM_MAP of a target VM's pages.
 */
#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/kvm_host.h>
#include <linux/mmu_notifier.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/remote_mapping.h>

#include "rm_internal.h"
#include "rm_kvm.h"

/* All targets together; each target has REMOTE_MAPPING_MAX_TOKENS. */
#define RM_MAX_TOKENS	4096

/* Revokes the tokens of the VMs of an mm when that process exits. */
struct rm_vmwatch {
	struct mmu_notifier mn;
};

struct rm_token {
	struct list_head node;		/* in rm_tokens */
	u64 token[4];
	struct kvm *kvm;		/* target, alive while vm_file is held */
	struct file *vm_file;
	struct kvm *intro;		/* bound introspector VM or NULL */
	struct file *intro_file;
	struct rm_vmwatch *watch[2];	/* on kvm->mm and intro->mm */
	unsigned long expires;		/* jiffies, 0 for never */
	bool readonly;
	bool revoked;
};

/*
 * rm_token_lock protects rm_tokens, rm_token_count and every token's
 * revoked flag; the hypercall path takes it, so it is a spinlock.  Tokens
 * are freed (fput, notifier put) by rm_token_gc_work, outside of it.
 */
static DEFINE_SPINLOCK(rm_token_lock);
static LIST_HEAD(rm_tokens);
static unsigned int rm_token_count;

static void rm_token_gc(struct work_struct *work);
static DECLARE_WORK(rm_token_gc_work, rm_token_gc);

static bool rm_token_expired(const struct rm_token *t)
{
	return t->expires && time_after(jiffies, t->expires);
}

/* Constant time in the token's contents. */
static bool rm_token_equal(const u64 *a, const u64 *b)
{
	u64 diff = 0;
	int i;

	for (i = 0; i < 4; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

static void rm_vmwatch_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct rm_token *t;

	spin_lock(&rm_token_lock);
	list_for_each_entry(t, &rm_tokens, node)
		if (t->kvm->mm == mm || (t->intro && t->intro->mm == mm))
			t->revoked = true;
	spin_unlock(&rm_token_lock);
	queue_work(rm_wq, &rm_token_gc_work);
}

static struct mmu_notifier *rm_vmwatch_alloc(struct mm_struct *mm)
{
	struct rm_vmwatch *w = kzalloc(sizeof(*w), GFP_KERNEL);

	return w ? &w->mn : ERR_PTR(-ENOMEM);
}

static void rm_vmwatch_free(struct mmu_notifier *mn)
{
	kfree(container_of(mn, struct rm_vmwatch, mn));
}

static const struct mmu_notifier_ops rm_vmwatch_ops = {
	.release	= rm_vmwatch_release,
	.alloc_notifier	= rm_vmwatch_alloc,
	.free_notifier	= rm_vmwatch_free,
};

static struct rm_vmwatch *rm_vmwatch_get(struct kvm *kvm)
{
	struct mmu_notifier *mn;

	if (!mmget_not_zero(kvm->mm))
		return ERR_PTR(-ESRCH);
	mn = mmu_notifier_get(&rm_vmwatch_ops, kvm->mm);
	mmput(kvm->mm);
	if (IS_ERR(mn))
		return ERR_CAST(mn);
	return container_of(mn, struct rm_vmwatch, mn);
}

static void rm_token_free(struct rm_token *t)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(t->watch); i++)
		if (!IS_ERR_OR_NULL(t->watch[i]))
			mmu_notifier_put(&t->watch[i]->mn);
	if (t->intro_file)
		fput(t->intro_file);
	if (t->vm_file)
		fput(t->vm_file);
	kfree_sensitive(t);
}

static void rm_token_gc(struct work_struct *work)
{
	struct rm_token *t, *tmp;
	LIST_HEAD(dead);

	spin_lock(&rm_token_lock);
	list_for_each_entry_safe(t, tmp, &rm_tokens, node) {
		if (t->revoked || rm_token_expired(t)) {
			list_move(&t->node, &dead);
			rm_token_count--;
		}
	}
	spin_unlock(&rm_token_lock);

	list_for_each_entry_safe(t, tmp, &dead, node)
		rm_token_free(t);
}

static int rm_token_add(struct rm_token *t)
{
	unsigned int per_target = 0;
	struct rm_token *o;
	int err = 0;

	spin_lock(&rm_token_lock);
	list_for_each_entry(o, &rm_tokens, node)
		if (o->kvm == t->kvm && !o->revoked && !rm_token_expired(o))
			per_target++;
	if (per_target >= REMOTE_MAPPING_MAX_TOKENS ||
	    rm_token_count >= RM_MAX_TOKENS) {
		err = -ENOSPC;
	} else {
		list_add(&t->node, &rm_tokens);
		rm_token_count++;
	}
	spin_unlock(&rm_token_lock);
	return err;
}

long rm_token_grant(struct remote_mapping_token_grant __user *uarg)
{
	struct remote_mapping_token_grant arg;
	struct rm_token *t;
	long err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~REMOTE_MAPPING_TOKEN_FLAGS ||
	    arg.reserved[0] || arg.reserved[1])
		return -EINVAL;
	if (!(arg.flags & REMOTE_MAPPING_TOKEN_BIND) && arg.intro_vm_fd != -1)
		return -EINVAL;
	if (rm_kvm_hook_mode == RM_KVM_HOOK_NONE)
		return -ENODEV;

	/* Expired tokens count against the bound until collected. */
	rm_token_gc(NULL);

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	err = -EBADF;
	t->vm_file = rm_kvm_fget(arg.vm_fd);
	if (!t->vm_file)
		goto err_free;
	t->kvm = t->vm_file->private_data;
	if (arg.flags & REMOTE_MAPPING_TOKEN_BIND) {
		t->intro_file = rm_kvm_fget(arg.intro_vm_fd);
		if (!t->intro_file)
			goto err_free;
		t->intro = t->intro_file->private_data;
	}
	t->watch[0] = rm_vmwatch_get(t->kvm);
	if (IS_ERR(t->watch[0])) {
		err = PTR_ERR(t->watch[0]);
		goto err_free;
	}
	if (t->intro) {
		t->watch[1] = rm_vmwatch_get(t->intro);
		if (IS_ERR(t->watch[1])) {
			err = PTR_ERR(t->watch[1]);
			goto err_free;
		}
	}
	t->readonly = arg.flags & REMOTE_MAPPING_TOKEN_READONLY;
	if (arg.ttl_ms)
		t->expires = jiffies + max(msecs_to_jiffies(arg.ttl_ms), 1UL);
	get_random_bytes(t->token, sizeof(t->token));
	memcpy(arg.token.token, t->token, sizeof(t->token));

	err = rm_token_add(t);
	if (err)
		goto err_free;
	if (copy_to_user(&uarg->token, &arg.token, sizeof(arg.token))) {
		spin_lock(&rm_token_lock);
		t->revoked = true;
		spin_unlock(&rm_token_lock);
		memzero_explicit(&arg, sizeof(arg));
		queue_work(rm_wq, &rm_token_gc_work);
		return -EFAULT;
	}
	memzero_explicit(&arg, sizeof(arg));
	return 0;

err_free:
	rm_token_free(t);
	return err;
}

long rm_token_revoke(void __user *uarg)
{
	struct remote_mapping_token_revoke arg;
	struct rm_token *t;
	long err = -ENOENT;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved[0] || arg.reserved[1])
		return -EINVAL;

	spin_lock(&rm_token_lock);
	list_for_each_entry(t, &rm_tokens, node) {
		if (!t->revoked && rm_token_equal(t->token, arg.token.token)) {
			t->revoked = true;
			err = 0;
			break;
		}
	}
	spin_unlock(&rm_token_lock);
	memzero_explicit(&arg, sizeof(arg));
	if (!err)
		queue_work(rm_wq, &rm_token_gc_work);
	return err;
}

/*
 * Return the target VM of @token with a reference, if @intro may use it for
 * a map (@write: read-write); else ERR_PTR(-EPERM) or ERR_PTR(-EACCES).
 */
struct kvm *rm_token_lookup(const u64 token[4], struct kvm *intro, bool write)
{
	struct kvm *kvm = ERR_PTR(-EPERM);
	struct rm_token *t;

	spin_lock(&rm_token_lock);
	list_for_each_entry(t, &rm_tokens, node) {
		if (!rm_token_equal(t->token, token))
			continue;
		if (t->revoked || rm_token_expired(t) ||
		    (t->intro && t->intro != intro))
			break;
		if (write && t->readonly) {
			kvm = ERR_PTR(-EACCES);
			break;
		}
		kvm = t->kvm;
		rm_kvm.get_kvm(kvm);
		break;
	}
	spin_unlock(&rm_token_lock);
	return kvm;
}

void rm_token_exit(void)
{
	struct rm_token *t;

	spin_lock(&rm_token_lock);
	list_for_each_entry(t, &rm_tokens, node)
		t->revoked = true;
	spin_unlock(&rm_token_lock);
	flush_work(&rm_token_gc_work);
	rm_token_gc(NULL);
}
