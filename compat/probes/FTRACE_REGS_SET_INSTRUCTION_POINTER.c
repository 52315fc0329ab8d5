// SPDX-License-Identifier: GPL-2.0
/* ftrace_regs_set_instruction_pointer(): ftrace_instruction_pointer_set() renamed (6.6). */
#include <linux/ftrace.h>

void probe(struct ftrace_regs *fregs);
void probe(struct ftrace_regs *fregs)
{
	ftrace_regs_set_instruction_pointer(fregs, 0);
}
