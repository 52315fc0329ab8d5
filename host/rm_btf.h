/* SPDX-License-Identifier: GPL-2.0 */
/* rm_btf.c: a function's prototype checked against a module's BTF. */
#ifndef _RM_BTF_H
#define _RM_BTF_H

/* int func(struct args[0] *, ...): what the hook expects of a function. */
struct rm_btf_proto {
	const char *ret;		/* name of an integer type */
	unsigned int nr_args;
	const char *args[4];		/* each a pointer to this struct */
};

int rm_btf_check_func(const char *module, const char *func,
		      const struct rm_btf_proto *proto);

#endif /* _RM_BTF_H */
