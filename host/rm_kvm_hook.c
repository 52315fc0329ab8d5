// SPDX-License-Identifier: GPL-2.0
/*
 * How KVM hands our hypercall numbers to rm_kvm.c: through the hook that
 * kvm/<line>/0001 adds to a rebuilt kvm.ko ("patch"), or, on the
 * distribution's own kvm.ko, through an ftrace redirect of
 * kvm_emulate_hypercall() ("ftrace").  Chosen at load by kvm_hook=.
 */
#include <linux/debugfs.h>
#include <linux/ftrace.h>
#include <linux/kvm_host.h>
#include <linux/kvm_para.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <linux/wait_bit.h>

#include "rm_btf.h"
#include "rm_kvm.h"
#include "rm_kvm_hook.h"

static char rm_kvm_hook_param[8] = "auto";
module_param_string(kvm_hook, rm_kvm_hook_param, sizeof(rm_kvm_hook_param),
		    0444);
MODULE_PARM_DESC(kvm_hook,
		 "How KVM hypercalls reach us: auto (default: patch if the patched kvm.ko is loaded, else ftrace), patch, ftrace or none");

static const char * const rm_kvm_hook_names[] = {
	[RM_KVM_HOOK_NONE]	= "none",
	[RM_KVM_HOOK_PATCH]	= "patch",
	[RM_KVM_HOOK_FTRACE]	= "ftrace",
};

/* Set while armed, by rm_kvm_hook_arm() and rm_kvm_hook_disarm() only. */
enum rm_kvm_hook rm_kvm_hook_mode;
bool rm_kvm_hook_no_tail;
static rm_hc_fn *rm_hook_serve;
static u64 rm_hook_nrs;		/* the numbers served, as a bit mask */

static bool rm_hook_is_ours(unsigned long nr)
{
	return nr < 64 && (rm_hook_nrs & BIT_ULL(nr));
}

/* --- patch: kvm_register_hypercall() of the rebuilt kvm.ko ------------- */

static struct {
	int (*register_hc)(unsigned long nr,
			   const struct kvm_hypercall_ops *ops);
	void (*unregister_hc)(unsigned long nr,
			      const struct kvm_hypercall_ops *ops);
} rm_hook_patch_fn;

static unsigned long rm_hook_patch_call(struct kvm_vcpu *vcpu,
					unsigned long nr, unsigned long a0,
					unsigned long a1, unsigned long a2,
					unsigned long a3)
{
	return rm_hook_serve(vcpu, nr, a0, a1, a2, a3);
}

static const struct kvm_hypercall_ops rm_hook_patch_ops = {
	.call = rm_hook_patch_call,
};

static void rm_hook_patch_put(void)
{
	if (rm_hook_patch_fn.register_hc)
		symbol_put(kvm_register_hypercall);
	if (rm_hook_patch_fn.unregister_hc)
		symbol_put(kvm_unregister_hypercall);
	memset(&rm_hook_patch_fn, 0, sizeof(rm_hook_patch_fn));
}

/* Waits for calls in flight (kvm_unregister_hypercall()). */
static void rm_hook_patch_disarm(u64 nrs)
{
	unsigned long nr;

	for (nr = 64; nr--; )
		if (nrs & BIT_ULL(nr))
			rm_hook_patch_fn.unregister_hc(nr, &rm_hook_patch_ops);
	rm_hook_patch_put();
}

static int rm_hook_patch_arm(void)
{
	u64 done = 0;
	unsigned long nr;
	int err;

	rm_hook_patch_fn.register_hc = symbol_get(kvm_register_hypercall);
	rm_hook_patch_fn.unregister_hc = symbol_get(kvm_unregister_hypercall);
	if (!rm_hook_patch_fn.register_hc || !rm_hook_patch_fn.unregister_hc) {
		rm_hook_patch_put();
		return -ENOENT;
	}
	for (nr = 0; nr < 64; nr++) {
		if (!rm_hook_is_ours(nr))
			continue;
		err = rm_hook_patch_fn.register_hc(nr, &rm_hook_patch_ops);
		if (err) {
			pr_warn("remote_mapping: kvm_hook=patch: cannot register hypercall %lu: %d\n",
				nr, err);
			rm_hook_patch_disarm(done);
			return err;
		}
		done |= BIT_ULL(nr);
	}
	return 0;
}

/* --- ftrace: a redirect of the stock kvm_emulate_hypercall() ----------- */

