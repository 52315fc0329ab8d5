/* SPDX-License-Identifier: GPL-2.0 */
/* kvmmem_internal.h - objects of kvmmem.ko shared by its files. */
#ifndef _KVMMEM_INTERNAL_H
#define _KVMMEM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <linux/kvmmem.h>

struct kvmmem_slot;
struct vm_area_struct;
struct dentry;

/*
 * State of an open /dev/kvmmem.
 *
 * Lock order: lock, then the opener's mmap_lock, then kvmmem_chunks_lock
 * (kvmmem_slot.c).
 */
struct kvmmem_file {
	struct mm_struct *mm;	/* of the opener, mmgrab()ed */
	/* The file, and its slot file while it has one. */
	struct kref ref;
	struct mutex lock;	/* serialises map and unmap */
	struct xarray maps;	/* gva >> PAGE_SHIFT -> struct kvmmem_map */
	spinlock_t pools_lock;	/* protects pools: ->mmap holds mmap_lock */
	struct list_head pools;	/* struct kvmmem_pool */
	/*
	 * Mapped at the gvas where slots are put (kvmmem_slot_place());
	 * created under lock, dropped with the device file.
	 */
	struct file *slot_file;
	/* The slot being put and the task putting it, under lock. */
	struct kvmmem_slot *placing;
	struct task_struct *placer;
};

/* debugfs counters (kvmmem_main.c) */
extern atomic_t kvmmem_nr_maps;		/* pages the host maps for us */
extern atomic_t kvmmem_nr_leaked;	/* pages the host would not give back */
extern atomic_t kvmmem_nr_pools;	/* host pools: mmap()s and slot chunks */
extern atomic_t kvmmem_nr_slots;	/* slots handed out */
extern atomic_t kvmmem_nr_chunk_pages;	/* pages of slot chunks */

/* An open file's state (kvmmem_file.c). */
struct kvmmem_file *kvmmem_file_create(struct mm_struct *mm);
void kvmmem_file_put(struct kvmmem_file *kf);

/* The device (kvmmem_dev.c). */
int kvmmem_dev_init(void);
void kvmmem_dev_exit(void);

/* The hypercalls (kvmmem_hc.c). */
int kvmmem_hc_result(long ret);
int kvmmem_hc_map(const struct kvmi_map_mem_token *token, u64 gpa,
		  phys_addr_t map_gpa, bool readonly);
int kvmmem_hc_map_batch(const struct kvmi_map_mem_token *token,
			struct kvmmem_map_entry *e, unsigned int n,
			u32 flags);
int kvmmem_hc_pool(const struct kvmi_map_mem_token *token, phys_addr_t gpa,
		   unsigned long npages);
int kvmmem_hc_unmap(phys_addr_t gpa);
int kvmmem_hc_unmap_batch(struct kvmmem_unmap_entry *e, unsigned int n);
int kvmmem_hc_unpool(phys_addr_t gpa, unsigned long npages);

/* Maps (kvmmem_map.c). */
long kvmmem_map_ioctl(struct kvmmem_file *kf, unsigned int cmd,
		      unsigned long arg);
void kvmmem_maps_end_all(struct kvmmem_file *kf);

/* Pools: mmap() of the file (kvmmem_pool.c). */
struct kvmmem_pool;
int kvmmem_pool_mmap(struct kvmmem_file *kf, struct vm_area_struct *vma);
int kvmmem_pool_page(struct kvmmem_file *kf, struct vm_area_struct *vma,
		     unsigned long gva, unsigned long size,
		     struct kvmmem_pool **pool, phys_addr_t *gpa);
int kvmmem_pool_make(struct kvmmem_pool *pool,
		     const struct kvmi_map_mem_token *token);
void kvmmem_pools_free(struct kvmmem_file *kf);

/* Slots: driver pages put in place of a private anonymous page. */
struct kvmmem_slot *kvmmem_slot_alloc(const struct kvmi_map_mem_token *token);
phys_addr_t kvmmem_slot_gpa(const struct kvmmem_slot *slot);
void kvmmem_slot_put(struct kvmmem_slot *slot);
struct kvmmem_slot *kvmmem_slot_of(struct kvmmem_file *kf,
				   struct vm_area_struct *vma);
bool kvmmem_vma_replaceable(struct kvmmem_file *kf, struct vm_area_struct *vma);
int kvmmem_slot_place(struct kvmmem_file *kf, struct kvmmem_slot *slot,
		      unsigned long gva, bool readonly);
void kvmmem_slots_exit(void);

#endif /* _KVMMEM_INTERNAL_H */
