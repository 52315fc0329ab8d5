// SPDX-License-Identifier: GPL-2.0
/*
 * rm-vmcore: mount a live VM's physical memory as files for drgn, crash
 * and other tools (Documentation/vmi-tools.rst):
 *   core   an ELF core of the VM (kdump's shape: PT_LOAD per RAM range,
 *          the VM kernel's VMCOREINFO note)
 *   mem    the VM's guest-physical address space (reads outside RAM: EIO)
 *   stats  what the cache did
 * Every read is served from the VM's pages as they are now (direct I/O,
 * no page cache); the pages are remote_mapping mirrors kept in an LRU
 * cache, never a copy.
 */
#define FUSE_USE_VERSION 35
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rmap.h>

#include "vmcore.h"

#define VC_DEFAULT_PAGES	4096	/* 16 MiB mapped at most */

struct vc_fs {
	struct vc_src src;
	struct vc_cache *cache;
	struct vc_core *core;
	__u64 mem_size;		/* end of the highest RAM range */
};

static struct vc_fs vc_fs;

enum { VC_ROOT, VC_CORE, VC_MEM, VC_STATS, VC_NOFILE };

static int vc_file(const char *path)
{
	if (!strcmp(path, "/"))
		return VC_ROOT;
	if (!strcmp(path, "/core"))
		return VC_CORE;
	if (!strcmp(path, "/mem"))
		return VC_MEM;
	if (!strcmp(path, "/stats"))
		return VC_STATS;
	return VC_NOFILE;
}

static int vc_stats_text(char *buf, size_t len)
{
	struct vc_stats st;
	__u64 gpa = 0;

	vc_cache_stats(vc_fs.cache, &st);
	vc_core_vmcoreinfo(vc_fs.core, &gpa);
	return snprintf(buf, len,
			"source %s\ncache_pages %zu\nreads %llu\nhits %llu\nmisses %llu\n"
			"map_calls %llu\nunmaps %llu\nerrors %llu\nlast_error 0x%llx %s\n"
			"vmcoreinfo_gpa 0x%llx\n",
			vc_fs.src.ops->name, vc_fs.src.npages, st.reads, st.hits,
			st.misses, st.maps, st.unmaps, st.errors,
			(unsigned long long)st.last_err_gpa,
			st.last_err ? strerror(-st.last_err) : "none",
			(unsigned long long)gpa);
}

static int vc_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	char buf[512];

	(void)fi;
	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	switch (vc_file(path)) {
	case VC_ROOT:
		st->st_mode = S_IFDIR | 0500;
		st->st_nlink = 2;
		return 0;
	case VC_CORE:
		st->st_size = (off_t)vc_core_size(vc_fs.core);
		break;
	case VC_MEM:
		st->st_size = (off_t)vc_fs.mem_size;
		break;
	case VC_STATS:
		st->st_size = vc_stats_text(buf, sizeof(buf));
		break;
	default:
		return -ENOENT;
	}
	st->st_mode = S_IFREG | 0400;
	st->st_nlink = 1;
	return 0;
}

static int vc_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
		      off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (vc_file(path) != VC_ROOT)
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, "core", NULL, 0, 0);
	fill(buf, "mem", NULL, 0, 0);
	fill(buf, "stats", NULL, 0, 0);
	return 0;
}

