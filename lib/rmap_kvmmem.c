// SPDX-License-Identifier: GPL-2.0
/*
 * rmap_kvmmem.c - librmap: /dev/kvmmem in the introspector VM (map and
 * unmap pages of another VM, one at a time or a range).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "rmap.h"
#include "rmap_internal.h"

int rmap_kvmmem_open(const char *path)
{
	return rmap_result(open(path ? path : RMAP_KVMMEM_DEV_PATH,
				O_RDWR | O_CLOEXEC));
}

int rmap_kvmmem_map(int fd, const struct rmap_token *token, __u64 gpa,
		    void *addr)
{
	struct kvmi_mem_map req;
	int ret;

	memset(&req, 0, sizeof(req));
	memcpy(req.token.token, token->word, sizeof(req.token.token));
	req.gpa = gpa;
	req.gva = (unsigned long)addr;
	ret = rmap_result(ioctl(fd, KVM_INTRO_MEM_MAP, &req));
	explicit_bzero(&req, sizeof(req));
	if (ret)
		errno = -ret;
	return ret;
}

int rmap_kvmmem_unmap(int fd, void *addr)
{
	return rmap_result(ioctl(fd, KVM_INTRO_MEM_UNMAP, (unsigned long)addr));
}

int rmap_kvmmem_unmap_range(int fd, void *addr, size_t npages)
{
	size_t psz = rmap_page_size(), i;
	int ret, first = 0;

	for (i = 0; i < npages; i++) {
		ret = rmap_kvmmem_unmap(fd, (char *)addr + i * psz);
		if (ret && !first)
			first = ret;
	}
	if (first)
		errno = -first;
	return first;
}

int rmap_kvmmem_map_range(int fd, const struct rmap_token *token,
			  __u64 gpa, void *addr, size_t npages,
			  size_t *failed)
{
	size_t psz = rmap_page_size(), i;
	int ret;

	for (i = 0; i < npages; i++) {
		ret = rmap_kvmmem_map(fd, token, gpa + i * psz,
				      (char *)addr + i * psz);
		if (ret) {
			if (failed)
				*failed = i;
			rmap_kvmmem_unmap_range(fd, addr, i);
			return rmap_fail(-ret);
		}
	}
	return 0;
}

struct rmap_kvmmem_batch_ctx {
	int fd;
	const struct rmap_token *token;
	const __u64 *gpas, *addrs;
};

/* One KVM_INTRO_MEM_MAP_BATCH of at most KVMMEM_BATCH_MAX pages. */
static int rmap_kvmmem_batch_one(void *ctx, size_t off, size_t n,
				 __s32 *errs)
{
	struct rmap_kvmmem_batch_ctx *c = ctx;
	struct kvmi_mem_map_batch b;
	int ret;

	memset(&b, 0, sizeof(b));
	memcpy(b.token.token, c->token->word, sizeof(b.token.token));
	b.count = n;
	b.gpas = (unsigned long)(c->gpas + off);
	b.gvas = (unsigned long)(c->addrs + off);
	b.errs = (unsigned long)errs;
	ret = rmap_result(ioctl(c->fd, KVM_INTRO_MEM_MAP_BATCH, &b));
	explicit_bzero(&b, sizeof(b));
	return ret;
}

long rmap_kvmmem_map_batch(int fd, const struct rmap_token *token,
			   const __u64 *gpas, const __u64 *addrs,
			   __s32 *errs, size_t count)
{
	struct rmap_kvmmem_batch_ctx c = {
		.fd = fd, .token = token, .gpas = gpas, .addrs = addrs,
	};

	if (!count || !token || !gpas || !addrs)
		return rmap_fail(EINVAL);
	return rmap_batch_split(rmap_kvmmem_batch_one, &c, KVMMEM_BATCH_MAX,
				errs, count);
}
