// SPDX-License-Identifier: GPL-2.0
/*
 * Page_db: one mapping, its invalidation and the mirror VMA's fault
 * handling.
 */
#include <linux/file.h>
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "mm_remote.h"
#include "rm_internal.h"

/* Its own cache: one object per mapping, and visible in /proc/slabinfo. */
static struct kmem_cache *rm_pdb_cache;

int rm_pdb_cache_init(void)
{
	rm_pdb_cache = KMEM_CACHE(rm_pdb, SLAB_ACCOUNT);
	return rm_pdb_cache ? 0 : -ENOMEM;
}

void rm_pdb_cache_exit(void)
{
	kmem_cache_destroy(rm_pdb_cache);
}

/*
 * @n pdbs at once, all or nothing: a batch takes the slab's slow path,
 * and its interrupt disabling (costly under emulation), once rather than
 * per page.  The caller fills in the addresses.
 */
int rm_pdb_create_bulk(struct rm_pdb **pdbs, unsigned int n,
		       unsigned int flags)
{
	struct rm_pdb *pdb;
	unsigned int i;

	/* Zeroed once: Debian's init_on_alloc=1 would zero them anyway. */
	if (!kmem_cache_alloc_bulk(rm_pdb_cache, GFP_KERNEL | __GFP_ZERO, n,
				   (void **)pdbs))
		return -ENOMEM;
	for (i = 0; (flags & MM_REMOTE_HUGE) && i < n; i++) {
		pdbs[i]->hpfns = kvmalloc_array(RM_HUGE_PAGES, sizeof(long),
						GFP_KERNEL_ACCOUNT);
		if (!pdbs[i]->hpfns)
			goto err_free_hpfns;
	}
	for (i = 0; i < n; i++) {
		pdb = pdbs[i];
		pdb->huge = !!(flags & MM_REMOTE_HUGE);
		pdb->readonly = !!(flags & MM_REMOTE_READONLY);
		pdb->zerohole = !!(flags & MM_REMOTE_ZEROHOLE);
		pdb->populate = !!(flags & MM_REMOTE_POPULATE);
		pdb->guest = !!(flags & MM_REMOTE_GUEST);
		pdb->no_tail = !!(flags & MM_REMOTE_NO_TAIL);
		kref_init(&pdb->ref);
		spin_lock_init(&pdb->lock);
	}
	atomic_add(n, &rm_pdb_count);
	return 0;

err_free_hpfns:
	while (i--)
		kvfree(pdbs[i]->hpfns);
	kmem_cache_free_bulk(rm_pdb_cache, n, (void **)pdbs);
	return -ENOMEM;
}

/*
 * Leave the tdb's tree, if rm_tdb_watch() added @pdb to it.  Called with
 * tdb->pdbs_sem held for write: no invalidation walks the tree then (they
 * hold it for read across the walk).
 */
static void __rm_pdb_unwatch(struct rm_pdb *pdb)
{
	struct rm_tdb *tdb = pdb->tdb;

	lockdep_assert_held_write(&tdb->pdbs_sem);
	if (!pdb->watched)
		return;
	rb_erase(&pdb->tnode, pdb->huge ? &tdb->hpdbs : &tdb->pdbs);
	if (RB_EMPTY_ROOT(&tdb->pdbs) && RB_EMPTY_ROOT(&tdb->hpdbs)) {
		WRITE_ONCE(tdb->watch_lo, ULONG_MAX);
		WRITE_ONCE(tdb->watch_hi, 0);
	}
}

/* What is left of a pdb out of its tdb's tree. */
static void rm_pdb_free(struct rm_pdb *pdb)
{
	/* No mirror PTE is left: no zap to wait for. */
	if (pdb->wp_counted)
		atomic_dec(&pdb->tdb->wp_pdbs);
	if (pdb->fail_counted)
		atomic_dec(&pdb->tdb->fail_pdbs);
	if (pdb->tdb)
		rm_tdb_put(pdb->tdb);
	if (pdb->idb)
		rm_idb_put(pdb->idb);
	if (pdb->huge)
		kvfree(pdb->hpfns);
	else if (pdb->orphan)
		__free_page(pdb->orphan);
	if (pdb->win)
		fput(pdb->win->file);
	kmem_cache_free(rm_pdb_cache, pdb);
	atomic_dec(&rm_pdb_count);
}

/*
 * Last reference: no mirror VMA and no idb entry is left.  May sleep
 * (leaving the tree waits for a running invalidation), so every put
 * happens in process context, never from a notifier callback.
 */
static void rm_pdb_release(struct kref *ref)
{
	struct rm_pdb *pdb = container_of(ref, struct rm_pdb, ref);

	if (pdb->watched) {
		down_write(&pdb->tdb->pdbs_sem);
		__rm_pdb_unwatch(pdb);
		up_write(&pdb->tdb->pdbs_sem);
	}
	rm_pdb_free(pdb);
}

void rm_pdb_put(struct rm_pdb *pdb)
{
	might_sleep();
	kref_put(&pdb->ref, rm_pdb_release);
}

/*
 * rm_pdb_put() of @n pdbs (the array is reused): those whose last
 * reference goes leave their tdb's tree under one hold of its pdbs_sem
 * for each run of the same tdb, as the pages of a window closing are.
 */
void rm_pdb_put_bulk(struct rm_pdb **pdbs, unsigned int n)
{
	unsigned int i, j, k, dead = 0;
	struct rm_tdb *tdb;

	might_sleep();
	for (i = 0; i < n; i++)
		if (refcount_dec_and_test(&pdbs[i]->ref.refcount))
			pdbs[dead++] = pdbs[i];
	for (i = 0; i < dead; i = j) {
		tdb = pdbs[i]->tdb;
		for (j = i + 1; j < dead && pdbs[j]->tdb == tdb; j++)
			;
		if (tdb) {
			down_write(&tdb->pdbs_sem);
			for (k = i; k < j; k++)
				__rm_pdb_unwatch(pdbs[k]);
			up_write(&tdb->pdbs_sem);
		}
		for (k = i; k < j; k++)
			rm_pdb_free(pdbs[k]);
	}
}

