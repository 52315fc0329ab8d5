// SPDX-License-Identifier: GPL-2.0
/*
 * Device /dev/remote_mapping: the process-to-process interface.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/miscdevice.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/remote_mapping.h>

#include "mm_remote.h"
#include "rm_internal.h"
#include "rm_kvm.h"

static struct pid *rm_pidfd_get_pid(int fd)
{
	struct fd f = fdget(fd);
	struct pid *pid;

	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	pid = compat_pidfd_pid(fd_file(f));
	if (pid)
		get_pid(pid);
	fdput(f);
	return pid ?: ERR_PTR(-EBADF);
}

/*
 * A batch's per-page errors back to the caller, after @ret pages were done
 * (or a negative errno, which stands); -EFAULT if they cannot be written.
 */
static long rm_dev_errs_out(__u64 uerrs, const int *errs, __u64 count,
			    long ret)
{
	if (ret >= 0 && copy_to_user(u64_to_user_ptr(uerrs), errs,
				     count * sizeof(*errs)))
		return -EFAULT;
	return ret;
}

/* Return the target's mm with an mm_users reference, or an ERR_PTR. */
static struct mm_struct *rm_dev_target_mm(s32 target, bool is_pid)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;

	if (is_pid)
		pid = target > 0 ? find_get_pid(target) : NULL;
	else
		pid = rm_pidfd_get_pid(target);
	if (IS_ERR(pid))
		return ERR_CAST(pid);
	if (!pid)
		return ERR_PTR(-ESRCH);

	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!task)
		return ERR_PTR(-ESRCH);
	if (task->flags & PF_KTHREAD)
		mm = ERR_PTR(-EINVAL);
	else
		mm = get_task_mm(task) ?: ERR_PTR(-ESRCH);
	put_task_struct(task);
	return mm;
}

static unsigned int rm_dev_map_flags(u32 uflags)
{
	unsigned int flags = 0;

	if (uflags & REMOTE_MAPPING_READONLY)
		flags |= MM_REMOTE_READONLY;
	if (uflags & REMOTE_MAPPING_POPULATE)
		flags |= MM_REMOTE_POPULATE;
	if (uflags & REMOTE_MAPPING_HUGE)
		flags |= MM_REMOTE_HUGE;
	return flags;
}

static long rm_dev_map(void __user *argp)
{
	struct remote_mapping_map arg;
	struct mm_struct *req_mm;
	unsigned int flags;
	int err;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~REMOTE_MAPPING_MAP_FLAGS ||
	    arg.reserved[0] || arg.reserved[1])
		return -EINVAL;
	if (arg.req_hva != (unsigned long)arg.req_hva ||
	    arg.map_hva != (unsigned long)arg.map_hva)
		return -EINVAL;
	flags = rm_dev_map_flags(arg.flags);

	req_mm = rm_dev_target_mm(arg.target,
				  arg.flags & REMOTE_MAPPING_TARGET_PID);
	if (IS_ERR(req_mm))
		return PTR_ERR(req_mm);
	err = mm_remote_map_flags(req_mm, arg.req_hva, arg.map_hva, flags);
	mmput(req_mm);
	return err;
}

static long rm_dev_map_batch(struct remote_mapping_map_batch __user *uarg)
{
	struct remote_mapping_map_batch arg;
	unsigned long *req_hvas, *map_hvas;
	struct mm_struct *req_mm;
	unsigned int flags;
	long ret;
	int *errs;

	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(__u64));
	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~REMOTE_MAPPING_MAP_FLAGS ||
	    arg.reserved[0] || arg.reserved[1] || !arg.count)
		return -EINVAL;
	if (arg.count > REMOTE_MAPPING_BATCH_MAX)
		return -E2BIG;
	flags = rm_dev_map_flags(arg.flags);

	req_hvas = kvmalloc_array(arg.count, sizeof(*req_hvas), GFP_KERNEL);
	map_hvas = kvmalloc_array(arg.count, sizeof(*map_hvas), GFP_KERNEL);
	errs = kvmalloc_array(arg.count, sizeof(*errs), GFP_KERNEL);
	ret = -ENOMEM;
	if (!req_hvas || !map_hvas || !errs)
		goto out_free;
	ret = -EFAULT;
	if (copy_from_user(req_hvas, u64_to_user_ptr(arg.req_hvas),
			   arg.count * sizeof(*req_hvas)) ||
	    copy_from_user(map_hvas, u64_to_user_ptr(arg.map_hvas),
			   arg.count * sizeof(*map_hvas)))
		goto out_free;
	/* Fail before mapping anything if the results cannot be returned. */
	if (clear_user(u64_to_user_ptr(arg.errs), arg.count * sizeof(*errs)))
		goto out_free;

	req_mm = rm_dev_target_mm(arg.target,
				  arg.flags & REMOTE_MAPPING_TARGET_PID);
	if (IS_ERR(req_mm)) {
		ret = PTR_ERR(req_mm);
		goto out_free;
	}
	ret = mm_remote_map_batch(req_mm, req_hvas, map_hvas, errs, arg.count,
				  flags);
	mmput(req_mm);
	ret = rm_dev_errs_out(arg.errs, errs, arg.count, ret);
