// SPDX-License-Identifier: GPL-2.0
/*
 * Test module: /dev/rm_kapi passes raw values to mm_remote_map(),
 * mm_remote_map_flags(), mm_remote_map_batch() and mm_remote_unmap().
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "mm_remote.h"
#include "rm_kapi.h"

/* Per open file: the mm kept by RM_KAPI_GRAB. */
struct rm_kapi_file {
	struct mutex lock;	/* protects grabbed */
	struct mm_struct *grabbed;
};

/* One call, made in the ioctl's context or by a kernel worker. */
struct rm_kapi_work {
	struct work_struct work;
	const struct rm_kapi_call *c;
	struct mm_struct *mm;
	unsigned long *req_hvas;
	unsigned long *map_hvas;
	int *errs;
	long ret;
};

static void rm_kapi_do(struct rm_kapi_work *w)
{
	const struct rm_kapi_call *c = w->c;

	switch (c->op) {
	case RM_KAPI_MAP:
		w->ret = mm_remote_map(w->mm, c->req_hva, c->map_hva);
		break;
	case RM_KAPI_MAP_FLAGS:
		w->ret = mm_remote_map_flags(w->mm, c->req_hva, c->map_hva,
					     c->flags);
		break;
	case RM_KAPI_MAP_BATCH:
		w->ret = mm_remote_map_batch(w->mm, w->req_hvas, w->map_hvas,
					     w->errs, c->n, c->flags);
		break;
	case RM_KAPI_UNMAP:
		w->ret = mm_remote_unmap(c->map_hva);
		break;
	}
}

static void rm_kapi_work_fn(struct work_struct *work)
{
	rm_kapi_do(container_of(work, struct rm_kapi_work, work));
}

/* The mm of @pid with an mm_count reference (mmgrab), or an ERR_PTR. */
static struct mm_struct *rm_kapi_pid_mm(pid_t pid)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *p;

	p = find_get_pid(pid);
	if (!p)
		return ERR_PTR(-ESRCH);
	task = get_pid_task(p, PIDTYPE_PID);
	put_pid(p);
	if (!task)
		return ERR_PTR(-ESRCH);
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm)
		return ERR_PTR(-ESRCH);
	mmgrab(mm);
	mmput(mm);
	return mm;
}

static int rm_kapi_copy_arrays(struct rm_kapi_work *w,
			       const struct rm_kapi_call *c)
{
	size_t n = max_t(size_t, c->n, 1);

	if (c->n > RM_KAPI_BATCH_MAX)
		return -E2BIG;
	w->req_hvas = kvcalloc(n, sizeof(*w->req_hvas), GFP_KERNEL);
	w->map_hvas = kvcalloc(n, sizeof(*w->map_hvas), GFP_KERNEL);
	w->errs = kvcalloc(n, sizeof(*w->errs), GFP_KERNEL);
	if (!w->req_hvas || !w->map_hvas || !w->errs)
		return -ENOMEM;
	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(u64));
	if (copy_from_user(w->req_hvas, u64_to_user_ptr(c->req_hvas),
			   c->n * sizeof(u64)) ||
	    copy_from_user(w->map_hvas, u64_to_user_ptr(c->map_hvas),
			   c->n * sizeof(u64)))
		return -EFAULT;
	return 0;
}

static long rm_kapi_call(struct rm_kapi_file *f, struct rm_kapi_call *c)
{
	struct rm_kapi_work w = { .c = c };
	bool drop = false;
	long err = 0;

	if (c->op == RM_KAPI_GRAB) {
		w.mm = rm_kapi_pid_mm(c->pid);
		if (IS_ERR(w.mm))
			return PTR_ERR(w.mm);
		mutex_lock(&f->lock);
		swap(f->grabbed, w.mm);
		mutex_unlock(&f->lock);
		if (w.mm)
			mmdrop(w.mm);
		return 0;
	}
	if (c->op > RM_KAPI_UNMAP)
		return -EINVAL;

	switch (c->op == RM_KAPI_UNMAP ? RM_KAPI_MM_NULL : c->mm) {
	case RM_KAPI_MM_PID:
		w.mm = rm_kapi_pid_mm(c->pid);
		if (IS_ERR(w.mm))
			return PTR_ERR(w.mm);
		drop = true;
		break;
	case RM_KAPI_MM_NULL:
		break;
	case RM_KAPI_MM_GRABBED:
		mutex_lock(&f->lock);
		w.mm = f->grabbed;
		if (w.mm)
			mmgrab(w.mm);
		mutex_unlock(&f->lock);
		if (!w.mm)
			return -ENOENT;
		drop = true;
		break;
	default:
		return -EINVAL;
	}

	if (c->op == RM_KAPI_MAP_BATCH)
		err = rm_kapi_copy_arrays(&w, c);
	if (err)
		goto out;

	if (c->kthread) {
		INIT_WORK_ONSTACK(&w.work, rm_kapi_work_fn);
		queue_work(system_unbound_wq, &w.work);
		flush_work(&w.work);
		destroy_work_on_stack(&w.work);
	} else {
		rm_kapi_do(&w);
	}
	c->ret = w.ret;

	if (c->op == RM_KAPI_MAP_BATCH && c->n &&
	    copy_to_user(u64_to_user_ptr(c->errs), w.errs,
			 c->n * sizeof(*w.errs)))
		err = -EFAULT;
out:
	kvfree(w.errs);
	kvfree(w.map_hvas);
	kvfree(w.req_hvas);
	if (drop)
		mmdrop(w.mm);
	return err;
}

static long rm_kapi_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct rm_kapi_call __user *uc = (void __user *)arg;
	struct rm_kapi_call c;
	long err;

	BUILD_BUG_ON(RM_KAPI_READONLY != MM_REMOTE_READONLY);
	BUILD_BUG_ON(RM_KAPI_ZEROHOLE != MM_REMOTE_ZEROHOLE);
	if (cmd != RM_KAPI_CALL)
		return -ENOTTY;
	if (copy_from_user(&c, uc, sizeof(c)))
		return -EFAULT;
	c.ret = 0;
	err = rm_kapi_call(file->private_data, &c);
	if (!err && put_user(c.ret, &uc->ret))
		err = -EFAULT;
	return err;
}

static int rm_kapi_open(struct inode *inode, struct file *file)
{
	struct rm_kapi_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

static int rm_kapi_release(struct inode *inode, struct file *file)
{
	struct rm_kapi_file *f = file->private_data;

	if (f->grabbed)
		mmdrop(f->grabbed);
	kfree(f);
	return 0;
}

static const struct file_operations rm_kapi_fops = {
	.owner		= THIS_MODULE,
	.open		= rm_kapi_open,
	.release	= rm_kapi_release,
	.unlocked_ioctl	= rm_kapi_ioctl,
};

static struct miscdevice rm_kapi_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "rm_kapi",
	.fops	= &rm_kapi_fops,
	.mode	= 0600,
};

module_misc_device(rm_kapi_dev);
MODULE_DESCRIPTION("Test module: raw calls of the remote_mapping in-kernel API");
MODULE_LICENSE("GPL");