/*
 * The target's page at req_hva is about to change (@event): drop the
 * cached pfn, then zap the mirror PTE through the VMA it was installed in,
 * with the other pages of @inv (rm_pdb_invalidate_done() zaps the last
 * span); the next access refaults to what the target has then.  A KVM
 * alias whose memory is unmapped never follows the target again
 * (RM_CACHE_GONE): whatever comes at req_hva later is not what was
 * granted.  A mirror whose cache is in @keep (bits of enum
 * rm_pdb_cache, see rm_tdb_keep()) stays: the event keeps its pfn and
 * its access.  Called with tdb->pdbs_sem held for read, by
 * rm_tdb_invalidate() after it bumped the notifier's sequence: a
 * resolution taking pdb->lock after this sees that and does not store
 * what it read (pairs with rm_pdb_resolve()), and one that does not see
 * it finds RM_CACHE_GONE.
 */
void rm_pdb_invalidate(struct rm_pdb *pdb, enum mmu_notifier_event event,
		       u8 keep, struct rm_pdb_inval *inv)
{
	bool end = pdb->zerohole && event == MMU_NOTIFY_UNMAP;
	struct vm_area_struct *vma;

	lockdep_assert_held_read(&pdb->tdb->pdbs_sem);
	/*
	 * zap_sem keeps the VMA and its page tables until the zap is done.
	 * Taken before reading pdb->vma: a VMA is forgotten under it for write
	 * before it goes.  One idb's at a time: the span is of its mm.
	 */
	if (inv->idb != pdb->idb) {
		rm_pdb_invalidate_done(inv);
		down_read(&pdb->idb->zap_sem);
		inv->idb = pdb->idb;
	}
	spin_lock(&pdb->lock);
	if (keep & BIT(pdb->cache)) {
		spin_unlock(&pdb->lock);
		return;
	}
	if (end && pdb->cache != RM_CACHE_UNMAPPED)
		pdb->cache = RM_CACHE_GONE;
	else if (pdb->cache == RM_CACHE_RO || pdb->cache == RM_CACHE_RW ||
		 pdb->cache == RM_CACHE_NOWRITE || pdb->cache == RM_CACHE_ERR)
		pdb->cache = RM_CACHE_NONE;
	/* Its count goes once the span is zapped: rm_tdb_invalidate(). */
	if (pdb->wp_counted) {
		pdb->wp_counted = false;
		inv->wp_zapped++;
	}
	if (pdb->fail_counted) {
		pdb->fail_counted = false;
		inv->fail_zapped++;
	}
	vma = pdb->vma;
	spin_unlock(&pdb->lock);
	if (vma)
		rm_zap_span_add(&inv->span, vma, pdb->map_hva,
				rm_pdb_size(pdb));
}

/* Zap the span of @inv and drop the zap_sem it holds. */
void rm_pdb_invalidate_done(struct rm_pdb_inval *inv)
{
	rm_zap_span_flush(&inv->span);
	if (inv->idb)
		up_read(&inv->idb->zap_sem);
	inv->idb = NULL;
}

/*
 * Set pdb's cache to @to if it is @from (if @from is RM_CACHE_NONE: if it
 * is neither RM_CACHE_UNMAPPED nor @to already); whether it was set.  For
 * a 2 MiB pdb under zap_sem held for read, as an unmap's drop: a PMD
 * installed from the old cache is in place by then, for the caller's zap
 * that follows (rm_pdb_huge_fault()).
 */
bool rm_pdb_set_cache(struct rm_pdb *pdb, u8 from, u8 to)
{
	bool set;

	if (pdb->huge)
		down_read(&pdb->idb->zap_sem);
	spin_lock(&pdb->lock);
	if (from == RM_CACHE_NONE)
		set = pdb->cache != RM_CACHE_UNMAPPED && pdb->cache != to;
	else
		set = pdb->cache == from;
	if (set)
		pdb->cache = to;
	spin_unlock(&pdb->lock);
	if (pdb->huge)
		up_read(&pdb->idb->zap_sem);
	return set;
}

/*
 * Zap pdb's PTE from outside any invalidation of its target (see
 * rm_tdb_set_range()): through the mirror VMA found under the
 * introspector's mmap_lock, as any zap_vma_ptes() caller does, not
 * through pdb->vma under zap_sem.  A PTE installed before the caller
 * changed the cache goes; one installed after follows the new cache.
 * The caller holds a reference on @pdb and no lock of ours.
 */
void rm_pdb_zap(struct rm_pdb *pdb)
{
	struct mm_struct *mm = pdb->idb->rmn.mn.mm;
	struct vm_area_struct *vma;

	/* An exiting introspector's PTEs go with its mm. */
	if (!mmget_not_zero(mm))
		return;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, pdb->map_hva);
	/* Its page mirror maps tdb->file, its window the window's file. */
	if (vma && vma->vm_file ==
		   (pdb->win ? pdb->win->file : pdb->tdb->file) &&
	    vma->vm_private_data == (pdb->win ? (void *)pdb->win : pdb))
		rm_zap_mirror(vma, pdb->map_hva, rm_pdb_size(pdb));
	mmap_read_unlock(mm);
	mmput_async(mm);
}

/*
 * Cache what a resolution found (@hmm_pfn, 0 if it found no page) unless
 * an invalidation ran since @seq: see rm_tdb_invalidate().  Whether it
 * was stored.
 */
