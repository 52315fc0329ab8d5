// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem_dev.c - /dev/kvmmem: an open file (struct kvmmem_file) of a
 * process of this (introspector) VM, its ioctls (kvmmem_map.c) and
 * mmap()s (kvmmem_pool.c), and the misc device.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "kvmmem_internal.h"

static int kvmmem_open(struct inode *inode, struct file *file)
{
	struct kvmmem_file *kf;

	if (!current->mm)
		return -EINVAL;
	kf = kvmmem_file_create(current->mm);
	if (!kf)
		return -ENOMEM;
	file->private_data = kf;
	return 0;
}

/* Every map ends here; then the pools go (the mmap()s held the file). */
static int kvmmem_release(struct inode *inode, struct file *file)
{
	struct kvmmem_file *kf = file->private_data;

	kvmmem_maps_end_all(kf);
	kvmmem_pools_free(kf);
	/* Its VMAs may hold it still; the last reference puts kf's. */
	if (kf->slot_file)
		fput(kf->slot_file);
	kvmmem_file_put(kf);
	return 0;
}

static long kvmmem_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct kvmmem_file *kf = file->private_data;

	if (current->mm != kf->mm)
		return -EINVAL;
	return kvmmem_map_ioctl(kf, cmd, arg);
}

static int kvmmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	return kvmmem_pool_mmap(file->private_data, vma);
}

static const struct file_operations kvmmem_fops = {
	.owner		= THIS_MODULE,
	.open		= kvmmem_open,
	.release	= kvmmem_release,
	.unlocked_ioctl	= kvmmem_ioctl,
	.mmap		= kvmmem_mmap,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvmmem_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kvmmem",
	.fops	= &kvmmem_fops,
	.mode	= 0600,
};

int kvmmem_dev_init(void)
{
	return misc_register(&kvmmem_dev);
}

void kvmmem_dev_exit(void)
{
	misc_deregister(&kvmmem_dev);
}
