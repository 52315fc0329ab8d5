// SPDX-License-Identifier: GPL-2.0
/*
 * rmap_dev.c - librmap: /dev/remote_mapping (open, map, unmap, batch map,
 * windows, token grant and revoke) and finding the KVM VM fd of a QEMU
 * process.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "rmap.h"
#include "rmap_internal.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd	438
#endif

#define VM_FD_LINK	"anon_inode:kvm-vm"

const char *rmap_version(void)
{
#define RMAP_STR(x)	#x
#define RMAP_XSTR(x)	RMAP_STR(x)
	return RMAP_XSTR(RMAP_VERSION_MAJOR) "." RMAP_XSTR(RMAP_VERSION_MINOR)
	       "." RMAP_XSTR(RMAP_VERSION_PATCH);
#undef RMAP_XSTR
#undef RMAP_STR
}

int rmap_open(const char *path)
{
	return rmap_result(open(path ? path : RMAP_DEV_PATH,
				O_RDWR | O_CLOEXEC));
}

int rmap_pidfd_open(pid_t pid)
{
	if (pid <= 0)
		return rmap_fail(EINVAL);
	return rmap_result(syscall(SYS_pidfd_open, pid, 0));
}

int rmap_map(int dev, int target, __u64 req_hva, void *map_addr,
	     unsigned int flags)
{
	struct remote_mapping_map req;

	memset(&req, 0, sizeof(req));
	req.req_hva = req_hva;
	req.map_hva = (unsigned long)map_addr;
	req.target = target;
	req.flags = flags;
	return rmap_result(ioctl(dev, REMOTE_MAPPING_MAP, &req));
}

int rmap_unmap(int dev, void *map_addr)
{
	struct remote_mapping_unmap req;

	memset(&req, 0, sizeof(req));
	req.map_hva = (unsigned long)map_addr;
	return rmap_result(ioctl(dev, REMOTE_MAPPING_UNMAP, &req));
}

/*
 * Split a batch of @count pages into calls of @one of at most @max pages,
 * as rmap_map_batch() documents; @errs may be NULL.
 */
long rmap_batch_split(rmap_batch_fn one, void *ctx, size_t max,
		      __s32 *errs, size_t count)
{
	__s32 *own = NULL, *e;
	size_t done, n, i;
	long mapped = 0;
	int ret = 0;

	if (!errs) {
		own = calloc(count < max ? count : max, sizeof(*own));
		if (!own)
			return rmap_fail(ENOMEM);
	}
	for (done = 0; done < count; done += n) {
		n = count - done < max ? count - done : max;
		e = own ? own : errs + done;
		ret = one(ctx, done, n, e);
		if (ret < 0)
			break;
		mapped += ret;
	}
	if (ret < 0 && errs)
		for (i = done; i < count; i++)
			errs[i] = ret;
	free(own);
	if (ret < 0 && !mapped)
		return rmap_fail(-ret);
	return mapped;
}

struct rmap_map_batch_ctx {
	int dev, target;
	unsigned int flags;
	const __u64 *req_hvas, *map_hvas;
};

/* One REMOTE_MAPPING_MAP_BATCH of at most REMOTE_MAPPING_BATCH_MAX pages. */
static int rmap_map_batch_one(void *ctx, size_t off, size_t n, __s32 *errs)
{
	struct rmap_map_batch_ctx *c = ctx;
	struct remote_mapping_map_batch b;

	memset(&b, 0, sizeof(b));
	b.target = c->target;
	b.flags = c->flags;
	b.count = n;
	b.req_hvas = (unsigned long)(c->req_hvas + off);
	b.map_hvas = (unsigned long)(c->map_hvas + off);
	b.errs = (unsigned long)errs;
	return rmap_result(ioctl(c->dev, REMOTE_MAPPING_MAP_BATCH, &b));
}

long rmap_map_batch(int dev, int target, unsigned int flags,
		    const __u64 *req_hvas, const __u64 *map_hvas,
		    __s32 *errs, size_t count)
{
	struct rmap_map_batch_ctx c = {
		.dev = dev, .target = target, .flags = flags,
		.req_hvas = req_hvas, .map_hvas = map_hvas,
	};

	if (!count || !req_hvas || !map_hvas)
		return rmap_fail(EINVAL);
	return rmap_batch_split(rmap_map_batch_one, &c,
				REMOTE_MAPPING_BATCH_MAX, errs, count);
}