static bool rm_pdb_store(struct rm_pdb *pdb, u8 cache, unsigned long hmm_pfn,
			 unsigned long seq)
{
	bool counted = false;

	lockdep_assert_held(&pdb->lock);
	/*
	 * Counted before the sequence is checked: a write-protection either
	 * finds the count or has us store nothing (rm_tdb_invalidate()).
	 */
	if (cache != RM_CACHE_RO && !pdb->wp_counted) {
		pdb->wp_counted = true;
		atomic_inc(&pdb->tdb->wp_pdbs);
		counted = true;
	}
	if (cache != RM_CACHE_RO && cache != RM_CACHE_RW &&
	    !pdb->fail_counted) {
		pdb->fail_counted = true;
		atomic_inc(&pdb->tdb->fail_pdbs);
		counted = true;
	}
	if (counted)
		smp_mb__after_atomic();	/* pairs with rm_tdb_invalidate() */
	/* Pairs with rm_pdb_invalidate(): stale if it ran since read_begin. */
	if (pdb->cache == RM_CACHE_UNMAPPED || pdb->cache == RM_CACHE_GONE ||
	    mmu_interval_read_retry(&pdb->tdb->notifier, seq))
		return false;
	if (hmm_pfn & HMM_PFN_VALID)
		pdb->pfn = page_to_pfn(hmm_pfn_to_page(hmm_pfn));
	pdb->cache = cache;
	return true;
}

/*
 * @fault(@range, @arg) with the target's mmap_lock held, again while an
 * invalidation overtakes it (-EBUSY) and HMM_RANGE_DEFAULT_TIMEOUT
 * allows, with one notifier sequence each time (@range's).  -EINTR on a
 * fatal signal; -ESRCH, and the tdb marked dead, if the target has no
 * user left: it is exiting and will never touch its pages again, so
 * they are not waited for until ->release() (the exit's invalidations
 * still zap their PTEs).
 */
static int rm_hmm_locked(struct rm_tdb *tdb, struct hmm_range *range,
			 int (*fault)(struct hmm_range *range, void *arg),
			 void *arg)
{
	struct mm_struct *mm = tdb->notifier.mm;
	unsigned long timeout = jiffies +
				msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	int ret;

	/*
	 * Callers retry the fault until it resolves (fixup_user_fault() and
	 * KVM's hva_to_pfn() loop without rescheduling): let others run,
	 * such as the exit of the target we may be waiting for.
	 */
	cond_resched();
	if (!mmget_not_zero(mm)) {
		WRITE_ONCE(tdb->dead, true);
		return -ESRCH;
	}
	range->notifier = &tdb->notifier;
	do {
		range->notifier_seq = mmu_interval_read_begin(range->notifier);
		if (mmap_read_lock_killable(mm)) {
			ret = -EINTR;
			break;
		}
		ret = fault(range, arg);
		mmap_read_unlock(mm);
	} while (ret == -EBUSY && !fatal_signal_pending(current) &&
		 time_before(jiffies, timeout));
	mmput_async(mm);
	return ret;
}

struct rm_resolve {
	struct rm_pdb *pdb;
	bool write;
	bool hole;		/* no VMA of the target at req_hva */
	bool nowrite;		/* retried for reads: not writable */
};

/* One page for rm_pdb_resolve(), under the target's mmap_lock. */
static int rm_pdb_fault_one(struct hmm_range *range, void *arg)
{
	struct rm_resolve *r = arg;
	struct vm_area_struct *vma;
	int ret;

	vma = find_vma(range->notifier->mm, r->pdb->req_hva);
	r->hole = !vma || vma->vm_start > r->pdb->req_hva;
	if (r->hole || rm_target_vma_check(vma, false))
		return -EFAULT;
	if (r->pdb->zerohole && !rm_target_faults_safely(vma)) {
		/*
		 * KVM: take the page as it is, never wait for a file system
		 * the target may serve itself.
		 */
		range->default_flags = 0;
		ret = hmm_range_fault(range);
		if (!ret && (!(*range->hmm_pfns & HMM_PFN_VALID) ||
			     (r->write && !(*range->hmm_pfns & HMM_PFN_WRITE))))
			ret = -EFAULT;
		return ret;
	}
	ret = hmm_range_fault(range);
	/*
	 * The page may be there but not writable (mprotect()): keep
	 * following it for reads, and fail writes to it.
	 */
	if (ret == -EPERM && (range->default_flags & HMM_PFN_REQ_WRITE)) {
		range->default_flags &= ~HMM_PFN_REQ_WRITE;
		r->nowrite = true;
		ret = -EBUSY;
	}
	return ret;
}

/*
 * The 512 pages of a 2 MiB pdb, under the target's mmap_lock: in as many
 * VMAs as the target has made of them since the map (mprotect() of a
 * part), each of which must be one that may be mirrored.  A KVM alias
 * takes them as they are where one of them may wait on the target, as
 * rm_pdb_fault_one() does.
 */
static int rm_pdb_fault_huge(struct hmm_range *range, void *arg)
{
	struct rm_resolve *r = arg;
	struct vm_area_struct *vma;
	bool safe = true;
	unsigned long addr;
	unsigned int i;
	int ret;

	for (addr = range->start; addr < range->end; addr = vma->vm_end) {
		vma = vma_lookup(range->notifier->mm, addr);
		r->hole = !vma;
		if (!vma || rm_target_vma_check(vma, false))
			return -EFAULT;
		if (r->pdb->zerohole && !rm_target_faults_safely(vma))
			safe = false;
	}
	if (safe)
		return hmm_range_fault(range);
	range->default_flags = 0;
	ret = hmm_range_fault(range);
	for (i = 0; !ret && i < RM_HUGE_PAGES; i++)
		if (!(range->hmm_pfns[i] & HMM_PFN_VALID))
			ret = -EFAULT;
	return ret;
}

/*
 * Whether the huge page at @pfn is the huge zero page, which a target's
 * read of untouched anonymous memory maps: 7.x's zap_huge_pmd() knows it
 * by its pfn whatever the PMD, and would free a page table deposited
 * with it, which no PMD of ours has.  So it is mirrored by PTEs.  It is
 * the only huge page mapped without a ->mapping (anonymous, file and
 * hugetlb pages have one); reading it racily is fine, as what was read
 * is stored only if no invalidation ran meanwhile.
 */
