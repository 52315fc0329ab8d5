/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Objects shared by the files of remote_mapping.ko.  (The design's
 * intro_db, target_db and page_db are called idb, tdb and pdb here, in
 * comments and in Documentation/ alike.)
 *
 * idb (struct rm_idb): one per introspector mm, found and refcounted
 *	through mmu_notifier_get()/mmu_notifier_put(); holds the pdbs by
 *	map_hva.
 * tdb (struct rm_tdb): one per target mm, likewise; owns the pseudo
 *	file that page mirrors of that target map (file offset == target
 *	address), one mmu_interval_notifier over the whole target mm, and
 *	the tree of its pdbs by req_hva that routes its invalidations.
 * pdb (struct rm_pdb): one per mapping.  Holds a user reference on its
 *	idb and tdb, is in the tdb's tree while it watches the target page,
 *	and remembers the VMA its PTE went into, through which a target
 *	invalidation zaps it.
 * window (struct rm_win): a mirror VMA made by mmap() of /dev/remote_mapping,
 *	whose pages are mapped and unmapped without any VMA operation.  It
 *	has its own pseudo file and lives as long as that file.
 *
 * Mirror VMAs are of two kinds: a page mirror (rm_mirror_vm_ops) is one
 * page that replaced anonymous memory at map_hva, maps tdb->file and has
 * its pdb as vm_private_data; a window (rm_win_vm_ops) maps its
 * window's file, has the window as vm_private_data, and finds the pdb
 * of an address in idb->pdbs.
 *
 * Files, lowest first; each calls only files listed before it
 * (scripts/callgraph.py, make lint):
 *   rm_main.c		the workqueue and debugfs counters all use; it
 *			calls the others' init/exit only
 *   rm_mn.c, rm_fs.c, rm_zap.c, rm_vma.c, rm_btf.c, rm_kvm_sym.c (leaves)
 *   rm_idb.c		the idb, an index: never calls into its pdbs
 *   rm_tvm.c		a tdb's VMs: memslot changes go up through the
 *			rm_set_range_t that the tdb hands down
 *   rm_pdb.c		a mapping: resolve, fault, invalidate one page
 *   rm_tdb.c		the target: routes invalidations to its pdbs
 *   rm_win.c, rm_map.c	windows; mm_remote_map()/unmap()
 *   rm_kvm_hook.c	how KVM hands hypercalls to rm_kvm.c: patch or ftrace
 *   rm_token.c, rm_vmslots.c, rm_kvm.c, rm_dev.c	(entry points)
 *
 * Target invalidations zap mirror PTEs through the VMA recorded in the
 * pdb, never through the pseudo files' i_mmap trees:
 * mm_take_all_locks(), run by any new notifier registration on an mm that
 * maps such a file, takes that i_mmap_rwsem and then the mm's anon_vma
 * locks, while reclaim holds an anon_vma lock across the invalidation.
 *
 * Lock ordering (outermost first; never two mms' mmap_locks at once: a
 * fault drops the introspector's and retries before it takes the
 * target's, rm_pdb_fault()):
 *
 * fault:
 *   introspector mmap_lock
 *     mirror page table lock		(apply_to_page_range())
 *       rm_pdb::lock
 *
 * huge fault (a 2 MiB pdb's PMD, rm_pdb_huge_fault()):
 *   introspector mmap_lock, or the window VMA's lock
 *     rm_idb::huge_lock		(also around a 2 MiB pdb's PTE installs)
 *       rm_idb::zap_sem (write)
 *         rm_pdb::lock		(dropped before the install)
 *         mirror PMD lock		(vmf_insert_pfn_pmd())
 *
 * target invalidation (rm_tdb_invalidate()):
 *   the caller's target locks (mmap_lock, anon_vma, i_mmap_rwsem, page)
 *     rm_tdb::pdbs_sem (read)
 *       rm_idb::zap_sem (read)
 *         rm_pdb::lock			(dropped before the zap)
 *         mirror page table lock	(rm_zap_mirror())
 *           the introspector's notifiers (KVM's mmu_lock); none of ours
 *
 * map and unmap:
 *   introspector mmap_lock		(vm_mmap())
 *     rm_tdb::lock, rm_idb::pdbs xa_lock	(->mmap, ->close)
 *     pseudo inode i_mmap_rwsem	(VMA link and unlink)
 *     rm_idb::zap_sem (write)		(end of an unmap's invalidation)
 *       rm_idb::pdbs xa_lock, rm_pdb::lock
 *   rm_tdb::pdbs_sem (write)		(rm_tdb_watch(), last put); nothing inside
 *
 * window map, unmap and pool holes:
 *   introspector mmap_lock (read)
 *     window page table lock
 *       rm_pdb::lock, or rm_idb::pdbs xa_lock
 *     rm_idb::pdbs xa_lock, rm_win::lock
 *
 * KVM target VM (rm_tvm.c):
 *   kvm->slots_lock			(memslot deletion)
 *     rm_tdb::lock			(the watch's noted memslots)
 *     rm_tdb::pdbs_sem ...		(as an invalidation, rm_tdb_set_range())
 *   rm_tvm_mutex
 *     rm_tdb::lock
 *
 * rm_mn_lock (_bh, also from SRCU callbacks) and rm_pdb::lock are leaves.
 * Why, and the races they close: Documentation/overview.rst, "Lock order
 * and why".
 */
#ifndef _RM_INTERNAL_H
#define _RM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

/*
 * An mmu_notifier of ours (idb, tdb) with the module's own count
 * of references on it: see rm_mn_get().
 */
struct rm_mn {
	struct mmu_notifier mn;
	atomic_t refs;
	/* In rm_mn.c's table by mm while refs may be > 0; RCU. */
	struct hlist_node node;
	struct rcu_head rcu;
};

struct rm_idb {
	struct rm_mn rmn;
	/*
	 * map_hva >> PAGE_SHIFT -> struct rm_pdb.  The xa_lock also protects
	 * rm_pdb::state of every entry.
	 */
	struct xarray pdbs;
	/*
	 * 2 MiB pdbs in pdbs, under its xa_lock.  Such a pdb's entry is at
	 * its first page, the other 511 slots are empty: while there is
	 * one, a lookup that finds an empty slot looks at the first page of
	 * its 2 MiB too (rm_idb_huge_at()).
	 */
	unsigned int huge;
	/*
	 * Held for read by a target invalidation zapping through rm_pdb::vma,
	 * for write to forget those VMAs before their page tables can be
	 * freed: the read side keeps a VMA and its page tables alive.  Never
	 * held for write across an invalidation of this mm.  Also held for
	 * write across the check and install of a 2 MiB pdb's PMD, and for
	 * read by an unmap of one to mark it unmapped: a PMD's install cannot
	 * take the page table lock before it checks the cache, as a PTE's
	 * does (rm_pdb_huge_fault()).
	 */
	struct rw_semaphore zap_sem;
	/*
	 * Held across the PTE installs of a 2 MiB pdb and across the
	 * install of its PMD, which must not meet: apply_to_page_range()
	 * warns on a PMD, and a PMD is not installed over a page table.
	 * Taken by faults and populates only, never by an invalidation, so
	 * a page table may be allocated under it.
	 */
	struct mutex huge_lock;
};

struct rm_tdb {
	struct rm_mn rmn;
	/*
	 * Over all of the target mm, so that every invalidation of it reaches
	 * rm_tdb_invalidate(); hmm_range_fault() resolves under its sequence.
	 * Its invalidate_seq is set by us only with pdbs_sem held.
	 */
	struct mmu_interval_notifier notifier;
	/*
	 * Protects pdbs.  Held for read by an invalidation across its zaps,
	 * for write to add or remove a pdb: a pdb leaves the tree
	 * before it is freed.  Nothing is allocated under it (reclaim takes
	 * it for read).
	 */
	struct rw_semaphore pdbs_sem;
	struct rb_root pdbs;		/* struct rm_pdb by req_hva, duplicates */
	struct rb_root hpdbs;		/* the same for 2 MiB pdbs (pdb->huge) */
	/*
	 * Sequence of the last invalidation, carried into notifier by a new
	 * pdb (rm_tdb_watch()).  Stored by each invalidation before it looks
	 * for pdbs: invalidations running at once share one sequence, so
	 * racing stores store the same value.
	 */
	unsigned long miss_seq;
	/*
	 * Bounds of the target pages of pdbs and hpdbs, [watch_lo, watch_hi]:
	 * grown by
	 * rm_tdb_watch() and reset when the tree empties, under pdbs_sem
	 * for write.  An invalidation outside them takes neither pdbs_sem
	 * nor the tree walk (rm_tdb_invalidate()).
	 */
	unsigned long watch_lo;
	unsigned long watch_hi;
	/*
	 * pdbs a write-protection of the target (fork's COW, page_mkclean(),
	 * see rm_tdb_keep()) must visit: those whose resolution cached
	 * anything but a read-only page, which rm_pdb_invalidate() keeps
	 * through it.  A pdb counts
	 * (pdb->wp_counted) from that store until an invalidation of it has
	 * zapped its mirror, or until it is freed; so a writable PTE of a
	 * target page is never left while this reads 0.  A write-protection
	 * that reads 0 walks nothing (rm_tdb_invalidate()).
	 */
	atomic_t wp_pdbs;
	/*
	 * Of those, the pdbs whose resolution cached a failure (anything
	 * but a page), counted the same way (pdb->fail_counted): a
	 * protection change that leaves the target's VMA readable and
	 * writable keeps writable mirrors too, and visits only these.
	 */
	atomic_t fail_pdbs;
	struct file *file;		/* mirrors map this; offset == req_hva */
	/*
	 * Set by ->release() when the target mm exits, before its mirrors are
	 * zapped; read under the mirror's page table lock (pairs with the
	 * PTL taken by that zap).
	 */
	bool dead;
	spinlock_t lock;		/* protects pending and tvms */
	struct list_head pending;	/* struct rm_pending */
	/*
	 * struct rm_tvm: the VMs of this mm that aliases were made of, whose
	 * memslot changes end them.  Added under rm_tvm_mutex and lock,
	 * removed only when the tdb is freed.
	 */
	struct list_head tvms;
	struct work_struct tvm_work;	/* detaches tvms at target exit */
	struct work_struct free_work;
};

enum rm_pdb_state {
	RM_PDB_MAPPING,		/* reserved, mirror not installed yet */
	RM_PDB_LIVE,		/* mirror installed */
	RM_PDB_UNMAPPING,	/* mm_remote_unmap() replacing the mirror */
	RM_PDB_DETACHED,	/* mirror gone while UNMAPPING */
};

enum rm_pdb_cache {
	RM_CACHE_NONE,
	RM_CACHE_RO,		/* pfn valid for reads */
	RM_CACHE_RW,		/* pfn valid for reads and writes */
	/*
	 * pfn valid for reads; the target page is not writable, so a write
	 * fails (SIGBUS) until the next invalidation.  Kept, not retried:
	 * KVM retries a fault that dropped the mmap_lock (resolved) for
	 * ever, and takes a failure only from one that did not.
	 */
	RM_CACHE_NOWRITE,
	/*
	 * The target cannot give the page now: one SIGBUS (for a ZEROHOLE
	 * mapping, one failed fault that did not drop the mmap_lock), then
	 * the next fault resolves again.
	 */
	RM_CACHE_ERR,
	/* A ZEROHOLE mapping whose target memory went: zeros, for good. */
	RM_CACHE_GONE,
	RM_CACHE_UNMAPPED,	/* window page unmapped: install nothing */
};

struct rm_win {
	struct file *file;	/* window VMAs map it */
	struct rm_idb *idb;	/* of the mm the window is in; reference */
	/*
	 * A pool (KVM_HC_MEM_POOL): made over a VM's RAM, whose holes read
	 * zeros and get a page of their own on a write, kept in holes (by
	 * address >> PAGE_SHIFT) until the window's file is released.
	 */
	bool pool;		/* also: made by a hypercall, not the VMM */
	u32 orig_flags;		/* pool: RM_RAM_FLAGS of the RAM it replaced */
	/* The task whose vm_mmap() is making the pool, only during it. */
	struct task_struct *pool_mapper;
	/* The task whose vm_mmap() is removing the pool, only during it. */
	struct task_struct *pool_unmapper;
	struct xarray holes;
	/*
	 * Index in idb->pdbs of the window's first page, where a reserved
	 * (zero) entry stands while no page is mapped there: it keeps the
	 * xarray's chain of nodes down to the window, which every map would
	 * otherwise allocate again after the window's last unmap.
	 */
	unsigned long anchor;
	spinlock_t lock;	/* protects tdb */
	/*
	 * The target last mapped into the window, with a reference, so that
	 * the tdb (and its notifier registration, which takes all of
	 * the target's mm locks) survives the unmap of its last page.
	 */
	struct rm_tdb *tdb;
};

struct rm_pdb {
	/* In tdb->pdbs, under tdb->pdbs_sem, while watched. */
	struct rb_node tnode;
	struct rm_idb *idb;
	struct rm_tdb *tdb;
	struct rm_win *win;	/* window mapping; holds a file reference */
	unsigned long req_hva;
	unsigned long map_hva;
	struct kref ref;	/* idb entry, mirror VMAs, faults in flight */

	/*
	 * Target page resolved by hmm_range_fault().  A resolution stores it
	 * only if, under lock, no invalidation has run since it began
	 * (mmu_interval_read_retry() false); an invalidation of this page
	 * drops it under lock.  So a cached pfn is current.
	 */
	spinlock_t lock;
	u8 cache;		/* enum rm_pdb_cache, under lock */
	bool tail;		/* last resolution refused a tail, under lock */
	bool wp_counted;	/* in tdb->wp_pdbs, under lock */
	bool fail_counted;	/* in tdb->fail_pdbs, under lock */
	bool pmd;		/* huge: cached pages are one PMD's, under lock */
	u8 state;		/* enum rm_pdb_state, under idb->pdbs xa_lock */
	u8 orig_prot;		/* PROT_* of map_hva before the map */
	u8 readonly:1;
	u8 zerohole:1;		/* MM_REMOTE_ZEROHOLE */
	u8 reserved:1;		/* has its idb entry (creator's reference) */
	u8 watched:1;		/* in tdb->pdbs */
	u8 populate:1;		/* MM_REMOTE_POPULATE */
	u8 guest:1;		/* MM_REMOTE_GUEST: a hypercall may unmap it */
	u8 no_tail:1;		/* MM_REMOTE_NO_TAIL */
	u8 huge:1;		/* MM_REMOTE_HUGE: 2 MiB from req_hva */
	int vmas;		/* page mirror VMAs, under their mmap_lock */
	u32 orig_flags;		/* RM_RAM_FLAGS of map_hva before the map */
	unsigned long pfn;	/* under lock */
	union {
		/* Private page after target exit, under lock; not huge. */
		struct page *orphan;
		/*
		 * Huge: the pfns of its 512 pages, replaced (not written)
		 * under lock by a resolution that stores; valid while the
		 * cache is RM_CACHE_RO.
		 */
		unsigned long *hpfns;
	};
	/*
	 * The VMA a PTE of this page was last installed in, or NULL; under
	 * lock.  Set with each PTE, so a target invalidation that saw it set
	 * zaps any PTE installed before it dropped the cached pfn.  Read only
	 * with idb->zap_sem held for read.  Cleared with zap_sem held for write
	 * before the VMA's page tables can be freed or the page can move to
	 * another vm_area_struct (rm_idb_forget_range()), or by a window
	 * unmap after its own zap, while the VMA is still there.
	 */
	struct vm_area_struct *vma;
};

/*
 * A pdb whose vm_mmap() of tdb->file is under way: a map's, to reach
 * rm_mirror_attach(), or an unmap's removal of its mirror (rm_tdb.c).
 */
struct rm_pending {
	struct list_head node;		/* in tdb->pending, under tdb->lock */
	struct rm_pdb *pdb;
	struct task_struct *mapper;	/* the task calling vm_mmap() */
	bool unmap;			/* the removal: a MAP_PRIVATE vm_mmap() */
	bool removing;			/* unmap: the guard let the mirror go */
};

#define RM_HUGE_PAGES	(PMD_SIZE >> PAGE_SHIFT)

/* Bytes a pdb maps: a page, or 2 MiB. */
static inline unsigned long rm_pdb_size(const struct rm_pdb *pdb)
{
	return pdb->huge ? PMD_SIZE : PAGE_SIZE;
}

/* debugfs counters */
extern atomic_t rm_map_count;
extern atomic_t rm_pdb_count;
extern atomic_t rm_tdb_count;
extern atomic_t rm_idb_count;

extern struct workqueue_struct *rm_wq;

extern const struct vm_operations_struct rm_mirror_vm_ops;
extern const struct vm_operations_struct rm_win_vm_ops;

static inline bool rm_is_page_mirror(struct vm_area_struct *vma)
{
	return vma->vm_ops == &rm_mirror_vm_ops;
}

static inline bool rm_is_window(struct vm_area_struct *vma)
{
	return vma->vm_ops == &rm_win_vm_ops;
}

/* rm_mn.c */
struct rm_mn *rm_mn_get(const struct mmu_notifier_ops *ops,
			struct mm_struct *mm, unsigned int refs);
void rm_mn_hold(struct rm_mn *r, unsigned int n);
void rm_mn_put(struct rm_mn *r);
void rm_mn_unhash(struct rm_mn *r);
void rm_mn_exit(void);

/* rm_fs.c */
struct file *rm_file_create(const struct file_operations *fops, void *priv);
bool rm_file_is_ours(const struct file *file);
void rm_file_unpin(void);
void rm_fs_exit(void);

/* Either kind of mirror: a VMA that maps a file of ours. */
static inline bool rm_is_mirror(struct vm_area_struct *vma)
{
	return vma->vm_file && rm_file_is_ours(vma->vm_file);
}

/* rm_zap.c */

/*
 * Mirror pages of one VMA zapped together: the first and the last, and how
 * many were added.  The VMA must stay until rm_zap_span_flush(): the
 * caller holds its mm's mmap_lock or the idb's zap_sem.
 */
struct rm_zap_span {
	struct vm_area_struct *vma;
	unsigned long lo;
	unsigned long hi;
	unsigned int n;
};

void rm_zap_init(void);
void rm_zap_mirror(struct vm_area_struct *vma, unsigned long start,
		   unsigned long size);
void rm_zap_span_add(struct rm_zap_span *span, struct vm_area_struct *vma,
		     unsigned long addr, unsigned long size);
void rm_zap_span_flush(struct rm_zap_span *span);
bool rm_zap_nested(const struct mmu_notifier_range *range);

/* rm_vma.c */
int rm_target_vma_check(struct vm_area_struct *vma, bool write);
bool rm_target_faults_safely(struct vm_area_struct *vma);
u32 rm_ram_flags(const struct vm_area_struct *vma);
int rm_ram_refill(unsigned long addr, unsigned long len, int prot, u32 flags);

/* rm_idb.c */
struct rm_idb *rm_idb_get(struct mm_struct *mm, unsigned int refs);
struct rm_idb *rm_idb_get_locked(struct mm_struct *mm);
void rm_idb_put(struct rm_idb *idb);
void rm_idb_reserve(struct rm_idb *idb, struct rm_pdb **pdbs, int *errs,
		    unsigned int n);
struct rm_pdb *rm_idb_huge_at(struct rm_idb *idb, unsigned long index);
struct rm_pdb *rm_idb_get_live(struct rm_idb *idb, unsigned long addr,
			       struct rm_win *win);
bool rm_idb_in_huge(struct rm_idb *idb, unsigned long addr,
		    struct rm_win *win);
struct rm_pdb *rm_idb_take_live(struct rm_idb *idb, unsigned long addr,
				struct rm_win *win, bool guest_only, int *err);
void rm_idb_take_live_bulk(struct rm_idb *idb, const unsigned long *addrs,
			   unsigned int n, struct rm_win *win, bool guest_only,
			   struct rm_pdb **pdbs, int *errs);
unsigned int rm_idb_take_win(struct rm_idb *idb, struct rm_win *win,
			     unsigned long *index, unsigned long last,
			     struct rm_pdb **pdbs, unsigned int max);
void rm_idb_forget_range(struct rm_idb *idb, unsigned long start,
			 unsigned long end);

void rm_idb_set_live(struct rm_pdb *pdb);
void rm_idb_set_live_bulk(struct rm_idb *idb, struct rm_pdb **pdbs,
			  const int *errs, const unsigned long *which,
			  unsigned int n);
bool rm_idb_detach(struct rm_pdb *pdb);
void rm_idb_erase(struct rm_pdb *pdb);

/* rm_tvm.c */
struct kvm;
struct kvm_memory_slot;
/*
 * What a memslot change does to a tdb's KVM aliases of [start, end):
 * rm_tdb_set_range(), handed to the tvms below the tdb that owns them.
 */
typedef void rm_set_range_t(struct rm_tdb *tdb, unsigned long start,
			    unsigned long end, u8 from, u8 to);
int rm_tvm_attach(struct rm_tdb *tdb, struct kvm *kvm,
		  rm_set_range_t *set_range);
void rm_tvm_detach_all(struct rm_tdb *tdb);
bool rm_tvm_dirty_logged(struct rm_tdb *tdb, unsigned long hva);
int rm_tvm_note_slot(struct rm_tdb *tdb, struct kvm *kvm,
		     const struct kvm_memory_slot *slot);

/* rm_pdb.c */
int rm_pdb_cache_init(void);
void rm_pdb_cache_exit(void);
int rm_pdb_create_bulk(struct rm_pdb **pdbs, unsigned int n,
		       unsigned int flags);
void rm_pdb_put(struct rm_pdb *pdb);
void rm_pdb_put_bulk(struct rm_pdb **pdbs, unsigned int n);

/*
 * The zaps of one invalidation of a target: a span of mirror pages, under
 * the zap_sem of the idb they belong to, held for read from the first
 * pdb's VMA read until the span is zapped (rm_pdb_invalidate_done()).
 */
struct rm_pdb_inval {
	struct rm_zap_span span;
	struct rm_idb *idb;	/* whose zap_sem is held, or NULL */
	unsigned int wp_zapped;	/* leave tdb->wp_pdbs once zapped */
	unsigned int fail_zapped; /* leave tdb->fail_pdbs once zapped */
};

void rm_pdb_invalidate(struct rm_pdb *pdb, enum mmu_notifier_event event,
		       u8 keep, struct rm_pdb_inval *inv);
void rm_pdb_invalidate_done(struct rm_pdb_inval *inv);
bool rm_pdb_set_cache(struct rm_pdb *pdb, u8 from, u8 to);
void rm_pdb_zap(struct rm_pdb *pdb);
void rm_pdb_resolve(struct rm_pdb *pdb, bool write);
void rm_pdb_resolve_bulk(struct rm_pdb **pdbs, const int *errs,
			 unsigned int n);
void rm_pdb_populate(struct rm_pdb *pdb, struct vm_area_struct *vma);
void rm_pdb_populate_run(struct rm_pdb **pdbs, unsigned int n,
			 struct vm_area_struct *vma);
void rm_pdb_populate_huge(struct rm_pdb *pdb, struct vm_area_struct *vma);
void rm_pdb_unmapped(struct rm_pdb *pdb);
bool rm_pte_present(struct vm_area_struct *vma, unsigned long addr);
bool rm_pmd_table(struct mm_struct *mm, unsigned long addr);
void rm_pdb_unmap(struct rm_pdb *pdb, struct vm_area_struct *vma);
void rm_pdb_forget_vma(struct rm_pdb *pdb);
vm_fault_t rm_pdb_fault(struct vm_fault *vmf, struct rm_pdb *pdb);
vm_fault_t rm_pdb_huge_fault(struct vm_fault *vmf, struct rm_pdb *pdb);
vm_fault_t rm_mirror_pfn_mkwrite(struct vm_fault *vmf);
int rm_mirror_mremap(struct vm_area_struct *vma);

/* rm_tdb.c */
struct rm_tdb *rm_tdb_get(struct mm_struct *mm, unsigned int refs);
struct rm_tdb *rm_tdb_get_vm(struct kvm *kvm);
void rm_tdb_add_pending(struct rm_tdb *tdb, struct rm_pending *p,
			struct rm_pdb *pdb, bool unmap);
void rm_tdb_del_pending(struct rm_tdb *tdb, struct rm_pending *p);
void rm_tdb_watch(struct rm_tdb *tdb, struct rm_pdb **pdbs, const int *errs,
		  unsigned int n);

/* Also put by pdbs and windows, which rm_tdb.c is above. */
static inline void rm_tdb_put(struct rm_tdb *tdb)
{
	rm_mn_put(&tdb->rmn);
}

/* rm_win.c */
int rm_win_mmap(struct vm_area_struct *vma);
void rm_win_keep_tdb(struct rm_win *win, struct rm_tdb *tdb);
void rm_win_clear_holes(struct rm_win *win, struct vm_area_struct *vma,
			unsigned long addr, unsigned long size);
int rm_win_pool_create(unsigned long start, unsigned long len);
int rm_win_pool_destroy(unsigned long start, unsigned long len);

/* rm_dev.c */
int rm_dev_init(void);
void rm_dev_exit(void);

#endif /* _RM_INTERNAL_H */
