// SPDX-License-Identifier: GPL-2.0
/* vm_flags_set(): vm_flags is written through it (6.3). */
#include <linux/mm.h>

void probe(struct vm_area_struct *vma);
void probe(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_IO);
}
