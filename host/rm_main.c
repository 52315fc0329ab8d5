// SPDX-License-Identifier: GPL-2.0
/*
 * Remote_mapping.ko: module init/exit and debugfs counters.
 */
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/workqueue.h>

#include "rm_internal.h"
#include "rm_kvm.h"

atomic_t rm_map_count;
atomic_t rm_pdb_count;
atomic_t rm_tdb_count;
atomic_t rm_idb_count;

struct workqueue_struct *rm_wq;

static struct dentry *rm_debugfs;

static void rm_debugfs_init(void)
{
	rm_debugfs = debugfs_create_dir("remote_mapping", NULL);
	debugfs_create_atomic_t("map_count", 0400, rm_debugfs, &rm_map_count);
	debugfs_create_atomic_t("pdb_count", 0400, rm_debugfs, &rm_pdb_count);
	debugfs_create_atomic_t("tdb_count", 0400, rm_debugfs, &rm_tdb_count);
	debugfs_create_atomic_t("idb_count", 0400, rm_debugfs, &rm_idb_count);
	rm_kvm_hook_debugfs(rm_debugfs);
}

static int __init rm_init(void)
{
	int err;

	rm_zap_init();
	err = rm_pdb_cache_init();
	if (err)
		return err;
	rm_wq = alloc_workqueue("remote_mapping", WQ_UNBOUND, 0);
	if (!rm_wq) {
		err = -ENOMEM;
		goto err_destroy_cache;
	}
	err = rm_kvm_init();
	if (err)
		goto err_destroy_wq;
	rm_debugfs_init();
	err = rm_dev_init();
	if (err)
		goto err_remove_debugfs;
	return 0;

err_remove_debugfs:
	debugfs_remove(rm_debugfs);
	rm_kvm_exit();
err_destroy_wq:
	destroy_workqueue(rm_wq);
err_destroy_cache:
	rm_pdb_cache_exit();
	return err;
}

static void __exit rm_exit(void)
{
	rm_dev_exit();
	debugfs_remove(rm_debugfs);
	rm_kvm_exit();
	rm_mn_exit();
	rm_fs_exit();
	destroy_workqueue(rm_wq);
	rm_pdb_cache_exit();
}

module_init(rm_init);
module_exit(rm_exit);
MODULE_DESCRIPTION("Map pages of another process's memory, kept coherent without pinning");
MODULE_LICENSE("GPL");
