/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * remote_mapping.h - userspace ABI of /dev/remote_mapping: map a page of
 * another process into the caller's address space.
 *
 * Protocol
 * --------
 * open("/dev/remote_mapping", O_RDWR) binds the file to the calling process's
 * address space; ioctls from any other address space fail with EINVAL.
 * Every ioctl needs CAP_SYS_PTRACE in the initial user namespace (EPERM).
 *
 * REMOTE_MAPPING_MAP replaces the page at @map_hva of the caller with a
 * mirror of the page at @req_hva of the target.  @map_hva must lie in a
 * private, anonymous, writable mapping of the caller; the page that was there
 * is dropped.  Loads and stores at @map_hva then reach the target's page, and
 * stay coherent when the target's page is swapped, migrated, merged by KSM,
 * split from a THP, or replaced (the mirror follows the target's address,
 * not a physical page; nothing is pinned).  The target is named by a pidfd
 * in @target, or by a pid in the caller's pid namespace when
 * REMOTE_MAPPING_TARGET_PID is set.  Only memory that ptrace could read is
 * mirrored: not memfd_secret memory (EPERM), nor device or special mappings
 * such as [vvar] (EINVAL).  If the target maps such memory at @req_hva
 * later, accesses through the mirror raise SIGBUS.
 *
 * REMOTE_MAPPING_UNMAP gives @map_hva back as private anonymous memory
 * (a fresh zero page); the caller's VMA layout is what it was before the map.
 * munmap() of the mirror also ends the mapping; mremap() of it is refused,
 * and mappings are not inherited by fork().  Mappings belong to the address
 * space, not to the file: closing the file does not unmap them.
 *
 * When the target exits, mirrored pages read as zeros and a write gives the
 * mapping a private zeroed page; the caller is not signalled.  While the
 * target lives, an access to a target address that has no memory behind it
 * (the target unmapped it) raises SIGBUS.
 *
 * Windows
 * -------
 * Replacing anonymous memory costs a VMA operation per map and per unmap.
 * mmap(NULL, len, PROT_READ[|PROT_WRITE], MAP_SHARED, fd, 0) of the file
 * instead creates a *window*: len bytes of holes into which REMOTE_MAPPING_MAP
 * and REMOTE_MAPPING_MAP_BATCH map pages (@map_hva inside the window) and
 * from which REMOTE_MAPPING_UNMAP removes them, without creating, splitting
 * or merging any VMA.  An access to a hole raises SIGBUS.  A writable map
 * needs a window mapped with PROT_WRITE (EACCES otherwise); a write to a page
 * mapped with REMOTE_MAPPING_READONLY raises SIGBUS.  munmap() of (a part of)
 * a window ends the mappings in it; mremap() is refused; windows are not
 * inherited by fork() and not dumped.  mmap() errors: EPERM without
 * CAP_SYS_PTRACE or with PROT_EXEC, EINVAL for MAP_PRIVATE, a non-zero
 * offset, or a file opened by another address space.
 *
 * REMOTE_MAPPING_POPULATE resolves the target page while mapping and
 * installs it read-only, so that the first read takes no page fault (the
 * first write to a writable mapping still faults once, to get write access
 * to the target page).  Best effort, like MAP_POPULATE.
 *
 * REMOTE_MAPPING_HUGE maps 2 MiB at once: the 512 pages from @req_hva at
 * the 512 from @map_hva, as one mapping.  Both addresses must be aligned
 * to 2 MiB, @map_hva in a window made by mmap() (not a pool) whose VMA
 * covers the 2 MiB, @req_hva in one VMA of the target that covers them;
 * REMOTE_MAPPING_READONLY is required (a write raises SIGBUS).  Where the
 * target has a transparent huge page mapped by one PMD there, the window
 * maps it with one PMD too, on kernels whose x86-64 page tables can hold
 * a special huge PMD (6.12 and later); elsewhere, and after the target
 * splits its huge page, with one PTE per page.  A resolution covers all
 * 512 pages: an access to any of them faults in the target's memory of
 * the whole range, and raises SIGBUS if part of it cannot be read.  With
 * REMOTE_MAPPING_POPULATE the range is resolved during the call, and its
 * PTEs installed where no PMD can map it (a PMD comes with the first
 * access).
 * REMOTE_MAPPING_UNMAP (or the batch) of the first address ends it;
 * another address inside it gives ENOENT, and a map of a page inside it
 * EALREADY, as does a 2 MiB map over a page that is mapped already.
 *
 * Errors (besides EFAULT for a bad argument pointer):
 *   EINVAL   unaligned or non-user address, reserved field or unknown flag
 *            set, REMOTE_MAPPING_HUGE without REMOTE_MAPPING_READONLY or
 *            outside a window, a 2 MiB range not in one VMA of either
 *            side, @map_hva neither in a window nor in a private anonymous
 *            writable mapping (or in a stack that grows), @req_hva in a
 *            VM_IO/VM_PFNMAP/VM_MIXEDMAP mapping (device memory, [vvar]),
 *            @map_hva == @req_hva in the caller itself, target is a kernel
 *            thread, file used from another process
 *   EPERM    @req_hva is memfd_secret memory, which no other process may
 *            read (ptrace cannot either)
 *   EFAULT   @map_hva or @req_hva not mapped
 *   ELOOP    @req_hva is itself a mirror (no chains)
 *   EACCES   writable map of a target page that is not writable, or into
 *            a window mapped without PROT_WRITE
 *   EBUSY    @req_hva is registered with userfaultfd
 *   ESRCH    target has exited (or is exiting)
 *   EBADF    @target is not a pidfd
 *   EALREADY @map_hva is already a mirror (or a mapped window page)
 *   ENOENT   (unmap) @map_hva is not a mirror (or is a window hole), also
 *            when another thread unmapped or replaced it during the call
 *            (what that thread mapped there stays)
 *   EAGAIN   another thread is mapping or unmapping @map_hva right now
 *   ENOMEM   out of memory or vm.max_map_count reached
 */
