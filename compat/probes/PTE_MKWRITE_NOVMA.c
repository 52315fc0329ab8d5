// SPDX-License-Identifier: GPL-2.0
/* pte_mkwrite_novma(): pte_mkwrite() takes a VMA (6.6). */
#include <linux/mm.h>

pte_t probe(pte_t pte);
pte_t probe(pte_t pte)
{
	return pte_mkwrite_novma(pte);
}
