/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvmmem.h - ABI between an introspector VM and the host for mapping pages
 * of another VM: the KVM_HC_MEM_MAP/KVM_HC_MEM_UNMAP hypercalls and the
 * guest's /dev/kvmmem.  Numbers and structs are those of the KVMI RFC.
 *
 * Hypercalls (x86 KVM convention: nr in rax, a0..a3 in rbx, rcx, rdx, rsi,
 * result in rax; only from guest CPL 0):
 *
 * KVM_HC_MEM_MAP (32)
 *	a0: guest-physical address of a struct kvmi_map_mem_token (32 bytes,
 *	    must not cross a page)
 *	a1: page-aligned gpa in the target VM (the VM the token was granted for)
 *	a2: page-aligned gpa in the calling VM (RAM, not ROM)
 *	a3: flags, 0 or KVMMEM_MAP_READONLY, KVMMEM_MAP_POPULATE and
 *	    KVMMEM_MAP_HUGE
 *	Afterwards a2 of the caller reaches the same page as a1 of the target,
 *	both ways.  When the target VM goes away, a2 reads zeros.
 *	KVMMEM_MAP_POPULATE resolves the target page during the call and
 *	installs it in the host's page table, as for a read: the guest's
 *	first access then costs KVM's fault alone.  Without it the first
 *	access resolves the page (cheaper for pages that may never be read).
 *	KVMMEM_MAP_HUGE maps 2 MiB as one read-only alias (READONLY required,
 *	EINVAL otherwise): a1 and a2 aligned to 2 MiB, a2 in a pool, each in
 *	one memslot (EFAULT otherwise).  Where the target has a THP there and
 *	the host kernel can, KVM maps it with one 2 MiB entry.  Only a2
 *	unmaps it (ENOENT for its other pages); EALREADY for a map that
 *	overlaps it.  EOPNOTSUPP on a stock kvm.ko older than 6.13.
 *
 * KVM_HC_MEM_MAP_BATCH (34)
 *	a0: gpa of a struct kvmi_map_mem_token, as for KVM_HC_MEM_MAP
 *	a1: gpa of an array of @a2 struct kvmmem_map_entry (guest-physically
 *	    contiguous, 8-byte aligned)
 *	a2: number of entries, 1..KVMMEM_BATCH_MAX
 *	a3: flags, as for KVM_HC_MEM_MAP, for every entry
 *	Maps each entry like KVM_HC_MEM_MAP and writes 0 or its -errno to the
 *	entry's @err.  Result: the number of entries mapped, or a negative
 *	error for the call itself (token, arguments, array not readable).
 *
 * KVM_HC_MEM_UNMAP (33)
 *	a0: page-aligned gpa in the calling VM mapped by KVM_HC_MEM_MAP
 *	Afterwards a0 is ordinary RAM again, reading zeros.
 *
 * KVM_HC_MEM_UNMAP_BATCH (37)
 *	a0: gpa of an array of @a1 struct kvmmem_unmap_entry (guest-physically
 *	    contiguous, 8-byte aligned)
 *	a1: number of entries, 1..KVMMEM_BATCH_MAX
 *	Unmaps each entry's @map_gpa like KVM_HC_MEM_UNMAP and writes 0 or its
 *	-errno to the entry's @err; pool pages that lie close together are
 *	zapped together (one TLB flush for a run of them).  Result: the number
 *	of entries unmapped, or a negative error for the call itself.
 *
 * KVM_HC_MEM_POOL (35)
 *	a0: gpa of a struct kvmi_map_mem_token: any token this VM may use
 *	a1: page-aligned gpa in the calling VM, start of the pool
 *	a2: number of pages, 1..KVMMEM_POOL_MAX, in one RAM memslot backed by
 *	    private anonymous memory of the VMM
 *	a3: flags, 0
 *	Makes the range a pool: its contents are dropped and it reads zeros;
 *	it stays RAM (writes stick), but KVM_HC_MEM_MAP, _MAP_BATCH and
 *	_UNMAP of its pages change no host VMA, so they cost a fraction.
 *	EALREADY: already a pool; EINVAL also when the memory behind it is
 *	not private anonymous memory (e.g. shared with another process).
 *
 * KVM_HC_MEM_UNPOOL (36)
 *	a0: page-aligned gpa, a1: number of pages, all of them pool pages
 *	(ENOENT otherwise).  Ends the mappings there; the range is ordinary
 *	RAM again, reading zeros.  A pool also ends with the VM's process.
 *
 * Result: 0, or a negative error: -KVM_ENOSYS (no host support), else
 * -errno with Linux errno values (KVM_EPERM, KVM_EFAULT, KVM_EINVAL are
 * the same numbers):
 *	EPERM	 token unknown, revoked, expired, or bound to another VM;
 *		 target page is memfd_secret memory of the target's VMM
 *	EACCES	 read-write map with a read-only token
 *	EFAULT	 a gpa outside the VM's RAM memslots, or token not readable
 *	EINVAL	 unaligned gpa, unknown flag
 *	EALREADY a2 already mapped; ENOENT (unmap) a0 not mapped
 *	EAGAIN	 a2 being mapped or unmapped by another vCPU
 *	ESRCH	 target VM is gone
 *	EBUSY	 target page registered with userfaultfd, or a read-write
 *		 map of a dirty-logged memslot (migration) of the target
 *	ENOMEM	 out of memory or host mapping limit reached
 *
 * /dev/kvmmem (guest): open() binds the file to the calling process; an
 * ioctl from another process fails with EINVAL.
 * KVM_INTRO_MEM_MAP: maps the target page @gpa (with @token) at @gva, a
 *	page-aligned address of the caller: in an mmap() of the file (a pool
 *	page), or in private anonymous memory, whose page is then replaced by
 *	a page of the driver (a slot of a host pool; it stays there, reading
 *	zeros after the unmap, until munmap()).  If the mapping at @gva is not
 *	writable the map is read-only (KVMMEM_MAP_READONLY).  EALREADY if
 *	@gva is mapped.
 * KVM_INTRO_MEM_UNMAP: the argument is the gva itself (not a pointer);
 *	ENOENT if it is not mapped.  The page reads zeros afterwards.
 * KVM_INTRO_MEM_MAP_BATCH: maps @count pages with one token like as many
 *	KVM_INTRO_MEM_MAP calls (page i: target @gpas[i] at local @gvas[i]),
 *	through KVM_HC_MEM_MAP_BATCH; @errs[i] gets 0 or -errno.  Returns the
 *	number of pages mapped, or -errno for the call itself (EINVAL: @count
 *	0 or > KVMMEM_BATCH_MAX, unknown flag, pad or reserved field set;
 *	EFAULT: arrays).  With @flags KVMMEM_MAP_HUGE each entry maps 2 MiB,
 *	read-only: @gpas[i] aligned to 2 MiB, @gvas[i] in a read-only mmap()
 *	of the file (EACCES if writable) at a page whose guest-physical
 *	address is aligned to 2 MiB, as offsets 0 and 2 MiB of a 2 or 4 MiB
 *	mmap() are (EINVAL otherwise); KVM_INTRO_MEM_UNMAP(_BATCH) of @gvas[i]
 *	ends it, ENOENT for its other pages, EALREADY for maps over it.
 * KVM_INTRO_MEM_UNMAP_BATCH: unmaps @count gvas like as many
 *	KVM_INTRO_MEM_UNMAP calls, through KVM_HC_MEM_UNMAP_BATCH; @errs[i]
 *	gets 0 or -errno (ENOENT: not mapped, or named twice).  Returns the
 *	number of pages unmapped, or -errno for the call itself (EINVAL:
 *	@count 0 or > KVMMEM_BATCH_MAX, reserved field set; EFAULT: arrays).
 * mmap() (MAP_SHARED, offset 0, up to 4 MiB): pages of the driver's own,
 *	zeroed, ordinary memory until a KVM_INTRO_MEM_MAP (or _MAP_BATCH)
 *	into one of them, which first makes all of them a host pool
 *	(KVM_HC_MEM_POOL, with that call's token); maps and unmaps there are
 *	then much cheaper.  An unmapped pool page reads zeros and keeps what
 *	is written to it.
 * close() unmaps everything mapped through the file; while an mmap() of
 * the file exists, that happens when the last of them is unmapped.
 */
#ifndef _UAPI_LINUX_KVMMEM_H
#define _UAPI_LINUX_KVMMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KVM_HC_MEM_MAP		32
#define KVM_HC_MEM_UNMAP	33
#define KVM_HC_MEM_MAP_BATCH	34
#define KVM_HC_MEM_POOL		35
#define KVM_HC_MEM_UNPOOL	36
#define KVM_HC_MEM_UNMAP_BATCH	37

/* KVM_HC_MEM_POOL a2: pages per pool (1 GiB) */
#define KVMMEM_POOL_MAX		262144

/* KVM_HC_MEM_MAP and KVM_HC_MEM_MAP_BATCH a3 */
#define KVMMEM_MAP_READONLY	(1U << 0)
#define KVMMEM_MAP_POPULATE	(1U << 1)
#define KVMMEM_MAP_HUGE		(1U << 2)	/* 2 MiB, with READONLY */

struct kvmi_map_mem_token {
	__u64 token[4];
};

/* Map another guest's gpa to local gva */
struct kvmi_mem_map {
	struct kvmi_map_mem_token token;
	__u64 gpa;
	__u64 gva;
};

struct kvmmem_map_entry {
	__u64 req_gpa;		/* in: target gpa */
	__u64 map_gpa;		/* in: caller's gpa */
	__s64 err;		/* out: 0 or -errno */
};

struct kvmmem_unmap_entry {
	__u64 map_gpa;		/* in: caller's gpa */
	__s64 err;		/* out: 0 or -errno */
};

#define KVMMEM_BATCH_MAX	4096

#define KVM_INTRO_MEM_MAP	_IOW('i', 0x01, struct kvmi_mem_map)
#define KVM_INTRO_MEM_UNMAP	_IOW('i', 0x02, unsigned long)

struct kvmi_mem_map_batch {
	struct kvmi_map_mem_token token;
	__u64 count;		/* 1..KVMMEM_BATCH_MAX */
	__u64 gpas;		/* in: const __u64 *, target gpas */
	__u64 gvas;		/* in: const __u64 *, local gvas */
	__u64 errs;		/* out: __s32 * */
	__u32 flags;		/* 0 or KVMMEM_MAP_HUGE: 2 MiB per entry */
	__u32 pad;		/* must be zero */
	__u64 reserved;		/* must be zero */
};

#define KVM_INTRO_MEM_MAP_BATCH	_IOWR('i', 0x03, struct kvmi_mem_map_batch)

struct kvmi_mem_unmap_batch {
	__u64 count;		/* 1..KVMMEM_BATCH_MAX */
	__u64 gvas;		/* in: const __u64 *, local gvas */
	__u64 errs;		/* out: __s32 * */
	__u64 reserved[3];	/* must be zero */
};

#define KVM_INTRO_MEM_UNMAP_BATCH _IOWR('i', 0x04, struct kvmi_mem_unmap_batch)

#endif /* _UAPI_LINUX_KVMMEM_H */