#ifndef _UAPI_LINUX_REMOTE_MAPPING_H
#define _UAPI_LINUX_REMOTE_MAPPING_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* struct remote_mapping_map.flags */
#define REMOTE_MAPPING_TARGET_PID	(1U << 0) /* @target is a pid */
#define REMOTE_MAPPING_READONLY		(1U << 1) /* map without write access */
#define REMOTE_MAPPING_POPULATE		(1U << 2) /* install the page now */
#define REMOTE_MAPPING_HUGE		(1U << 3) /* 2 MiB, see above */
#define REMOTE_MAPPING_MAP_FLAGS	(REMOTE_MAPPING_TARGET_PID | \
					 REMOTE_MAPPING_READONLY | \
					 REMOTE_MAPPING_POPULATE | \
					 REMOTE_MAPPING_HUGE)

struct remote_mapping_map {
	__u64 req_hva;		/* page-aligned address in the target */
	__u64 map_hva;		/* page-aligned address in the caller */
	__s32 target;		/* pidfd, or pid with REMOTE_MAPPING_TARGET_PID */
	__u32 flags;		/* REMOTE_MAPPING_* */
	__u64 reserved[2];	/* must be zero */
};

struct remote_mapping_unmap {
	__u64 map_hva;		/* page-aligned address in the caller */
	__u64 flags;		/* must be zero */
	__u64 reserved[2];	/* must be zero */
};

#define REMOTE_MAPPING_IOCTL_BASE	0xB7
#define REMOTE_MAPPING_MAP	_IOW(REMOTE_MAPPING_IOCTL_BASE, 0x01, \
				     struct remote_mapping_map)
#define REMOTE_MAPPING_UNMAP	_IOW(REMOTE_MAPPING_IOCTL_BASE, 0x02, \
				     struct remote_mapping_unmap)

/*
 * REMOTE_MAPPING_MAP_BATCH maps @count pages of one target in one call, like
 * @count REMOTE_MAPPING_MAP calls with the same @target and @flags:
 * page i mirrors @req_hvas[i] at @map_hvas[i] (both user pointers to arrays
 * of __u64).  @errs (user pointer to __s32[@count]) receives 0 or the
 * negative errno of each page; pages that fail are left as they were, the
 * others are mapped.  Returns the number of pages mapped, or a negative
 * errno when the call itself fails (EINVAL: @count is 0 or a reserved field
 * or flag is set; E2BIG: @count > REMOTE_MAPPING_BATCH_MAX; EFAULT: an
 * array is not accessible; target errors as for REMOTE_MAPPING_MAP).
 */
#define REMOTE_MAPPING_BATCH_MAX	4096

struct remote_mapping_map_batch {
	__s32 target;		/* pidfd, or pid with REMOTE_MAPPING_TARGET_PID */
	__u32 flags;		/* REMOTE_MAPPING_* as for REMOTE_MAPPING_MAP */
	__u64 count;		/* pages, 1..REMOTE_MAPPING_BATCH_MAX */
	__u64 req_hvas;		/* in: const __u64 *, page-aligned */
	__u64 map_hvas;		/* in: const __u64 *, page-aligned */
	__u64 errs;		/* out: __s32 * */
	__u64 reserved[2];	/* must be zero */
};

#define REMOTE_MAPPING_MAP_BATCH	_IOWR(REMOTE_MAPPING_IOCTL_BASE, 0x03, \
					      struct remote_mapping_map_batch)

/*
 * REMOTE_MAPPING_UNMAP_BATCH ends the mappings at @count addresses of the
 * caller in one call, like @count REMOTE_MAPPING_UNMAP calls: @map_hvas
 * (user pointer to __u64[@count]) names them, @errs (__s32[@count])
 * receives 0 or the negative errno of each, as REMOTE_MAPPING_UNMAP would
 * return it.  Window pages are unmapped under one hold of the caller's
 * mmap_lock, and pages that lie close together in a window are zapped
 * together: one TLB flush (one shootdown of the caller's other CPUs) for a
 * run of them.  Returns the number of pages unmapped, or a negative errno
 * when the call itself fails (EINVAL: @count is 0 or @flags or a reserved
 * field is set; E2BIG: @count > REMOTE_MAPPING_BATCH_MAX; EFAULT: an
 * array is not accessible).
 */
