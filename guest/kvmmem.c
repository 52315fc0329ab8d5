// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem.c - /dev/kvmmem: map pages of another VM into a process of this
 * (introspector) VM with the KVM_HC_MEM_MAP/KVM_HC_MEM_UNMAP hypercalls.
 *
 * KVM_INTRO_MEM_MAP pins the caller's page at @gva and asks the host to back
 * its guest-physical page with the target VM's page at @gpa; the caller's
 * page tables are left alone, so @gva then reaches the target's page.
 * KVM_INTRO_MEM_UNMAP (and close()) ask the host to make the local page
 * ordinary RAM again and unpin it.  A page whose unmap the host refused
 * stays pinned for good: giving it back to the page allocator while it may
 * still alias the target's memory would leak data both ways.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kvm_para.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <linux/kvmmem.h>

/* KVM_HC_MEM_UNMAP attempts while the host answers EAGAIN. */
#define KVMMEM_UNMAP_TRIES	100

/* One page mapped through a file. */
struct kvmmem_map {
	unsigned long gva;	/* key, as given to KVM_INTRO_MEM_MAP */
	phys_addr_t gpa;	/* local gpa of @page, backed by the target */
	struct page *page;	/* pinned while mapped */
};

/* State of an open /dev/kvmmem. */
struct kvmmem_file {
	struct mm_struct *mm;	/* of the opener, mmgrab()ed */
	struct mutex lock;	/* serialises map and unmap */
	struct xarray maps;	/* gva >> PAGE_SHIFT -> struct kvmmem_map */
};

static atomic_t kvmmem_nr_maps = ATOMIC_INIT(0);
static atomic_t kvmmem_nr_leaked = ATOMIC_INIT(0);
static struct dentry *kvmmem_debugfs;

/* Turn a KVM hypercall result into 0 or -errno. */
static int kvmmem_hc_result(long ret)
{
	if (!ret)
		return 0;
	if (ret == -KVM_ENOSYS)
		return -ENOSYS;
	if (ret < 0 && ret >= -MAX_ERRNO)
		return ret;
	return -EIO;
}

static int kvmmem_hc_unmap(struct kvmmem_map *map)
{
	int tries = KVMMEM_UNMAP_TRIES;
	int ret;

	do {
		ret = kvmmem_hc_result(kvm_hypercall1(KVM_HC_MEM_UNMAP,
						      map->gpa));
		if (ret != -EAGAIN)
			break;
		usleep_range(1000, 2000);
	} while (--tries);

	/* The host no longer maps it: the page is ours again. */
	if (ret == -ENOENT)
		ret = 0;
	return ret;
}

/* Give back the page of a map the host no longer backs, and free it. */
static void kvmmem_free_map(struct kvmmem_map *map)
{
	unpin_user_page(map->page);
	atomic_dec(&kvmmem_nr_maps);
	kfree(map);
}

/*
 * Pin the page at @gva of the current process, which must lie in a private
 * anonymous mapping.  FOLL_WRITE (with FOLL_FORCE for mappings without
 * VM_WRITE) makes it an exclusive anonymous page, never the shared zero
 * page.  The VMA is checked and the page pinned under one mmap_lock hold,
 * so the page is the one of the VMA that was checked.
 */
static int kvmmem_pin(unsigned long gva, struct page **page, bool *readonly)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	long pinned;
	int ret;

	ret = mmap_read_lock_killable(mm);
	if (ret)
		return ret;

	vma = find_vma(mm, gva);
	if (!vma || vma->vm_start > gva || !vma_is_anonymous(vma) ||
	    (vma->vm_flags & VM_SHARED)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	*readonly = !(vma->vm_flags & VM_WRITE);

	pinned = pin_user_pages(gva, 1, FOLL_WRITE | FOLL_FORCE | FOLL_LONGTERM,
				page, NULL);
	if (pinned != 1)
		ret = pinned < 0 ? pinned : -EFAULT;
out_unlock:
	mmap_read_unlock(mm);
	return ret;
}

