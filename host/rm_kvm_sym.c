// SPDX-License-Identifier: GPL-2.0
/*
 * What of kvm.ko the module uses: its functions, resolved at load time
 * with symbol_get() so that the module loads without KVM, and how KVM's
 * VM files are told apart.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/module.h>

#include "rm_kvm.h"

struct rm_kvm_syms rm_kvm;

void rm_kvm_syms_put(void)
{
	if (rm_kvm.get_kvm)
		symbol_put(kvm_get_kvm);
	if (rm_kvm.put_kvm)
		symbol_put(kvm_put_kvm);
	if (rm_kvm.track_register)
		symbol_put(kvm_page_track_register_notifier);
	if (rm_kvm.track_unregister)
		symbol_put(kvm_page_track_unregister_notifier);
	memset(&rm_kvm, 0, sizeof(rm_kvm));
}

/* All of rm_kvm, or none: whether kvm.ko is there to serve. */
bool rm_kvm_syms_get(void)
{
	rm_kvm.get_kvm = symbol_get(kvm_get_kvm);
	rm_kvm.put_kvm = symbol_get(kvm_put_kvm);
	/* Without a word of memslot changes, an alias could outlive its RAM. */
	rm_kvm.track_register = symbol_get(kvm_page_track_register_notifier);
	rm_kvm.track_unregister =
		symbol_get(kvm_page_track_unregister_notifier);
	if (rm_kvm.get_kvm && rm_kvm.put_kvm && rm_kvm.track_register &&
	    rm_kvm.track_unregister)
		return true;
	rm_kvm_syms_put();
	return false;
}

/*
 * KVM's VM files: file_is_kvm() is KVM-internal on 7.x, so tell them by
 * what kvm_dev_ioctl_create_vm() makes: an anonymous inode file named
 * "kvm-vm" whose file operations belong to KVM (kvm_init() of 6.12 and
 * later gives them the vendor module as owner).
 */
bool rm_file_is_kvm_vm(struct file *file)
{
	static const char * const owners[] = { "kvm_amd", "kvm_intel", "kvm" };
	const struct file_operations *fops = file->f_op;
	unsigned int i;

	if (!fops || strcmp(file->f_path.dentry->d_name.name, "kvm-vm"))
		return false;
	/* 6.1 leaves kvm_vm_fops without an owner. */
	if (!fops->owner)
		return fops->unlocked_ioctl && fops->release;
	for (i = 0; i < ARRAY_SIZE(owners); i++)
		if (!strcmp(module_name(fops->owner), owners[i]))
			return true;
	return false;
}

/* The KVM VM file of @fd with a reference, or NULL. */
struct file *rm_kvm_fget(int fd)
{
	struct file *file = fget(fd);

	if (file && !rm_file_is_kvm_vm(file)) {
		fput(file);
		file = NULL;
	}
	return file;
}
