// SPDX-License-Identifier: GPL-2.0
/*
 * A function's prototype as a module's BTF describes it
 * (/sys/kernel/btf/<module>, split from vmlinux's): what the KVM hook
 * checks before it arms on a function of kvm.ko.
 */
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/btf.h>

#include "rm_btf.h"

/* One BTF blob, its types indexed by id (from first, its first type's id). */
struct rm_btf {
	void *data;
	size_t size;
	const struct btf_header *hdr;
	const char *strs;
	u32 str_first;		/* string offset of strs[0] */
	u32 str_len;
	u32 first;		/* id of the first type here */
	u32 nr;
	u32 *offs;		/* type id - first -> offset in the type section */
};

static void *rm_btf_read(const char *path, size_t *size)
{
	struct file *file;
	loff_t pos = 0, len;
	void *buf = ERR_PTR(-ENOMEM);
	ssize_t n;

	file = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(file))
		return ERR_CAST(file);
	len = i_size_read(file_inode(file));
	if (len <= (loff_t)sizeof(struct btf_header) || len > SZ_64M) {
		buf = ERR_PTR(-EINVAL);
		goto out_put;
	}
	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf) {
		buf = ERR_PTR(-ENOMEM);
		goto out_put;
	}
	/* sysfs gives a page per read. */
	while (pos < len) {
		n = kernel_read(file, buf + pos, len - pos, &pos);
		if (n <= 0) {
			kvfree(buf);
			buf = ERR_PTR(n < 0 ? n : -EIO);
			goto out_put;
		}
	}
	*size = len;
out_put:
	fput(file);
	return buf;
}

static u32 rm_btf_kind(const struct btf_type *t)
{
	return BTF_INFO_KIND(t->info);
}

static u32 rm_btf_vlen(const struct btf_type *t)
{
	return BTF_INFO_VLEN(t->info);
}

/* Size of the type at @t, header included, or 0 for a kind not known here. */
static size_t rm_btf_type_size(const struct btf_type *t)
{
	size_t vlen = rm_btf_vlen(t);

	switch (rm_btf_kind(t)) {
	case BTF_KIND_INT:
		return sizeof(*t) + sizeof(u32);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return sizeof(*t);
	case BTF_KIND_ARRAY:
		return sizeof(*t) + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return sizeof(*t) + vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return sizeof(*t) + vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return sizeof(*t) + vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(*t) + sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return sizeof(*t) + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(*t) + sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64:
		return sizeof(*t) + vlen * sizeof(struct btf_enum64);
	}
	return 0;
}

static void rm_btf_free(struct rm_btf *b)
{
	kvfree(b->offs);
	kvfree(b->data);
}

/* Load @path, whose types start at id @first and strings at @str_first. */
static int rm_btf_load(struct rm_btf *b, const char *path, u32 first,
		       u32 str_first)
{
	const struct btf_header *hdr;
	size_t off, sz, cap = 1024;
	const void *types;
	u32 *offs;
	int err = -EINVAL;

	memset(b, 0, sizeof(*b));
	b->data = rm_btf_read(path, &b->size);
	if (IS_ERR(b->data)) {
		err = PTR_ERR(b->data);
		b->data = NULL;
		return err;
	}
	hdr = b->data;
	if (hdr->magic != BTF_MAGIC || hdr->hdr_len > b->size ||
	    hdr->type_off > b->size - hdr->hdr_len ||
	    hdr->type_len > b->size - hdr->hdr_len - hdr->type_off ||
	    hdr->str_off > b->size - hdr->hdr_len ||
	    hdr->str_len > b->size - hdr->hdr_len - hdr->str_off)
		goto err_free;
	b->hdr = hdr;
	types = b->data + hdr->hdr_len + hdr->type_off;
	b->strs = b->data + hdr->hdr_len + hdr->str_off;
	b->str_len = hdr->str_len;
	b->str_first = str_first;
	b->first = first;

	b->offs = kvmalloc_array(cap, sizeof(u32), GFP_KERNEL);
	if (!b->offs)
		goto err_nomem;
	for (off = 0; off + sizeof(struct btf_type) <= hdr->type_len;
	     off += sz) {
		sz = rm_btf_type_size(types + off);
		if (!sz || off + sz > hdr->type_len)
			goto err_free;
		if (b->nr == cap) {
			offs = kvmalloc_array(cap * 2, sizeof(u32), GFP_KERNEL);
			if (!offs)
				goto err_nomem;
			memcpy(offs, b->offs, cap * sizeof(u32));
			kvfree(b->offs);
			b->offs = offs;
			cap *= 2;
		}
		b->offs[b->nr++] = off;
	}
	return 0;

err_nomem:
	err = -ENOMEM;
err_free:
	rm_btf_free(b);
	return err;
}

