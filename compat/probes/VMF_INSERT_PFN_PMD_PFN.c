// SPDX-License-Identifier: GPL-2.0
/* vmf_insert_pfn_pmd() takes a plain pfn, no pfn_t (6.17). */
#include <linux/mm.h>

vm_fault_t probe(struct vm_fault *vmf);
vm_fault_t probe(struct vm_fault *vmf)
{
	return vmf_insert_pfn_pmd(vmf, 0UL, false);
}
