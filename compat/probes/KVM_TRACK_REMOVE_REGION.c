// SPDX-License-Identifier: GPL-2.0
/*
 * A page-track node is told of a removed memslot by gfn range, registers
 * only from the VM's mm and returns an error (6.6).
 */
#include <linux/kvm_host.h>
#include <asm/kvm_page_track.h>

static void probe_remove(gfn_t gfn, unsigned long nr_pages,
			 struct kvm_page_track_notifier_node *node)
{
}

struct kvm_page_track_notifier_node probe_node = {
	.track_remove_region = probe_remove,
};