static bool rm_huge_zero(unsigned long pfn)
{
	return !READ_ONCE(page_folio(pfn_to_page(pfn))->mapping);
}

/*
 * rm_pdb_resolve() of a 2 MiB pdb, for reads: all of its pages, into a
 * new array of pfns that replaces the cached one if it is stored.  They
 * are one PMD's (pdb->pmd) when HMM found the first mapped at that
 * order: the range is aligned to it, so the rest follow physically.
 */
static void rm_pdb_resolve_huge(struct rm_pdb *pdb)
{
	struct hmm_range range = {
		.start		= pdb->req_hva,
		.end		= pdb->req_hva + PMD_SIZE,
		.default_flags	= HMM_PFN_REQ_FAULT,
	};
	struct rm_resolve r = { .pdb = pdb };
	unsigned long *pfns;
	unsigned int i;
	bool pmd = false;
	u8 cache;
	int ret;

	pfns = kvmalloc_array(RM_HUGE_PAGES, sizeof(*pfns), GFP_KERNEL);
	if (pfns) {
		range.hmm_pfns = pfns;
		ret = rm_hmm_locked(pdb->tdb, &range, rm_pdb_fault_huge, &r);
	} else {
		/* Cached as a failure, not retried without end. */
		range.notifier_seq = mmu_interval_read_begin(&pdb->tdb->notifier);
		ret = -ENOMEM;
	}
	if (ret == -ESRCH || ret == -EBUSY || ret == -EINTR)
		goto out_free;
	if (!ret) {
		pmd = hmm_pfn_to_map_order(pfns[0]) >= PMD_SHIFT - PAGE_SHIFT;
		for (i = 0; i < RM_HUGE_PAGES; i++)
			pfns[i] = page_to_pfn(hmm_pfn_to_page(pfns[i]));
		pmd = pmd && IS_ALIGNED(pfns[0], RM_HUGE_PAGES) &&
		      !rm_huge_zero(pfns[0]);
	}

	/*
	 * A failure is cached as for a page: one SIGBUS, then resolved
	 * again; a KVM alias of a range the target no longer has reads zeros.
	 */
	if (!ret)
		cache = RM_CACHE_RO;
	else
		cache = r.hole && pdb->zerohole ? RM_CACHE_GONE : RM_CACHE_ERR;
	spin_lock(&pdb->lock);
	pdb->tail = false;
	if (rm_pdb_store(pdb, cache, 0, range.notifier_seq) && !ret) {
		swap(pdb->hpfns, pfns);
		pdb->pmd = pmd;
	}
	spin_unlock(&pdb->lock);
out_free:
	kvfree(pfns);
}

/*
 * Resolve the target page with the introspector's mmap_lock NOT held, and
 * cache it unless an invalidation ran meanwhile.  A failure is cached too,
 * so that the retried fault can raise SIGBUS.
 */
void rm_pdb_resolve(struct rm_pdb *pdb, bool write)
{
	struct rm_resolve r = { .pdb = pdb, .write = write };
	unsigned long hmm_pfn = 0;
	struct hmm_range range = {
		.start		= pdb->req_hva,
		.end		= pdb->req_hva + PAGE_SIZE,
		.hmm_pfns	= &hmm_pfn,
		.default_flags	= HMM_PFN_REQ_FAULT |
				  (write ? HMM_PFN_REQ_WRITE : 0),
	};
	bool logged, tail = false, store;
	u8 cache;
	int ret;

	if (pdb->huge) {
		rm_pdb_resolve_huge(pdb);
		return;
	}
	ret = rm_hmm_locked(pdb->tdb, &range, rm_pdb_fault_one, &r);
	if (ret == -ESRCH)
		return;

	/* See MM_REMOTE_NO_TAIL. */
	if (!ret && pdb->no_tail && PageTail(hmm_pfn_to_page(hmm_pfn))) {
		ret = -EOPNOTSUPP;
		tail = true;
	}

	/*
	 * A KVM alias of a dirty-logged memslot gets no write access: its
	 * stores would not be in the target's log (rm_tvm_dirty_logged()).
	 * Not under pdb->lock: it takes tdb->lock and the VM's SRCU.  Only
	 * asked when write access is at stake, off the path of reads.
	 */
	logged = !ret && pdb->zerohole &&
		 (write || (hmm_pfn & HMM_PFN_WRITE)) &&
		 rm_tvm_dirty_logged(pdb->tdb, pdb->req_hva);

	/* Nothing to remember of these: the retried fault resolves again. */
	store = ret != -EBUSY && ret != -EINTR;
	if (!ret && write && logged) {
		/* Refused while logging lasts, retried after: see below. */
		cache = RM_CACHE_ERR;
	} else if (!ret) {
		if ((hmm_pfn & HMM_PFN_WRITE) && !logged)
			cache = RM_CACHE_RW;
		else
			cache = r.nowrite ? RM_CACHE_NOWRITE : RM_CACHE_RO;
	} else if (r.hole && pdb->zerohole) {
		/*
		 * The target has no memory there: a ZEROHOLE mapping reads
		 * zeros for good, as after the target's exit.  (The unmap
		 * that made the hole usually ended it already.)
		 */
		cache = RM_CACHE_GONE;
	} else {
		/*
		 * The target cannot give the page now (PROT_NONE,
		 * userfaultfd, its memcg's limit, hwpoison): one SIGBUS, and
		 * the next access tries again.  KVM fails KVM_RUN with
		 * EFAULT: a visible failure, never a silent private page.
		 */
		cache = RM_CACHE_ERR;
	}

	spin_lock(&pdb->lock);
	pdb->tail = tail;
	if (store)
		rm_pdb_store(pdb, cache, ret ? 0 : hmm_pfn, range.notifier_seq);
	spin_unlock(&pdb->lock);
}

/* The pages of a batch for rm_pdb_resolve_bulk(). */
struct rm_resolve_bulk {
	struct rm_pdb **pdbs;
	const int *errs;
	unsigned int n;
	struct rm_tdb *tdb;
	unsigned long *hmm_pfns;
};

