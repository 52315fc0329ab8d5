/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rm-vmcore: a live VM's physical memory as files (an ELF core and a raw
 * image) for drgn, crash and the like, read through remote_mapping's
 * mappings of its pages (Documentation/vmi-tools.rst).
 */
#ifndef VMCORE_H
#define VMCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#define VC_PAGE_SIZE	4096UL
#define VC_PAGE_MASK	(~(VC_PAGE_SIZE - 1))

/* A guest-physical range of the target's RAM; @hva: its VMM's address. */
struct vc_range {
	__u64 gpa;
	__u64 size;
	__u64 hva;
};

struct vc_src;

/*
 * How pages of the target reach this process: one backend per way in.
 * Pages are mapped into @base[0..@npages), which this process reads.
 */
struct vc_src_ops {
	const char *name;
	/* Map target page @gpas[i] at @addrs[i]; @errs[i]: 0 or -errno. */
	long (*map)(struct vc_src *src, const __u64 *gpas, const __u64 *addrs,
		    __s32 *errs, size_t n);
	int (*unmap)(struct vc_src *src, void *addr);
	void (*close)(struct vc_src *src);
	/* Instead of map and unmap: copy (a baseline, --proc-mem). */
	int (*read)(struct vc_src *src, __u64 gpa, void *buf, size_t len);
};

struct vc_src {
	const struct vc_src_ops *ops;
	unsigned char *base;	/* the pages mappings go into */
	size_t npages;
	bool sigbus;		/* an access to @base may raise SIGBUS */
	struct vc_range *ram;	/* sorted by gpa */
	size_t nram;
	void *priv;
};

/* vc_src.c: the two ways in.  0 or -errno, with a message on stderr. */
int vc_src_host_open(struct vc_src *src, int pid, size_t npages);
int vc_src_procmem_open(struct vc_src *src, int pid);
int vc_src_kvmmem_open(struct vc_src *src, const char *dev,
		       const char *token_hex, size_t npages);
/* Parse "GPA-END[,GPA-END...]" (hex or decimal, END exclusive) as RAM. */
int vc_src_set_ram(struct vc_src *src, const char *spec);
void vc_src_close(struct vc_src *src);
/* The RAM range of @gpa, or NULL. */
const struct vc_range *vc_src_range(const struct vc_src *src, __u64 gpa);

/* vc_cache.c: mapped pages kept in LRU order; reads copy from them. */
struct vc_cache;

struct vc_stats {
	unsigned long long reads, hits, misses, maps, unmaps, errors;
	__u64 last_err_gpa;	/* the last page that failed, and why */
	int last_err;		/* -errno, 0 if none */
};

struct vc_cache *vc_cache_create(struct vc_src *src);
void vc_cache_destroy(struct vc_cache *cache);
/* Copy [gpa, gpa + len) of the target to @buf: 0 or -errno (EIO: no RAM). */
int vc_cache_read(struct vc_cache *cache, __u64 gpa, void *buf, size_t len);
/*
 * The first @len bytes of each of @n pages, first + i * @stride pages, to
 * @buf + i * @len, mapped in batches; a page that cannot be read reads as
 * zeros (and is reported, as by vc_cache_read()).
 */
void vc_cache_peek(struct vc_cache *cache, __u64 first, size_t n,
		   size_t stride, size_t len, void *buf);
void vc_cache_stats(const struct vc_cache *cache, struct vc_stats *st);

/* vc_elf.c: the ELF core file laid over the RAM ranges. */
struct vc_core;

struct vc_core *vc_core_create(struct vc_cache *cache, struct vc_src *src,
			       bool find_vmcoreinfo);
void vc_core_destroy(struct vc_core *core);
__u64 vc_core_size(const struct vc_core *core);
/* Bytes read (short only at the end of the file), or -errno. */
long vc_core_read(struct vc_core *core, __u64 off, void *buf, size_t len);
/* The VMCOREINFO text found in the target (NUL-terminated), or NULL. */
const char *vc_core_vmcoreinfo(const struct vc_core *core, __u64 *gpa);

/* vc_nodl.c: libfuse's dl calls in the static build (ld --wrap). */
void *__wrap_dlopen(const char *file, int mode);
void *__wrap_dlsym(void *handle, const char *name);
int __wrap_dlclose(void *handle);
char *__wrap_dlerror(void);

#endif /* VMCORE_H */
