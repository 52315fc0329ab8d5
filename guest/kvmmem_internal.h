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

void kvmmem_file_put(struct kvmmem_file *kf);

/* Host pools made, by mmap() of the file or for slots. */
extern atomic_t kvmmem_nr_pools;

/* Hypercall results and the retried ones (kvmmem_dev.c). */
int kvmmem_hc_result(long ret);
int kvmmem_hc_unpool(phys_addr_t gpa, unsigned long npages);

/* Slots: driver pages put in place of a private anonymous page. */
struct kvmmem_slot *kvmmem_slot_alloc(const struct kvmi_map_mem_token *token);
phys_addr_t kvmmem_slot_gpa(const struct kvmmem_slot *slot);
void kvmmem_slot_put(struct kvmmem_slot *slot);
struct kvmmem_slot *kvmmem_slot_of(struct kvmmem_file *kf,
				   struct vm_area_struct *vma);
bool kvmmem_vma_replaceable(struct kvmmem_file *kf, struct vm_area_struct *vma);
int kvmmem_slot_place(struct kvmmem_file *kf, struct kvmmem_slot *slot,
		      unsigned long gva, bool readonly);
void kvmmem_slots_debugfs(struct dentry *dir);
void kvmmem_slots_exit(void);

#endif /* _KVMMEM_INTERNAL_H */
