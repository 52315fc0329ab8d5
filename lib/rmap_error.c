// SPDX-License-Identifier: GPL-2.0
/*
 * rmap_error.c - librmap: what each errno means for each operation of the
 * remote_mapping ABIs (/dev/remote_mapping and its windows, tokens,
 * /dev/kvmmem and the KVM_HC_MEM_* hypercalls behind it); no system calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "rmap.h"

#define RMAP_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct rmap_msg {
	int err;
	const char *msg;
};

/* { Ename, message } */
#define RMAP_MSG(name, msg)	{ E##name, msg }

#define RMAP_NEED_PTRACE	"CAP_SYS_PTRACE in the initial user namespace required"

static const struct rmap_msg rmap_open_msgs[] = {
	RMAP_MSG(NOENT, RMAP_DEV_PATH " missing: is remote_mapping.ko loaded?"),
	RMAP_MSG(NODEV, "no driver behind " RMAP_DEV_PATH ": is remote_mapping.ko loaded?"),
	RMAP_MSG(NXIO, "no driver behind " RMAP_DEV_PATH ": is remote_mapping.ko loaded?"),
	RMAP_MSG(ACCES, "permission denied on " RMAP_DEV_PATH "; run as root"),
	{ 0 }
};

static const struct rmap_msg rmap_map_msgs[] = {
	RMAP_MSG(PERM, RMAP_NEED_PTRACE),
	RMAP_MSG(INVAL, "bad address, flag or reserved field, or unsuitable memory at either side"),
	RMAP_MSG(FAULT, "address not mapped, in the caller or in the target"),
	RMAP_MSG(LOOP, "target page is itself a remote mapping; no chains"),
	RMAP_MSG(ACCES, "target page unreadable, or a writable map of a read-only page or window"),
	RMAP_MSG(BUSY, "target page is registered with userfaultfd"),
	RMAP_MSG(SRCH, "target process has exited"),
	RMAP_MSG(BADF, "target is not a pidfd, or the device fd is not open"),
	RMAP_MSG(ALREADY, "address already mapped"),
	RMAP_MSG(AGAIN, "address being mapped or unmapped by another thread; retry"),
	RMAP_MSG(NOMEM, "out of memory or vm.max_map_count reached"),
	RMAP_MSG(2BIG, "batch larger than REMOTE_MAPPING_BATCH_MAX pages"),
	RMAP_MSG(INTR, "interrupted by a fatal signal"),
	RMAP_MSG(NOTTY, "not a remote_mapping device, or the module lacks this ioctl"),
	{ 0 }
};

static const struct rmap_msg rmap_unmap_msgs[] = {
	RMAP_MSG(PERM, RMAP_NEED_PTRACE),
	RMAP_MSG(NOENT, "address is not a remote mapping, or is a hole of a window"),
	RMAP_MSG(INVAL, "unaligned or non-user address, or device opened by another process"),
	RMAP_MSG(AGAIN, "address being mapped or unmapped by another thread; retry"),
	RMAP_MSG(NOMEM, "out of memory"),
	RMAP_MSG(INTR, "interrupted by a fatal signal"),
	RMAP_MSG(BADF, "the device fd is not open"),
	RMAP_MSG(NOTTY, "not a remote_mapping device"),
	{ 0 }
};

static const struct rmap_msg rmap_grant_msgs[] = {
	RMAP_MSG(PERM, RMAP_NEED_PTRACE),
	RMAP_MSG(NODEV, "KVM hypercall hook missing: load the patched kvm.ko first"),
	RMAP_MSG(BADF, "not a KVM VM fd"),
	RMAP_MSG(NOSPC, "too many tokens for this VM: REMOTE_MAPPING_MAX_TOKENS outstanding"),
	RMAP_MSG(INVAL, "unknown flag or reserved field set, or a bound token without a VM fd"),
	RMAP_MSG(SRCH, "the VM's process is exiting"),
	RMAP_MSG(NOMEM, "out of memory"),
	RMAP_MSG(FAULT, "bad argument pointer"),
	RMAP_MSG(NOTTY, "not a remote_mapping device, or the module has no tokens"),
	{ 0 }
};

static const struct rmap_msg rmap_revoke_msgs[] = {
	RMAP_MSG(PERM, RMAP_NEED_PTRACE),
	RMAP_MSG(NOENT, "unknown token: never granted, revoked, expired, or its VM exited"),
	RMAP_MSG(INVAL, "reserved field set"),
	RMAP_MSG(FAULT, "bad argument pointer"),
	RMAP_MSG(NOTTY, "not a remote_mapping device, or the module has no tokens"),
	{ 0 }
};

static const struct rmap_msg rmap_parse_msgs[] = {
	RMAP_MSG(INVAL, "a token is 64 hex digits"),
	{ 0 }
};

static const struct rmap_msg rmap_vm_fd_msgs[] = {
	RMAP_MSG(SRCH, "no such process"),
	RMAP_MSG(NOENT, "the process has no KVM VM fd: not QEMU/KVM, or VM not created yet"),
	RMAP_MSG(PERM, "not allowed to take the process's fd; run as root"),
	RMAP_MSG(ACCES, "not allowed to read the process's fds; run as root"),
	RMAP_MSG(NOSYS, "pidfd_getfd() not supported by this kernel; 5.6 or later needed"),
	RMAP_MSG(INVAL, "bad pid"),
	{ 0 }
};

static const struct rmap_msg rmap_kvmmem_open_msgs[] = {
	RMAP_MSG(NOENT, RMAP_KVMMEM_DEV_PATH " missing: is kvmmem.ko loaded in this VM?"),
	RMAP_MSG(NODEV, "no driver behind " RMAP_KVMMEM_DEV_PATH ": is kvmmem.ko loaded?"),
	RMAP_MSG(NXIO, "no driver behind " RMAP_KVMMEM_DEV_PATH ": is kvmmem.ko loaded?"),
	RMAP_MSG(ACCES, "permission denied on " RMAP_KVMMEM_DEV_PATH "; run as root"),
	{ 0 }
};

