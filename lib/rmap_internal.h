/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the librmap sources. */
#ifndef RMAP_INTERNAL_H
#define RMAP_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include <linux/types.h>

/* Only the symbols of rmap.h are exported from librmap.so (librmap.map). */

/* Fail with @err (positive): set errno and return -@err. */
static inline int rmap_fail(int err)
{
	errno = err;
	return -err;
}

/* The result of a syscall that returned @ret and set errno on failure. */
static inline int rmap_result(int ret)
{
	return ret < 0 ? -errno : ret;
}

/* The page size, which the ABIs' page counts are in. */
static inline long rmap_page_size(void)
{
	long psz = sysconf(_SC_PAGESIZE);

	return psz > 0 ? psz : 4096;
}

/*
 * One ioctl of a batch: pages [@off, @off + @n) of the caller's arrays,
 * errors to @errs[0..@n); the pages mapped, or -errno for the call.
 */
typedef int (*rmap_batch_fn)(void *ctx, size_t off, size_t n, __s32 *errs);

/* Shared by the sources, not exported. */
#define RMAP_HIDDEN	__attribute__((visibility("hidden")))

RMAP_HIDDEN long rmap_batch_split(rmap_batch_fn one, void *ctx, size_t max,
				  __s32 *errs, size_t count);

#endif /* RMAP_INTERNAL_H */
