// SPDX-License-Identifier: GPL-2.0
/* pmdp_get_lockless(): a PMD read without its lock (6.5). */
#include <linux/pgtable.h>

pmd_t probe(pmd_t *pmdp);
pmd_t probe(pmd_t *pmdp)
{
	return pmdp_get_lockless(pmdp);
}