/*
 * Whether pdbs[i] is resolved with the other pages of its target in a
 * batch: KVM's aliases (zerohole, no_tail) have checks of their own per
 * page, and a 2 MiB pdb resolves its 512 pages itself.
 */
static bool rm_pdb_bulk_ok(const struct rm_resolve_bulk *b, unsigned int i)
{
	return !b->errs[i] && !b->pdbs[i]->zerohole && !b->pdbs[i]->no_tail &&
	       !b->pdbs[i]->huge && b->pdbs[i]->tdb == b->tdb;
}

/*
 * hmm_range_fault() of each run of consecutive target pages among the
 * pdbs that rm_pdb_bulk_ok(), under the target's mmap_lock.  A run
 * outside one VMA of the target, or that it cannot give whole now, is
 * left with no HMM_PFN_VALID: rm_pdb_resolve() takes its pages one by
 * one.  0, or the -EBUSY of a run that an invalidation overtook.
 */
static int rm_pdb_fault_runs(struct hmm_range *range, void *arg)
{
	struct rm_resolve_bulk *b = arg;
	struct mm_struct *mm = range->notifier->mm;
	unsigned long *hmm_pfns = b->hmm_pfns;
	struct vm_area_struct *vma = NULL;
	struct rm_pdb **pdbs = b->pdbs;
	unsigned int i, k;
	int ret;

	mmap_assert_locked(mm);
	for (i = 0; i < b->n; i = k) {
		cond_resched();
		hmm_pfns[i] = 0;
		k = i + 1;
		if (!rm_pdb_bulk_ok(b, i))
			continue;
		while (k < b->n && rm_pdb_bulk_ok(b, k) &&
		       pdbs[k]->req_hva == pdbs[k - 1]->req_hva + PAGE_SIZE)
			hmm_pfns[k++] = 0;
		range->start = pdbs[i]->req_hva;
		range->end = pdbs[k - 1]->req_hva + PAGE_SIZE;
		range->hmm_pfns = hmm_pfns + i;
		/* Scattered pages mostly share a VMA: look it up once. */
		if (!vma || range->start < vma->vm_start ||
		    range->start >= vma->vm_end) {
			vma = vma_lookup(mm, range->start);
			if (vma && rm_target_vma_check(vma, false))
				vma = NULL;
		}
		if (!vma || range->end > vma->vm_end)
			continue;
		ret = hmm_range_fault(range);
		if (ret == -EBUSY)
			return ret;
		/* Left to rm_pdb_resolve(), which caches the failure. */
		if (ret)
			memset(hmm_pfns + i, 0, (k - i) * sizeof(*hmm_pfns));
	}
	return 0;
}

/*
 * rm_pdb_resolve(pdb, false) of each of pdbs[0..n) without an error (a
 * batch mapped with MM_REMOTE_POPULATE): those of one target under one
 * hold of its mmap_lock and with one notifier sequence, by runs of
 * consecutive pages (rm_pdb_fault_runs()), rather than page by page.
 */
void rm_pdb_resolve_bulk(struct rm_pdb **pdbs, const int *errs,
			 unsigned int n)
{
	struct rm_resolve_bulk b = { .pdbs = pdbs, .errs = errs, .n = n };
	struct hmm_range range = { .default_flags = HMM_PFN_REQ_FAULT };
	unsigned long *hmm_pfns = NULL;
	unsigned int i, bulk = 0;

	/* A batch has one target; KVM's aliases are not counted. */
	for (i = 0; i < n; i++) {
		if (!b.tdb && !errs[i])
			b.tdb = pdbs[i]->tdb;
		bulk += b.tdb && rm_pdb_bulk_ok(&b, i);
	}
	if (bulk > 1)
		hmm_pfns = kvmalloc_array(n, sizeof(*hmm_pfns), GFP_KERNEL);
	b.hmm_pfns = hmm_pfns;
	/* Busy, interrupted or exiting: nothing to store, as for one page. */
	if (hmm_pfns && rm_hmm_locked(b.tdb, &range, rm_pdb_fault_runs, &b)) {
		kvfree(hmm_pfns);
		return;
	}

	for (i = 0; i < n; i++) {
		if (errs[i])
			continue;
		if (!hmm_pfns || !rm_pdb_bulk_ok(&b, i) ||
		    !(hmm_pfns[i] & HMM_PFN_VALID)) {
			rm_pdb_resolve(pdbs[i], false);
			continue;
		}
		spin_lock(&pdbs[i]->lock);
		pdbs[i]->tail = false;
		rm_pdb_store(pdbs[i], hmm_pfns[i] & HMM_PFN_WRITE ?
				      RM_CACHE_RW : RM_CACHE_RO,
			     hmm_pfns[i], range.notifier_seq);
		spin_unlock(&pdbs[i]->lock);
	}
	kvfree(hmm_pfns);
}

struct rm_install {
	struct rm_pdb *pdb;
	struct vm_area_struct *vma;
	bool write;
	bool dead;
	bool keep_err;		/* fail from RM_CACHE_ERR, but keep it */
};

/*
 * A PTE for a read may be writable too when the mapping and the target's
 * page both are: otherwise KVM maps the page read-only for the guest and
 * its next store goes through the instruction emulator, which cannot do
 * VEX stores (AVX memcpy) and makes a cmpxchg16b non-atomic.
 */
static bool rm_install_writable(struct rm_install *ins)
{
	return ins->write ||
	       (ins->pdb->cache == RM_CACHE_RW && !ins->pdb->readonly &&
		(ins->vma->vm_flags & VM_WRITE));
}

/* The cached pfn of the target page behind @addr, a page of @pdb. */
static unsigned long rm_pdb_pfn(const struct rm_pdb *pdb, unsigned long addr)
{
	lockdep_assert_held(&pdb->lock);
	if (pdb->huge)
		return pdb->hpfns[(addr - pdb->map_hva) >> PAGE_SHIFT];
	return pdb->pfn;
}

