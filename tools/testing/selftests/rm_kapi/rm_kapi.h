/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rm_kapi.h - ABI of the rm_kapi test module: /dev/rm_kapi calls the
 * in-kernel API of remote_mapping.ko (host/mm_remote.h) with raw values.
 */
#ifndef _RM_KAPI_H
#define _RM_KAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* struct rm_kapi_call.op */
enum rm_kapi_op {
	RM_KAPI_MAP,		/* mm_remote_map(mm, req_hva, map_hva) */
	RM_KAPI_MAP_FLAGS,	/* mm_remote_map_flags(..., flags) */
	RM_KAPI_MAP_BATCH,	/* mm_remote_map_batch(mm, ..., n, flags) */
	RM_KAPI_UNMAP,		/* mm_remote_unmap(map_hva) */
	RM_KAPI_GRAB,		/* keep pid's mm (mmgrab) for RM_KAPI_MM_GRABBED */
};

/* struct rm_kapi_call.mm: the mm the call is given (not for unmap) */
enum rm_kapi_mm {
	RM_KAPI_MM_PID,		/* of @pid, referenced for the call */
	RM_KAPI_MM_NULL,	/* NULL */
	RM_KAPI_MM_GRABBED,	/* the one kept by RM_KAPI_GRAB (may be dead) */
};

#define RM_KAPI_BATCH_MAX	8192
#define RM_KAPI_READONLY	1	/* MM_REMOTE_READONLY */
#define RM_KAPI_ZEROHOLE	2	/* MM_REMOTE_ZEROHOLE */

struct rm_kapi_call {
	__u32 op;		/* enum rm_kapi_op */
	__u32 mm;		/* enum rm_kapi_mm */
	__s32 pid;		/* RM_KAPI_MM_PID and RM_KAPI_GRAB */
	__u32 flags;		/* passed as they are */
	__u64 req_hva;		/* passed as they are */
	__u64 map_hva;
	__u64 req_hvas;		/* batch: user pointers to __u64[n], */
	__u64 map_hvas;		/* copied to kernel arrays */
	__u64 errs;		/* batch: user pointer to __s32[n], out */
	__u32 n;		/* batch: count, passed as it is */
	__u32 kthread;		/* non-zero: call from a kernel worker */
	__s64 ret;		/* out: what the function returned */
};

/* 0 if the call was made (its result in @ret), else -1 and errno. */
#define RM_KAPI_CALL	_IOWR(0xB8, 0x01, struct rm_kapi_call)

#endif /* _RM_KAPI_H */
