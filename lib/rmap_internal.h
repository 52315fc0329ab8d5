/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the librmap sources. */
#ifndef RMAP_INTERNAL_H
#define RMAP_INTERNAL_H

#include <errno.h>
#include <unistd.h>

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

#endif /* RMAP_INTERNAL_H */