struct remote_mapping_unmap_batch {
	__u64 count;		/* pages, 1..REMOTE_MAPPING_BATCH_MAX */
	__u64 map_hvas;		/* in: const __u64 *, page-aligned */
	__u64 errs;		/* out: __s32 * */
	__u64 flags;		/* must be zero */
	__u64 reserved[2];	/* must be zero */
};

#define REMOTE_MAPPING_UNMAP_BATCH	_IOWR(REMOTE_MAPPING_IOCTL_BASE, 0x04, \
					      struct remote_mapping_unmap_batch)

/*
 * Tokens for the KVM path (see linux/kvmmem.h).  A token authorises
 * KVM_HC_MEM_MAP of pages of one target VM, given by the fd that
 * KVM_CREATE_VM returned (obtain another process's with pidfd_getfd()).
 * It is 256 random bits, compared in constant time, valid until revoked,
 * until @ttl_ms has passed (0: no expiry), or until either VM's process
 * exits.  At most REMOTE_MAPPING_MAX_TOKENS are outstanding per target VM
 * (ENOSPC beyond).  EBADF if @vm_fd or @intro_vm_fd is not a KVM VM fd,
 * ENODEV if the KVM hypercall hook is not available.
 */
#define REMOTE_MAPPING_MAX_TOKENS	64

/* struct remote_mapping_token_grant.flags */
#define REMOTE_MAPPING_TOKEN_READONLY	(1U << 0) /* read-only maps only */
#define REMOTE_MAPPING_TOKEN_BIND	(1U << 1) /* only @intro_vm_fd's VM */
#define REMOTE_MAPPING_TOKEN_FLAGS	(REMOTE_MAPPING_TOKEN_READONLY | \
					 REMOTE_MAPPING_TOKEN_BIND)

struct remote_mapping_token {
	__u64 token[4];		/* same layout as struct kvmi_map_mem_token */
};

struct remote_mapping_token_grant {
	__s32 vm_fd;		/* target VM */
	__s32 intro_vm_fd;	/* with REMOTE_MAPPING_TOKEN_BIND, else -1 */
	__u32 flags;		/* REMOTE_MAPPING_TOKEN_* */
	__u32 ttl_ms;		/* lifetime, 0 for no expiry */
	struct remote_mapping_token token;	/* out */
	__u64 reserved[2];	/* must be zero */
};

struct remote_mapping_token_revoke {
	struct remote_mapping_token token;
	__u64 reserved[2];	/* must be zero; ENOENT if unknown */
};

#define REMOTE_MAPPING_TOKEN_GRANT	_IOWR(REMOTE_MAPPING_IOCTL_BASE, 0x10, \
					      struct remote_mapping_token_grant)
#define REMOTE_MAPPING_TOKEN_REVOKE	_IOW(REMOTE_MAPPING_IOCTL_BASE, 0x11, \
					     struct remote_mapping_token_revoke)

/*
 * REMOTE_MAPPING_VM_SLOTS: the RAM layout of a KVM VM, so that a process
 * holding its VMM's VM fd (pidfd_getfd()) can map the VM's pages by
 * guest-physical address: page @gpa + i of a slot is the VMM's page at
 * @hva + i (map it with REMOTE_MAPPING_MAP, target: the VMM).  Lists the
 * user memslots of the VM's address space 0 (not SMM's), lowest @gpa first.
 * @count is in: the entries @slots has room for; out: how many the VM has.
 * Returns the number of entries written, or -errno: EBADF if @vm_fd is not
 * a KVM VM fd, E2BIG if the VM has more than @count (@count then tells how
 * many), EINVAL if a reserved field is set, EFAULT.  No hypercall hook is
 * needed.  The layout is a snapshot: the VMM may change it later (memory
 * hotplug); a map of a page that left it fails or reads what the VMM
 * keeps at that address.
 */
#define REMOTE_MAPPING_SLOT_READONLY	(1U << 0) /* ROM (KVM_MEM_READONLY) */
#define REMOTE_MAPPING_SLOT_LOGGED	(1U << 1) /* dirty logging on */

struct remote_mapping_vm_slot {
	__u64 gpa;		/* first guest-physical address */
	__u64 size;		/* bytes */
	__u64 hva;		/* the VMM's address of @gpa */
	__u32 flags;		/* REMOTE_MAPPING_SLOT_* */
	__u32 reserved;		/* zero */
};

struct remote_mapping_vm_slots {
	__s32 vm_fd;		/* the VM, a fd of the caller */
	__u32 count;		/* in: room at @slots; out: the VM's slots */
	__u64 slots;		/* user pointer to remote_mapping_vm_slot[] */
	__u64 reserved[2];	/* must be zero */
};

#define REMOTE_MAPPING_VM_SLOTS		_IOWR(REMOTE_MAPPING_IOCTL_BASE, 0x12, \
					      struct remote_mapping_vm_slots)

#endif /* _UAPI_LINUX_REMOTE_MAPPING_H */
