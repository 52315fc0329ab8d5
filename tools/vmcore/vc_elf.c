// SPDX-License-Identifier: GPL-2.0
/*
 * The ELF core file rm-vmcore serves: the shape of a kdump vmcore (one
 * PT_LOAD per RAM range with its guest-physical address, the target
 * kernel's VMCOREINFO note), with the bytes read live from the target.
 */
#define _GNU_SOURCE
#include <linux/elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmcore.h"

/* x86-64's kernel image mapping: __pa_symbol(v) = v - map + phys_base. */
#define VC_START_KERNEL_MAP	0xffffffff80000000ULL
#define VC_KERNEL_IMAGE_END	0xffffffffc0000000ULL
#define VC_NOTE_NAME		"VMCOREINFO"
#define VC_NOTE_NAMESZ		sizeof(VC_NOTE_NAME)	/* with the NUL */
/* The text starts after the header and the name, with this key. */
#define VC_NOTE_TEXT		24
#define VC_NOTE_KEY		"OSRELEASE="
#define VC_NOTE_HEAD		(VC_NOTE_TEXT + sizeof(VC_NOTE_KEY) - 1)
/* Linux's VMCOREINFO_BYTES: the text fits a page. */
#define VC_VMCOREINFO_MAX	4096

struct vc_seg {
	__u64 off;		/* in the file */
	__u64 gpa;
	__u64 size;
};

struct vc_core {
	struct vc_cache *cache;
	unsigned char *hdr;	/* ELF header, program headers, the note */
	size_t hdr_size;	/* page-aligned */
	struct vc_seg *seg;	/* RAM, in file order */
	size_t nseg;
	__u64 size;
	char *vmcoreinfo;
	__u64 vmcoreinfo_gpa;
};

static size_t vc_align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Whether the page at @p starts Linux's VMCOREINFO note; its text length. */
static size_t vc_is_note(const unsigned char *p)
{
	struct elf64_note nh;

	memcpy(&nh, p, sizeof(nh));
	if (nh.n_namesz != VC_NOTE_NAMESZ || nh.n_type != 0 || !nh.n_descsz ||
	    nh.n_descsz > VC_VMCOREINFO_MAX - VC_NOTE_TEXT ||
	    memcmp(p + sizeof(nh), VC_NOTE_NAME, VC_NOTE_NAMESZ) ||
	    sizeof(nh) + vc_align4(VC_NOTE_NAMESZ) != VC_NOTE_TEXT ||
	    memcmp(p + VC_NOTE_TEXT, VC_NOTE_KEY, sizeof(VC_NOTE_KEY) - 1))
		return 0;
	return nh.n_descsz;
}

/*
 * Linux keeps its VMCOREINFO note at the start of pages of its own:
 * alloc_pages_exact() of a page and a bit, an order-1 block, so 8 KiB
 * aligned.  Look at the start of those pages first, then of the others
 * (another kernel may differ), highest first in each RAM range, where the
 * page allocator most likely put it; only the note's head is copied.
 */
static int vc_find_vmcoreinfo(struct vc_core *core, struct vc_src *src)
{
	const size_t head = VC_NOTE_HEAD;
	size_t run = src->npages / 2 ? src->npages / 2 : 1, i, j, len;
	unsigned char *buf, page[VC_VMCOREINFO_MAX];
	__u64 lo, hi, base, n, gpa;
	size_t r;
	int odd;

	buf = malloc(run * head);
	if (!buf)
		return -ENOMEM;
	for (odd = 0; odd < 2; odd++) {
		for (r = src->nram; r-- > 0;) {
			const struct vc_range *ram = &src->ram[r];

			/* The first and last page of this pass in the range. */
			lo = ram->gpa +
			     ((ram->gpa / VC_PAGE_SIZE + odd) & 1) * VC_PAGE_SIZE;
			hi = ram->gpa + ram->size;
			if (lo >= hi)
				continue;
			for (n = (hi - lo + 2 * VC_PAGE_SIZE - 1) / (2 * VC_PAGE_SIZE);
			     n > 0; n -= j) {
				j = n < run ? n : run;
				base = lo + (n - j) * 2 * VC_PAGE_SIZE;
				vc_cache_peek(core->cache, base, j, 2, head, buf);
				for (i = j; i-- > 0;) {
					if (!vc_is_note(buf + i * head))
						continue;
					gpa = base + i * 2 * VC_PAGE_SIZE;
					if (vc_cache_read(core->cache, gpa, page, sizeof(page)))
						continue;
					len = vc_is_note(page);
					if (!len)
						continue;
					core->vmcoreinfo = strndup((char *)page + VC_NOTE_TEXT,
								   len);
					core->vmcoreinfo_gpa = gpa;
					free(buf);
					return core->vmcoreinfo ? 0 : -ENOMEM;
				}
			}
		}
	}
	free(buf);
	return -ENOENT;
}