#define RM_HOOK_FUNC	"kvm_emulate_hypercall"

/* The running kernel's line: 6.12 is 612. */
static unsigned int rm_kernel_line(void)
{
	unsigned int major, minor;

	if (sscanf(init_utsname()->release, "%u.%u", &major, &minor) != 2)
		return 0;
	return major * 100 + minor;
}

/*
 * The lines whose stock kvm_emulate_hypercall() the hook knows
 * (Documentation/kvm-hook.rst): it hands Xen and Hyper-V calls over before
 * it reads the number, answers one it does not implement with -KVM_ENOSYS
 * in RAX, and has advanced RIP when it returns.  What a function does
 * cannot be probed at build time: the running kernel's version says, and
 * kvm.ko's BTF confirms the prototype where it has one.
 */
#define RM_HOOK_FIRST_LINE	601
#define RM_HOOK_LAST_LINE	703

/*
 * Before 6.13 KVM takes a reference on each VM_PFNMAP page it maps into a
 * guest (kvm_try_get_pfn()), which fails for a tail page of a compound
 * page: kvm/<line>/0002 takes it on the folio instead, and 6.13 stopped
 * taking any.  The stock kvm.ko of such a line cannot alias those pages.
 */
#define RM_HOOK_TAIL_OK_LINE	613

typedef int rm_emulate_hc_t(struct kvm_vcpu *vcpu);

/* What the hook relies on, checked against kvm.ko's BTF where it has one. */
static const struct rm_btf_proto rm_hook_func_proto = {
	.ret		= "int",
	.nr_args	= 1,
	.args		= { "kvm_vcpu" },
};

/*
 * kvm_emulate_hypercall() itself, found by the first call through the
 * hook: called through this, not by name, as 7.x exports it to kvm-amd and
 * kvm-intel only.
 */
static unsigned long rm_hook_target;

/*
 * 1 while armed (the bias rm_hook_ftrace_disarm() drops), plus the calls
 * redirected to rm_hook_emulate_hypercall() and not returned from it yet.
 * Once it is 0 no call is redirected any more.
 */
static atomic_t rm_hook_inflight = ATOMIC_INIT(0);

/*
 * The start of the function whose ftrace site is @ip: with IBT, the
 * ENDBR before it, which an indirect call must land on.  0 if unknown.
 */
static unsigned long rm_hook_func_start(unsigned long ip)
{
	const u32 endbr64 = 0xfa1e0ff3;		/* f3 0f 1e fa */
	u32 insn;

	if (!get_kernel_nofault(insn, (u32 *)(ip - sizeof(insn))) &&
	    insn == endbr64)
		return ip - sizeof(insn);
	return IS_ENABLED(CONFIG_X86_KERNEL_IBT) ? 0 : ip;
}

/*
 * Runs after KVM's own kvm_emulate_hypercall(), which checked the CPL,
 * truncated the number for a 32-bit caller, counted and traced the call,
 * wrote its answer to RAX and advanced RIP.  Only where that answer is
 * -KVM_ENOSYS (KVM does not implement the number; the CPL was 0) does ours
 * replace it, as the patch's hook answers in the same place.  The width of
 * the answer tells the call's: KVM truncates it for a 32-bit caller.
 */
static int rm_hook_emulate_hypercall(struct kvm_vcpu *vcpu)
{
	rm_emulate_hc_t *orig = (rm_emulate_hc_t *)READ_ONCE(rm_hook_target);
	unsigned long *regs = vcpu->arch.regs;
	unsigned long nr = regs[VCPU_REGS_RAX], a0 = regs[VCPU_REGS_RBX];
	unsigned long a1 = regs[VCPU_REGS_RCX], a2 = regs[VCPU_REGS_RDX];
	unsigned long a3 = regs[VCPU_REGS_RSI], rax, ret;
	bool op_64_bit;
	int r;

	r = orig(vcpu);
	rax = regs[VCPU_REGS_RAX];
	if (rax == (unsigned long)-KVM_ENOSYS)
		op_64_bit = true;
	else if (rax == (u32)-KVM_ENOSYS)
		op_64_bit = false;
	else
		goto out;
	if (!op_64_bit) {
		nr = (u32)nr;
		a0 = (u32)a0;
		a1 = (u32)a1;
		a2 = (u32)a2;
		a3 = (u32)a3;
	}
	if (!rm_hook_is_ours(nr))
		goto out;
	ret = rm_hook_serve(vcpu, nr, a0, a1, a2, a3);
	/* KVM's write of RAX marked it dirty: it goes to the guest. */
	regs[VCPU_REGS_RAX] = op_64_bit ? ret : (u32)ret;
out:
	/* Pairs with wait_var_event() in rm_hook_ftrace_disarm(). */
	if (atomic_dec_and_test(&rm_hook_inflight))
		wake_up_var(&rm_hook_inflight);
	return r;
}