out_free:
	kvfree(errs);
	kvfree(map_hvas);
	kvfree(req_hvas);
	return ret;
}

static long rm_dev_unmap(void __user *argp)
{
	struct remote_mapping_unmap arg;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.reserved[0] || arg.reserved[1])
		return -EINVAL;
	if (arg.map_hva != (unsigned long)arg.map_hva)
		return -EINVAL;
	return mm_remote_unmap(arg.map_hva);
}

static long rm_dev_unmap_batch(struct remote_mapping_unmap_batch __user *uarg)
{
	struct remote_mapping_unmap_batch arg;
	unsigned long *map_hvas;
	long ret;
	int *errs;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.reserved[0] || arg.reserved[1] || !arg.count)
		return -EINVAL;
	if (arg.count > REMOTE_MAPPING_BATCH_MAX)
		return -E2BIG;

	map_hvas = kvmalloc_array(arg.count, sizeof(*map_hvas), GFP_KERNEL);
	errs = kvmalloc_array(arg.count, sizeof(*errs), GFP_KERNEL);
	ret = -ENOMEM;
	if (!map_hvas || !errs)
		goto out_free;
	ret = -EFAULT;
	if (copy_from_user(map_hvas, u64_to_user_ptr(arg.map_hvas),
			   arg.count * sizeof(*map_hvas)))
		goto out_free;
	/* Fail before unmapping anything if the results cannot be returned. */
	if (clear_user(u64_to_user_ptr(arg.errs), arg.count * sizeof(*errs)))
		goto out_free;
	ret = mm_remote_unmap_batch(map_hvas, errs, arg.count, 0);
	ret = rm_dev_errs_out(arg.errs, errs, arg.count, ret);
out_free:
	kvfree(errs);
	kvfree(map_hvas);
	return ret;
}

/* Mapping another process's memory is a ptrace-level privilege. */
static int rm_dev_allowed(struct file *file)
{
	if (!capable(CAP_SYS_PTRACE))
		return -EPERM;
	if (file->private_data != current->mm)
		return -EINVAL;
	return 0;
}

static long rm_dev_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	int err;

	err = rm_dev_allowed(file);
	if (err)
		return err;

	switch (cmd) {
	case REMOTE_MAPPING_MAP:
		return rm_dev_map(argp);
	case REMOTE_MAPPING_UNMAP:
		return rm_dev_unmap(argp);
	case REMOTE_MAPPING_MAP_BATCH:
		return rm_dev_map_batch(argp);
	case REMOTE_MAPPING_UNMAP_BATCH:
		return rm_dev_unmap_batch(argp);
	case REMOTE_MAPPING_TOKEN_GRANT:
		return rm_token_grant(argp);
	case REMOTE_MAPPING_TOKEN_REVOKE:
		return rm_token_revoke(argp);
	case REMOTE_MAPPING_VM_SLOTS:
		return rm_vm_slots(argp);
	default:
		return -ENOTTY;
	}
}

/* A window: see include/uapi/linux/remote_mapping.h. */
static int rm_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	int err;

	err = rm_dev_allowed(file);
	if (err)
		return err;
	return rm_win_mmap(vma);
}

/* The file is bound to the opener's address space. */
static int rm_dev_open(struct inode *inode, struct file *file)
{
	if (!current->mm)
		return -EINVAL;
	mmgrab(current->mm);
	file->private_data = current->mm;
	return nonseekable_open(inode, file);
}

static int rm_dev_release(struct inode *inode, struct file *file)
{
	mmdrop(file->private_data);
	return 0;
}

static const struct file_operations rm_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= rm_dev_open,
	.release	= rm_dev_release,
	.unlocked_ioctl	= rm_dev_ioctl,
	.mmap		= rm_dev_mmap,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice rm_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "remote_mapping",
	.fops	= &rm_dev_fops,
	.mode	= 0600,
};

int rm_dev_init(void)
{
	return misc_register(&rm_miscdev);
}

void rm_dev_exit(void)
{
	misc_deregister(&rm_miscdev);
}
