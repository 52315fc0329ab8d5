// SPDX-License-Identifier: GPL-2.0
/* Helpers of rm_bench: timing, statistics, processes, JSON, table. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "bench.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

double clock_ns;

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double median_of(const double *v, size_t n)
{
	double *c = xmalloc((n ? n : 1) * sizeof(*c)), m;

	memcpy(c, v, n * sizeof(*c));
	m = median(c, n);
	free(c);
	return m;
}

double min_of(const double *v, size_t n)
{
	double m = INFINITY;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

double max_of(const double *v, size_t n)
{
	double m = -INFINITY;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

uint64_t rnd_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void rnd_perm(uint32_t *perm, size_t n, uint64_t *state)
{
	size_t i, j;
	uint32_t t;

	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n; i > 1; i--) {
		j = rnd_next(state) % i;
		t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
}

noreturn void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "rm_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p)
		die("out of memory (%zu bytes)", size);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

static int prof_ctl = -1, prof_ack = -1;

static void prof_cmd(const char *cmd)
{
	const char *ctl = getenv("RM_BENCH_PERF_CTL");
	const char *ack = getenv("RM_BENCH_PERF_ACK");
	char buf[8];

	if (!ctl || !ack)
		return;
	if (prof_ctl < 0) {
		prof_ctl = open(ctl, O_WRONLY | O_CLOEXEC);
		prof_ack = open(ack, O_RDONLY | O_CLOEXEC);
		if (prof_ctl < 0 || prof_ack < 0)
			die("perf control fifos %s, %s: %s", ctl, ack,
			    strerror(errno));
	}
	if (write(prof_ctl, cmd, strlen(cmd)) < 0 ||
	    read(prof_ack, buf, sizeof(buf)) <= 0)
		die("perf control: %s", strerror(errno));
}

/* run-bench.sh --graph: tracefs's tracing_on instead of perf's fifos. */
static void trace_cmd(const char *val)
{
	static int fd = -1;
	const char *path = getenv("RM_BENCH_TRACE_ON");

	if (!path)
		return;
	if (fd < 0) {
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			die("%s: %s", path, strerror(errno));
	}
	if (write(fd, val, strlen(val)) < 0)
		die("%s: %s", path, strerror(errno));
}

void prof_on(void)
{
	prof_cmd("enable\n");
	trace_cmd("1\n");
}

void prof_off(void)
{
	trace_cmd("0\n");
	prof_cmd("disable\n");
}

const char *prof_part(void)
{
	const char *part = getenv("RM_BENCH_PROF_BLOCKS");

	return part && *part ? part : NULL;
}

void prof_part_on(const char *part)
{
	if (prof_part() && !strcmp(prof_part(), part))
		prof_on();
}

void prof_part_off(const char *part)
{
	if (prof_part() && !strcmp(prof_part(), part))
		prof_off();
}

/* Child processes driven through a pipe pair ------------------------------- */