static const struct rmap_msg rmap_kvmmem_map_msgs[] = {
	RMAP_MSG(PERM, "token refused: unknown, revoked, expired, or bound to another VM"),
	RMAP_MSG(ACCES, "read-write map with a read-only token, or target page read-only"),
	RMAP_MSG(FAULT, "gpa outside the target VM's RAM, or local page unusable"),
	RMAP_MSG(INVAL, "unaligned gpa or address, or address not private anonymous memory"),
	RMAP_MSG(ALREADY, "address already mapped"),
	RMAP_MSG(AGAIN, "page being mapped or unmapped by another vCPU; retry"),
	RMAP_MSG(SRCH, "target VM is gone"),
	RMAP_MSG(NOMEM, "out of memory or host mapping limit reached"),
	RMAP_MSG(NOSYS, "host lacks KVM_HC_MEM_MAP: patched kvm.ko and remote_mapping.ko needed"),
	RMAP_MSG(LOOP, "target page is itself mapped from another VM"),
	RMAP_MSG(BUSY, "target page is registered with userfaultfd on the host"),
	RMAP_MSG(IO, "unexpected hypercall result"),
	RMAP_MSG(NOTTY, "not a kvmmem device"),
	{ 0 }
};

static const struct rmap_msg rmap_kvmmem_unmap_msgs[] = {
	RMAP_MSG(NOENT, "address is not mapped through this file"),
	RMAP_MSG(INVAL, "unaligned address, or device opened by another process"),
	RMAP_MSG(AGAIN, "the host kept answering EAGAIN; retry"),
	RMAP_MSG(NOSYS, "host does not serve KVM_HC_MEM_UNMAP"),
	RMAP_MSG(FAULT, "gpa outside this VM's RAM"),
	RMAP_MSG(IO, "unexpected hypercall result"),
	RMAP_MSG(NOTTY, "not a kvmmem device"),
	{ 0 }
};

/* rmap_window_create(): mmap() of the device; rmap_window_destroy(): munmap(). */
static const struct rmap_msg rmap_window_msgs[] = {
	RMAP_MSG(PERM, RMAP_NEED_PTRACE "; windows are never executable (PROT_EXEC)"),
	RMAP_MSG(INVAL, "bad size, protection or address, or device opened by another process"),
	RMAP_MSG(ACCES, "a writable window needs a device fd open read-write"),
	RMAP_MSG(NOMEM, "out of memory or address space, or vm.max_map_count reached"),
	RMAP_MSG(NODEV, "the device has no windows: not remote_mapping, or an older module"),
	RMAP_MSG(BADF, "the device fd is not open"),
	{ 0 }
};

static const struct rmap_msg *const rmap_msgs[] = {
	[RMAP_OP_OPEN]		= rmap_open_msgs,
	[RMAP_OP_MAP]		= rmap_map_msgs,
	[RMAP_OP_UNMAP]		= rmap_unmap_msgs,
	[RMAP_OP_TOKEN_GRANT]	= rmap_grant_msgs,
	[RMAP_OP_TOKEN_REVOKE]	= rmap_revoke_msgs,
	[RMAP_OP_TOKEN_PARSE]	= rmap_parse_msgs,
	[RMAP_OP_VM_FD]		= rmap_vm_fd_msgs,
	[RMAP_OP_KVMMEM_OPEN]	= rmap_kvmmem_open_msgs,
	[RMAP_OP_KVMMEM_MAP]	= rmap_kvmmem_map_msgs,
	[RMAP_OP_KVMMEM_UNMAP]	= rmap_kvmmem_unmap_msgs,
	[RMAP_OP_WINDOW]	= rmap_window_msgs,
};

const char *rmap_strerror(enum rmap_op op, int err)
{
	const struct rmap_msg *m;

	if (err < 0)
		err = -err;
	if ((unsigned int)op < RMAP_ARRAY_SIZE(rmap_msgs) && rmap_msgs[op])
		for (m = rmap_msgs[op]; m->err; m++)
			if (m->err == err)
				return m->msg;
	return strerror(err);
}

/* { Ename, "Ename" } */
#define RMAP_ERRNO(name)	{ E##name, "E" #name }

static const struct rmap_msg rmap_names[] = {
	RMAP_ERRNO(PERM), RMAP_ERRNO(NOENT), RMAP_ERRNO(SRCH), RMAP_ERRNO(INTR),
	RMAP_ERRNO(IO), RMAP_ERRNO(NXIO), RMAP_ERRNO(2BIG), RMAP_ERRNO(BADF),
	RMAP_ERRNO(AGAIN), RMAP_ERRNO(NOMEM), RMAP_ERRNO(ACCES),
	RMAP_ERRNO(FAULT), RMAP_ERRNO(BUSY), RMAP_ERRNO(EXIST),
	RMAP_ERRNO(NODEV), RMAP_ERRNO(INVAL), RMAP_ERRNO(NOSPC),
	RMAP_ERRNO(NOTTY), RMAP_ERRNO(RANGE), RMAP_ERRNO(LOOP),
	RMAP_ERRNO(NOSYS), RMAP_ERRNO(ALREADY), RMAP_ERRNO(OPNOTSUPP),
	RMAP_ERRNO(TIMEDOUT),
	{ 0 }
};

const char *rmap_errname(int err)
{
	const struct rmap_msg *m;

	if (err < 0)
		err = -err;
	for (m = rmap_names; m->err; m++)
		if (m->err == err)
			return m->msg;
	return "E?";
}
