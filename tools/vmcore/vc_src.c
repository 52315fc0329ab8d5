// SPDX-License-Identifier: GPL-2.0
/*
 * The ways target pages reach rm-vmcore: /dev/remote_mapping on the
 * target VM's VMM (a host process), or /dev/kvmmem with a token (inside
 * an introspector VM); and the target's RAM layout for each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rmap.h>

#include "vmcore.h"

/* /dev/kvmmem maps at most this much per mmap() (linux/kvmmem.h). */
#define VC_KVMMEM_MAX_PAGES	1024
/* Where a PC's RAM resumes above the PCI hole. */
#define VC_4G			0x100000000ULL
#define VC_1M			0x100000ULL

const struct vc_range *vc_src_range(const struct vc_src *src, __u64 gpa)
{
	size_t lo = 0, hi = src->nram;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct vc_range *r = &src->ram[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static int vc_add_range(struct vc_src *src, __u64 gpa, __u64 size, __u64 hva)
{
	struct vc_range *more;

	more = realloc(src->ram, (src->nram + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	src->ram = more;
	src->ram[src->nram++] = (struct vc_range){ gpa, size, hva };
	return 0;
}

static int vc_range_cmp(const void *a, const void *b)
{
	const struct vc_range *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

int vc_src_set_ram(struct vc_src *src, const char *spec)
{
	char *copy, *tok, *save = NULL, *end;
	unsigned long long a, b;
	size_t i;
	int err = 0;

	copy = strdup(spec);
	if (!copy)
		return -ENOMEM;
	free(src->ram);
	src->ram = NULL;
	src->nram = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		errno = 0;
		a = strtoull(tok, &end, 0);
		if (errno || *end != '-') {
			err = -EINVAL;
			break;
		}
		b = strtoull(end + 1, &end, 0);
		if (errno || *end || b <= a || (a | b) & ~VC_PAGE_MASK) {
			err = -EINVAL;
			break;
		}
		err = vc_add_range(src, a, b - a, 0);
	}
	free(copy);
	if (!err && !src->nram)
		err = -EINVAL;
	if (err) {
		fprintf(stderr, "rm-vmcore: --ram %s: want page-aligned GPA-END,...\n",
			spec);
		return err;
	}
	qsort(src->ram, src->nram, sizeof(*src->ram), vc_range_cmp);
	for (i = 1; i < src->nram; i++) {
		if (src->ram[i].gpa < src->ram[i - 1].gpa + src->ram[i - 1].size) {
			fprintf(stderr, "rm-vmcore: --ram %s: ranges overlap\n", spec);
			return -EINVAL;
		}
	}
	return 0;
}

void vc_src_close(struct vc_src *src)
{
	if (src->ops)
		src->ops->close(src);
	free(src->ram);
	memset(src, 0, sizeof(*src));
}

/* --- host: /dev/remote_mapping on the VMM ------------------------------- */

struct vc_host {
	int dev;
	int pidfd;
	__u64 *hvas;		/* scratch, npages */
};

static long vc_host_map(struct vc_src *src, const __u64 *gpas,
			const __u64 *addrs, __s32 *errs, size_t n)
{
	struct vc_host *h = src->priv;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct vc_range *r = vc_src_range(src, gpas[i]);

		/* The cache asks for RAM only; 0 fails that page (EFAULT). */
		h->hvas[i] = r ? r->hva + (gpas[i] - r->gpa) : 0;
	}
	return rmap_map_batch(h->dev, h->pidfd,
			      REMOTE_MAPPING_READONLY | REMOTE_MAPPING_POPULATE,
			      h->hvas, addrs, errs, n);
}

static int vc_host_unmap(struct vc_src *src, void *addr)
{
	struct vc_host *h = src->priv;

	return rmap_unmap(h->dev, addr);
}

static void vc_host_close(struct vc_src *src)
{
	struct vc_host *h = src->priv;

	/* Ends every mapping in it. */
	rmap_window_destroy(src->base, src->npages);
	close(h->pidfd);
	close(h->dev);
	free(h->hvas);
	free(h);
}

static const struct vc_src_ops vc_host_ops = {
	.name = "remote_mapping",
	.map = vc_host_map,
	.unmap = vc_host_unmap,
	.close = vc_host_close,
};

/* The VM's RAM: its memslots that are not ROM, as the VMM laid them out. */
static int vc_host_layout(struct vc_src *src, int dev, int pid)
{
	struct remote_mapping_vm_slot *slots;
	int vm_fd, nvm, err = 0;
	long n, i;

	vm_fd = rmap_vm_fd_of_pid(pid, &nvm);
	if (vm_fd < 0) {
		fprintf(stderr, "rm-vmcore: the KVM VM fd of pid %d: %s\n", pid,
			rmap_strerror(RMAP_OP_VM_FD, vm_fd));
		return vm_fd;
	}
	if (nvm > 1)
		fprintf(stderr, "rm-vmcore: pid %d has %d VMs; using its lowest VM fd\n",
			pid, nvm);
	n = rmap_vm_slots(dev, vm_fd, &slots);
	close(vm_fd);
	if (n < 0) {
		fprintf(stderr, "rm-vmcore: REMOTE_MAPPING_VM_SLOTS: %s\n",
			strerror((int)-n));
		return (int)n;
	}
	for (i = 0; i < n && !err; i++)
		if (!(slots[i].flags & REMOTE_MAPPING_SLOT_READONLY))
			err = vc_add_range(src, slots[i].gpa, slots[i].size,
					   slots[i].hva);
	free(slots);
	if (!err && !src->nram) {
		fprintf(stderr, "rm-vmcore: pid %d's VM has no RAM\n", pid);
		err = -ENOENT;
	}
	return err;
}

int vc_src_host_open(struct vc_src *src, int pid, size_t npages)
{
	struct vc_host *h;
	int err;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->hvas = calloc(npages, sizeof(*h->hvas));
	err = -ENOMEM;
	if (!h->hvas)
		goto err_free;
	h->dev = rmap_open(NULL);
	if (h->dev < 0) {
		err = h->dev;
		fprintf(stderr, "rm-vmcore: %s: %s\n", RMAP_DEV_PATH,
			rmap_strerror(RMAP_OP_OPEN, err));
		goto err_free;
	}
	err = vc_host_layout(src, h->dev, pid);
	if (err)
		goto err_close_dev;
	h->pidfd = rmap_pidfd_open(pid);
	if (h->pidfd < 0) {
		err = h->pidfd;
		fprintf(stderr, "rm-vmcore: pidfd of %d: %s\n", pid, strerror(-err));
		goto err_close_dev;
	}
	src->base = rmap_window_create(h->dev, npages, PROT_READ);
	if (!src->base) {
		err = -errno;
		fprintf(stderr, "rm-vmcore: a window of %zu pages: %s\n", npages,
			rmap_strerror(RMAP_OP_WINDOW, err));
		goto err_close_pidfd;
	}
	src->npages = npages;
	src->sigbus = true;	/* the VMM may unmap its RAM */
	src->priv = h;
	src->ops = &vc_host_ops;
	return 0;

err_close_pidfd:
	close(h->pidfd);
err_close_dev:
	close(h->dev);
err_free:
	free(h->hvas);
	free(h);
	return err;
}

/* --- host, for comparison: copies through /proc/PID/mem of the VMM ---------- */

struct vc_procmem {
	int fd;
};

static int vc_procmem_read(struct vc_src *src, __u64 gpa, void *buf,
			   size_t len)
{
	struct vc_procmem *p = src->priv;
	unsigned char *out = buf;

	while (len) {
		const struct vc_range *r = vc_src_range(src, gpa);
		size_t take;
		ssize_t n;

		if (!r)
			return -EIO;
		take = r->size - (gpa - r->gpa);
		if (take > len)
			take = len;
		n = pread(p->fd, out, take, (off_t)(r->hva + (gpa - r->gpa)));
		if (n <= 0)
			return -EIO;
		out += n;
		gpa += (size_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static void vc_procmem_close(struct vc_src *src)
{
	struct vc_procmem *p = src->priv;

	close(p->fd);
	free(p);
}

static const struct vc_src_ops vc_procmem_ops = {
	.name = "proc-mem",
	.close = vc_procmem_close,
	.read = vc_procmem_read,
};

int vc_src_procmem_open(struct vc_src *src, int pid)
{
	struct vc_procmem *p;
	char path[32];
	int dev, err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	dev = rmap_open(NULL);
	if (dev < 0) {
		err = dev;
		fprintf(stderr, "rm-vmcore: %s (for the VM's layout): %s\n",
			RMAP_DEV_PATH, rmap_strerror(RMAP_OP_OPEN, err));
		goto err_free;
	}
	err = vc_host_layout(src, dev, pid);
	close(dev);
	if (err)
		goto err_free;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	p->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->fd < 0) {
		err = -errno;
		fprintf(stderr, "rm-vmcore: %s: %s\n", path, strerror(errno));
		goto err_free;
	}
	src->npages = 2;	/* no cache; the count is only reported */
	src->priv = p;
	src->ops = &vc_procmem_ops;
	return 0;

err_free:
	free(p);
	return err;
}

/* --- introspector VM: /dev/kvmmem with a token ----------------------------- */

struct vc_kvmmem {
	int fd;
	struct rmap_token token;
};

static long vc_kvmmem_map(struct vc_src *src, const __u64 *gpas,
			  const __u64 *addrs, __s32 *errs, size_t n)
{
	struct vc_kvmmem *k = src->priv;

	return rmap_kvmmem_map_batch(k->fd, &k->token, gpas, addrs, errs, n);
}

static int vc_kvmmem_unmap(struct vc_src *src, void *addr)
{
	struct vc_kvmmem *k = src->priv;

	return rmap_kvmmem_unmap(k->fd, addr);
}

static void vc_kvmmem_close(struct vc_src *src)
{
	struct vc_kvmmem *k = src->priv;

	/* The last munmap() of the file's pool unmaps what is left. */
	munmap(src->base, src->npages * VC_PAGE_SIZE);
	close(k->fd);
	rmap_token_wipe(&k->token);
	free(k);
}

static const struct vc_src_ops vc_kvmmem_ops = {
	.name = "kvmmem",
	.map = vc_kvmmem_map,
	.unmap = vc_kvmmem_unmap,
	.close = vc_kvmmem_close,
};

/* Whether target page @gpa is RAM: EFAULT says it is not. */
static int vc_probe(struct vc_src *src, __u64 gpa)
{
	__u64 addr = (uintptr_t)src->base;
	__s32 err = 0;
	long n;

	n = src->ops->map(src, &gpa, &addr, &err, 1);
	if (n == 1) {
		src->ops->unmap(src, src->base);
		return 1;
	}
	if (n < 0 && !err)
		err = (__s32)n;
	if (err == -EFAULT)
		return 0;
	/* RAM we may not map (a tail page of a THP, say): still RAM. */
	if (err == -EOPNOTSUPP || err == -EBUSY)
		return 1;
	return err;
}

/*
 * The end of the RAM that starts at @start (RAM), searched up to @limit:
 * RAM is taken to be contiguous from @start, as a PC's is below and above
 * the PCI hole.  The end, or -errno.
 */
static int64_t vc_probe_end(struct vc_src *src, __u64 start, __u64 limit)
{
	__u64 lo = start, hi = start + VC_PAGE_SIZE, mid;
	int r;

	/* Grow until a page that is not RAM: [lo] is RAM, [hi] is not. */
	for (;;) {
		if (hi >= limit) {
			hi = limit;
			r = vc_probe(src, hi - VC_PAGE_SIZE);
			if (r < 0)
				return r;
			if (r)
				return (int64_t)limit;
			break;
		}
		r = vc_probe(src, hi);
		if (r < 0)
			return r;
		if (!r)
			break;
		lo = hi;
		hi = start + 2 * (hi - start);
	}
	while (hi - lo > VC_PAGE_SIZE) {
		mid = lo + ((hi - lo) / 2 & VC_PAGE_MASK);
		r = vc_probe(src, mid);
		if (r < 0)
			return r;
		if (r)
			lo = mid;
		else
			hi = mid;
	}
	return (int64_t)hi;
}

/*
 * The target's RAM, found by mapping: page by page below 1 MiB (the VGA
 * hole, option ROMs), then the end of the RAM from 1 MiB and from 4 GiB.
 */
static int vc_kvmmem_layout(struct vc_src *src)
{
	static const struct { __u64 start, limit; } above[] = {
		{ VC_1M, VC_4G },		/* up to the PCI hole */
		{ VC_4G, VC_4G << 10 },		/* and above it */
	};
	struct vc_range *last;
	__u64 gpa, run = 0;
	bool in = false;
	int64_t end;
	int i, r, err;

	for (gpa = 0; gpa <= VC_1M; gpa += VC_PAGE_SIZE) {
		r = gpa < VC_1M ? vc_probe(src, gpa) : 0;
		if (r < 0)
			return r;
		if (r && !in)
			run = gpa;
		if (!r && in) {
			err = vc_add_range(src, run, gpa - run, 0);
			if (err)
				return err;
		}
		in = r;
	}
	for (i = 0; i < 2; i++) {
		gpa = above[i].start;
		r = vc_probe(src, gpa);
		if (r < 0)
			return r;
		if (!r)
			continue;
		end = vc_probe_end(src, gpa, above[i].limit);
		if (end < 0)
			return (int)end;
		last = src->nram ? &src->ram[src->nram - 1] : NULL;
		if (last && last->gpa + last->size == gpa) {
			/* The RAM below 1 MiB runs on. */
			last->size = (__u64)end - last->gpa;
			continue;
		}
		err = vc_add_range(src, gpa, (__u64)end - gpa, 0);
		if (err)
			return err;
	}
	if (!src->nram) {
		fprintf(stderr, "rm-vmcore: no page of the target could be mapped\n");
		return -ENOENT;
	}
	return 0;
}

int vc_src_kvmmem_open(struct vc_src *src, const char *dev,
		       const char *token_hex, size_t npages)
{
	struct vc_kvmmem *k;
	int err;

	if (npages > VC_KVMMEM_MAX_PAGES)
		npages = VC_KVMMEM_MAX_PAGES;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	err = rmap_token_parse(token_hex, &k->token);
	if (err) {
		fprintf(stderr, "rm-vmcore: the token: %s\n",
			rmap_strerror(RMAP_OP_TOKEN_PARSE, err));
		goto err_free;
	}
	k->fd = rmap_kvmmem_open(dev);
	if (k->fd < 0) {
		err = k->fd;
		fprintf(stderr, "rm-vmcore: %s: %s\n", dev ? dev : RMAP_KVMMEM_DEV_PATH,
			rmap_strerror(RMAP_OP_KVMMEM_OPEN, err));
		goto err_free;
	}
	src->base = mmap(NULL, npages * VC_PAGE_SIZE, PROT_READ, MAP_SHARED,
			 k->fd, 0);
	if (src->base == MAP_FAILED) {
		err = -errno;
		fprintf(stderr, "rm-vmcore: mmap of %zu pages of %s: %s\n", npages,
			dev ? dev : RMAP_KVMMEM_DEV_PATH, strerror(errno));
		goto err_close;
	}
	src->npages = npages;
	src->priv = k;
	src->ops = &vc_kvmmem_ops;
	if (src->nram)
		return 0;
	err = vc_kvmmem_layout(src);
	if (err) {
		if (err != -ENOENT)
			fprintf(stderr, "rm-vmcore: finding the target's RAM: %s\n",
				rmap_strerror(RMAP_OP_KVMMEM_MAP, err));
		vc_src_close(src);
	}
	return err;

err_close:
	close(k->fd);
err_free:
	rmap_token_wipe(&k->token);
	free(k);
	return err;
}
