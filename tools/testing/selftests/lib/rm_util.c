// SPDX-License-Identifier: GPL-2.0
/* Library for the remote_mapping selftests: ioctls, counters, targets. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <linux/userfaultfd.h>

#include "rm_util.h"

unsigned long page_size;

static void __attribute__((constructor)) rm_util_init(void)
{
	page_size = sysconf(_SC_PAGESIZE);
}

int rm_open(void)
{
	int fd = open(RM_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int __rm_map_args(int fd, struct remote_mapping_map *args)
{
	return ioctl(fd, REMOTE_MAPPING_MAP, args) ? -errno : 0;
}

int __rm_map(int fd, uintptr_t req_hva, void *map_hva, int target,
	     unsigned int flags)
{
	struct remote_mapping_map args = {
		.req_hva = req_hva,
		.map_hva = (uintptr_t)map_hva,
		.target = target,
		.flags = flags,
	};

	return __rm_map_args(fd, &args);
}

int __rm_map_batch(int fd, int target, unsigned int flags, const __u64 *req,
		   const __u64 *map, __s32 *errs, __u64 count)
{
	struct remote_mapping_map_batch b = {
		.target = target,
		.flags = flags,
		.count = count,
		.req_hvas = (uintptr_t)req,
		.map_hvas = (uintptr_t)map,
		.errs = (uintptr_t)errs,
	};
	int ret = ioctl(fd, REMOTE_MAPPING_MAP_BATCH, &b);

	return ret < 0 ? -errno : ret;
}

int __rm_unmap_batch(int fd, const __u64 *map, __s32 *errs, __u64 count)
{
	struct remote_mapping_unmap_batch b = {
		.count = count,
		.map_hvas = (uintptr_t)map,
		.errs = (uintptr_t)errs,
	};
	int ret = ioctl(fd, REMOTE_MAPPING_UNMAP_BATCH, &b);

	return ret < 0 ? -errno : ret;
}

int __rm_unmap_args(int fd, struct remote_mapping_unmap *args)
{
	return ioctl(fd, REMOTE_MAPPING_UNMAP, args) ? -errno : 0;
}

int __rm_unmap(int fd, void *map_hva)
{
	struct remote_mapping_unmap args = {
		.map_hva = (uintptr_t)map_hva,
	};

	return __rm_unmap_args(fd, &args);
}

int rm_counters_init(void)
{
	const char *path = RM_DEBUGFS_DIR "/" RM_MAP_COUNT;

	if (!access(path, R_OK))
		return 0;
	/* Mount debugfs if nobody did; harmless when it is mounted. */
	mount("debugfs", RM_DEBUGFS_ROOT, "debugfs", 0, NULL);
	return access(path, R_OK) ? -errno : 0;
}

int read_file(const char *path, char *buf, size_t size)
{
	ssize_t len, total = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		len = read(fd, buf + total, size - 1 - total);
		if (len < 0) {
			err = -errno;
			break;
		}
		if (!len)
			break;
		total += len;
	}
	close(fd);
	buf[total] = '\0';
	return err ? err : (int)total;
}

