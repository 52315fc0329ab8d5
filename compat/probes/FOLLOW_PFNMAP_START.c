// SPDX-License-Identifier: GPL-2.0
/* follow_pfnmap_start(): replaces follow_pte() (6.12). */
#include <linux/mm.h>

int probe(struct vm_area_struct *vma);
int probe(struct vm_area_struct *vma)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = 0 };
	int ret = follow_pfnmap_start(&args);

	if (!ret)
		follow_pfnmap_end(&args);
	return ret;
}