static void rm_set_pte(struct rm_install *ins, pte_t *ptep, unsigned long addr,
		       unsigned long pfn, bool writable)
{
	pte_t pte = pte_mkspecial(pfn_pte(pfn, ins->vma->vm_page_prot));

	pte = pte_mkyoung(pte);
	if (writable)
		pte = pte_mkdirty(pte_mkwrite_novma(pte));
	else
		pte = pte_wrprotect(pte);
	set_pte_at(ins->vma->vm_mm, addr, ptep, pte);
	/* Under pdb->lock, with the PTE: see rm_pdb_invalidate(). */
	ins->pdb->vma = ins->vma;
}

/*
 * rm_install_pte()'s answers besides 0 and -errno, through
 * apply_to_page_range(), which returns what the callback returned.
 */
enum {
	RM_INSTALL_RESOLVE = 1,	/* nothing usable cached: resolve, retry */
	RM_INSTALL_ORPHAN,	/* the target is gone: allocate pdb->orphan */
};

/*
 * apply_to_page_range() callback: runs under the mirror's page table lock
 * with pdb->lock taken inside it, so the cache check and the PTE store
 * are atomic against the zap of rm_pdb_invalidate_done(), which needs the
 * same PTL.
 */
static int rm_install_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct rm_install *ins = data;
	struct rm_pdb *pdb = ins->pdb;
	int ret = 0;

	if (!pte_none(ptep_get(ptep)))
		return 0;

	spin_lock(&pdb->lock);
	if (pdb->cache == RM_CACHE_UNMAPPED) {
		/* The window page was unmapped: the refault finds a hole. */
	} else if (READ_ONCE(pdb->tdb->dead) || pdb->cache == RM_CACHE_GONE) {
		ins->dead = true;
		/* A 2 MiB pdb is read-only, and its union holds hpfns. */
		if (!pdb->huge && pdb->orphan)
			rm_set_pte(ins, ptep, addr, page_to_pfn(pdb->orphan),
				   ins->write);
		else if (!ins->write)
			rm_set_pte(ins, ptep, addr,
				   page_to_pfn(ZERO_PAGE(addr)), false);
		else
			ret = RM_INSTALL_ORPHAN;
	} else if (pdb->cache == RM_CACHE_NONE ||
		   (ins->write && pdb->cache == RM_CACHE_RO)) {
		ret = RM_INSTALL_RESOLVE;
	} else if (pdb->cache == RM_CACHE_ERR) {
		if (!ins->keep_err)
			pdb->cache = RM_CACHE_NONE;
		ret = -EFAULT;
	} else if (ins->write && pdb->cache == RM_CACHE_NOWRITE) {
		ret = -EFAULT;
	} else {
		bool writable = rm_install_writable(ins);

		/*
		 * Dirty the page now: writes through our PTE leave no dirty
		 * bit in the target's PTE.  Writeback or reclaim of the page
		 * first invalidates us (write-protecting the target's PTE
		 * too), so a later write refaults here.
		 */
		if (writable)
			set_page_dirty(pfn_to_page(pdb->pfn));
		rm_set_pte(ins, ptep, addr, rm_pdb_pfn(pdb, addr), writable);
	}
	spin_unlock(&pdb->lock);
	return ret;
}

/*
 * The PMD of @addr in @mm, read without its lock, or an empty one where no
 * page table reaches it.  The caller holds the mmap_lock or the VMA's lock:
 * no page table goes meanwhile.
 */
static pmd_t rm_pmd_get(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(*pgd))
		return __pmd(0);
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d))
		return __pmd(0);
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_leaf(*pud))
		return __pmd(0);
	return pmdp_get_lockless(pmd_offset(pud, addr));
}

/*
 * Whether @addr of @mm is mapped by a huge PMD, which only a 2 MiB pdb's
 * huge fault installs (there is none on a kernel without special huge
 * PMDs).
 */
static bool rm_pmd_leaf(struct mm_struct *mm, unsigned long addr)
{
	return IS_ENABLED(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP) &&
	       pmd_leaf(rm_pmd_get(mm, addr));
}

/* Whether the 2 MiB of @addr in @mm has a page table of PTEs. */
bool rm_pmd_table(struct mm_struct *mm, unsigned long addr)
{
	pmd_t pmd = rm_pmd_get(mm, addr);

	return !pmd_none(pmd) && !pmd_leaf(pmd);
}

/*
 * apply_to_page_range() of rm_install_pte() over [@addr, @addr + @size),
 * pages of ins->pdb.  Those of a 2 MiB pdb may be under a PMD that the
 * huge fault of another thread installed since this fault found none:
 * then there is nothing to do (the access is retried), and
 * apply_to_page_range(), which warns on a PMD, is not called.  The
 * idb's huge_lock keeps one from coming meanwhile.
 */
static int rm_install_range(struct rm_install *ins, unsigned long addr,
			    unsigned long size)
{
	struct mm_struct *mm = ins->vma->vm_mm;
	struct rm_idb *idb = ins->pdb->idb;
	int err = 0;

	if (!ins->pdb->huge)
		return apply_to_page_range(mm, addr, size, rm_install_pte, ins);
	mutex_lock(&idb->huge_lock);
	if (!rm_pmd_leaf(mm, addr))
		err = apply_to_page_range(mm, addr, size, rm_install_pte, ins);
	mutex_unlock(&idb->huge_lock);
	return err;
}

static int rm_pdb_alloc_orphan(struct rm_pdb *pdb)
{
	struct page *page;

	page = alloc_page(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT);
	if (!page)
		return -ENOMEM;
	spin_lock(&pdb->lock);
	if (!pdb->orphan) {
		pdb->orphan = page;
		page = NULL;
	}
	spin_unlock(&pdb->lock);
	if (page)
		__free_page(page);
	return 0;
}

/* A window page is unmapped: a racing fault or populate installs nothing. */
void rm_pdb_unmapped(struct rm_pdb *pdb)
{
	spin_lock(&pdb->lock);
	pdb->cache = RM_CACHE_UNMAPPED;
	spin_unlock(&pdb->lock);
}

