// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem_file.c - the state of an open /dev/kvmmem (struct kvmmem_file),
 * held by the device file and by its slot file.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "kvmmem_internal.h"

/* For a process of @mm, with one reference: the device file's. */
struct kvmmem_file *kvmmem_file_create(struct mm_struct *mm)
{
	struct kvmmem_file *kf;

	kf = kzalloc(sizeof(*kf), GFP_KERNEL);
	if (!kf)
		return NULL;
	mmgrab(mm);
	kf->mm = mm;
	kref_init(&kf->ref);
	mutex_init(&kf->lock);
	xa_init(&kf->maps);
	spin_lock_init(&kf->pools_lock);
	INIT_LIST_HEAD(&kf->pools);
	return kf;
}

static void kvmmem_file_free(struct kref *ref)
{
	struct kvmmem_file *kf = container_of(ref, struct kvmmem_file, ref);

	mutex_destroy(&kf->lock);
	mmdrop(kf->mm);
	kfree(kf);
}

void kvmmem_file_put(struct kvmmem_file *kf)
{
	kref_put(&kf->ref, kvmmem_file_free);
}
