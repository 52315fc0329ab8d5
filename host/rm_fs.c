// SPDX-License-Identifier: GPL-2.0
/*
 * The pseudo filesystem whose files mirror VMAs map: they give mirrors a
 * name in /proc/PID/maps and the lifetime of a window.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>

#include "rm_internal.h"

#define RM_FS_MAGIC	0x726d6170	/* "rmap" */

static struct vfsmount *rm_mnt;
static int rm_mnt_count;

/* Mirrors show up as "[remote_mapping]" in /proc/PID/maps. */
static char *rm_dname(struct dentry *dentry, char *buffer, int buflen)
{
	static const char name[] = "[remote_mapping]";

	if (buflen < sizeof(name))
		return ERR_PTR(-ENAMETOOLONG);
	buffer += buflen - sizeof(name);
	memcpy(buffer, name, sizeof(name));
	return buffer;
}

static const struct dentry_operations rm_dops = {
	.d_dname	= rm_dname,
};

static int rm_fs_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, RM_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &rm_dops;
	return 0;
}

/*
 * The mount is pinned while any of its files exists (simple_pin_fs()), and
 * a mounted superblock holds a reference on .owner: the module cannot go
 * away under a mirror's file.
 */
static struct file_system_type rm_fs_type = {
	.owner		 = THIS_MODULE,
	.name		 = "remote_mapping",
	.init_fs_context = rm_fs_init_fs_context,
	.kill_sb	 = kill_anon_super,
};

/*
 * A new file with its own inode, or ERR_PTR(-ENODEV) once the module is
 * being unloaded.  Whoever drops its last reference calls rm_file_unpin()
 * afterwards, or from its ->release().
 */
struct file *rm_file_create(const struct file_operations *fops, void *priv)
{
	struct inode *inode;
	struct file *file;
	int err;

	/*
	 * Dropped by fops_put() in __fput(), like anon_inode_getfile().  Taken
	 * first, and refused once rm_exit() runs: then nothing may be made
	 * with our ops, not even the mount (its superblock holds the module).
	 */
	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENODEV);

	err = simple_pin_fs(&rm_fs_type, &rm_mnt, &rm_mnt_count);
	if (err)
		goto err_put_module;

	inode = alloc_anon_inode(rm_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto err_unpin_fs;
	}

	file = alloc_file_pseudo(inode, rm_mnt, "remote_mapping", O_RDWR, fops);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		iput(inode);
		goto err_unpin_fs;
	}
	file->private_data = priv;
	return file;

err_unpin_fs:
	simple_release_fs(&rm_mnt, &rm_mnt_count);
err_put_module:
	module_put(THIS_MODULE);
	return ERR_PTR(err);
}

/* Whether @file is one of ours: a mirror's, which maps only through us. */
bool rm_file_is_ours(const struct file *file)
{
	return file_inode(file)->i_sb->s_type == &rm_fs_type;
}

void rm_file_unpin(void)
{
	simple_release_fs(&rm_mnt, &rm_mnt_count);
}

void rm_fs_exit(void)
{
	WARN_ON(rm_mnt_count);
}
