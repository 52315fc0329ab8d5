// SPDX-License-Identifier: GPL-2.0
/*
 * Zaps of mirror PTEs by the module, known by task so that the target
 * invalidation nested in such a zap can tell itself apart.
 */
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

#include "rm_internal.h"

/*
 * Zaps of our own mirrors in progress, by task.  Such a zap invalidates the
 * mirror's mm, which may be a target too (self maps, two processes
 * mapping each other): its tdb must not walk its pdbs then, as
 * the zapping task may hold a pdbs_sem for read already (a writer queued
 * between the two reads would deadlock them) and the walk could zap in
 * turn, without end.  A mirror is never resolved from (-ELOOP), so none
 * of the pdbs watching its addresses has anything to zap: the
 * invalidation that replaced their page by the mirror zapped them, and
 * hmm_range_fault() is never called on the mirror since.
 *
 * Found by task rather than by mmu_notifier_range.vma, which 6.3 removed:
 * the same task calls the callback from inside zap_vma_ptes().
 */
struct rm_zap {
	struct hlist_node node;		/* in its bucket, under its lock */
	struct task_struct *task;
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
};

#define RM_ZAP_BUCKETS	64

static struct rm_zap_bucket {
	spinlock_t lock;		/* protects zaps */
	struct hlist_head zaps;		/* struct rm_zap */
} rm_zap_buckets[RM_ZAP_BUCKETS];

/* Zaps in progress: lets an invalidation skip the lookup when there is none. */
static atomic_t rm_zaps_active = ATOMIC_INIT(0);

static struct rm_zap_bucket *rm_zap_bucket(struct task_struct *task)
{
	return &rm_zap_buckets[hash_ptr(task, ilog2(RM_ZAP_BUCKETS))];
}

/*
 * zap_vma_ptes() of a mirror page or range of @vma: every zap of a mirror
 * by the module goes through here.
 */
void rm_zap_mirror(struct vm_area_struct *vma, unsigned long start,
		   unsigned long size)
{
	struct rm_zap_bucket *b = rm_zap_bucket(current);
	struct rm_zap z = {
		.task	= current,
		.mm	= vma->vm_mm,
		.start	= start,
		.end	= start + size,
	};

	spin_lock(&b->lock);
	hlist_add_head(&z.node, &b->zaps);
	spin_unlock(&b->lock);
	/* Only this task looks for z, after this in program order. */
	atomic_inc(&rm_zaps_active);
	zap_special_vma_range(vma, start, size);
	atomic_dec(&rm_zaps_active);
	spin_lock(&b->lock);
	hlist_del(&z.node);
	spin_unlock(&b->lock);
}

/* Slack of a zap span: pages it may cover beyond twice those it zaps. */
#define RM_ZAP_SPAN_SLACK	16

void rm_zap_span_flush(struct rm_zap_span *span)
{
	if (span->n)
		rm_zap_mirror(span->vma, span->lo,
			      span->hi + PAGE_SIZE - span->lo);
	span->n = 0;
}

/*
 * Add [@addr, @addr + @size) of @vma to @span, zapping what it holds
 * first if it is in another VMA or would make the span sparse.  A page in
 * a span that was not added only takes a fault again, so a dense span is
 * one zap, one TLB flush, one invalidation of a KVM's secondary MMU.
 */
void rm_zap_span_add(struct rm_zap_span *span, struct vm_area_struct *vma,
		     unsigned long addr, unsigned long size)
{
	unsigned long last = addr + size - PAGE_SIZE;
	unsigned int n = size >> PAGE_SHIFT;
	unsigned long lo, hi;

	if (span->n && span->vma == vma) {
		lo = min(span->lo, addr);
		hi = max(span->hi, last);
		if (((hi - lo) >> PAGE_SHIFT) <
		    2 * (span->n + n) + RM_ZAP_SPAN_SLACK) {
			span->lo = lo;
			span->hi = hi;
			span->n += n;
			return;
		}
	}
	rm_zap_span_flush(span);
	span->vma = vma;
	span->lo = addr;
	span->hi = last;
	span->n = n;
}

/* Whether @range is being invalidated by current's rm_zap_mirror(). */
bool rm_zap_nested(const struct mmu_notifier_range *range)
{
	struct rm_zap_bucket *b;
	bool nested = false;
	struct rm_zap *z;

	if (!atomic_read(&rm_zaps_active))
		return false;
	b = rm_zap_bucket(current);
	spin_lock(&b->lock);
	hlist_for_each_entry(z, &b->zaps, node) {
		if (z->task == current && z->mm == range->mm &&
		    z->start <= range->start && range->end <= z->end) {
			nested = true;
			break;
		}
	}
	spin_unlock(&b->lock);
	return nested;
}

void rm_zap_init(void)
{
	unsigned int i;

	for (i = 0; i < RM_ZAP_BUCKETS; i++) {
		spin_lock_init(&rm_zap_buckets[i].lock);
		INIT_HLIST_HEAD(&rm_zap_buckets[i].zaps);
	}
}
