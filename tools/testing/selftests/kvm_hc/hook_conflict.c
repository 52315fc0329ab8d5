// SPDX-License-Identifier: GPL-2.0
/*
 * hook_conflict.ko: an FTRACE_OPS_FL_IPMODIFY user of kvm_emulate_hypercall()
 * that changes nothing, standing for a livepatch of that function, for
 * hook_test.sh: remote_mapping.ko's ftrace hook must then refuse to arm.
 */
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/string.h>

static void notrace hook_conflict_func(unsigned long ip,
				       unsigned long parent_ip,
				       struct ftrace_ops *op,
				       struct ftrace_regs *fregs)
{
}

static struct ftrace_ops hook_conflict_ops = {
	.func	= hook_conflict_func,
	.flags	= FTRACE_OPS_FL_IPMODIFY,
};

static int __init hook_conflict_init(void)
{
	static const char func[] = "kvm_emulate_hypercall";
	int err;

	err = ftrace_set_filter(&hook_conflict_ops, (unsigned char *)func,
				strlen(func), 1);
	if (err)
		return err;
	err = register_ftrace_function(&hook_conflict_ops);
	if (err)
		ftrace_free_filter(&hook_conflict_ops);
	return err;
}

static void __exit hook_conflict_exit(void)
{
	unregister_ftrace_function(&hook_conflict_ops);
	ftrace_free_filter(&hook_conflict_ops);
}

module_init(hook_conflict_init);
module_exit(hook_conflict_exit);
MODULE_DESCRIPTION("Selftest: an ftrace IPMODIFY user of kvm_emulate_hypercall()");
MODULE_LICENSE("GPL");