/*
 * Whether @addr of @vma (a mirror or a window: VM_PFNMAP) has a PTE; the
 * caller holds the mmap_lock.
 */
bool rm_pte_present(struct vm_area_struct *vma, unsigned long addr)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };

	mmap_assert_locked(vma->vm_mm);
	if (follow_pfnmap_start(&args))
		return false;
	follow_pfnmap_end(&args);
	return true;
}

/*
 * Unmap the window page of @pdb in @vma, with the mmap_lock held.  Its VMA
 * is forgotten only after the zap, so that a target invalidation meanwhile
 * still zaps; the pdb may outlive @vma (a fault in flight holds it).
 */
void rm_pdb_unmap(struct rm_pdb *pdb, struct vm_area_struct *vma)
{
	if (pdb->huge) {
		/*
		 * After a PMD's install, whose zap follows, or before its
		 * check: see zap_sem.  Not across the zap, whose invalidation
		 * of this mm may go through a tdb's pdbs_sem, which is taken
		 * before zap_sem.
		 */
		down_read(&pdb->idb->zap_sem);
		rm_pdb_unmapped(pdb);
		up_read(&pdb->idb->zap_sem);
		rm_zap_mirror(vma, pdb->map_hva, PMD_SIZE);
		rm_pdb_forget_vma(pdb);
		return;
	}
	rm_pdb_unmapped(pdb);
	/*
	 * A page never touched since its map has no PTE, and after
	 * rm_pdb_unmapped() none can be installed (the check takes the PTL):
	 * no zap then, so no invalidation of this mm and, for a VM, no TLB
	 * flush of its KVM.
	 */
	if (rm_pte_present(vma, pdb->map_hva))
		rm_zap_mirror(vma, pdb->map_hva, PAGE_SIZE);
	rm_pdb_forget_vma(pdb);
}

/* The last step of an unmap, after the zap of the window page of @pdb. */
void rm_pdb_forget_vma(struct rm_pdb *pdb)
{
	spin_lock(&pdb->lock);
	pdb->vma = NULL;
	spin_unlock(&pdb->lock);
}

struct rm_install_run {
	struct rm_install ins;
	struct rm_pdb **pdbs;
	unsigned long start;
};

/* rm_install_pte() for the page of a run at @addr; a page left is no error. */
static int rm_install_run_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct rm_install_run *run = data;

	run->ins.pdb = run->pdbs[(addr - run->start) >> PAGE_SHIFT];
	rm_install_pte(ptep, addr, &run->ins);
	return 0;
}

/*
 * Install what the cache of each of pdbs[0..n) holds at its map_hva in
 * @vma, the way a read fault would, if it holds anything valid (else the
 * first access faults).  Their pages follow each other from
 * pdbs[0]->map_hva: one walk of the page table, its lock taken once per
 * page table rather than per page.  The caller holds vma's mmap_lock and
 * a reference on each pdb.
 */
void rm_pdb_populate_run(struct rm_pdb **pdbs, unsigned int n,
			 struct vm_area_struct *vma)
{
	struct rm_install_run run = {
		.ins.vma	= vma,
		.pdbs		= pdbs,
		.start		= pdbs[0]->map_hva,
	};

	mmap_assert_locked(vma->vm_mm);
	apply_to_page_range(vma->vm_mm, run.start, n * PAGE_SIZE,
			    rm_install_run_pte, &run);
}

void rm_pdb_populate(struct rm_pdb *pdb, struct vm_area_struct *vma)
{
	rm_pdb_populate_run(&pdb, 1, vma);
}

/*
 * rm_pdb_populate() of a 2 MiB pdb: its 512 PTEs, where no PMD can map
 * it (6.1, or the target's range is not one huge page).  A PMD is left
 * to the first access's huge fault: PTEs here would keep it out for good.
 */
void rm_pdb_populate_huge(struct rm_pdb *pdb, struct vm_area_struct *vma)
{
	struct rm_install ins = { .pdb = pdb, .vma = vma };
	bool pmd;

	mmap_assert_locked(vma->vm_mm);
	spin_lock(&pdb->lock);
	pmd = pdb->pmd && IS_ENABLED(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP);
	spin_unlock(&pdb->lock);
	if (!pmd)
		rm_install_range(&ins, pdb->map_hva, PMD_SIZE);
}

/* Fault at a page of @pdb; the caller holds a reference on @pdb. */
vm_fault_t rm_pdb_fault(struct vm_fault *vmf, struct rm_pdb *pdb)
{
	struct vm_area_struct *vma = vmf->vma;
	struct rm_install ins = {
		.pdb	= pdb,
		.vma	= vma,
		.write	= vmf->flags & FAULT_FLAG_WRITE,
		/*
		 * KVM (fixup_user_fault()) repeats a fault that dropped the
		 * mmap_lock, even one that failed then, and takes a failure
		 * only from a fault that did not drop it: the retry of the
		 * failed resolution fails but keeps the error for that next
		 * fault, which fails without resolving and clears it.
		 */
		.keep_err = pdb->zerohole && (vmf->flags & FAULT_FLAG_TRIED),
	};
	int err;

	err = rm_install_range(&ins, vmf->address & PAGE_MASK, PAGE_SIZE);
	if (err == RM_INSTALL_ORPHAN) {
		if (rm_pdb_alloc_orphan(pdb))
			return VM_FAULT_OOM;
		err = rm_install_range(&ins, vmf->address & PAGE_MASK,
				       PAGE_SIZE);
	}
	switch (err) {
	case 0:
		return VM_FAULT_NOPAGE;
	case RM_INSTALL_RESOLVE:
		break;
	case -ENOMEM:
		return VM_FAULT_OOM;
	default:
		return VM_FAULT_SIGBUS;
	}

	/*
	 * Resolving the target page needs the target's mmap_lock, which we
	 * must not take under ours: drop ours and have the fault retried.
	 * A caller that cannot retry gets SIGBUS.
	 */
	if (!(vmf->flags & FAULT_FLAG_ALLOW_RETRY))
		return VM_FAULT_SIGBUS;
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return VM_FAULT_RETRY;

	kref_get(&pdb->ref);
	mmap_read_unlock(vma->vm_mm);
	rm_pdb_resolve(pdb, ins.write);
	rm_pdb_put(pdb);
	return VM_FAULT_RETRY;
}