/* The value of "@key=" in the VMCOREINFO text, in @base; 0 if absent. */
static int vc_info_num(const char *info, const char *key, int base, __u64 *v)
{
	size_t kl = strlen(key);
	const char *p = info;
	char *end;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			*v = strtoull(p + kl + 1, &end, base);
			return end != p + kl + 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

/* Add a PT_LOAD; @vaddr 0 (RAM: the page tables give its addresses). */
static struct elf64_phdr *vc_phdr(struct elf64_phdr *ph, __u64 off,
				  __u64 vaddr, __u64 paddr, __u64 size)
{
	*ph = (struct elf64_phdr){
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_W | PF_X,
		.p_offset = off,
		.p_vaddr = vaddr,
		.p_paddr = paddr,
		.p_filesz = size,
		.p_memsz = size,
		.p_align = VC_PAGE_SIZE,
	};
	return ph + 1;
}

/*
 * The kernel image's PT_LOAD, as kdump writes it: a reader such as drgn
 * starts translating at swapper_pg_dir, a virtual address in the image,
 * before it can walk page tables.  0 if VMCOREINFO does not say where.
 */
static int vc_kernel_seg(const struct vc_core *core, __u64 *vaddr,
			 __u64 *paddr, __u64 *size, __u64 *off)
{
	__u64 stext, phys_base, phys;
	size_t i;

	if (!core->vmcoreinfo ||
	    !vc_info_num(core->vmcoreinfo, "SYMBOL(_stext)", 16, &stext) ||
	    !vc_info_num(core->vmcoreinfo, "NUMBER(phys_base)", 10, &phys_base) ||
	    stext < VC_START_KERNEL_MAP || stext >= VC_KERNEL_IMAGE_END)
		return 0;
	stext &= VC_PAGE_MASK;
	phys = stext - VC_START_KERNEL_MAP + phys_base;
	for (i = 0; i < core->nseg; i++) {
		const struct vc_seg *s = &core->seg[i];

		if (phys < s->gpa || phys - s->gpa >= s->size)
			continue;
		*vaddr = stext;
		*paddr = phys;
		*size = s->size - (phys - s->gpa);
		if (*size > VC_KERNEL_IMAGE_END - stext)
			*size = VC_KERNEL_IMAGE_END - stext;
		*off = s->off + (phys - s->gpa);
		return 1;
	}
	return 0;
}

static int vc_build_headers(struct vc_core *core, struct vc_src *src)
{
	size_t note_len = 0, nph, phoff = sizeof(struct elf64_hdr), note_off, i;
	__u64 kv, kp, ks, ko, off;
	struct elf64_hdr *eh;
	struct elf64_phdr *ph;
	struct elf64_note nh;
	int kernel;

	core->nseg = src->nram;
	core->seg = calloc(core->nseg, sizeof(*core->seg));
	if (!core->seg)
		return -ENOMEM;
	if (core->vmcoreinfo)
		note_len = sizeof(nh) + vc_align4(VC_NOTE_NAMESZ) +
			   vc_align4(strlen(core->vmcoreinfo));
	/* Program headers: the note, the RAM, the kernel image. */
	nph = !!note_len + src->nram + 1;
	note_off = phoff + nph * sizeof(struct elf64_phdr);
	core->hdr_size = (note_off + note_len + VC_PAGE_SIZE - 1) & VC_PAGE_MASK;
	off = core->hdr_size;
	for (i = 0; i < src->nram; i++) {
		core->seg[i] = (struct vc_seg){ off, src->ram[i].gpa,
						src->ram[i].size };
		off += src->ram[i].size;
	}
	core->size = off;
	kernel = vc_kernel_seg(core, &kv, &kp, &ks, &ko);
	nph -= !kernel;

	core->hdr = calloc(1, core->hdr_size);
	if (!core->hdr)
		return -ENOMEM;
	eh = (struct elf64_hdr *)core->hdr;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = phoff;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(struct elf64_phdr);
	eh->e_phnum = (__u16)nph;

	ph = (struct elf64_phdr *)(core->hdr + phoff);
	if (note_len) {
		*ph++ = (struct elf64_phdr){
			.p_type = PT_NOTE,
			.p_offset = note_off,
			.p_filesz = note_len,
			.p_memsz = note_len,
			.p_align = 4,
		};
		nh = (struct elf64_note){ VC_NOTE_NAMESZ, strlen(core->vmcoreinfo), 0 };
		memcpy(core->hdr + note_off, &nh, sizeof(nh));
		memcpy(core->hdr + note_off + sizeof(nh), VC_NOTE_NAME,
		       VC_NOTE_NAMESZ);
		memcpy(core->hdr + note_off + sizeof(nh) +
		       vc_align4(VC_NOTE_NAMESZ), core->vmcoreinfo,
		       strlen(core->vmcoreinfo));
	}
	if (kernel)
		ph = vc_phdr(ph, ko, kv, kp, ks);
	for (i = 0; i < core->nseg; i++)
		ph = vc_phdr(ph, core->seg[i].off, 0, core->seg[i].gpa,
			     core->seg[i].size);
	return 0;
}

struct vc_core *vc_core_create(struct vc_cache *cache, struct vc_src *src,
			       bool find_vmcoreinfo)
{
	struct vc_core *core;
	int err;

	core = calloc(1, sizeof(*core));
	if (!core)
		return NULL;
	core->cache = cache;
	if (find_vmcoreinfo) {
		err = vc_find_vmcoreinfo(core, src);
		if (err == -ENOENT)
			fprintf(stderr, "rm-vmcore: no VMCOREINFO note in the target's RAM\n");
		else if (err)
			goto err_free;
	}
	if (vc_build_headers(core, src))
		goto err_free;
	return core;

err_free:
	vc_core_destroy(core);
	return NULL;
}

void vc_core_destroy(struct vc_core *core)
{
	if (!core)
		return;
	free(core->hdr);
	free(core->seg);
	free(core->vmcoreinfo);
	free(core);
}

__u64 vc_core_size(const struct vc_core *core)
{
	return core->size;
}

const char *vc_core_vmcoreinfo(const struct vc_core *core, __u64 *gpa)
{
	if (gpa)
		*gpa = core->vmcoreinfo_gpa;
	return core->vmcoreinfo;
}

long vc_core_read(struct vc_core *core, __u64 off, void *buf, size_t len)
{
	unsigned char *out = buf;
	size_t done = 0, i, take;
	int err;

	if (off >= core->size)
		return 0;
	if (len > core->size - off)
		len = core->size - off;
	if (off < core->hdr_size) {
		take = core->hdr_size - off < len ? core->hdr_size - off : len;
		memcpy(out, core->hdr + off, take);
		done = take;
	}
	for (i = 0; i < core->nseg && done < len; i++) {
		const struct vc_seg *s = &core->seg[i];
		__u64 at = off + done;

		if (at < s->off || at - s->off >= s->size)
			continue;
		take = s->size - (at - s->off);
		if (take > len - done)
			take = len - done;
		err = vc_cache_read(core->cache, s->gpa + (at - s->off),
				    out + done, take);
		if (err)
			return done ? (long)done : err;
		done += take;
	}
	return (long)done;
}
