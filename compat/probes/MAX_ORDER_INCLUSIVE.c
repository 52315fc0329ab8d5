// SPDX-License-Identifier: GPL-2.0
/* MAX_ORDER is the largest order, not one more (6.4 to 6.7). */
#include <linux/build_bug.h>
#include <linux/mmzone.h>

void probe(void);
void probe(void)
{
	BUILD_BUG_ON(MAX_ORDER_NR_PAGES != 1UL << MAX_ORDER);
}