static int vc_open(const char *path, struct fuse_file_info *fi)
{
	int f = vc_file(path);

	if (f == VC_NOFILE || f == VC_ROOT)
		return f == VC_ROOT ? -EISDIR : -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	/* Each read goes to the target: no page cache to go stale. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

static int vc_read(const char *path, char *buf, size_t len, off_t off,
		   struct fuse_file_info *fi)
{
	char text[512];
	int n, err;

	(void)fi;
	if (off < 0)
		return -EINVAL;
	switch (vc_file(path)) {
	case VC_CORE:
		return (int)vc_core_read(vc_fs.core, (__u64)off, buf, len);
	case VC_MEM:
		if ((__u64)off >= vc_fs.mem_size)
			return 0;
		if (len > vc_fs.mem_size - (__u64)off)
			len = vc_fs.mem_size - (__u64)off;
		err = vc_cache_read(vc_fs.cache, (__u64)off, buf, len);
		return err ? err : (int)len;
	case VC_STATS:
		n = vc_stats_text(text, sizeof(text));
		if (off >= n)
			return 0;
		if (len > (size_t)(n - off))
			len = n - off;
		memcpy(buf, text + off, len);
		return (int)len;
	default:
		return -ENOENT;
	}
}

static void *vc_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	return NULL;
}

static const struct fuse_operations vc_ops = {
	.init = vc_init,
	.getattr = vc_getattr,
	.readdir = vc_readdir,
	.open = vc_open,
	.read = vc_read,
};

static void vc_usage(FILE *f)
{
	fprintf(f,
		"usage: rm-vmcore (--pid PID [--proc-mem] | --kvmmem[=DEV] --token HEX|@FILE)\n"
		"                 [--ram GPA-END[,...]] [--cache-pages N] [--no-vmcoreinfo]\n"
		"                 MOUNTPOINT [-f] [-o FUSE options]\n"
		"  --pid PID        the VM whose VMM (QEMU) is process PID, through\n"
		"                   /dev/remote_mapping (host; CAP_SYS_PTRACE)\n"
		"  --kvmmem[=DEV]   the VM a token was granted for, through /dev/kvmmem\n"
		"                   (inside an introspector VM)\n"
		"  --token HEX|@FILE  that token (rm-grant prints it); @FILE reads it\n"
		"  --ram RANGES     the target's RAM (kvmmem; default: found by mapping)\n"
		"  --cache-pages N  pages kept mapped (default %d; kvmmem: at most 1024)\n"
		"  --no-vmcoreinfo  do not look for the VM kernel's VMCOREINFO note\n"
		"  --proc-mem       (with --pid) copy through /proc/PID/mem instead of\n"
		"                   mapping: the baseline of the benchmark\n"
		"Files: core (ELF core), mem (guest-physical), stats.  Returns once\n"
		"mounted (-f: stays in the foreground); umount ends it.\n",
		VC_DEFAULT_PAGES);
}

/* The token's text: @arg, or the first line of file @arg + 1 if "@...". */
static int vc_token_text(const char *arg, char *out, size_t len)
{
	FILE *f;

	if (arg[0] != '@') {
		snprintf(out, len, "%s", arg);
		return 0;
	}
	f = fopen(arg + 1, "r");
	if (!f || !fgets(out, (int)len, f)) {
		fprintf(stderr, "rm-vmcore: token file %s: %s\n", arg + 1,
			strerror(f ? EINVAL : errno));
		if (f)
			fclose(f);
		return -EINVAL;
	}
	fclose(f);
	return 0;
}

/*
 * Set up, mount and serve.  @ready (-1 in the foreground) gets one byte,
 * 0 once mounted or 1 on failure, for the parent waiting in vc_detach().
 */
static int vc_serve(struct fuse_args *args, const char *mnt, const char *ram,
		    long pid, bool procmem, const char *kvmmem,
		    const char *token, size_t pages, bool find_info, int ready)
{
	const char *info;
	struct fuse *fuse;
	char tok[128] = "";
	char status = 1;
	int ret = 1;
	size_t i;

	if (ram && vc_src_set_ram(&vc_fs.src, ram))
		goto out_signal;
	if (pid && procmem) {
		ret = vc_src_procmem_open(&vc_fs.src, (int)pid);
	} else if (pid) {
		ret = vc_src_host_open(&vc_fs.src, (int)pid, pages);
	} else {
		ret = vc_token_text(token, tok, sizeof(tok));
		if (!ret)
			ret = vc_src_kvmmem_open(&vc_fs.src, kvmmem, tok, pages);
		explicit_bzero(tok, sizeof(tok));
	}
	if (ret) {
		ret = 1;
		goto out_signal;
	}
	ret = 1;
	vc_fs.mem_size = vc_fs.src.ram[vc_fs.src.nram - 1].gpa +
			 vc_fs.src.ram[vc_fs.src.nram - 1].size;
	for (i = 0; i < vc_fs.src.nram; i++)
		fprintf(stderr, "rm-vmcore: RAM 0x%llx-0x%llx\n",
			(unsigned long long)vc_fs.src.ram[i].gpa,
			(unsigned long long)(vc_fs.src.ram[i].gpa +
					     vc_fs.src.ram[i].size));
	vc_fs.cache = vc_cache_create(&vc_fs.src);
	if (!vc_fs.cache)
		goto out_close;
	vc_fs.core = vc_core_create(vc_fs.cache, &vc_fs.src, find_info);
	if (!vc_fs.core)
		goto out_cache;
	info = vc_core_vmcoreinfo(vc_fs.core, NULL);
	if (info)
		fprintf(stderr, "rm-vmcore: VMCOREINFO: %.*s\n",
			(int)strcspn(info, "\n"), info);
	fuse = fuse_new(args, &vc_ops, sizeof(vc_ops), NULL);
	if (!fuse)
		goto out_core;
	if (fuse_mount(fuse, mnt))
		goto out_destroy;
	if (fuse_set_signal_handlers(fuse_get_session(fuse)))
		goto out_unmount;
	if (ready >= 0) {
		status = 0;
		if (write(ready, &status, 1) != 1)
			goto out_unmount;
		close(ready);
		ready = -1;
	}
	/* One request at a time: vc_cache.c's SIGBUS jump buffer. */
	ret = fuse_loop(fuse) ? 1 : 0;
	fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
	fuse_unmount(fuse);
out_destroy:
	fuse_destroy(fuse);
out_core:
	vc_core_destroy(vc_fs.core);
out_cache:
	vc_cache_destroy(vc_fs.cache);
out_close:
	vc_src_close(&vc_fs.src);
out_signal:
	if (ready >= 0) {
		status = (char)ret;
		if (write(ready, &status, 1) != 1)
			ret = 1;
		close(ready);
	}
	return ret;
}

/*
 * In the background: fork first, since the devices are bound to the
 * process that opened them (and windows are not inherited); the parent
 * exits with the child's verdict once it is mounted or has failed.
 * Returns, in the child, the fd to report on; -2 if there is no child.
 */
static int vc_detach(void)
{
	int pfd[2];
	char status = 1;
	pid_t child;

	if (pipe2(pfd, O_CLOEXEC))
		return -2;
	child = fork();
	if (child < 0)
		return -2;
	if (child) {
		close(pfd[1]);
		if (read(pfd[0], &status, 1) != 1)
			status = 1;
		exit(status);
	}
	close(pfd[0]);
	setsid();
	if (chdir("/"))
		return -2;
	return pfd[1];
}

int main(int argc, char **argv)
{
	const char *kvmmem = NULL, *token = NULL, *ram = NULL;
	struct fuse_cmdline_opts opts = { 0 };
	struct fuse_args args;
	long pages = VC_DEFAULT_PAGES, pid = 0;
	bool find_info = true, help = false, procmem = false;
	int i, fargc = 0, ready = -1, ret;
	char **fargv;

	fargv = calloc(argc + 2, sizeof(*fargv));
	if (!fargv)
		return 1;
	fargv[fargc++] = argv[0];
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--pid") && i + 1 < argc) {
			pid = strtol(argv[++i], NULL, 10);
			if (pid <= 0)
				pid = -1;
		} else if (!strcmp(a, "--kvmmem")) {
			kvmmem = RMAP_KVMMEM_DEV_PATH;
		} else if (!strncmp(a, "--kvmmem=", 9)) {
			kvmmem = a + 9;
		} else if (!strcmp(a, "--token") && i + 1 < argc) {
			token = argv[++i];
		} else if (!strcmp(a, "--ram") && i + 1 < argc) {
			ram = argv[++i];
		} else if (!strcmp(a, "--cache-pages") && i + 1 < argc) {
			pages = strtol(argv[++i], NULL, 0);
		} else if (!strcmp(a, "--proc-mem")) {
			procmem = true;
		} else if (!strcmp(a, "--no-vmcoreinfo")) {
			find_info = false;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help = true;
		} else {
			fargv[fargc++] = argv[i];
		}
	}
	fargv[fargc++] = "-oro,subtype=rm-vmcore,fsname=rm-vmcore";
	args = (struct fuse_args)FUSE_ARGS_INIT(fargc, fargv);
	if (help) {
		vc_usage(stdout);
		return 0;
	}
	if (fuse_parse_cmdline(&args, &opts) || !opts.mountpoint ||
	    !!pid == !!kvmmem || (kvmmem && !token) || (pid && ram) ||
	    (procmem && !pid) ||
	    pid < 0 || pages < 2) {
		vc_usage(stderr);
		return 2;
	}
	if (!opts.foreground) {
		ready = vc_detach();
		if (ready == -2) {
			perror("rm-vmcore: going to the background");
			return 1;
		}
	}
	ret = vc_serve(&args, opts.mountpoint, ram, pid, procmem, kvmmem,
		       token, (size_t)pages, find_info, ready);
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	free(fargv);
	return ret;
}