/*
 * Whether a call of kvm_emulate_hypercall() by @vcpu may be ours: decided
 * before the redirect, so that every other call runs exactly as KVM alone
 * would run it.  Never for guests with protected state (SEV-ES, TDX: their
 * memory is not the host's to map, and the patch refuses them too), nor
 * for VMs that have KVM emulate Xen's or Hyper-V's hypercalls, which KVM
 * hands over before it reads the number.
 */
static bool rm_hook_wants(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.guest_state_protected)
		return false;
	if (compat_kvm_xen_hcall(vcpu->kvm) || compat_kvm_hyperv_enabled(vcpu))
		return false;
	/* A 64-bit caller's number has no high bits; see the wrapper. */
	return rm_hook_is_ours((u32)vcpu->arch.regs[VCPU_REGS_RAX]);
}

static void notrace rm_hook_ftrace(unsigned long ip, unsigned long parent_ip,
				   struct ftrace_ops *op,
				   struct ftrace_regs *fregs)
{
	struct kvm_vcpu *vcpu;
	unsigned long start;
	int bit;

	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (bit < 0)
		return;
	/* The wrapper's own call of the original runs on. */
	if (within_module(parent_ip, THIS_MODULE))
		goto out_unlock;
	vcpu = (struct kvm_vcpu *)ftrace_regs_get_argument(fregs, 0);
	if (!rm_hook_wants(vcpu))
		goto out_unlock;
	start = READ_ONCE(rm_hook_target);
	if (!start) {
		start = rm_hook_func_start(ip);
		if (!start)
			goto out_unlock;
		WRITE_ONCE(rm_hook_target, start);
	}
	/* Pairs with the drop of the bias in rm_hook_ftrace_disarm(). */
	if (!atomic_inc_not_zero(&rm_hook_inflight))
		goto out_unlock;
	ftrace_regs_set_instruction_pointer(fregs,
					    (unsigned long)rm_hook_emulate_hypercall);
out_unlock:
	ftrace_test_recursion_unlock(bit);
}

/* As livepatch's: IPMODIFY is exclusive, a livepatch of it conflicts. */
static struct ftrace_ops rm_hook_ftrace_ops = {
	.func	= rm_hook_ftrace,
	.flags	= FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT,
};

static int rm_hook_ftrace_arm(void)
{
	unsigned int line = rm_kernel_line();
	int err;

	if (line < RM_HOOK_FIRST_LINE || line > RM_HOOK_LAST_LINE) {
		pr_warn("remote_mapping: kvm_hook=ftrace: not armed: kvm_emulate_hypercall() of %s is not known to the hook\n",
			init_utsname()->release);
		return -EOPNOTSUPP;
	}
	err = rm_btf_check_func("kvm", RM_HOOK_FUNC, &rm_hook_func_proto);
	if (err == -EINVAL) {
		pr_warn("remote_mapping: kvm_hook=ftrace: not armed: kvm.ko's BTF does not show kvm_emulate_hypercall() as int (struct kvm_vcpu *)\n");
		return -EOPNOTSUPP;
	}
	if (err)
		pr_info("remote_mapping: kvm_hook=ftrace: kvm.ko has no BTF: kvm_emulate_hypercall() known by kernel version only\n");

	err = ftrace_set_filter(&rm_hook_ftrace_ops,
				(unsigned char *)RM_HOOK_FUNC,
				strlen(RM_HOOK_FUNC), 1);
	if (err) {
		pr_warn("remote_mapping: kvm_hook=ftrace: not armed: no traceable kvm_emulate_hypercall(): %d\n",
			err);
		return err;
	}
	err = register_ftrace_function(&rm_hook_ftrace_ops);
	if (err) {
		if (err == -EBUSY)
			pr_warn("remote_mapping: kvm_hook=ftrace: not armed: kvm_emulate_hypercall() is redirected already (a livepatch?)\n");
		else
			pr_warn("remote_mapping: kvm_hook=ftrace: not armed: register_ftrace_function(): %d\n",
				err);
		ftrace_free_filter(&rm_hook_ftrace_ops);
		return err;
	}
	atomic_set(&rm_hook_inflight, 1);
	rm_kvm_hook_no_tail = line < RM_HOOK_TAIL_OK_LINE;
	return 0;
}