/* Type @id of vmlinux (@base) or of the module (@mod), or NULL. */
static const struct btf_type *rm_btf_type(const struct rm_btf *base,
					  const struct rm_btf *mod, u32 id)
{
	const struct rm_btf *b = id >= mod->first ? mod : base;

	if (id < b->first || id - b->first >= b->nr)
		return NULL;
	return (const void *)b->hdr + b->hdr->hdr_len + b->hdr->type_off +
	       b->offs[id - b->first];
}

static const char *rm_btf_str(const struct rm_btf *base,
			      const struct rm_btf *mod, u32 off)
{
	const struct rm_btf *b = off >= mod->str_first ? mod : base;

	off -= b->str_first;
	if (off >= b->str_len || !memchr(b->strs + off, 0, b->str_len - off))
		return "";
	return b->strs + off;
}

/* Whether type @id is "name" of @kind, through typedefs and qualifiers. */
static bool rm_btf_is(const struct rm_btf *base, const struct rm_btf *mod,
		      u32 id, u32 kind, const char *name)
{
	const struct btf_type *t;

	for (;;) {
		t = rm_btf_type(base, mod, id);
		if (!t)
			return false;
		switch (rm_btf_kind(t)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			if (rm_btf_kind(t) == kind)
				break;
			id = t->type;
			continue;
		}
		break;
	}
	return rm_btf_kind(t) == kind &&
	       !strcmp(rm_btf_str(base, mod, t->name_off), name);
}

/*
 * Whether @module's BTF describes @func as @proto: 0 if so, -ENOENT if
 * there is no BTF to tell (the caller decides by version alone), -EINVAL
 * if it differs or the BTF cannot be read.
 */
int rm_btf_check_func(const char *module, const char *func,
		      const struct rm_btf_proto *proto)
{
	const struct btf_type *t = NULL;
	const struct btf_param *p;
	struct rm_btf base, mod;
	char path[64];
	unsigned int i;
	int err;

	/* Type 0 is void: vmlinux's types start at 1, a module's after. */
	err = rm_btf_load(&base, "/sys/kernel/btf/vmlinux", 1, 0);
	if (err)
		return err == -ENOENT ? -ENOENT : -EINVAL;
	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module);
	err = rm_btf_load(&mod, path, base.first + base.nr, base.str_len);
	if (err) {
		err = err == -ENOENT ? -ENOENT : -EINVAL;
		goto out_base;
	}

	err = -EINVAL;
	for (i = 0; i < mod.nr; i++) {
		t = rm_btf_type(&base, &mod, mod.first + i);
		if (rm_btf_kind(t) == BTF_KIND_FUNC &&
		    !strcmp(rm_btf_str(&base, &mod, t->name_off), func))
			break;
	}
	if (i == mod.nr)
		goto out_mod;
	t = rm_btf_type(&base, &mod, t->type);
	if (!t || rm_btf_kind(t) != BTF_KIND_FUNC_PROTO ||
	    rm_btf_vlen(t) != proto->nr_args ||
	    !rm_btf_is(&base, &mod, t->type, BTF_KIND_INT, proto->ret))
		goto out_mod;
	p = (const struct btf_param *)(t + 1);
	for (i = 0; i < proto->nr_args; i++) {
		const struct btf_type *pt = rm_btf_type(&base, &mod, p[i].type);

		if (!pt || rm_btf_kind(pt) != BTF_KIND_PTR ||
		    !rm_btf_is(&base, &mod, pt->type, BTF_KIND_STRUCT,
			       proto->args[i]))
			goto out_mod;
	}
	err = 0;
out_mod:
	rm_btf_free(&mod);
out_base:
	rm_btf_free(&base);
	return err;
}