void *rmap_window_create(int dev, size_t npages, int prot)
{
	size_t psz = rmap_page_size();
	void *w;

	/* PROT_EXEC goes through: the kernel's answer is EPERM. */
	if (!npages || !(prot & PROT_READ) ||
	    (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))) {
		errno = EINVAL;
		return NULL;
	}
	if (npages > SIZE_MAX / psz) {
		errno = ENOMEM;
		return NULL;
	}
	w = mmap(NULL, npages * psz, prot, MAP_SHARED, dev, 0);
	return w == MAP_FAILED ? NULL : w;
}

int rmap_window_destroy(void *window, size_t npages)
{
	size_t psz = rmap_page_size();

	if (!window)
		return 0;
	if (!npages || npages > SIZE_MAX / psz)
		return rmap_fail(EINVAL);
	return rmap_result(munmap(window, npages * psz));
}

int rmap_token_grant(int dev, int vm_fd, int intro_vm_fd, unsigned int flags,
		     __u32 ttl_ms, struct rmap_token *token)
{
	struct remote_mapping_token_grant req;
	int ret;

	memset(&req, 0, sizeof(req));
	req.vm_fd = vm_fd;
	req.intro_vm_fd = intro_vm_fd < 0 ? -1 : intro_vm_fd;
	req.flags = flags;
	if (intro_vm_fd >= 0)
		req.flags |= REMOTE_MAPPING_TOKEN_BIND;
	req.ttl_ms = ttl_ms;
	ret = rmap_result(ioctl(dev, REMOTE_MAPPING_TOKEN_GRANT, &req));
	if (!ret)
		memcpy(token->word, req.token.token, sizeof(token->word));
	explicit_bzero(&req, sizeof(req));
	if (ret)
		errno = -ret;
	return ret;
}

int rmap_token_revoke(int dev, const struct rmap_token *token)
{
	struct remote_mapping_token_revoke req;
	int ret;

	memset(&req, 0, sizeof(req));
	memcpy(req.token.token, token->word, sizeof(req.token.token));
	ret = rmap_result(ioctl(dev, REMOTE_MAPPING_TOKEN_REVOKE, &req));
	explicit_bzero(&req, sizeof(req));
	if (ret)
		errno = -ret;
	return ret;
}

long rmap_vm_slots(int dev, int vm_fd, struct remote_mapping_vm_slot **slots)
{
	struct remote_mapping_vm_slots req;
	struct remote_mapping_vm_slot *buf = NULL, *more;
	__u32 room = 8;
	int ret;

	*slots = NULL;
	for (;;) {
		more = realloc(buf, room * sizeof(*buf));
		if (!more) {
			free(buf);
			return rmap_fail(ENOMEM);
		}
		buf = more;
		memset(&req, 0, sizeof(req));
		req.vm_fd = vm_fd;
		req.count = room;
		req.slots = (unsigned long)buf;
		ret = rmap_result(ioctl(dev, REMOTE_MAPPING_VM_SLOTS, &req));
		if (ret != -E2BIG || req.count <= room)
			break;
		room = req.count;
	}
	if (ret < 0) {
		free(buf);
		return rmap_fail(-ret);
	}
	*slots = buf;
	return ret;
}

/* The lowest fd number of @pid that is a KVM VM, or -errno. */
static int rmap_find_vm_fd(pid_t pid, int *nr_vm_fds)
{
	char dir[64], link[sizeof(VM_FD_LINK) + 1];
	int best = -ENOENT, count = 0, fd;
	struct dirent *de;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, VM_FD_LINK))
			continue;
		fd = atoi(de->d_name);
		if (best < 0 || fd < best)
			best = fd;
		count++;
	}
	closedir(d);
	if (nr_vm_fds)
		*nr_vm_fds = count;
	return best;
}

int rmap_vm_fd_of_pid(pid_t pid, int *nr_vm_fds)
{
	int pidfd, remote, fd;

	if (nr_vm_fds)
		*nr_vm_fds = 0;
	if (pid <= 0)
		return rmap_fail(EINVAL);
	remote = rmap_find_vm_fd(pid, nr_vm_fds);
	if (remote < 0)
		return rmap_fail(-remote);
	pidfd = rmap_pidfd_open(pid);
	if (pidfd < 0)
		return pidfd;
	fd = rmap_result(syscall(SYS_pidfd_getfd, pidfd, remote, 0));
	close(pidfd);
	if (fd < 0)
		errno = -fd;
	return fd;
}