/*
 * Once the bias is dropped and the count has reached 0, no call is
 * redirected any more and every redirected one has returned but for the
 * wrapper's last instructions after its decrement.  The unregistration
 * waits for those as it does for the callback and its trampoline: the ops
 * is a module's, so dynamic, and ftrace_shutdown() ends with
 * synchronize_rcu_tasks_rude() and, where the kernel can preempt a task
 * there, synchronize_rcu_tasks().  Unregistering first and waiting after
 * would need one more tasks grace period, which does not end while a task
 * preempted in the kernel never sleeps (a minute and more, seen on one CPU).
 */
static void rm_hook_ftrace_disarm(void)
{
	if (!atomic_dec_and_test(&rm_hook_inflight))
		wait_var_event(&rm_hook_inflight,
			       !atomic_read(&rm_hook_inflight));
	unregister_ftrace_function(&rm_hook_ftrace_ops);
	ftrace_free_filter(&rm_hook_ftrace_ops);
}

/* --- choice -------------------------------------------------------------- */

/*
 * Serve the hypercall numbers @nrs (below 64) with @serve, which may
 * sleep, through the hook kvm_hook= asks for (auto: the patch's, else
 * ftrace).  0, or the errno with nothing armed.  kvm.ko stays loaded
 * meanwhile: the caller holds references to its symbols (rm_kvm_sym.c).
 */
int rm_kvm_hook_arm(rm_hc_fn *serve, const unsigned long *nrs,
		    unsigned int n)
{
	bool any = sysfs_streq(rm_kvm_hook_param, "auto");
	unsigned int i;
	int err;

	if (!any && !sysfs_streq(rm_kvm_hook_param, "patch") &&
	    !sysfs_streq(rm_kvm_hook_param, "ftrace")) {
		if (!sysfs_streq(rm_kvm_hook_param, "none"))
			pr_warn("remote_mapping: kvm_hook=%s: not one of auto, patch, ftrace, none\n",
				rm_kvm_hook_param);
		return -EINVAL;
	}
	rm_hook_serve = serve;
	rm_hook_nrs = 0;
	for (i = 0; i < n; i++)
		rm_hook_nrs |= BIT_ULL(nrs[i]);

	if (any || sysfs_streq(rm_kvm_hook_param, "patch")) {
		err = rm_hook_patch_arm();
		if (!err) {
			rm_kvm_hook_mode = RM_KVM_HOOK_PATCH;
			goto out;
		}
		if (!any) {
			pr_warn("remote_mapping: kvm_hook=patch: no patched kvm.ko loaded\n");
			return err;
		}
	}
	err = rm_hook_ftrace_arm();
	if (err)
		return err;
	rm_kvm_hook_mode = RM_KVM_HOOK_FTRACE;
out:
	pr_info("remote_mapping: serving KVM hypercalls through kvm_hook=%s\n",
		rm_kvm_hook_names[rm_kvm_hook_mode]);
	return 0;
}

/* Returns once no call is in flight: the module may go. */
void rm_kvm_hook_disarm(void)
{
	switch (rm_kvm_hook_mode) {
	case RM_KVM_HOOK_PATCH:
		rm_hook_patch_disarm(rm_hook_nrs);
		break;
	case RM_KVM_HOOK_FTRACE:
		rm_hook_ftrace_disarm();
		break;
	case RM_KVM_HOOK_NONE:
		break;
	}
	rm_kvm_hook_mode = RM_KVM_HOOK_NONE;
	rm_kvm_hook_no_tail = false;
}

static int rm_kvm_hook_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", rm_kvm_hook_names[rm_kvm_hook_mode]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rm_kvm_hook);

/*
 * debugfs "kvm_hook": none, patch or ftrace; "kvm_no_tail": Y while KVM maps
 * refuse tail pages of huge pages (the stock kvm.ko before 6.13).
 */
void rm_kvm_hook_debugfs(struct dentry *dir)
{
	debugfs_create_file("kvm_hook", 0400, dir, NULL, &rm_kvm_hook_fops);
	debugfs_create_bool("kvm_no_tail", 0400, dir, &rm_kvm_hook_no_tail);
}