#ifdef RM_HAVE_PMD_MIRROR
/*
 * The huge fault at a 2 MiB pdb: one PMD for all of it, if its cache holds
 * one PMD's pages of the target and the access is a read; else the fault
 * goes on with PTEs (VM_FAULT_FALLBACK: rm_pdb_fault() for the page).
 * Writes are never mapped so: the pdb is read-only.
 *
 * The check of the cache and the install of the PMD are one step against
 * what drops the cache and then zaps, held off by zap_sem held here for
 * write: a target invalidation holds it for read from before its drop
 * until its zap is done, an unmap around its drop, before its zap.  A
 * PTE's install gets the same from the page table lock, taken before the
 * check; vmf_insert_pfn_pmd() takes the PMD's lock itself.  The idb's
 * huge_lock keeps the PTE installs of this pdb's pages out meanwhile.
 * Called under the mmap_lock or only the VMA's lock: with the latter,
 * nothing is resolved here (that drops the mmap_lock), the PTE fault
 * retries under the mmap_lock and comes back.
 */
vm_fault_t rm_pdb_huge_fault(struct vm_fault *vmf, struct rm_pdb *pdb)
{
	struct vm_area_struct *vma = vmf->vma;
	struct rm_idb *idb = pdb->idb;
	vm_fault_t ret = VM_FAULT_FALLBACK;
	bool install = false, dead;
	unsigned long pfn = 0;
	u8 cache;

	if ((vmf->flags & FAULT_FLAG_WRITE) || vma->vm_start > pdb->map_hva ||
	    vma->vm_end < pdb->map_hva + PMD_SIZE)
		return VM_FAULT_FALLBACK;

	mutex_lock(&idb->huge_lock);
	down_write(&idb->zap_sem);
	spin_lock(&pdb->lock);
	cache = pdb->cache;
	dead = READ_ONCE(pdb->tdb->dead);
	if (cache == RM_CACHE_RO && pdb->pmd && !dead) {
		pfn = pdb->hpfns[0];
		/* With the PMD: see rm_pdb_invalidate(). */
		pdb->vma = vma;
		install = true;
	}
	spin_unlock(&pdb->lock);
	if (install)
		ret = rm_insert_pfn_pmd(vmf, pfn);
	up_write(&idb->zap_sem);
	mutex_unlock(&idb->huge_lock);

	/* The PTE fault maps what is left of a dead target: zeros. */
	if (dead || cache != RM_CACHE_NONE ||
	    !(vmf->flags & FAULT_FLAG_ALLOW_RETRY) ||
	    (vmf->flags & (FAULT_FLAG_RETRY_NOWAIT | FAULT_FLAG_VMA_LOCK)))
		return ret;
	/* Nothing cached: resolve as rm_pdb_fault() does, then retry. */
	kref_get(&pdb->ref);
	mmap_read_unlock(vma->vm_mm);
	rm_pdb_resolve(pdb, false);
	rm_pdb_put(pdb);
	return VM_FAULT_RETRY;
}
#endif

static vm_fault_t rm_mirror_fault(struct vm_fault *vmf)
{
	return rm_pdb_fault(vmf, vmf->vma->vm_private_data);
}

/*
 * A write to a PTE installed read-only: the target page may be shared (KSM,
 * COW, zero page).  Zap it so that the write refaults and is resolved with
 * write access, which breaks the sharing in the target first.  Having
 * ->pfn_mkwrite also makes mirrors write-notify VMAs (vma_wants_writenotify()),
 * so mprotect() never turns such a PTE writable: it only restores write
 * access to PTEs that are dirty, which are installed only for a page the
 * target could write (RM_CACHE_RW) or that a write resolution made so.
 */
vm_fault_t rm_mirror_pfn_mkwrite(struct vm_fault *vmf)
{
	rm_zap_mirror(vmf->vma, vmf->address & PAGE_MASK, PAGE_SIZE);
	return VM_FAULT_NOPAGE;
}

/* Both run with the VMA's mmap_lock held for write. */
static void rm_mirror_open(struct vm_area_struct *vma)
{
	struct rm_pdb *pdb = vma->vm_private_data;

	pdb->vmas++;
	kref_get(&pdb->ref);
}

static void rm_mirror_close(struct vm_area_struct *vma)
{
	struct rm_pdb *pdb = vma->vm_private_data;

	/* The last one's close ends a live mapping: its entry goes. */
	if (!--pdb->vmas && rm_idb_detach(pdb))
		rm_pdb_put(pdb);
	rm_pdb_put(pdb);
}

/*
 * Mirrors do not move: their pages are indexed by address, and a target
 * invalidation zaps through the VMA a PTE was installed in.  mremap() asks
 * the file's ->get_unmapped_area() for the new area first, and both kinds
 * of pseudo file refuse it there, so this is not reached.  Should it be:
 * the PTEs were moved to @vma, outside the VMA their pdbs
 * name, and are moved back after this fails.  Zap them so that none comes
 * back without its VMA recorded; the next access refaults.
 */
int rm_mirror_mremap(struct vm_area_struct *vma)
{
	rm_zap_mirror(vma, vma->vm_start, vma->vm_end - vma->vm_start);
	return -EINVAL;
}

const struct vm_operations_struct rm_mirror_vm_ops = {
	.open		= rm_mirror_open,
	.close		= rm_mirror_close,
	.mremap		= rm_mirror_mremap,
	.fault		= rm_mirror_fault,
	.pfn_mkwrite	= rm_mirror_pfn_mkwrite,
};