static long kvmmem_ioctl_map(struct kvmmem_file *kf, void __user *argp)
{
	struct kvmi_map_mem_token *token;
	struct kvmi_mem_map req;
	struct kvmmem_map *map;
	unsigned long index;
	bool readonly;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (!PAGE_ALIGNED(req.gva) || !PAGE_ALIGNED(req.gpa) ||
	    req.gva != (unsigned long)req.gva) {
		ret = -EINVAL;
		goto out_wipe;
	}
	index = req.gva >> PAGE_SHIFT;

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map) {
		ret = -ENOMEM;
		goto out_wipe;
	}
	/* Hypercall argument: 32 bytes, naturally aligned, in one page. */
	token = kmemdup(&req.token, sizeof(*token), GFP_KERNEL);
	if (!token) {
		ret = -ENOMEM;
		goto err_free_map;
	}
	if (WARN_ON_ONCE(offset_in_page(token) + sizeof(*token) > PAGE_SIZE)) {
		ret = -EIO;
		goto err_free_token;
	}

	mutex_lock(&kf->lock);
	ret = xa_insert(&kf->maps, index, map, GFP_KERNEL);
	if (ret) {
		if (ret == -EBUSY)
			ret = -EALREADY;
		goto err_unlock;
	}

	ret = kvmmem_pin(req.gva, &map->page, &readonly);
	if (ret)
		goto err_erase_map;
	map->gva = req.gva;
	map->gpa = page_to_phys(map->page);

	ret = kvmmem_hc_result(kvm_hypercall4(KVM_HC_MEM_MAP, __pa(token),
					      req.gpa, map->gpa,
					      readonly ? KVMMEM_MAP_READONLY : 0));
	if (ret)
		goto err_unpin_page;

	atomic_inc(&kvmmem_nr_maps);
	mutex_unlock(&kf->lock);
	kfree_sensitive(token);
	memzero_explicit(&req, sizeof(req));
	return 0;

err_unpin_page:
	unpin_user_page(map->page);
err_erase_map:
	xa_erase(&kf->maps, index);
err_unlock:
	mutex_unlock(&kf->lock);
err_free_token:
	kfree_sensitive(token);
err_free_map:
	kfree(map);
out_wipe:
	memzero_explicit(&req, sizeof(req));
	return ret;
}

static long kvmmem_ioctl_unmap(struct kvmmem_file *kf, unsigned long gva)
{
	unsigned long index = gva >> PAGE_SHIFT;
	struct kvmmem_map *map;
	int ret;

	if (!PAGE_ALIGNED(gva))
		return -EINVAL;

	mutex_lock(&kf->lock);
	map = xa_load(&kf->maps, index);
	if (!map) {
		ret = -ENOENT;
		goto out_unlock;
	}
	/* On failure the map stays: unmap can be retried, close() tries too. */
	ret = kvmmem_hc_unmap(map);
	if (ret)
		goto out_unlock;
	xa_erase(&kf->maps, index);
	kvmmem_free_map(map);
out_unlock:
	mutex_unlock(&kf->lock);
	return ret;
}

static long kvmmem_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct kvmmem_file *kf = file->private_data;

	if (current->mm != kf->mm)
		return -EINVAL;

	switch (cmd) {
	case KVM_INTRO_MEM_MAP:
		return kvmmem_ioctl_map(kf, (void __user *)arg);
	case KVM_INTRO_MEM_UNMAP:
		return kvmmem_ioctl_unmap(kf, arg);
	default:
		return -ENOTTY;
	}
}

static int kvmmem_open(struct inode *inode, struct file *file)
{
	struct kvmmem_file *kf;

	if (!current->mm)
		return -EINVAL;

	kf = kzalloc(sizeof(*kf), GFP_KERNEL);
	if (!kf)
		return -ENOMEM;
	mmgrab(current->mm);
	kf->mm = current->mm;
	mutex_init(&kf->lock);
	xa_init(&kf->maps);
	file->private_data = kf;
	return 0;
}

static int kvmmem_release(struct inode *inode, struct file *file)
{
	struct kvmmem_file *kf = file->private_data;
	struct kvmmem_map *map;
	unsigned long index;
	int ret;

	xa_for_each(&kf->maps, index, map) {
		ret = kvmmem_hc_unmap(map);
		if (!ret) {
			kvmmem_free_map(map);
			continue;
		}
		/* May still alias the target: keep the page pinned forever. */
		pr_warn_ratelimited("unmap of gpa %pa failed (%d), page leaked\n",
				    &map->gpa, ret);
		atomic_inc(&kvmmem_nr_leaked);
		atomic_dec(&kvmmem_nr_maps);
		kfree(map);
	}
	xa_destroy(&kf->maps);
	mutex_destroy(&kf->lock);
	mmdrop(kf->mm);
	kfree(kf);
	return 0;
}

static const struct file_operations kvmmem_fops = {
	.owner		= THIS_MODULE,
	.open		= kvmmem_open,
	.release	= kvmmem_release,
	.unlocked_ioctl	= kvmmem_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvmmem_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kvmmem",
	.fops	= &kvmmem_fops,
	.mode	= 0600,
};

static int __init kvmmem_init(void)
{
	int ret;

	if (!kvm_para_available())
		return -ENODEV;

	kvmmem_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_atomic_t("mappings", 0400, kvmmem_debugfs,
				&kvmmem_nr_maps);
	debugfs_create_atomic_t("leaked", 0400, kvmmem_debugfs,
				&kvmmem_nr_leaked);

	ret = misc_register(&kvmmem_dev);
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
	misc_deregister(&kvmmem_dev);
	debugfs_remove(kvmmem_debugfs);
}
module_exit(kvmmem_exit);

MODULE_DESCRIPTION("Map pages of another VM through KVM_HC_MEM_MAP (/dev/kvmmem)");
MODULE_LICENSE("GPL");