int bench_child_start(struct bench_child *c, bench_child_fn fn, void *arg)
{
	int cmd[2], res[2], err;

	if (pipe2(cmd, O_CLOEXEC))
		return -errno;
	if (pipe2(res, O_CLOEXEC)) {
		err = -errno;
		close(cmd[0]);
		close(cmd[1]);
		return err;
	}
	/* A child's exit() (die()) would print again what stdio holds. */
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		err = -errno;
		close(cmd[0]);
		close(cmd[1]);
		close(res[0]);
		close(res[1]);
		return err;
	}
	if (!c->pid) {
		/* Never outlive the bench if it dies. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(cmd[1]);
		close(res[0]);
		fn(arg, cmd[0], res[1]);
		_exit(0);
	}
	close(cmd[0]);
	close(res[1]);
	c->cmd = cmd[1];
	c->res = res[0];
	return 0;
}

void bench_child_close(struct bench_child *c)
{
	close(c->cmd);
	close(c->res);
}

void bench_child_stop(struct bench_child *c)
{
	bench_child_close(c);
	waitpid(c->pid, NULL, 0);
}

void keep_only_fds(int a, int b)
{
	int fd, max = sysconf(_SC_OPEN_MAX);

	for (fd = 3; fd < max && fd < 4096; fd++)
		if (fd != a && fd != b)
			close(fd);
}

static bool pipe_io(int fd, void *buf, size_t len, bool wr)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = wr ? write(fd, p, len) : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

bool read_full(int fd, void *buf, size_t len)
{
	return pipe_io(fd, buf, len, false);
}

bool write_full(int fd, const void *buf, size_t len)
{
	return pipe_io(fd, (void *)buf, len, true);
}

/* Target process ----------------------------------------------------------- */

/* The target's own work while it runs: stores into its pages. */
struct target_writer {
	uint64_t *p;
	size_t pages;
	bool stop;		/* __atomic */
};

/* Stores each page's first word again (the same value: checks hold). */
static void *target_writer_fn(void *arg)
{
	struct target_writer *tw = arg;
	uint64_t x = 88172645463325252ULL, i;
	cpu_set_t cpus;

	/* Beside the introspector, which measures on CPU 0. */
	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
		sched_setaffinity(0, sizeof(cpus), &cpus);

	while (!__atomic_load_n(&tw->stop, __ATOMIC_RELAXED)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		i = x % tw->pages;
		__atomic_store_n(&tw->p[i * PAGE_SZ / 8], target_word(i, 0),
				 __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Write the target pattern of @pages pages at @p. */
static void target_fill(uint64_t *p, size_t pages)
{
	size_t i, w;

	for (i = 0; i < pages; i++)
		for (w = 0; w < PAGE_SZ / 8; w++)
			p[i * PAGE_SZ / 8 + w] = target_word(i, w);
}

struct bench_target_args {
	size_t pages;
	int memfd;
	bool thp;
};

/* The target's bench_child_fn: @ctl is its command pipe, @report its answers. */
static void bench_target_main(void *arg, int ctl, int report)
{
	const struct bench_target_args *a = arg;
	size_t pages = a->pages;
	int memfd = a->memfd;
	struct target_writer tw = { .pages = pages };
	bool running = false;
	pthread_t writer;
	uint64_t *p, i;
	ssize_t n;
	char c;

	if (memfd >= 0) {
		p = mmap(NULL, pages * PAGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_SHARED, memfd, 0);
		if (p == MAP_FAILED)
			_exit(1);
	} else if (a->thp) {
		p = thp_area(pages);
		if (!p)
			_exit(1);
		target_fill(p, pages);
		thp_collapse(p, pages);
	} else {
		p = mmap(NULL, pages * PAGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		/* 4 KiB pages: "thousands of pages", as the mapping sees them. */
		madvise(p, pages * PAGE_SZ, MADV_NOHUGEPAGE);
		target_fill(p, pages);
	}
	/*
	 * Not the ends of other targets' control pipes: a target holding one
	 * would keep that one from seeing its EOF (a fleet has 100).
	 */
	keep_only_fds(ctl, report);
	i = (uintptr_t)p;
	if (write(report, &i, sizeof(i)) != sizeof(i))
		_exit(1);
	close(report);
	tw.p = p;
	/*
	 * Live until the introspector closes its end (or dies); 'r' starts
	 * a thread storing into its pages, 'i' stops it.
	 */
	for (;;) {
		n = read(ctl, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (c == 'r' && !running) {
			__atomic_store_n(&tw.stop, false, __ATOMIC_RELAXED);
			running = !pthread_create(&writer, NULL,
						  target_writer_fn, &tw);
		} else if (c == 'i' && running) {
			__atomic_store_n(&tw.stop, true, __ATOMIC_RELAXED);
			pthread_join(writer, NULL);
			running = false;
		}
	}
	_exit(0);
}

int bench_target_set_running(const struct bench_target *t, bool running)
{
	char c = running ? 'r' : 'i';

	return write(t->child.cmd, &c, 1) == 1 ? 0 : -errno;
}

int bench_target_shared_pages(size_t pages)
{
	uint64_t *p;
	int fd, err;

	fd = memfd_create("rm_bench target", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, pages * PAGE_SZ))
		goto err_close;
	p = mmap(NULL, pages * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED)
		goto err_close;
	target_fill(p, pages);
	munmap(p, pages * PAGE_SZ);
	return fd;

err_close:
	err = -errno;
	close(fd);
	return err;
}

int bench_target_start(struct bench_target *t, size_t pages)
{
	return bench_target_start_shared(t, pages, -1);
}

static int bench_target_spawn(struct bench_target *t,
			      struct bench_target_args *args)
{
	size_t pages = args->pages;
	int err;

	memset(t, 0, sizeof(*t));
	err = bench_child_start(&t->child, bench_target_main, args);
	if (err)
		return err;
	if (!read_full(t->child.res, &t->base, sizeof(t->base))) {
		bench_target_stop(t);
		return -EIO;
	}
	t->pages = pages;
	t->pidfd = sys_pidfd_open(t->child.pid);
	if (t->pidfd < 0) {
		err = t->pidfd;
		bench_target_stop(t);
		return err;
	}
	return 0;
}

int bench_target_start_shared(struct bench_target *t, size_t pages, int memfd)
{
	struct bench_target_args args = { .pages = pages, .memfd = memfd };

	return bench_target_spawn(t, &args);
}

int bench_target_start_thp(struct bench_target *t, size_t pages)
{
	struct bench_target_args args = { .pages = pages, .memfd = -1,
					  .thp = true };

	if (!pages || pages % THP_PAGES)
		return -EINVAL;
	return bench_target_spawn(t, &args);
}

void bench_target_stop(struct bench_target *t)
{
	if (t->child.pid <= 0)
		return;
	if (t->pidfd > 0)
		close(t->pidfd);
	bench_child_stop(&t->child);
	t->child.pid = 0;
}

/* /dev/remote_mapping ------------------------------------------------------ */

void rm_unmap_pages(int rm, void *area, size_t pages)
{
	size_t i;
	int err;

	for (i = 0; i < pages; i++) {
		err = __rm_unmap(rm, (uint8_t *)area + i * PAGE_SZ);
		if (err)
			die("REMOTE_MAPPING_UNMAP of page %zu: %s", i,
			    strerror(-err));
	}
}

void *rm_window(int rm, size_t pages)
{
	void *p = mmap(NULL, pages * PAGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_SHARED, rm, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * @len bytes of mmap(@prot, @flags, @fd) at a 2 MiB boundary: placed with
 * MAP_FIXED in a reservation 2 MiB larger, whose rest is given back.
 */
static void *map_2m(size_t len, int prot, int flags, int fd)
{
	uint8_t *r, *p;
	int err;

	r = mmap(NULL, len + THP_SZ, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	p = (uint8_t *)(((uintptr_t)r + THP_SZ - 1) & ~(THP_SZ - 1));
	if (mmap(p, len, prot, flags | MAP_FIXED, fd, 0) == MAP_FAILED) {
		err = errno;
		munmap(r, len + THP_SZ);
		errno = err;
		return NULL;
	}
	if (p > r)
		munmap(r, p - r);
	munmap(p + len, r + THP_SZ - p);
	return p;
}

void *rm_window_2m(int rm, size_t pages)
{
	return map_2m(pages * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, rm);
}

long rm_counter(const char *name)
{
	long v;

	return rm_read_counter(name, &v) ? -1 : v;
}

void *anon_area(size_t pages)
{
	void *p = mmap(NULL, pages * PAGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap of %zu pages: %s", pages, strerror(errno));
	madvise(p, pages * PAGE_SZ, MADV_NOHUGEPAGE);
	return p;
}

void *anon_area_2m(size_t pages)
{
	void *p = map_2m(pages * PAGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);

	if (p)
		madvise(p, pages * PAGE_SZ, MADV_NOHUGEPAGE);
	return p;
}

void *thp_area(size_t pages)
{
	void *p = map_2m(pages * PAGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	int err;

	if (p && madvise(p, pages * PAGE_SZ, MADV_HUGEPAGE)) {
		err = errno;
		munmap(p, pages * PAGE_SZ);
		errno = err;
		return NULL;
	}
	return p;
}

/* Best effort: where fragmentation or the THP settings denied a fault one. */
void thp_collapse(void *p, size_t pages)
{
	madvise(p, pages * PAGE_SZ, MADV_COLLAPSE);
}

struct thp_ranges_ctx {
	uint64_t start, end;
	long kb;
};

static int thp_ranges_line(unsigned long start, unsigned long end,
			   const char *line, void *arg)
{
	struct thp_ranges_ctx *c = arg;
	long kb;

	if (start < c->end && end > c->start &&
	    sscanf(line, "AnonHugePages: %ld", &kb) == 1)
		c->kb += kb;
	return 0;
}

/*
 * Sums AnonHugePages (PMD-mapped THPs) over the VMAs that overlap the
 * range: thp_area()'s VMA is exactly its range (VM_HUGEPAGE keeps its
 * neighbours from merging with it).
 */
long thp_ranges(pid_t pid, uint64_t start, size_t pages)
{
	struct thp_ranges_ctx c = {
		.start = start, .end = start + pages * PAGE_SZ,
	};
	int ret = smaps_walk(pid, thp_ranges_line, &c);

	if (ret < 0)
		return ret;
	return c.kb / (long)(THP_SZ >> 10);
}

/* Kernel memory snapshots -------------------------------------------------- */

void mem_snapshot(struct mem_snap *s)
{
	char line[512], name[64];
	long v, active, total, objsize;
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen("/proc/meminfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %ld", &v) == 1)
			s->slab_kb = v;
		else if (sscanf(line, "SUnreclaim: %ld", &v) == 1)
			s->sunreclaim_kb = v;
		else if (sscanf(line, "SReclaimable: %ld", &v) == 1)
			s->sreclaimable_kb = v;
		else if (sscanf(line, "PageTables: %ld", &v) == 1)
			s->pagetables_kb = v;
		else if (sscanf(line, "MemFree: %ld", &v) == 1)
			s->memfree_kb = v;
	}
	if (f)
		fclose(f);

	f = fopen("/proc/slabinfo", "r");
	if (!f) {
		s->ncaches = -1;
	} else {
		while (fgets(line, sizeof(line), f) &&
		       s->ncaches < MEM_MAX_CACHES) {
			if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
				continue;
			if (sscanf(line, "%63s %ld %ld %ld", name, &active,
				   &total, &objsize) != 4)
				continue;
			snprintf(s->caches[s->ncaches].name,
				 sizeof(s->caches[0].name), "%s", name);
			s->caches[s->ncaches].active = active;
			s->caches[s->ncaches].objsize = objsize;
			s->ncaches++;
		}
		fclose(f);
	}
	s->map_count = rm_counter(RM_MAP_COUNT);
	s->pdb_count = rm_counter(RM_PDB_COUNT);
}

/* JSON writer -------------------------------------------------------------- */

void json_open(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
	fputc('{', f);
}

void json_close(struct json *j)
{
	fputs("\n}\n", j->f);
}

static void json_key(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	fprintf(j->f, "\n%*s", 2 * (j->depth + 1), "");
	if (key)
		fprintf(j->f, "\"%s\": ", key);
}

static void json_open_nest(struct json *j, const char *key, char c)
{
	json_key(j, key);
	fputc(c, j->f);
	j->depth++;
	j->first[j->depth] = true;
}

static void json_close_nest(struct json *j, char c)
{
	bool empty = j->first[j->depth];

	j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", 2 * (j->depth + 1), "");
	fputc(c, j->f);
}

void json_obj(struct json *j, const char *key)
{
	json_open_nest(j, key, '{');
}

void json_arr(struct json *j, const char *key)
{
	json_open_nest(j, key, '[');
}

void json_end_obj(struct json *j)
{
	json_close_nest(j, '}');
}

void json_end_arr(struct json *j)
{
	json_close_nest(j, ']');
}

void json_num(struct json *j, const char *key, double v)
{
	json_key(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
}

void json_int(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	fprintf(j->f, "%lld", v);
}

void json_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	fputc('"', j->f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(j->f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(j->f, "\\u%04x", *s);
		else
			fputc(*s, j->f);
	}
	fputc('"', j->f);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}

/* Results and targets ------------------------------------------------------ */

struct result results[MAX_RESULTS];
int nresults;

static struct result *new_result(const char *id, enum target_kind kind,
				 double target, const char *what,
				 const char *base)
{
	struct result *r;

	if (nresults == MAX_RESULTS)
		die("too many results");
	r = &results[nresults++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->what, sizeof(r->what), "%s", what);
	snprintf(r->base, sizeof(r->base), "%s", base);
	r->kind = kind;
	r->target = target;
	r->measured = NAN;
	r->baseline = NAN;
	r->ratio = NAN;
	return r;
}

struct result *add_result(const char *id, enum target_kind kind,
			  double target, const char *what, const char *base,
			  double measured, double baseline)
{
	struct result *r = new_result(id, kind, target, what, base);

	r->available = true;
	r->measured = measured;
	r->baseline = baseline;
	if (kind == TK_SPEEDUP || kind == TK_INFO_SPEEDUP)
		r->ratio = baseline / measured;
	else if (kind == TK_BYTES || kind == TK_INFO_BYTES)
		r->ratio = measured;
	else
		r->ratio = measured / baseline;
	return r;
}

struct result *add_unavailable(const char *id, enum target_kind kind,
			       double target, const char *what,
			       const char *base, const char *why)
{
	struct result *r = new_result(id, kind, target, what, base);

	snprintf(r->note, sizeof(r->note), "%s", why);
	return r;
}

int result_met(const struct result *r)
{
	if (!r->available || !isfinite(r->ratio) || r->kind == TK_INFO ||
	    r->kind == TK_INFO_SPEEDUP || r->kind == TK_INFO_BYTES)
		return -1;
	if (r->kind == TK_SPEEDUP)
		return r->ratio >= r->target;
	return r->ratio <= r->target;
}

static void fmt_time(char *buf, size_t len, double ns)
{
	if (!isfinite(ns))
		snprintf(buf, len, "-");
	else if (ns < 1e3)
		snprintf(buf, len, "%.1f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.2f us", ns / 1e3);
	else
		snprintf(buf, len, "%.2f ms", ns / 1e6);
}

static bool is_bytes(const struct result *r)
{
	return r->kind == TK_BYTES || r->kind == TK_INFO_BYTES;
}

/* Bytes as printed: a slab delta of -0.4 B is 0 B, not "-0 B". */
static double tidy_bytes(double b)
{
	return fabs(b) < 0.5 ? 0 : b;
}

static void fmt_ratio(char *buf, size_t len, const struct result *r)
{
	if (!r->available || !isfinite(r->ratio))
		snprintf(buf, len, "n/a");
	else if (is_bytes(r))
		snprintf(buf, len, "%.0f B", tidy_bytes(r->ratio));
	else if (r->kind == TK_SPEEDUP || r->kind == TK_INFO_SPEEDUP)
		snprintf(buf, len, "%.1fx faster", r->ratio);
	else
		snprintf(buf, len, "%.3gx", r->ratio);
}

static void fmt_target(char *buf, size_t len, const struct result *r)
{
	switch (r->kind) {
	case TK_SPEEDUP:
		snprintf(buf, len, ">= %gx faster", r->target);
		break;
	case TK_COST:
		snprintf(buf, len, "<= %gx", r->target);
		break;
	case TK_BYTES:
		snprintf(buf, len, "<= %g B", r->target);
		break;
	default:
		snprintf(buf, len, "-");
	}
}

void print_table(FILE *f, bool smoke)
{
	char m[32], b[32], ra[32], t[32];
	const char *verdict;
	int i, met;

	fprintf(f, "\n%-44s %-11s %-11s %-14s %-14s %s\n", "measurement",
		"measured", "baseline", "ratio", "target",
		smoke ? "(smoke: no verdict)" : "met");
	for (i = 0; i < 110; i++)
		fputc('-', f);
	fputc('\n', f);
	for (i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		if (is_bytes(r)) {
			snprintf(m, sizeof(m), "%.0f B",
				 tidy_bytes(r->measured));
			snprintf(b, sizeof(b), "-");
		} else {
			fmt_time(m, sizeof(m), r->measured);
			fmt_time(b, sizeof(b), r->baseline);
		}
		fmt_ratio(ra, sizeof(ra), r);
		fmt_target(t, sizeof(t), r);
		met = result_met(r);
		if (!r->available)
			verdict = "not available";
		else if (smoke || met < 0)
			verdict = "";
		else
			verdict = met ? "yes" : "NO";
		fprintf(f, "%-44s %-11s %-11s %-14s %-14s %s\n", r->what,
			r->available ? m : "-", r->available ? b : "-", ra, t,
			verdict);
		if (r->base[0] && r->available)
			fprintf(f, "%-44s   (vs %s)\n", "", r->base);
		if (r->note[0])
			fprintf(f, "%-44s   %s\n", "", r->note);
	}
	fputc('\n', f);
}

void json_results(struct json *j)
{
	static const char * const kinds[] = {
		[TK_INFO] = "info", [TK_SPEEDUP] = "speedup",
		[TK_COST] = "cost", [TK_BYTES] = "bytes",
		[TK_INFO_SPEEDUP] = "info_speedup",
		[TK_INFO_BYTES] = "info_bytes",
	};
	int i, met;

	json_arr(j, "results");
	for (i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		json_obj(j, NULL);
		json_str(j, "id", r->id);
		json_str(j, "what", r->what);
		json_str(j, "baseline_what", r->base);
		json_str(j, "kind", kinds[r->kind]);
		json_bool(j, "available", r->available);
		if (r->note[0])
			json_str(j, "note", r->note);
		json_num(j, is_bytes(r) ? "bytes" : "measured_ns",
			 r->measured);
		if (!is_bytes(r))
			json_num(j, "baseline_ns", r->baseline);
		json_num(j, "ratio", r->ratio);
		if (r->kind == TK_INFO || r->kind == TK_INFO_SPEEDUP ||
		    r->kind == TK_INFO_BYTES)
			json_null(j, "target");
		else
			json_num(j, "target", r->target);
		met = result_met(r);
		if (met < 0)
			json_null(j, "met");
		else
			json_bool(j, "met", met);
		json_end_obj(j);
	}
	json_end_arr(j);
}