int read_file_long(const char *path, long *val)
{
	char buf[64], *end;
	int ret;

	ret = read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	errno = 0;
	*val = strtol(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

int write_file(const char *path, const char *str)
{
	size_t len = strlen(str);
	ssize_t ret;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, str, len);
	if (ret < 0)
		ret = -errno;
	else if ((size_t)ret != len)
		ret = -EIO;
	else
		ret = 0;
	close(fd);
	return ret;
}

/* Value of a "Field:   123 kB" line of smaps_rollup or meminfo. */
int read_field_kb(const char *path, const char *field, long *kb)
{
	size_t flen = strlen(field);
	char buf[8192], *line;
	int ret;

	ret = read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	for (line = buf; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			*kb = strtol(line + flen + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

int rm_read_counter(const char *name, long *val)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", RM_DEBUGFS_DIR, name);
	return read_file_long(path, val);
}

/* Poll a counter until it reads @want or @timeout_ms passed. */
int rm_wait_counter(const char *name, long want, int timeout_ms, long *seen)
{
	__u64 deadline = now_ms() + timeout_ms;
	int ret;

	for (;;) {
		ret = rm_read_counter(name, seen);
		if (ret)
			return ret;
		if (*seen == want)
			return 0;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		sleep_ms(10);
	}
}

/*
 * Runs a program from PATH with the NULL-terminated arguments, output to
 * /dev/null: its exit status or -errno.
 */
int run_cmd(const char *prog, ...)
{
	char *argv[16] = { (char *)prog };
	int status, fd, i = 1;
	va_list ap;
	pid_t pid;

	va_start(ap, prog);
	while (i < 15 && (argv[i] = va_arg(ap, char *)))
		i++;
	va_end(ap);
	argv[i] = NULL;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
		execvp(prog, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Raise or drop CAP_SYS_PTRACE in the effective set of the calling thread. */
int set_cap_ptrace(bool on)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	if (on)
		data[0].effective |= 1U << CAP_SYS_PTRACE;
	else
		data[0].effective &= ~(1U << CAP_SYS_PTRACE);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int sys_pidfd_open(pid_t pid)
{
	int fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

int pagemap_entry(pid_t pid, uintptr_t addr, __u64 *entry)
{
	char path[64];
	ssize_t ret;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = pread(fd, entry, sizeof(*entry),
		    (addr / page_size) * sizeof(*entry));
	close(fd);
	if (ret < 0)
		return -errno;
	return ret == sizeof(*entry) ? 0 : -EIO;
}

/* Parse a sysfs node list such as "0-1,3": number of nodes stored. */
int node_list(const char *path, int *nodes, int max)
{
	char buf[256], *p, *end;
	long lo, hi;
	int n = 0, ret;

	ret = read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	for (p = buf; *p && *p != '\n';) {
		lo = strtol(p, &end, 10);
		if (end == p)
			return -EINVAL;
		hi = lo;
		p = end;
		if (*p == '-') {
			hi = strtol(p + 1, &end, 10);
			p = end;
		}
		for (; lo <= hi && n < max; lo++)
			nodes[n++] = lo;
		if (*p == ',')
			p++;
	}
	return n;
}

__u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int maps_open(pid_t pid)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Counts lines with read(2) only: no allocation may add a mapping. */
int maps_count_lines(pid_t pid)
{
	char buf[4096];
	int fd, lines = 0;
	ssize_t len, i;

	fd = maps_open(pid);
	if (fd < 0)
		return -errno;
	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < len; i++)
			lines += buf[i] == '\n';
	}
	close(fd);
	return len < 0 ? -EIO : lines;
}

/*
 * Calls @fn for each line of /proc/PID/maps until it returns non-zero;
 * returns that value, 0 at the end, or -errno.
 */
static int maps_walk(pid_t pid, int (*fn)(const char *line, void *arg),
		     void *arg)
{
	size_t size = 1 << 16, used = 0;
	char *buf, *line, *nl, *tmp;
	ssize_t len;
	int fd, ret = 0;

	fd = maps_open(pid);
	if (fd < 0)
		return -errno;
	buf = malloc(size);
	while (buf) {
		len = read(fd, buf + used, size - used - 1);
		if (len <= 0) {
			ret = len < 0 ? -errno : 0;
			break;
		}
		used += len;
		if (used + 1 == size) {
			size *= 2;
			tmp = realloc(buf, size);
			if (!tmp)
				free(buf);
			buf = tmp;
		}
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	if (ret) {
		free(buf);
		return ret;
	}
	buf[used] = '\0';
	for (line = buf; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		ret = fn(line, arg);
		if (ret)
			break;
	}
	free(buf);
	return ret;
}

/* Whether the VmFlags line @flags has each two-letter flag of @want. */
static bool vmflags_have(const char *flags, const char *want)
{
	char tok[4];

	while (sscanf(want, " %2s", tok) == 1) {
		if (!strstr(flags, tok))
			return false;
		want = strstr(want, tok) + strlen(tok);
	}
	return true;
}

int smaps_walk(pid_t pid, smaps_fn *fn, void *arg)
{
	unsigned long start = 0, end = 0, s, e;
	char path[64], *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!ret && getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			start = s;
			end = e;
			continue;
		}
		ret = fn(start, end, line, arg);
	}
	free(line);
	fclose(f);
	return ret;
}

struct smaps_flags_ctx {
	uintptr_t start, end;
	const char *want;
	int *vmas;
	uintptr_t *bad;
	char *bad_flags;
	size_t size;
	int ret;
};

static int smaps_flags_line(unsigned long start, unsigned long end,
			    const char *line, void *arg)
{
	struct smaps_flags_ctx *c = arg;

	if (strncmp(line, "VmFlags:", 8) || start >= c->end || end <= c->start)
		return 0;
	(*c->vmas)++;
	if (!c->ret && !vmflags_have(line + 8, c->want)) {
		*c->bad = start;
		snprintf(c->bad_flags, c->size, "%s", line + 8);
		c->ret = 1;
	}
	return 0;
}

/*
 * The VMAs of /proc/PID/smaps overlapping [start, end): *@vmas gets their
 * number.  Returns 0 if each has every flag of @want ("dc hg": VmFlags'
 * two-letter names), 1 if one does not (*@bad: its start; @bad_flags, of
 * @size bytes: its VmFlags), or -errno.
 */
int smaps_check_flags(pid_t pid, uintptr_t start, uintptr_t end,
		      const char *want, int *vmas, uintptr_t *bad,
		      char *bad_flags, size_t size)
{
	struct smaps_flags_ctx c = {
		.start = start, .end = end, .want = want, .vmas = vmas,
		.bad = bad, .bad_flags = bad_flags, .size = size,
	};
	int ret;

	*vmas = 0;
	ret = smaps_walk(pid, smaps_flags_line, &c);
	return ret < 0 ? ret : c.ret;
}

struct smaps_kb_ctx {
	uintptr_t addr;
	const char *field;
	long *kb;
};

static int smaps_kb_line(unsigned long start, unsigned long end,
			 const char *line, void *arg)
{
	struct smaps_kb_ctx *c = arg;
	size_t flen = strlen(c->field);

	if (c->addr < start || c->addr >= end ||
	    strncmp(line, c->field, flen) || line[flen] != ':')
		return 0;
	*c->kb = strtol(line + flen + 1, NULL, 10);
	return 1;
}

/*
 * Field @field, in kB, of the VMA of /proc/@pid/smaps (0: this process)
 * that holds @addr: 0, -ENOENT, or -errno.
 */
int smaps_vma_kb(pid_t pid, uintptr_t addr, const char *field, long *kb)
{
	struct smaps_kb_ctx c = { .addr = addr, .field = field, .kb = kb };
	int ret = smaps_walk(pid, smaps_kb_line, &c);

	return ret < 0 ? ret : ret ? 0 : -ENOENT;
}

struct maps_query {
	uintptr_t addr;
	const char *perms;
	const char *name;
	uintptr_t start, end;
};

static int maps_match_addr(const char *line, void *arg)
{
	struct maps_query *q = arg;
	unsigned long start, end;

	if (sscanf(line, "%lx-%lx", &start, &end) != 2)
		return -EINVAL;
	if (q->addr < start || q->addr >= end)
		return 0;
	q->start = start;
	q->end = end;
	return 1;
}

int maps_lookup(pid_t pid, uintptr_t addr, uintptr_t *start, uintptr_t *end)
{
	struct maps_query q = { .addr = addr };
	int ret;

	ret = maps_walk(pid, maps_match_addr, &q);
	if (ret < 0)
		return ret;
	if (!ret)
		return -ENOENT;
	if (start)
		*start = q.start;
	if (end)
		*end = q.end;
	return 0;
}

static int maps_match_name(const char *line, void *arg)
{
	struct maps_query *q = arg;
	unsigned long start, end;
	char perms[8];
	int path = 0;

	if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms,
		   &path) != 3)
		return -EINVAL;
	if (q->perms && strcmp(perms, q->perms))
		return 0;
	if (!path || !strstr(line + path, q->name))
		return 0;
	q->start = start;
	q->end = end;
	return 1;
}

/* First mapping with permissions @perms (NULL: any) whose name has @name. */
int maps_find(pid_t pid, const char *perms, const char *name,
	      uintptr_t *start, uintptr_t *end)
{
	struct maps_query q = { .perms = perms, .name = name };
	int ret;

	ret = maps_walk(pid, maps_match_name, &q);
	if (ret < 0)
		return ret;
	if (!ret)
		return -ENOENT;
	*start = q.start;
	*end = q.end;
	return 0;
}

static sigjmp_buf probe_env;
static int probe_armed;

static void probe_handler(int sig)
{
	if (__atomic_load_n(&probe_armed, __ATOMIC_SEQ_CST))
		siglongjmp(probe_env, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void probe_install(void)
{
	struct sigaction sa = { .sa_handler = probe_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

int probe_read(const void *addr, __u64 *val)
{
	int sig;

	probe_install();
	sig = sigsetjmp(probe_env, 1);
	if (!sig) {
		__atomic_store_n(&probe_armed, 1, __ATOMIC_SEQ_CST);
		*val = __atomic_load_n((const __u64 *)addr,
				       __ATOMIC_RELAXED);
	}
	__atomic_store_n(&probe_armed, 0, __ATOMIC_SEQ_CST);
	return sig;
}

int probe_write(void *addr, __u64 val)
{
	int sig;

	probe_install();
	sig = sigsetjmp(probe_env, 1);
	if (!sig) {
		__atomic_store_n(&probe_armed, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n((__u64 *)addr, val, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&probe_armed, 0, __ATOMIC_SEQ_CST);
	return sig;
}

void pattern_fill(void *addr, size_t len, __u64 seed)
{
	__u64 *p = addr;
	size_t i;

	for (i = 0; i < len / 8; i++)
		p[i] = seed + i;
}

/* 0 when the pattern matches, else the offset of the mismatch plus one. */
size_t pattern_check(const void *addr, size_t len, __u64 seed)
{
	const __u64 *p = addr;
	size_t i;

	for (i = 0; i < len / 8; i++) {
		if (p[i] != seed + i)
			return i * 8 + 1;
	}
	return 0;
}

bool is_zero(const void *addr, size_t len)
{
	const __u64 *p = addr;
	size_t i;

	for (i = 0; i < len / 8; i++) {
		if (p[i])
			return false;
	}
	return true;
}

__u64 peek(const void *addr)
{
	return __atomic_load_n((const __u64 *)addr, __ATOMIC_RELAXED);
}

void poke(void *addr, __u64 val)
{
	__atomic_store_n((__u64 *)addr, val, __ATOMIC_RELAXED);
}

long thread_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_minflt + ru.ru_majflt;
}

void *anon_map(size_t npages, int prot, int flags)
{
	void *p = mmap(NULL, npages * page_size, prot,
		       flags | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct child_report *child_report_new(void)
{
	return anon_map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
}

noreturn void child_fail(struct child_report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->failed = 1;
	_exit(1);
}

struct target_cmd {
	__u32 op;
	__u32 pad;
	__u64 arg[4];
};

struct target_rsp {
	__s64 ret;
	__u64 val;
};

static int full_io(int fd, void *buf, size_t len, bool wr)
{
	char *p = buf;
	ssize_t ret;

	while (len) {
		ret = wr ? write(fd, p, len) : read(fd, p, len);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (!ret)
			return -EPIPE;
		p += ret;
		len -= ret;
	}
	return 0;
}

static int target_uffd_register(uintptr_t addr, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int uffd;

	/* The descriptor stays open for the life of the target. */
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		return -errno;
	if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	return 0;
}

void *secret_map(void *addr, size_t len)
{
	int fd = syscall(__NR_memfd_secret, 0);
	void *p;

	if (fd < 0)
		return MAP_FAILED;
	if (ftruncate(fd, len)) {
		close(fd);
		return MAP_FAILED;
	}
	p = mmap(addr, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | (addr ? MAP_FIXED : 0), fd, 0);
	close(fd);
	return p;
}

/*
 * Fork a child of the target that stores @value at @addr (in its own copy
 * of the page, unless @addr is 0) and then only waits to be killed.
 */
static __s64 target_fork(uintptr_t addr, __u64 value, __u64 *pid_out)
{
	int p[2], err;
	pid_t pid;
	char c;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (addr)
			poke((void *)addr, value);
		if (write(p[1], "k", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	err = read(p[0], &c, 1) == 1 ? 0 : -EIO;
	close(p[0]);
	*pid_out = pid;
	return err;
}

static __s64 target_exec(struct target_cmd *c, __u64 *val)
{
	__u64 *a = c->arg;
	void *p;
	size_t i;

	switch (c->op) {
	case TARGET_NOP:
		return 0;
	case TARGET_MMAP:
		p = mmap((void *)a[0], a[1], a[2], a[3], -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		*val = (uintptr_t)p;
		return 0;
	case TARGET_MUNMAP:
		return munmap((void *)a[0], a[1]) ? -errno : 0;
	case TARGET_MPROTECT:
		return mprotect((void *)a[0], a[1], a[2]) ? -errno : 0;
	case TARGET_MADVISE:
		return madvise((void *)a[0], a[1], a[2]) ? -errno : 0;
	case TARGET_WRITE:
		poke((void *)a[0], a[1]);
		return 0;
	case TARGET_READ:
		*val = peek((void *)a[0]);
		return 0;
	case TARGET_FILL:
		pattern_fill((void *)a[0], a[1], a[2]);
		return 0;
	case TARGET_CHECK:
		*val = pattern_check((void *)a[0], a[1], a[2]);
		return 0;
	case TARGET_SCATTER:
		for (i = 0; i < a[2]; i++)
			poke((void *)scatter_addr(a[0], a[1], i), a[3] + i);
		return 0;
	case TARGET_UFFD:
		return target_uffd_register(a[0], a[1]);
	case TARGET_SECRET:
		p = secret_map((void *)a[0], a[1]);
		if (p == MAP_FAILED)
			return -errno;
		pattern_fill(p, a[1], a[2]);
		*val = (uintptr_t)p;
		return 0;
	case TARGET_EXIT:
		_exit(a[0]);
	case TARGET_FORK:
		return target_fork(a[0], a[1], val);
	}
	return -EINVAL;
}

static noreturn void target_main(int cmd_fd, int rsp_fd)
{
	struct target_cmd cmd;
	struct target_rsp rsp;

	for (;;) {
		if (full_io(cmd_fd, &cmd, sizeof(cmd), false))
			_exit(0);
		rsp.val = 0;
		rsp.ret = target_exec(&cmd, &rsp.val);
		if (full_io(rsp_fd, &rsp, sizeof(rsp), true))
			_exit(0);
	}
}

static void target_child(pid_t parent, int cmd_fd, int rsp_fd)
{
	int lo = cmd_fd < rsp_fd ? cmd_fd : rsp_fd;
	int hi = cmd_fd < rsp_fd ? rsp_fd : cmd_fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	/* Keep nothing of the introspector: no device or pidfd, no pipes. */
	if (lo > 3)
		close_range(3, lo - 1, 0);
	if (hi > lo + 1)
		close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0U, 0);
	/* Let the target's addresses differ from the introspector's. */
	mmap(NULL, 37 * page_size, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	target_main(cmd_fd, rsp_fd);
}

int target_start(struct rm_target *t)
{
	pid_t parent = getpid();
	int cmd[2], rsp[2];
	int ret;

	memset(t, 0, sizeof(*t));
	t->pidfd = -1;
	t->cmd_fd = -1;
	t->rsp_fd = -1;
	/* A dead target must give EPIPE, not kill the introspector. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(cmd, O_CLOEXEC))
		return -errno;
	if (pipe2(rsp, O_CLOEXEC)) {
		ret = -errno;
		close(cmd[0]);
		close(cmd[1]);
		return ret;
	}
	fflush(NULL);
	t->pid = fork();
	if (t->pid < 0) {
		ret = -errno;
		close(cmd[0]);
		close(cmd[1]);
		close(rsp[0]);
		close(rsp[1]);
		return ret;
	}
	if (!t->pid)
		target_child(parent, cmd[0], rsp[1]);
	close(cmd[0]);
	close(rsp[1]);
	t->cmd_fd = cmd[1];
	t->rsp_fd = rsp[0];
	t->pidfd = sys_pidfd_open(t->pid);
	if (t->pidfd < 0)
		return t->pidfd;
	return target_call(t, TARGET_NOP, 0, 0, 0, 0, NULL);
}

/* The target's result (>= 0 or -errno), or -errno of the pipe. */
int target_call(struct rm_target *t, enum target_op op, __u64 a0,
		__u64 a1, __u64 a2, __u64 a3, __u64 *val)
{
	struct target_cmd cmd = {
		.op = op,
		.arg = { a0, a1, a2, a3 },
	};
	struct target_rsp rsp;
	int ret;

	ret = full_io(t->cmd_fd, &cmd, sizeof(cmd), true);
	if (ret)
		return ret;
	if (op == TARGET_EXIT)
		return 0;
	ret = full_io(t->rsp_fd, &rsp, sizeof(rsp), false);
	if (ret)
		return ret;
	if (val)
		*val = rsp.val;
	return rsp.ret;
}

/* Wait until the target is a zombie, without reaping it. */
int target_wait_zombie(struct rm_target *t)
{
	siginfo_t si;

	if (waitid(P_PID, t->pid, &si, WEXITED | WNOWAIT))
		return -errno;
	return 0;
}

int target_reap(struct rm_target *t, int *status)
{
	int st;

	if (waitpid(t->pid, &st, 0) != t->pid)
		return -errno;
	t->reaped = true;
	if (status)
		*status = st;
	return 0;
}

void target_stop(struct rm_target *t)
{
	if (t->pid > 0 && !t->reaped) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->reaped = true;
	}
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->cmd_fd >= 0)
		close(t->cmd_fd);
	if (t->rsp_fd >= 0)
		close(t->rsp_fd);
	t->pidfd = -1;
	t->cmd_fd = -1;
	t->rsp_fd = -1;
}

/* REMOTE_MAPPING_TOKEN_GRANT of a token for @vm_fd (@tok may be NULL). */
int __rm_grant(int rm, int vm_fd, int intro_fd, unsigned int flags,
	       unsigned int ttl_ms, struct remote_mapping_token *tok)
{
	struct remote_mapping_token_grant g = {
		.vm_fd = vm_fd,
		.intro_vm_fd = intro_fd,
		.flags = flags,
		.ttl_ms = ttl_ms,
	};

	if (ioctl(rm, REMOTE_MAPPING_TOKEN_GRANT, &g))
		return -errno;
	if (tok)
		*tok = g.token;
	return 0;
}

/* REMOTE_MAPPING_TOKEN_REVOKE. */
int __rm_revoke(int rm, const struct remote_mapping_token *tok)
{
	struct remote_mapping_token_revoke r = { .token = *tok };

	return ioctl(rm, REMOTE_MAPPING_TOKEN_REVOKE, &r) ? -errno : 0;
}
