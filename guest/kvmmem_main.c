// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem_main.c - kvmmem.ko: init/exit and debugfs counters.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/kvm_para.h>
#include <linux/module.h>

#include "kvmmem_internal.h"

atomic_t kvmmem_nr_maps = ATOMIC_INIT(0);
atomic_t kvmmem_nr_leaked = ATOMIC_INIT(0);
atomic_t kvmmem_nr_pools = ATOMIC_INIT(0);
atomic_t kvmmem_nr_slots = ATOMIC_INIT(0);
atomic_t kvmmem_nr_chunk_pages = ATOMIC_INIT(0);

static struct dentry *kvmmem_debugfs;

static void kvmmem_debugfs_init(void)
{
	kvmmem_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_atomic_t("mappings", 0400, kvmmem_debugfs,
				&kvmmem_nr_maps);
	debugfs_create_atomic_t("leaked", 0400, kvmmem_debugfs,
				&kvmmem_nr_leaked);
	debugfs_create_atomic_t("pools", 0400, kvmmem_debugfs,
				&kvmmem_nr_pools);
	debugfs_create_atomic_t("slots", 0400, kvmmem_debugfs,
				&kvmmem_nr_slots);
	debugfs_create_atomic_t("chunk_pages", 0400, kvmmem_debugfs,
				&kvmmem_nr_chunk_pages);
}

static int __init kvmmem_init(void)
{
	int ret;

	if (!kvm_para_available())
		return -ENODEV;

	kvmmem_debugfs_init();
	ret = kvmmem_dev_init();
	if (ret)
		goto err_remove_debugfs;
	return 0;

err_remove_debugfs:
	debugfs_remove(kvmmem_debugfs);
	return ret;
}
module_init(kvmmem_init);

static void __exit kvmmem_exit(void)
{
	kvmmem_dev_exit();
	kvmmem_slots_exit();
	debugfs_remove(kvmmem_debugfs);
}
module_exit(kvmmem_exit);

MODULE_DESCRIPTION("Map pages of another VM through KVM_HC_MEM_MAP (/dev/kvmmem)");
MODULE_LICENSE("GPL");
