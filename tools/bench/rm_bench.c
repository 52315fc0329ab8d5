// SPDX-License-Identifier: GPL-2.0
/*
 * rm_bench: costs of /dev/remote_mapping and of the KVM hypercalls as ratios
 * against baselines measured in the same run on the same target pages.
 *
 * Sections (--only NAME,...):
 *   reads  8-byte and 4 KiB reads of random target pages through mappings,
 *          vs reads of own memory, process_vm_readv() and pread() of
 *          /proc/PID/mem; reads of a running target vs an idle one
 *   mtu    one map + first touch + unmap vs one 4 KiB process_vm_readv(),
 *          over anonymous memory and in a window (also with
 *          REMOTE_MAPPING_POPULATE)
 *   batch  REMOTE_MAPPING_MAP_BATCH per page vs single maps, over anonymous
 *          memory and in a window; the whole cycle (map, read, unmap) vs
 *          process_vm_readv(); unmaps with 1, 2 and 4 threads running
 *   scale  cost of the n-th map up to --scale live mappings, kernel memory
 *          per mapping, teardown on exit of the introspector; mappings over
 *          anonymous memory (a VMA each), then all in one window
 *   hc     KVM_HC_MEM_MAP+UNMAP vs a null hypercall, tiny VMs (hc_bench.c)
 *   watch  the watched target's munmap/mprotect/madvise, fork and THP
 *          split/collapse rate with 0, 1 and many live mirrors of its
 *          pages (watch_bench.c)
 *   scan   every page of a large target read once: batch map + populate
 *          in a window vs process_vm_readv() and own memory; the same of a
 *          THP target through 2 MiB mirrors (REMOTE_MAPPING_HUGE), and a
 *          2 MiB map + unmap vs a 4 KiB one (scan_bench.c)
 *   fleet  the seed's scale: many introspectors x 16,384 mappings, each of
 *          a target of its own (one memfd's pages), then all of one target
 *          (fleet_bench.c)
 *   vm     tiny KVM VMs: a target VM's guest churning memory (stores, then
 *          madvise(MADV_DONTNEED) by its VMM) with 65,536 of its pages
 *          aliased into an introspector VM vs none; every page of a target
 *          VM read once from the introspector VM's guest through batch map
 *          hypercalls vs its own RAM and process_vm_readv() (vm_bench.c)
 * Output: a table on stdout, --json FILE, gnuplot data in --dat-dir DIR.
 * Needs root (CAP_SYS_PTRACE) and remote_mapping.ko loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <linux/remote_mapping.h>

#include "bench.h"
#include "rm_bench.h"

#define SECT_READS	BIT(0)
#define SECT_MTU	BIT(1)
#define SECT_BATCH	BIT(2)
#define SECT_SCALE	BIT(3)
#define SECT_HC		BIT(4)
#define SECT_WATCH	BIT(5)
#define SECT_SCAN	BIT(6)
#define SECT_FLEET	BIT(7)
#define SECT_VM		BIT(8)
#define NSECTIONS	9
#define SECT_ALL	(BIT(NSECTIONS) - 1)
/* The sections that measure on the shared target of main(). */
#define SECT_TARGET	(SECT_READS | SECT_MTU | SECT_BATCH | SECT_SCALE)

#define MAX_BLOCKS	1024
#define OTHER_TARGET_PAGES	4096	/* the scale probes' second target */
#define WANT_MAP_COUNT	262144

static const size_t batch_sizes[] = { 1, 8, 64, 512 };
#define NBATCH		ARRAY_SIZE(batch_sizes)
#define BATCH_MAX	512

static uint64_t seed = 0x9e3779b97f4a7c15ULL;

/* Reads ----------------------------------------------------------------------- */

#define NMETHODS	4	/* mapping, process_vm_readv, pread, own memory */
/* A baseline copying this many times slower per byte than memcpy is suspect. */
#define SLOPE_SUSPECT	3.0
#define HOT_PAGES	16
#define SAMPLE_NS	200000.0	/* aim of one timed sample of reads */

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif

struct read_set {
	size_t n;
	uint32_t *page;		/* random page order */
	uint32_t *off;		/* 8-byte aligned offset in the page */
};

static ssize_t pvr(pid_t pid, void *buf, uint64_t addr, size_t len)
{
	struct iovec l = { .iov_base = buf, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };

	return process_vm_readv(pid, &l, 1, &r, 1, 0);
}

/* ns of the @len-byte reads [from, to) of @rs by @method, timed as a whole. */
static double read_range(int method, size_t len, const struct read_set *rs,
			 size_t from, size_t to, const struct bench_target *t,
			 const uint8_t *area, const uint8_t *own, int memfd)
{
	static uint64_t buf64[PAGE_SZ / 8];
	uint8_t *buf = (uint8_t *)buf64;
	uint64_t t0, sum = 0, addr;
	size_t k;

	if (method == 3)
		area = own;
	t0 = now_ns();
	for (k = from; k < to; k++) {
		uint64_t off = len == 8 ? rs->off[k] : 0;
		uint64_t page = rs->page[k];

		addr = t->base + page * PAGE_SZ + off;
		switch (method) {
		case 0:
		case 3:
			if (len == 8) {
				sum += load64(area + page * PAGE_SZ + off);
			} else {
				memcpy(buf, area + page * PAGE_SZ, len);
				asm volatile("" : : "r"(buf) : "memory");
				sum += buf[k & (PAGE_SZ - 1)];
			}
			break;
		case 1:
			if (pvr(t->child.pid, buf, addr, len) != (ssize_t)len)
				die("process_vm_readv: %s", strerror(errno));
			sum += buf[0];
			break;
		case 2:
			if (pread(memfd, buf, len, addr) != (ssize_t)len)
				die("pread /proc/PID/mem: %s", strerror(errno));
			sum += buf[0];
			break;
		}
	}
	t0 = now_ns() - t0;
	consume(sum);
	return t0;
}

struct read_stats {
	double median_ns;	/* per read */
	size_t samples;
	size_t per_sample;	/* reads per timed sample */
};

/*
 * Compare the methods @ms[0..nm) on the same reads: each round passes over
 * the whole read set once per method, the methods taking turns in timed
 * samples of about SAMPLE_NS, so that a change of load on the machine hits
 * them alike.  The median of the samples is robust to preemption.
 */
static void read_compare(const int *ms, int nm, size_t len,
			 const struct read_set *rs, size_t rounds,
			 const struct bench_target *t, const uint8_t *area,
			 const uint8_t *own, int memfd, struct read_stats *st)
{
	size_t per[NMETHODS], pos[NMETHODS], cnt[NMETHODS], est_n, to, r;
	double *v[NMETHODS], est;
	bool more;
	int i;

	est_n = rs->n < 64 ? rs->n : 64;
	for (i = 0; i < nm; i++) {
		read_range(ms[i], len, rs, 0, est_n, t, area, own, memfd);
		est = (read_range(ms[i], len, rs, 0, est_n, t, area, own,
				  memfd) - clock_ns) / est_n;
		per[i] = est > 0 ? SAMPLE_NS / est : rs->n;
		per[i] = per[i] < 1 ? 1 : per[i] > rs->n ? rs->n : per[i];
		v[i] = xcalloc(rounds * (rs->n / per[i] + 1), sizeof(double));
		cnt[i] = 0;
	}
	for (r = 0; r < rounds; r++) {
		memset(pos, 0, sizeof(pos));
		do {
			more = false;
			for (i = 0; i < nm; i++) {
				if (pos[i] >= rs->n)
					continue;
				to = pos[i] + per[i] < rs->n ?
				     pos[i] + per[i] : rs->n;
				v[i][cnt[i]++] =
					(read_range(ms[i], len, rs, pos[i], to,
						    t, area, own, memfd) -
					 clock_ns) / (to - pos[i]);
				pos[i] = to;
				more = true;
			}
		} while (more);
	}
	for (i = 0; i < nm; i++) {
		st[i].median_ns = median(v[i], cnt[i]);
		st[i].samples = cnt[i];
		st[i].per_sample = per[i];
		free(v[i]);
	}
}

static void json_read_stats(struct json *j, const char *key,
			    const struct read_stats *st)
{
	json_obj(j, key);
	json_num(j, "median_ns", st->median_ns);
	json_int(j, "samples", st->samples);
	json_int(j, "reads_per_sample", st->per_sample);
	json_end_obj(j);
}

static void bench_reads(const struct cfg *c, const struct bench_target *t,
			int rm, struct json *j)
{
	static const char * const names[] = {
		"mapping", "process_vm_readv", "pread /proc/PID/mem",
		"own anonymous memory"
	};
	static const int all[NMETHODS] = { 0, 1, 2, 3 };
	static const size_t lens[] = { 8, PAGE_SZ };
	size_t n = c->read_pages, i, l;
	struct read_stats st[2][NMETHODS], hot[2];
	double med[2][NMETHODS], slope[NMETHODS];
	uint64_t t0, map_ns;
	struct read_set rs;
	char path[64];
	uint8_t *area, *own;
	int memfd, err, m;

	printf("reads: mapping %zu target pages (%zu MiB)\n", n,
	       n * PAGE_SZ >> 20);
	area = anon_area(n);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		err = __rm_map(rm, t->base + i * PAGE_SZ, area + i * PAGE_SZ,
			       t->pidfd, 0);
		if (err)
			die("REMOTE_MAPPING_MAP of page %zu: %s", i,
			    strerror(-err));
	}
	map_ns = now_ns() - t0;
	/* First touch, and check what the mapping shows. */
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		uint64_t w = load64(area + i * PAGE_SZ + 8);

		if (w != target_word(i, 1))
			die("page %zu reads %#llx through the mapping", i,
			    (unsigned long long)w);
	}
	t0 = now_ns() - t0;

	/* The same pattern on the introspector's own memory, for reference. */
	own = anon_area(n);
	for (i = 0; i < n; i++)
		memset(own + i * PAGE_SZ, i, PAGE_SZ);

	snprintf(path, sizeof(path), "/proc/%d/mem", t->child.pid);
	memfd = open(path, O_RDONLY | O_CLOEXEC);
	if (memfd < 0)
		die("open %s: %s", path, strerror(errno));

	rs.n = n;
	rs.page = xmalloc(n * sizeof(*rs.page));
	rs.off = xmalloc(n * sizeof(*rs.off));
	rnd_perm(rs.page, n, &seed);
	for (i = 0; i < n; i++)
		rs.off[i] = (rnd_next(&seed) % (PAGE_SZ / 8)) * 8;

	prof_on();
	for (l = 0; l < 2; l++)
		read_compare(all, NMETHODS, lens[l], &rs, c->read_rounds, t,
			     area, own, memfd, st[l]);
	prof_off();

	/* Cache- and TLB-resident: random reads over HOT_PAGES pages. */
	for (i = 0; i < n; i++)
		rs.page[i] = rs.page[i] % HOT_PAGES;
	read_compare(all, 2, 8, &rs, c->read_rounds, t, area, own, memfd,
		     hot);

	json_obj(j, "reads");
	json_int(j, "pages", n);
	json_int(j, "working_set_bytes", n * PAGE_SZ);
	json_int(j, "rounds", c->read_rounds);
	json_str(j, "order", "random page order, random 8-byte offset");
	json_num(j, "setup_map_ns_per_page", (double)map_ns / n);
	json_num(j, "setup_first_touch_ns_per_page", (double)t0 / n);
	for (l = 0; l < 2; l++) {
		json_obj(j, l ? "read_4096" : "read_8");
		for (m = 0; m < NMETHODS; m++) {
			json_read_stats(j, names[m], &st[l][m]);
			med[l][m] = st[l][m].median_ns;
		}
		json_end_obj(j);
	}
	json_obj(j, "read_8_hot");
	json_int(j, "hot_pages", HOT_PAGES);
	json_read_stats(j, names[0], &hot[0]);
	json_read_stats(j, names[1], &hot[1]);
	json_end_obj(j);
	/*
	 * What each further byte costs, from 8 B to 4 KiB: a baseline whose
	 * slope is far above a user memcpy's copies with an instruction the
	 * VM emulates slowly (TCG's rep movsb with ERMS: Documentation/
	 * performance.rst), and flatters every ratio against it.
	 */
	json_obj(j, "copy_slope_ns_per_byte");
	for (m = 0; m < NMETHODS; m++) {
		slope[m] = (med[1][m] - med[0][m]) / (PAGE_SZ - 8);
		json_num(j, names[m], slope[m]);
	}
	json_end_obj(j);
	json_end_obj(j);
	for (m = 1; m <= 2; m++)
		if (slope[m] > SLOPE_SUSPECT * slope[3])
			printf("reads: WARNING: %s: %.3f ns/B, %.1fx memcpy's: emulated copy?\n",
			       names[m], slope[m], slope[m] / slope[3]);

	/*
	 * The targets of the faithful setup (no emulated rep movsb): a
	 * mapped read at the speed of a read of the introspector's own
	 * memory, the limit; against process_vm_readv() reported only.
	 */
	add_result("read8_vs_pvr", TK_INFO_SPEEDUP, 0,
		   "8-byte read: mapping", "process_vm_readv 8 B",
		   med[0][0], med[0][1]);
	add_result("read8_vs_procmem", TK_INFO_SPEEDUP, 0,
		   "8-byte read: mapping", "pread /proc/PID/mem 8 B",
		   med[0][0], med[0][2]);
	add_result("read4k_vs_pvr", TK_INFO_SPEEDUP, 0,
		   "4 KiB read: mapping (memcpy)", "process_vm_readv 4 KiB",
		   med[1][0], med[1][1]);
	add_result("read4k_vs_procmem", TK_INFO_SPEEDUP, 0,
		   "4 KiB read: mapping (memcpy)", "pread /proc/PID/mem 4 KiB",
		   med[1][0], med[1][2]);
	add_result("read8_hot_vs_pvr", TK_INFO_SPEEDUP, 0,
		   "8-byte read: mapping, 16 hot pages",
		   "process_vm_readv 8 B, same pages", hot[0].median_ns,
		   hot[1].median_ns);
	add_result("read8_vs_own", TK_SPEEDUP, 0.95, "8-byte read: mapping",
		   "own anonymous memory, same pattern", med[0][0], med[0][3]);
	add_result("read4k_vs_own", TK_SPEEDUP, 0.95,
		   "4 KiB read: mapping (memcpy)",
		   "own anonymous memory, same pattern", med[1][0], med[1][3]);
	/* Not a target of the module: the setup's fidelity, judged as one. */
	add_result("slope_pvr_vs_own", TK_COST, SLOPE_SUSPECT,
		   "process_vm_readv: ns per byte, 8 B to 4 KiB",
		   "own memcpy: ns per byte", slope[1], slope[3]);
	add_result("slope_procmem_vs_own", TK_COST, SLOPE_SUSPECT,
		   "pread /proc/PID/mem: ns per byte, 8 B to 4 KiB",
		   "own memcpy: ns per byte", slope[2], slope[3]);

	close(memfd);
	free(rs.page);
	free(rs.off);
	munmap(area, n * PAGE_SZ);
	munmap(own, n * PAGE_SZ);
}

/* Map + first touch + unmap ---------------------------------------------------- */

/* ns of one map (REMOTE_MAPPING_* @flags) + first touch + unmap of page @p. */
static double mtu_one(int rm, const struct bench_target *t, uint8_t *slot,
		      size_t p, uint32_t flags)
{
	uint64_t t0 = now_ns(), w;
	int err;

	err = __rm_map(rm, t->base + p * PAGE_SZ, slot, t->pidfd, flags);
	if (err)
		die("REMOTE_MAPPING_MAP: %s", strerror(-err));
	w = load64(slot);
	err = __rm_unmap(rm, slot);
	if (err)
		die("REMOTE_MAPPING_UNMAP: %s", strerror(-err));
	t0 = now_ns() - t0;
	if (w != target_word(p, 0))
		die("map+touch of page %zu read %#llx", p,
		    (unsigned long long)w);
	return t0 - clock_ns;
}

/* ns of one 4 KiB process_vm_readv() of target page @p. */
static double pvr_one(const struct bench_target *t, size_t p)
{
	uint8_t buf[PAGE_SZ];
	uint64_t t0 = now_ns();

	if (pvr(t->child.pid, buf, t->base + p * PAGE_SZ, PAGE_SZ) != PAGE_SZ)
		die("process_vm_readv: %s", strerror(errno));
	t0 = now_ns() - t0;
	consume(buf[8]);
	return t0 - clock_ns;
}

/* The three steps timed one by one (medians), and faults per first touch. */
struct mtu_steps {
	double map_ns, touch_ns, unmap_ns;
	double faults;
};

/* A fault retried after dropping the mmap_lock counts once here. */
static long faults_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static void mtu_steps(int rm, const struct bench_target *t, uint8_t *slot,
		      uint32_t flags, const uint32_t *order, size_t n,
		      size_t count, struct mtu_steps *st)
{
	double *v = xcalloc(3 * count, sizeof(double));
	uint64_t t0, t1, t2, t3;
	size_t k, p;
	long f0;
	int err;

	/* Fault v in first: then the loop's only faults are the touches. */
	memset(v, 0, 3 * count * sizeof(double));
	f0 = faults_now();
	for (k = 0; k < count; k++) {
		p = order[k % n];
		t0 = now_ns();
		err = __rm_map(rm, t->base + p * PAGE_SZ, slot, t->pidfd, flags);
		t1 = now_ns();
		consume(load64(slot));
		t2 = now_ns();
		err |= __rm_unmap(rm, slot);
		t3 = now_ns();
		if (err)
			die("map/unmap failed: %s", strerror(-err));
		v[k] = t1 - t0 - clock_ns;
		v[count + k] = t2 - t1 - clock_ns;
		v[2 * count + k] = t3 - t2 - clock_ns;
	}
	st->faults = (double)(faults_now() - f0) / count;
	st->map_ns = median(v, count);
	st->touch_ns = median(v + count, count);
	st->unmap_ns = median(v + 2 * count, count);
	free(v);
}

static void json_steps(struct json *j, const char *key,
		       const struct mtu_steps *st)
{
	json_obj(j, key);
	json_num(j, "map_ns", st->map_ns);
	json_num(j, "first_touch_ns", st->touch_ns);
	json_num(j, "unmap_ns", st->unmap_ns);
	json_num(j, "first_touch_faults", st->faults);
	json_end_obj(j);
}

static void steps_note(struct result *r, const struct mtu_steps *st)
{
	snprintf(r->note, sizeof(r->note),
		 "steps: map %.1f us, first touch %.1f us (%.2f faults), unmap %.1f us",
		 st->map_ns / 1e3, st->touch_ns / 1e3, st->faults,
		 st->unmap_ns / 1e3);
}

/* A one-page window, used once; *first_ns: the cost of that first use. */
static uint8_t *mtu_window(int rm, const struct bench_target *t,
			   double *first_ns)
{
	uint8_t *w = rm_window(rm, 1);

	if (!w)
		die("mmap of a window: %s", strerror(errno));
	*first_ns = mtu_one(rm, t, w, 0, 0);
	return w;
}

/*
 * Cold: the introspector has no other mapping, so every map sets up and
 * every unmap tears down the per-mm state (notifiers, target file).  Warm:
 * one more mapping of the same target stays alive meanwhile.  Window: the
 * page goes into a window, which keeps that state from one map to the
 * next.  A window exists only during its own blocks, so that the cold ones
 * stay cold, and is used once before them (that first use is timed apart).
 */
static void bench_mtu(const struct cfg *c, const struct bench_target *t, int rm,
		      struct json *j)
{
	size_t nb = c->mtu_iters / c->mtu_block, b, k, n = c->read_pages;
	size_t iters = nb * c->mtu_block, i = 0, v;
	double *cold = xcalloc(iters, sizeof(double));
	double *warm = xcalloc(iters, sizeof(double));
	double *base = xcalloc(iters, sizeof(double));
	double *win = xcalloc(iters, sizeof(double));
	double *win_base = xcalloc(iters, sizeof(double));
	double *pop = xcalloc(iters, sizeof(double));
	double *pop_base = xcalloc(iters, sizeof(double));
	double *first = xcalloc(nb + 1, sizeof(double));
	uint32_t *order = xmalloc(n * sizeof(*order));
	uint8_t *slot = anon_area(1), *keep = anon_area(1), *w;
	struct mtu_steps st_cold, st_warm, st_win, st_pop;
	double med_cold, med_warm, med_base;
	char why[128];
	bool have_win;

	printf("mtu: %zu x (map + first touch + unmap) vs 4 KiB process_vm_readv\n",
	       iters);
	rnd_perm(order, n, &seed);
	/* Without windows (an older module), the anonymous rows only. */
	w = rm_window(rm, 1);
	have_win = w;
	if (w)
		munmap(w, PAGE_SZ);
	else
		snprintf(why, sizeof(why),
			 "not available: mmap of /dev/remote_mapping: %s",
			 strerror(errno));

	/* --profile mtu-anon, mtu-window: one kind of rows only. */
	if (!prof_part())
		prof_on();
	/* Each operation timed alone; each kind and its baseline alternate. */
	for (b = 0; b < nb; b++) {
		prof_part_on("anon");
		for (k = 0; k < c->mtu_block; k++, i++) {
			cold[i] = mtu_one(rm, t, slot, order[i % n], 0);
			base[i] = pvr_one(t, order[i % n]);
		}
		i -= c->mtu_block;	/* the same pages */
		if (__rm_map(rm, t->base, keep, t->pidfd, 0))
			die("REMOTE_MAPPING_MAP: %s", strerror(errno));
		for (k = 0; k < c->mtu_block; k++, i++)
			warm[i] = mtu_one(rm, t, slot, order[i % n], 0);
		if (__rm_unmap(rm, keep))
			die("REMOTE_MAPPING_UNMAP: %s", strerror(errno));
		prof_part_off("anon");
		if (!have_win)
			continue;

		i -= c->mtu_block;
		w = mtu_window(rm, t, &first[b]);
		prof_part_on("window");
		for (k = 0; k < c->mtu_block; k++, i++) {
			/* Which of the two goes first alternates. */
			for (v = 0; v < 2; v++) {
				bool p = (v + k) % 2;

				(p ? pop : win)[i] =
					mtu_one(rm, t, w, order[i % n], p ?
						REMOTE_MAPPING_POPULATE : 0);
				(p ? pop_base : win_base)[i] =
					pvr_one(t, order[i % n]);
			}
		}
		prof_part_off("window");
		munmap(w, PAGE_SZ);
	}
	prof_part_on("anon");
	mtu_steps(rm, t, slot, 0, order, n, c->mtu_iters, &st_cold);
	prof_part_off("anon");
	if (have_win) {
		w = mtu_window(rm, t, &first[nb]);
		prof_part_on("window");
		mtu_steps(rm, t, w, 0, order, n, c->mtu_iters, &st_win);
		mtu_steps(rm, t, w, REMOTE_MAPPING_POPULATE, order, n,
			  c->mtu_iters, &st_pop);
		prof_part_off("window");
		munmap(w, PAGE_SZ);
	}
	prof_part_on("anon");
	if (__rm_map(rm, t->base, keep, t->pidfd, 0))
		die("REMOTE_MAPPING_MAP: %s", strerror(errno));
	mtu_steps(rm, t, slot, 0, order, n, c->mtu_iters, &st_warm);
	__rm_unmap(rm, keep);
	prof_part_off("anon");
	prof_off();

	med_cold = median(cold, iters);
	med_warm = median(warm, iters);
	med_base = median(base, iters);
	json_obj(j, "map_touch_unmap");
	json_int(j, "iterations", iters);
	json_num(j, "map_touch_unmap_ns", med_cold);
	json_num(j, "map_touch_unmap_warm_ns", med_warm);
	json_num(j, "process_vm_readv_4k_ns", med_base);
	json_steps(j, "steps_cold", &st_cold);
	json_steps(j, "steps_warm", &st_warm);
	json_str(j, "note",
		 "medians of single operations; warm: another mapping of the target stays alive");
	json_obj(j, "window");
	json_bool(j, "available", have_win);
	if (have_win) {
		json_num(j, "map_touch_unmap_ns", median_of(win, iters));
		json_num(j, "process_vm_readv_4k_ns",
			 median_of(win_base, iters));
		json_num(j, "map_touch_unmap_populate_ns",
			 median_of(pop, iters));
		json_num(j, "process_vm_readv_4k_populate_ns",
			 median_of(pop_base, iters));
		json_num(j, "first_use_of_new_window_ns", median(first, nb + 1));
		json_steps(j, "steps", &st_win);
		json_steps(j, "steps_populate", &st_pop);
		json_str(j, "note",
			 "a one-page window per block, used once before the block; the two kinds alternate, each followed by its baseline");
	} else {
		json_str(j, "note", why);
	}
	json_end_obj(j);
	json_end_obj(j);

	add_result("map_touch_unmap_vs_pvr", TK_INFO, 1.5,
		   "map + first touch + unmap, anonymous memory",
		   "process_vm_readv 4 KiB", med_cold, med_base);
	add_result("map_touch_unmap_warm_vs_pvr", TK_INFO, 0,
		   "map + first touch + unmap, anonymous, warm",
		   "process_vm_readv 4 KiB", med_warm, med_base);
	snprintf(results[nresults - 1].note, sizeof(results[0].note),
		 "warm: another mapping of the target stays alive meanwhile");
	if (have_win) {
		steps_note(add_result("map_touch_unmap_window_vs_pvr", TK_INFO,
				      0, "map + first touch + unmap, window",
				      "process_vm_readv 4 KiB",
				      median(win, iters),
				      median(win_base, iters)), &st_win);
		steps_note(add_result("map_touch_unmap_window_populate_vs_pvr",
				      TK_COST, 1.5,
				      "map + first touch + unmap, window+POPULATE",
				      "process_vm_readv 4 KiB",
				      median(pop, iters),
				      median(pop_base, iters)), &st_pop);
	} else {
		add_unavailable("map_touch_unmap_window_vs_pvr", TK_INFO, 0,
				"map + first touch + unmap, window",
				"process_vm_readv 4 KiB", why);
		add_unavailable("map_touch_unmap_window_populate_vs_pvr",
				TK_COST, 1.5,
				"map + first touch + unmap, window+POPULATE",
				"process_vm_readv 4 KiB", why);
	}

	munmap(slot, PAGE_SZ);
	munmap(keep, PAGE_SZ);
	free(order);
	free(cold);
	free(warm);
	free(base);
	free(win);
	free(win_base);
	free(pop);
	free(pop_base);
	free(first);
}

/* Batch ------------------------------------------------------------------------ */

/* Give @area back as fresh anonymous memory: ends the mappings in it. */
static void reset_area(uint8_t *area, size_t pages)
{
	if (mmap(area, pages * PAGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		die("mmap MAP_FIXED: %s", strerror(errno));
}

/*
 * End the mappings of @pages pages at @area.  A window's pages go back to
 * holes one by one: the window, and the per-mm state it keeps, stay as
 * they would in use, and no VMA work or deferred free of a window is left
 * to run into the next timed part (munmap + mmap of the window would).
 */
static void reset_maps(int rm, uint8_t *area, size_t pages, bool window)
{
	if (window)
		rm_unmap_pages(rm, area, pages);
	else
		reset_area(area, pages);
}

struct batch_stats {
	size_t rounds;
	double batch_ns, single_ns;	/* medians per page */
};

/*
 * Rounds of @bs random pages mapped to consecutive pages at @area, with
 * single maps and then with one batch; the mappings are ended untimed
 * after each.  Windows get more rounds: their maps cost a tenth.
 */
static void batch_rounds(const struct cfg *c, const struct bench_target *t,
			 int rm, uint8_t *area, bool window,
			 const uint32_t *order, size_t *pos, size_t bs,
			 struct batch_stats *st)
{
	__u64 req[BATCH_MAX], map[BATCH_MAX];
	size_t r, i, rounds, n = c->read_pages;
	uint64_t t0;
	char single[32], batch[32];
	int32_t errs[BATCH_MAX];
	double *vb, *vs;
	long ret;
	int err;

	/* --profile batch-window-batch512 etc.: only those calls. */
	snprintf(single, sizeof(single), "%s-single%zu",
		 window ? "window" : "anon", bs);
	snprintf(batch, sizeof(batch), "%s-batch%zu",
		 window ? "window" : "anon", bs);

	rounds = (window ? c->batch_window_pages : c->batch_pages) / bs;
	if (rounds < c->batch_min_rounds)
		rounds = c->batch_min_rounds;
	vb = xcalloc(rounds, sizeof(double));
	vs = xcalloc(rounds, sizeof(double));
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < bs; i++) {
			req[i] = t->base + order[(*pos)++ % n] * PAGE_SZ;
			map[i] = (uintptr_t)area + i * PAGE_SZ;
		}
		prof_part_on(single);
		t0 = now_ns();
		for (i = 0; i < bs; i++) {
			err = __rm_map(rm, req[i], (void *)(uintptr_t)map[i],
				       t->pidfd, 0);
			if (err)
				die("REMOTE_MAPPING_MAP: %s", strerror(-err));
		}
		vs[r] = (now_ns() - t0 - clock_ns) / bs;
		prof_part_off(single);
		reset_maps(rm, area, bs, window);

		prof_part_on(batch);
		t0 = now_ns();
		ret = __rm_map_batch(rm, t->pidfd, 0, req, map, errs, bs);
		vb[r] = (now_ns() - t0 - clock_ns) / bs;
		prof_part_off(batch);
		if (ret != (long)bs)
			die("REMOTE_MAPPING_MAP_BATCH of %zu: %ld", bs, ret);
		for (i = 0; i < bs; i++)
			if (errs[i])
				die("batch page %zu: errs %d", i, errs[i]);
		if (load64(area + (bs - 1) * PAGE_SZ) !=
		    target_word((req[bs - 1] - t->base) / PAGE_SZ, 0))
			die("batch-mapped page reads wrong data");
		reset_maps(rm, area, bs, window);
	}
	st->rounds = rounds;
	st->batch_ns = median(vb, rounds);
	st->single_ns = median(vs, rounds);
	free(vb);
	free(vs);
}

static void json_batch_sizes(struct json *j, const struct batch_stats *st)
{
	size_t s;

	json_arr(j, "sizes");
	for (s = 0; s < NBATCH; s++) {
		json_obj(j, NULL);
		json_int(j, "batch", batch_sizes[s]);
		json_int(j, "rounds", st[s].rounds);
		json_num(j, "batch_ns_per_page", st[s].batch_ns);
		json_num(j, "single_ns_per_page", st[s].single_ns);
		json_num(j, "ratio", st[s].batch_ns / st[s].single_ns);
		json_end_obj(j);
	}
	json_end_arr(j);
}

static const char *batch_id(size_t s, bool window)
{
	static const char * const ids[2][NBATCH] = {
		{ "batch_vs_single", "batch_vs_single", "batch_vs_single",
		  "batch512_vs_single" },
		{ "batch1_window_vs_single", "batch8_window_vs_single",
		  "batch64_window_vs_single", "batch512_window_vs_single" },
	};

	return ids[window][s];
}

/*
 * The target row is the window's batch of 512; the anonymous one keeps the
 * same limit for reference (ratios.dat) without a verdict.
 */
static void batch_results(const struct batch_stats *st, bool window,
			  const char *why)
{
	const char *kind = window ? "window" : "anonymous";
	const char *base = window ? "single REMOTE_MAPPING_MAP, same window" :
			   "single REMOTE_MAPPING_MAP";
	char what[64];
	size_t s;

	for (s = 0; s < NBATCH; s++) {
		bool last = s == NBATCH - 1;
		enum target_kind tk = window && last ? TK_COST : TK_INFO;

		snprintf(what, sizeof(what), "batch map of %zu, %s, per page",
			 batch_sizes[s], kind);
		if (why)
			add_unavailable(batch_id(s, window), tk,
					last ? 0.2 : 0, what, base, why);
		else
			add_result(batch_id(s, window), tk, last ? 0.2 : 0,
				   what, base, st[s].batch_ns,
				   st[s].single_ns);
	}
}

struct cycle_stats {
	size_t rounds;
	double batch_ns, single_ns, pvr_ns;	/* medians per page */
};

/* One cycle of @bs pages at @win; ns per page.  Dies on an error. */
static double cycle_once(const struct bench_target *t, int rm,
			 const __u64 *req, const __u64 *map, size_t bs,
			 bool batch_unmap)
{
	int32_t errs[BATCH_MAX];
	uint64_t t0, sum = 0;
	size_t i;
	long ret;

	t0 = now_ns();
	ret = __rm_map_batch(rm, t->pidfd, REMOTE_MAPPING_POPULATE, req, map,
			     errs, bs);
	if (ret != (long)bs)
		die("REMOTE_MAPPING_MAP_BATCH of %zu: %ld", bs, ret);
	for (i = 0; i < bs; i++)
		sum += load64((void *)(uintptr_t)map[i]);
	if (batch_unmap) {
		ret = __rm_unmap_batch(rm, map, errs, bs);
		if (ret != (long)bs)
			die("REMOTE_MAPPING_UNMAP_BATCH of %zu: %ld", bs, ret);
	} else {
		for (i = 0; i < bs; i++)
			if (__rm_unmap(rm, (void *)(uintptr_t)map[i]))
				die("REMOTE_MAPPING_UNMAP: %s", strerror(errno));
	}
	t0 = now_ns() - t0;
	/* Each page's first word, summed: the loads happened. */
	for (i = 0; i < bs; i++)
		sum -= target_word((req[i] - t->base) / PAGE_SZ, 0);
	if (sum)
		die("a batch-mapped page read wrong data");
	return (double)(t0 - clock_ns) / bs;
}

/*
 * The whole batch cycle, per page, in a window: MAP_BATCH of BATCH_MAX
 * random target pages with POPULATE, a load from each, and the unmap, by
 * one UNMAP_BATCH or by single unmaps; against one 4 KiB process_vm_readv
 * of the same pages, in the same rounds.
 */
static void batch_cycles(const struct cfg *c, const struct bench_target *t,
			 int rm, uint8_t *win, const uint32_t *order,
			 struct cycle_stats *st)
{
	__u64 req[BATCH_MAX], map[BATCH_MAX];
	size_t r, i, pos = 0, n = c->read_pages;
	double *vb, *vs, *vp, p;

	st->rounds = c->smoke ? 2 : 16;
	vb = xcalloc(st->rounds, sizeof(double));
	vs = xcalloc(st->rounds, sizeof(double));
	vp = xcalloc(st->rounds, sizeof(double));
	for (r = 0; r < st->rounds; r++) {
		for (i = 0; i < BATCH_MAX; i++) {
			req[i] = t->base + order[pos++ % n] * PAGE_SZ;
			map[i] = (uintptr_t)win + i * PAGE_SZ;
		}
		for (i = 0, p = 0; i < BATCH_MAX; i++)
			p += pvr_one(t, (req[i] - t->base) / PAGE_SZ);
		vp[r] = p / BATCH_MAX;
		prof_part_on("cycle-batch");
		vb[r] = cycle_once(t, rm, req, map, BATCH_MAX, true);
		prof_part_off("cycle-batch");
		prof_part_on("cycle-single");
		vs[r] = cycle_once(t, rm, req, map, BATCH_MAX, false);
		prof_part_off("cycle-single");
	}
	st->batch_ns = median(vb, st->rounds);
	st->single_ns = median(vs, st->rounds);
	st->pvr_ns = median(vp, st->rounds);
	free(vb);
	free(vs);
	free(vp);
}

/* Reads of a running target ---------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct tail_stats {
	size_t n;
	double median, p99, slow_pct;	/* slow: over 10 us */
};

/*
 * 8-byte reads of random mapped pages for @secs, each timed on its own:
 * a refault (the target's NUMA balancing made its page PROT_NONE, which
 * zapped the mirror) shows in the tail, not in the median.
 */
static void timed_reads(uint8_t *win, size_t pages, double secs,
			struct tail_stats *st)
{
	size_t cap = 1 << 20, n = 0, i, slow = 0;
	double *v = xcalloc(cap, sizeof(double));
	uint64_t end = now_ns() + secs * 1e9, t0, x = 0x9e3779b97f4a7c15ULL;
	uint64_t w, p;

	while (n < cap && now_ns() < end) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p = x % pages;
		t0 = now_ns();
		w = load64(win + p * PAGE_SZ);
		v[n++] = (double)(now_ns() - t0) - clock_ns;
		if (w != target_word(p, 0))
			die("a mapped read of a running target read wrong data");
	}
	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		slow += v[i] > 10000;
	st->n = n;
	st->median = v[n / 2];
	st->p99 = v[n * 99 / 100];
	st->slow_pct = 100.0 * slow / n;
	free(v);
}

/*
 * The target's first pages mapped in a window; reads of them while the
 * target is idle, then while it stores into its pages from a thread on
 * the other vCPU (and NUMA balancing scans it, in a VM of two nodes).
 */
static void bench_running(const struct cfg *c, const struct bench_target *t,
			  int rm, struct json *j)
{
	size_t pages = c->smoke ? 512 : 4096, i, k, done;
	double secs = c->smoke ? 0.5 : 5;
	__u64 *req, *map;
	struct tail_stats st[2];
	int32_t *errs;
	uint8_t *win;

	win = rm_window(rm, pages);
	if (!win)
		die("mmap of /dev/remote_mapping: %s", strerror(errno));
	req = xcalloc(pages, sizeof(*req));
	map = xcalloc(pages, sizeof(*map));
	errs = xcalloc(pages, sizeof(*errs));
	for (done = 0; done < pages; done += k) {
		k = pages - done < BATCH_MAX ? pages - done : BATCH_MAX;
		for (i = 0; i < k; i++) {
			req[done + i] = t->base + (done + i) * PAGE_SZ;
			map[done + i] = (uintptr_t)win + (done + i) * PAGE_SZ;
		}
		if (__rm_map_batch(rm, t->pidfd, REMOTE_MAPPING_POPULATE,
				   req + done, map + done, errs, k) !=
		    (long)k)
			die("REMOTE_MAPPING_MAP_BATCH of the read pages");
	}
	timed_reads(win, pages, secs, &st[0]);
	if (bench_target_set_running(t, true))
		die("cannot start the target's writer");
	timed_reads(win, pages, secs, &st[1]);
	bench_target_set_running(t, false);
	for (done = 0; done < pages; done += k) {
		k = pages - done < BATCH_MAX ? pages - done : BATCH_MAX;
		if (__rm_unmap_batch(rm, map + done, errs, k) != (long)k)
			die("REMOTE_MAPPING_UNMAP_BATCH of the read pages");
	}
	munmap(win, pages * PAGE_SZ);
	free(req);
	free(map);
	free(errs);

	printf("running target: 8 B reads (idle/running): median %.0f/%.0f ns\n",
	       st[0].median, st[1].median);
	printf("running target: p99 %.0f/%.0f ns, over 10 us %.2f%%/%.2f%%\n",
	       st[0].p99, st[1].p99, st[0].slow_pct, st[1].slow_pct);
	json_obj(j, "running_target");
	json_int(j, "pages", pages);
	for (k = 0; k < 2; k++) {
		json_obj(j, k ? "running" : "idle");
		json_int(j, "reads", st[k].n);
		json_num(j, "median_ns", st[k].median);
		json_num(j, "p99_ns", st[k].p99);
		json_num(j, "over_10us_pct", st[k].slow_pct);
		json_end_obj(j);
	}
	json_str(j, "note",
		 "each read timed alone (clock cost subtracted): the median is mostly the clock's error; the tail shows refaults");
	json_end_obj(j);
	add_result("read8_running_median_vs_idle", TK_INFO, 0,
		   "8 B mapped read, running target, median",
		   "the same, idle target", st[1].median, st[0].median);
	add_result("read8_running_p99_vs_idle", TK_INFO, 0,
		   "8 B mapped read, running target, p99",
		   "the same, idle target", st[1].p99, st[0].p99);
}

/* Threads of the introspector that keep running while it unmaps. */
#define SPIN_MAX	3

struct spinners {
	pthread_t thread[SPIN_MAX];
	int n;
	bool stop;		/* __atomic */
	uint64_t sink;
};

/* Loads from its own stack on CPU 1: this mm stays live on that CPU. */
static void *spin_fn(void *arg)
{
	struct spinners *s = arg;
	uint64_t local[8] = { 1 }, sum = 0;
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
		sum += load64(&local[sum & 7]);
	s->sink = sum;
	return NULL;
}

static void spinners_start(struct spinners *s, int n)
{
	__atomic_store_n(&s->stop, false, __ATOMIC_RELAXED);
	for (s->n = 0; s->n < n; s->n++)
		if (pthread_create(&s->thread[s->n], NULL, spin_fn, s))
			die("pthread_create: %s", strerror(errno));
	usleep(20000);
}

static void spinners_stop(struct spinners *s)
{
	__atomic_store_n(&s->stop, true, __ATOMIC_RELAXED);
	while (s->n)
		pthread_join(s->thread[--s->n], NULL);
}

/* Median ns of one window map (POPULATE) + load + unmap of a page. */
static double window_mtu(const struct bench_target *t, int rm, uint8_t *win,
			 const uint32_t *order, size_t n, size_t iters)
{
	double *v = xcalloc(iters, sizeof(double)), med;
	uint64_t t0, req;
	size_t i;

	for (i = 0; i < iters; i++) {
		req = t->base + order[i % n] * PAGE_SZ;
		t0 = now_ns();
		if (__rm_map(rm, req, win, t->pidfd, REMOTE_MAPPING_POPULATE))
			die("REMOTE_MAPPING_MAP: %s", strerror(errno));
		consume(load64(win));
		if (__rm_unmap(rm, win))
			die("REMOTE_MAPPING_UNMAP: %s", strerror(errno));
		v[i] = now_ns() - t0 - clock_ns;
	}
	med = median(v, iters);
	free(v);
	return med;
}

/*
 * What an unmap costs once the introspector has other threads running
 * (on CPU 1): each zap of a page that has a PTE then sends a TLB
 * shootdown there.  One page at a time, and per page of a batch cycle,
 * whose UNMAP_BATCH flushes once for the run.  With 2 vCPUs, 2 and 4
 * threads differ only in how often one of them is on CPU 1.
 */
static void bench_threads(const struct cfg *c, const struct bench_target *t,
			  int rm, uint8_t *win, const uint32_t *order,
			  struct json *j)
{
	static const int threads[] = { 1, 2, 4 };
	size_t iters = c->smoke ? 64 : 1024, k;
	double mtu[3], cyc[3];
	struct cycle_stats cs;
	struct spinners sp;
	char id[48], what[96];

	json_obj(j, "threads");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		json_bool(j, "available", false);
		json_str(j, "note", "one vCPU: no other CPU to shoot down");
		json_end_obj(j);
		for (k = 1; k < 3; k++) {
			snprintf(id, sizeof(id), "unmap_threads%d_vs_1",
				 threads[k]);
			add_unavailable(id, TK_INFO, 0,
					"window map+touch+unmap, threads",
					"the same, 1 thread",
					"one vCPU: no TLB shootdown to measure");
		}
		return;
	}
	for (k = 0; k < 3; k++) {
		spinners_start(&sp, threads[k] - 1);
		mtu[k] = window_mtu(t, rm, win, order, c->read_pages, iters);
		batch_cycles(c, t, rm, win, order, &cs);
		cyc[k] = cs.batch_ns;
		spinners_stop(&sp);
	}
	json_bool(j, "available", true);
	json_arr(j, "runs");
	for (k = 0; k < 3; k++) {
		json_obj(j, NULL);
		json_int(j, "threads", threads[k]);
		json_num(j, "window_map_touch_unmap_ns", mtu[k]);
		json_num(j, "batch_cycle_ns_per_page", cyc[k]);
		json_end_obj(j);
	}
	json_end_arr(j);
	json_end_obj(j);
	for (k = 1; k < 3; k++) {
		snprintf(id, sizeof(id), "unmap_threads%d_vs_1", threads[k]);
		snprintf(what, sizeof(what),
			 "window map+touch+unmap, %d threads running",
			 threads[k]);
		add_result(id, TK_INFO, 0, what, "the same, 1 thread", mtu[k],
			   mtu[0]);
		snprintf(id, sizeof(id), "batch_cycle_threads%d_vs_1",
			 threads[k]);
		snprintf(what, sizeof(what),
			 "batch cycle per page, %d threads running", threads[k]);
		add_result(id, TK_INFO, 0, what, "the same, 1 thread", cyc[k],
			   cyc[0]);
	}
}

static void cycle_results(struct json *j, const struct cycle_stats *st,
			  const char *why)
{
	static const char what[] =
		"batch cycle of 512 (map+POPULATE, read, UNMAP_BATCH), window, per page";
	static const char what_single[] =
		"the same with 512 single unmaps";
	static const char base[] = "process_vm_readv 4 KiB";

	json_obj(j, "batch_cycle");
	json_bool(j, "available", !why);
	if (why) {
		json_str(j, "note", why);
		json_end_obj(j);
		add_unavailable("batch_cycle_vs_pvr", TK_COST, 0.5, what, base,
				why);
		add_unavailable("batch_cycle_single_unmap_vs_pvr", TK_INFO, 0,
				what_single, base, why);
		return;
	}
	json_int(j, "pages", BATCH_MAX);
	json_int(j, "rounds", st->rounds);
	json_num(j, "batch_unmap_ns_per_page", st->batch_ns);
	json_num(j, "single_unmap_ns_per_page", st->single_ns);
	json_num(j, "pvr_4k_ns", st->pvr_ns);
	json_end_obj(j);
	add_result("batch_cycle_vs_pvr", TK_COST, 0.5, what, base,
		   st->batch_ns, st->pvr_ns);
	add_result("batch_cycle_single_unmap_vs_pvr", TK_INFO, 0, what_single,
		   base, st->single_ns, st->pvr_ns);
}

static void bench_batch(const struct cfg *c, const struct bench_target *t,
			int rm, struct json *j)
{
	struct cycle_stats cst = { 0 };
	__u64 req[1], map[1];
	size_t s, n = c->read_pages, pos = 0;
	struct batch_stats st[NBATCH], wst[NBATCH];
	uint8_t *area = anon_area(BATCH_MAX), *win;
	uint32_t *order = xmalloc(n * sizeof(*order));
	char why[128], wwhy[128];
	int32_t errs[1];
	long ret;

	rnd_perm(order, n, &seed);
	req[0] = t->base;
	map[0] = (uintptr_t)area;
	errs[0] = 1;
	ret = __rm_map_batch(rm, t->pidfd, 0, req, map, errs, 1);
	reset_area(area, 1);
	if (ret != 1) {
		if (ret == -ENOTTY)
			snprintf(why, sizeof(why),
				 "not available: REMOTE_MAPPING_MAP_BATCH returns ENOTTY (not implemented yet)");
		else
			snprintf(why, sizeof(why),
				 "not available: REMOTE_MAPPING_MAP_BATCH of one page returned %ld (%s), errs[0] %d",
				 ret, ret < 0 ? strerror(-ret) : "-", errs[0]);
		printf("batch: %s\n", why);
		json_obj(j, "batch");
		json_bool(j, "available", false);
		json_str(j, "note", why);
		json_end_obj(j);
		batch_results(NULL, false, why);
		batch_results(NULL, true, why);
		cycle_results(j, NULL, why);
		munmap(area, BATCH_MAX * PAGE_SZ);
		free(order);
		return;
	}

	printf("batch: sizes 1, 8, 64, 512 vs single maps, anonymous memory and a window\n");
	/* --profile batch-anon, batch-window: one kind only. */
	if (!prof_part())
		prof_on();
	prof_part_on("anon");
	for (s = 0; s < NBATCH; s++)
		batch_rounds(c, t, rm, area, false, order, &pos,
			     batch_sizes[s], &st[s]);
	prof_part_off("anon");
	/* Only now: while a window lives, the anonymous maps would be warm. */
	win = rm_window(rm, BATCH_MAX);
	if (win) {
		pos = 0;	/* the same pages */
		prof_part_on("window");
		for (s = 0; s < NBATCH; s++)
			batch_rounds(c, t, rm, win, true, order, &pos,
				     batch_sizes[s], &wst[s]);
		prof_part_off("window");
		batch_cycles(c, t, rm, win, order, &cst);
		bench_threads(c, t, rm, win, order, j);
		munmap(win, BATCH_MAX * PAGE_SZ);
	} else {
		snprintf(wwhy, sizeof(wwhy),
			 "not available: mmap of /dev/remote_mapping: %s",
			 strerror(errno));
	}
	prof_off();

	json_obj(j, "batch");
	json_bool(j, "available", true);
	json_str(j, "reset", "mmap(MAP_FIXED) of the area between rounds, untimed");
	json_batch_sizes(j, st);
	json_obj(j, "window");
	json_bool(j, "available", win);
	if (win) {
		json_int(j, "window_pages", BATCH_MAX);
		json_str(j, "reset",
			 "REMOTE_MAPPING_UNMAP of each page between rounds, untimed; one window for all rounds, made after the anonymous rounds");
		json_batch_sizes(j, wst);
	} else {
		json_str(j, "note", wwhy);
	}
	json_end_obj(j);
	cycle_results(j, &cst, win ? NULL : wwhy);
	json_end_obj(j);
	batch_results(st, false, NULL);
	batch_results(wst, true, win ? NULL : wwhy);
	munmap(area, BATCH_MAX * PAGE_SZ);
	free(order);
}

/* Scale ------------------------------------------------------------------------ */

struct scale_out {
	bool window;			/* in: map into one window */
	int err;			/* -errno of the map that failed */
	size_t done;			/* maps made */
	double first_map_ns;
	double map_ns[MAX_BLOCKS];	/* median per map, per block */
	double map_mean_ns[MAX_BLOCKS];
	double touch_ns[MAX_BLOCKS];
	uint64_t t_maps, t_touch;	/* totals */
	uint64_t exit_start;		/* now_ns() right before _exit() */
	/* Interleaved: maps at full count vs in a fresh introspector. */
	int inter_rounds;
	double inter_live_ns, inter_fresh_ns;
	/* The same, the fresh introspector mapping a target of its own. */
	int other_rounds;
	double other_live_ns, other_fresh_ns;
	double touched_live_ns, touched_fresh_ns;
	/* The same after each block, with fewer rounds. */
	double probe_live_ns[MAX_BLOCKS], probe_fresh_ns[MAX_BLOCKS];
	struct mem_snap s0, s1, s2;	/* before, mapped, touched */
};

/* Median and mean ns of the maps [from, to), each timed alone. */
static int scale_block(struct scale_out *o, int rm,
		       const struct bench_target *t, uint8_t *area,
		       const uint32_t *order, size_t from, size_t to,
		       size_t blk)
{
	double *v = xcalloc(to - from, sizeof(double)), sum = 0;
	uint64_t t0;
	size_t k;
	int err;

	for (k = from; k < to; k++) {
		t0 = now_ns();
		err = __rm_map(rm, t->base + order[k % t->pages] * PAGE_SZ,
			       area + k * PAGE_SZ, t->pidfd, 0);
		v[k - from] = now_ns() - t0 - clock_ns;
		if (err) {
			o->err = err;
			free(v);
			return err;
		}
		o->done = k + 1;
		sum += v[k - from];
	}
	o->map_mean_ns[blk] = sum / (to - from);
	o->map_ns[blk] = median(v, to - from);
	free(v);
	return 0;
}

/* Median ns of maps of @pages at @area, each timed alone; then reset. */
static double timed_maps(int rm, const struct bench_target *t, uint8_t *area,
			 const uint64_t *pages, size_t count, bool window)
{
	double v[MAX_BLOCKS];
	uint64_t t0;
	size_t k;
	int err;

	for (k = 0; k < count; k++) {
		t0 = now_ns();
		err = __rm_map(rm, pages[k], area + k * PAGE_SZ, t->pidfd, 0);
		v[k] = now_ns() - t0 - clock_ns;
		if (err)
			return NAN;
	}
	reset_maps(rm, area, count, window);
	return median(v, count);
}

/*
 * A fresh introspector (n = 1) mapping sub-blocks on command of the parent;
 * with @window, its mapping and sub-blocks are in a window of its own.
 */
static void fresh_introspector(const struct cfg *c,
			       const struct bench_target *t, int cmd, int res,
			       bool window)
{
	uint64_t pages[MAX_BLOCKS];
	uint8_t *area, *one;
	double ns;
	int rm = rm_open();

	if (rm < 0)
		_exit(1);
	if (window) {
		one = rm_window(rm, 1 + c->scale_sub);
		if (!one)
			_exit(1);
		area = one + PAGE_SZ;
	} else {
		one = anon_area(1);
		area = anon_area(c->scale_sub);
	}
	if (__rm_map(rm, t->base, one, t->pidfd, 0))
		_exit(1);
	ns = 0;
	if (write(res, &ns, sizeof(ns)) != sizeof(ns))
		_exit(1);
	while (read(cmd, pages, c->scale_sub * sizeof(pages[0])) ==
	       (ssize_t)(c->scale_sub * sizeof(pages[0]))) {
		ns = timed_maps(rm, t, area, pages, c->scale_sub, window);
		if (write(res, &ns, sizeof(ns)) != sizeof(ns))
			break;
	}
	_exit(0);
}

struct fresh {
	pid_t pid;
	int cmd, res;
	const struct bench_target *t;	/* the target it maps */
};

static void fresh_stop(struct fresh *f);

static int fresh_start(const struct cfg *c, const struct bench_target *t,
		       struct fresh *f, bool window)
{
	int cmd[2], res[2];
	double ready;

	if (pipe(cmd) || pipe(res))
		return -errno;
	f->pid = fork();
	if (f->pid < 0)
		return -errno;
	if (!f->pid) {
		close(cmd[1]);
		close(res[0]);
		fresh_introspector(c, t, cmd[0], res[1], window);
	}
	close(cmd[0]);
	close(res[1]);
	f->cmd = cmd[1];
	f->res = res[0];
	f->t = t;
	/* Ready once it holds its one mapping. */
	if (read(f->res, &ready, sizeof(ready)) != sizeof(ready)) {
		fresh_stop(f);
		return -EIO;
	}
	return 0;
}

static void fresh_stop(struct fresh *f)
{
	close(f->cmd);
	close(f->res);
	waitpid(f->pid, NULL, 0);
}

/*
 * The cost of a map in this introspector (@rm) against the cost in a fresh
 * one, in @rounds alternating sub-blocks on the same target pages (or, if
 * the fresh one has a target of its own, the same page indices there):
 * load changes on the machine hit both sides alike.  Medians in *live,
 * *fresh.
 */
static int probe(const struct cfg *c, int rm, const struct bench_target *t,
		 struct fresh *f, uint8_t *area, const uint32_t *order,
		 size_t first, int rounds, double *live, double *fresh,
		 bool window)
{
	uint64_t pages[MAX_BLOCKS], fpages[MAX_BLOCKS];
	double l[MAX_BLOCKS], fr[MAX_BLOCKS];
	size_t k, p;
	int r;

	for (r = 0; r < rounds; r++) {
		for (k = 0; k < c->scale_sub; k++) {
			p = order[(first + r * c->scale_sub + k) % t->pages];
			pages[k] = t->base + p * PAGE_SZ;
			fpages[k] = f->t->base + (p % f->t->pages) * PAGE_SZ;
		}
		if (r % 2)
			l[r] = timed_maps(rm, t, area, pages, c->scale_sub,
					  window);
		if (write(f->cmd, fpages, c->scale_sub * sizeof(fpages[0])) < 0 ||
		    read(f->res, &fr[r], sizeof(fr[r])) != sizeof(fr[r]))
			return -EIO;
		if (!(r % 2))
			l[r] = timed_maps(rm, t, area, pages, c->scale_sub,
					  window);
	}
	*live = median(l, rounds);
	*fresh = median(fr, rounds);
	return isfinite(*live) && isfinite(*fresh) ? 0 : -EIO;
}

/*
 * An introspector making n mappings, over anonymous memory (one VMA each)
 * or into one window of n + scale_sub pages (one VMA for all; the probes
 * use its last scale_sub pages).  Both variants map the same target pages
 * in the same order: each child draws the same permutation.
 */
static void scale_child(const struct cfg *c, struct scale_out *o,
			const struct bench_target *t)
{
	size_t n = c->scale_maps, bs = c->scale_block, b, i, k;
	uint32_t *order = xmalloc(t->pages * sizeof(*order));
	const char *prof_blocks, *pb;
	bool window = o->window;
	uint8_t *area, *parea;
	double sub[MAX_BLOCKS];
	struct fresh f, f2;
	struct bench_target t2;
	uint64_t t0, t1;
	int rm;

	rm = rm_open();
	if (rm < 0) {
		o->err = rm;
		_exit(1);
	}
	rnd_perm(order, t->pages, &seed);
	if (window) {
		area = rm_window(rm, n + c->scale_sub);
		if (!area) {
			o->err = -errno;
			_exit(1);
		}
		parea = area + n * PAGE_SZ;
	} else {
		area = anon_area(n);
		parea = anon_area(c->scale_sub);
	}
	o->err = fresh_start(c, t, &f, window);
	if (o->err)
		_exit(1);
	mem_snapshot(&o->s0);

	/* The first map of this introspector, alone. */
	t0 = now_ns();
	o->err = __rm_map(rm, t->base + order[0] * PAGE_SZ, area, t->pidfd, 0);
	o->first_map_ns = now_ns() - t0;
	if (o->err)
		_exit(1);
	o->done = 1;

	/*
	 * "first" or "last" (--profile scale-first): only four blocks at that
	 * end of the anonymous variant; "window-first", "window-last": of the
	 * window variant.
	 */
	prof_blocks = prof_part();
	pb = prof_blocks;
	if (pb && window)
		pb = strncmp(pb, "window-", 7) ? "" : pb + 7;
	else if (pb && !strncmp(pb, "window-", 7))
		pb = "";
	if (!prof_blocks)
		prof_on();
	t0 = now_ns();
	for (b = 0; b * bs < n; b++) {
		if (pb && ((!strcmp(pb, "first") && !b) ||
			   (!strcmp(pb, "last") && b == n / bs - 4)))
			prof_on();
		if (pb && !strcmp(pb, "first") && b == 4)
			prof_off();
		if (scale_block(o, rm, t, area, order, b ? b * bs : 1,
				(b + 1) * bs, b))
			_exit(1);
		/* Not counted in t_maps: the probe against n = 1. */
		t1 = now_ns();
		if (prof_blocks ||
		    probe(c, rm, t, &f, parea, order, n + b * bs,
			  c->scale_probe_rounds, &o->probe_live_ns[b],
			  &o->probe_fresh_ns[b], window))
			o->probe_live_ns[b] = NAN;
		t0 += now_ns() - t1;
	}
	o->t_maps = now_ns() - t0;
	prof_off();
	mem_snapshot(&o->s1);

	/* The n-th map against the first, as the curve: nothing touched. */
	if (!probe(c, rm, t, &f, parea, order, 2 * n,
		   c->scale_inter_rounds, &o->inter_live_ns,
		   &o->inter_fresh_ns, window))
		o->inter_rounds = c->scale_inter_rounds;

	/*
	 * The fresh introspector above maps into the same target, whose
	 * notifier tree holds this one's n nodes: what grows with n on the
	 * target's side is on both sides of that ratio.  A second fresh
	 * introspector with a target of its own has nothing of n.
	 */
	if (!bench_target_start(&t2, OTHER_TARGET_PAGES)) {
		if (!fresh_start(c, &t2, &f2, window)) {
			if (!probe(c, rm, t, &f2, parea, order, 2 * n,
				   c->scale_inter_rounds, &o->other_live_ns,
				   &o->other_fresh_ns, window))
				o->other_rounds = c->scale_inter_rounds;
			fresh_stop(&f2);
		}
		bench_target_stop(&t2);
	}

	t0 = now_ns();
	for (b = 0; b * bs < n; b++) {
		size_t ns = 0;

		for (i = b * bs; i < (b + 1) * bs; i += c->scale_sub) {
			t1 = now_ns();
			for (k = i; k < i + c->scale_sub; k++)
				consume(load64(area + k * PAGE_SZ));
			sub[ns++] = (double)(now_ns() - t1) / c->scale_sub;
		}
		o->touch_ns[b] = median(sub, ns);
	}
	o->t_touch = now_ns() - t0;
	mem_snapshot(&o->s2);

	/* Again with every mapping touched (page tables filled). */
	if (probe(c, rm, t, &f, parea, order, 3 * n,
		  c->scale_inter_rounds, &o->touched_live_ns,
		  &o->touched_fresh_ns, window))
		o->touched_live_ns = NAN;
	fresh_stop(&f);
	o->exit_start = now_ns();
	_exit(0);
}

/*
 * Exit of a process with @n touched anonymous pages: in @n one-page VMAs
 * with @split (alternate pages read-only), else in one VMA.
 */
static double plain_exit_ns(size_t n, bool split)
{
	uint64_t *start, t_end;
	uint8_t *a;
	size_t i;
	pid_t pid;

	start = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (start == MAP_FAILED)
		return NAN;
	*start = 0;
	pid = fork();
	if (!pid) {
		a = anon_area(n);
		for (i = 0; i < n; i++) {
			a[i * PAGE_SZ] = 1;
			if (split && i % 2 &&
			    mprotect(a + i * PAGE_SZ, PAGE_SZ, PROT_READ))
				_exit(1);
		}
		__atomic_store_n(start, now_ns(), __ATOMIC_RELEASE);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, NULL, 0) != pid) {
		munmap(start, PAGE_SZ);
		return NAN;
	}
	t_end = now_ns();
	i = __atomic_load_n(start, __ATOMIC_ACQUIRE);
	munmap(start, PAGE_SZ);
	return i ? (double)(t_end - i) : NAN;
}

static long read_max_map_count(void)
{
	long v = -1;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static const char * const vma_caches[] = { "vm_area_struct", "maple_node", NULL };

static bool is_vma_cache(const char *name)
{
	int i;

	for (i = 0; vma_caches[i]; i++)
		if (!strcmp(name, vma_caches[i]))
			return true;
	return false;
}

/* Slab delta per mapping by cache; returns module and VMA byte sums. */
static void slab_deltas(struct json *j, const struct mem_snap *a,
			const struct mem_snap *b, size_t n, double *module,
			double *vma)
{
	int i, k;

	*module = 0;
	*vma = 0;
	json_arr(j, "slab_caches_per_mapping");
	for (i = 0; i < b->ncaches; i++) {
		const struct slab_cache *cb = &b->caches[i];
		long before = 0;
		double d;

		for (k = 0; k < a->ncaches; k++)
			if (!strcmp(a->caches[k].name, cb->name))
				before = a->caches[k].active;
		d = (double)(cb->active - before) * cb->objsize / n;
		if (is_vma_cache(cb->name))
			*vma += d;
		else
			*module += d;
		if (fabs(d) < 0.5)
			continue;
		json_obj(j, NULL);
		json_str(j, "cache", cb->name);
		json_int(j, "objsize", cb->objsize);
		json_num(j, "objects_per_mapping",
			 (double)(cb->active - before) / n);
		json_num(j, "bytes_per_mapping", d);
		json_str(j, "counted_as", is_vma_cache(cb->name) ?
			 "kernel VMA" : "module");
		json_end_obj(j);
	}
	json_end_arr(j);
}

static void json_snap(struct json *j, const char *key,
		      const struct mem_snap *s)
{
	json_obj(j, key);
	json_int(j, "Slab_kB", s->slab_kb);
	json_int(j, "SUnreclaim_kB", s->sunreclaim_kb);
	json_int(j, "SReclaimable_kB", s->sreclaimable_kb);
	json_int(j, "PageTables_kB", s->pagetables_kb);
	json_int(j, "MemFree_kB", s->memfree_kb);
	json_int(j, "map_count", s->map_count);
	json_int(j, "pdb_count", s->pdb_count);
	json_end_obj(j);
}

/* One scale variant, run in a child; the parent measures its exit. */
struct scale_run {
	struct scale_out *o;	/* shared with the child */
	bool ok;
	uint64_t t_end, t_clean;
	long pdbs;		/* pdb_count when done waiting */
};

static void scale_fork(const struct cfg *c, const struct bench_target *t,
		       bool window, struct scale_run *r)
{
	int status;
	pid_t pid;

	r->o = mmap(NULL, sizeof(*r->o), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->o == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(r->o, 0, sizeof(*r->o));
	r->o->window = window;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid)
		scale_child(c, r->o, t);
	waitpid(pid, &status, 0);
	r->t_end = now_ns();
	/* Deferred frees (SRCU, workqueue) finish after the exit. */
	while ((r->pdbs = rm_counter("pdb_count")) > 0 &&
	       now_ns() - r->t_end < 60000000000ULL)
		usleep(1000);
	r->t_clean = now_ns();
	r->ok = WIFEXITED(status) && !WEXITSTATUS(status) &&
		r->o->done >= c->scale_maps;
}

/* Result ids and labels of the two variants: [0] anonymous, [1] window. */
static const char * const scale_ids[][2] = {
	{ "module_bytes_per_mapping", "module_bytes_per_mapping_window" },
	{ "vma_bytes_per_mapping", "vma_bytes_per_mapping_window" },
	{ "scale_map_cost", "scale_map_cost_window" },
	{ "scale_map_cost_touched", "scale_map_cost_touched_window" },
	{ "scale_map_cost_other_target", "scale_map_cost_other_target_window" },
	{ "scale_map_cost_sequential", "scale_map_cost_sequential_window" },
	{ "teardown_vs_plain_vmas", "teardown_window_vs_one_vma" },
};

enum {
	SID_MODULE, SID_VMA, SID_COST, SID_TOUCHED, SID_OTHER, SID_SEQ,
	SID_EXIT
};

/*
 * The targets (map cost at n live, module bytes) are judged on the window
 * variant; the anonymous one keeps their limits for reference only.
 */
static struct result *scale_add(int sid, bool window, const char *what,
				const char *base, double measured,
				double baseline, const char *why)
{
	static const double limits[SID_EXIT + 1] = {
		[SID_MODULE] = 128, [SID_COST] = 1.5,
	};
	enum target_kind tk;

	if (sid == SID_MODULE)
		tk = window ? TK_BYTES : TK_INFO_BYTES;
	else if (sid == SID_VMA)
		tk = TK_INFO_BYTES;
	else
		tk = window && sid == SID_COST ? TK_COST : TK_INFO;
	if (why)
		return add_unavailable(scale_ids[sid][window], tk, limits[sid],
				       what, base, why);
	return add_result(scale_ids[sid][window], tk, limits[sid], what, base,
			  measured, baseline);
}

static void scale_report(const struct cfg *c, struct json *j,
			 const struct scale_run *r, bool window, long mmc0,
			 long mmc, bool raised)
{
	size_t n = c->scale_maps, nb = n / c->scale_block, b;
	const char *kind = window ? "window" : "anonymous";
	double module, vma, kb, base_exit, plain[3];
	const struct scale_out *o = r->o;
	char why[128], what[96], base[64];

	json_obj(j, window ? "scale_window" : "scale");
	json_int(j, "maps", n);
	json_str(j, "layout", window ?
		 "all in one window (one VMA), probes in its last sub_block pages" :
		 "one anonymous area, one mirror VMA per mapping");
	json_int(j, "block", c->scale_block);
	json_int(j, "sub_block", c->scale_sub);
	json_int(j, "max_map_count_before", mmc0);
	json_int(j, "max_map_count", mmc);
	json_bool(j, "max_map_count_raised_by_bench", raised);
	if (!r->ok) {
		snprintf(why, sizeof(why),
			 "not available: introspector stopped after %zu maps: %s",
			 o->done, o->err ? strerror(-o->err) : "crashed");
		printf("scale (%s): %s\n", kind, why);
		json_str(j, "error", why);
		json_end_obj(j);
		snprintf(what, sizeof(what), "map at %zu live, %s", n,
			 window ? "one window" : "anonymous memory");
		scale_add(SID_COST, window, what, "map at 1", 0, 0, why);
		snprintf(what, sizeof(what),
			 "module memory per mapping, %s (slab)", kind);
		scale_add(SID_MODULE, window, what, "", 0, 0, why);
		return;
	}

	json_num(j, "first_map_ns", o->first_map_ns);
	json_num(j, "all_maps_ns", o->t_maps);
	json_num(j, "all_first_touches_ns", o->t_touch);
	json_arr(j, "blocks");
	for (b = 0; b < nb; b++) {
		json_obj(j, NULL);
		json_int(j, "live_after", (b + 1) * c->scale_block);
		json_num(j, "map_ns_median", o->map_ns[b]);
		json_num(j, "map_ns_mean", o->map_mean_ns[b]);
		json_num(j, "first_touch_ns_median", o->touch_ns[b]);
		json_num(j, "probe_map_ns", o->probe_live_ns[b]);
		json_num(j, "probe_fresh_map_ns", o->probe_fresh_ns[b]);
		json_num(j, "probe_ratio",
			 o->probe_live_ns[b] / o->probe_fresh_ns[b]);
		json_end_obj(j);
	}
	json_end_arr(j);

	json_obj(j, "memory");
	json_snap(j, "before", &o->s0);
	json_snap(j, "mapped", &o->s1);
	json_snap(j, "touched", &o->s2);
	kb = (double)(o->s1.slab_kb - o->s0.slab_kb) * 1024 / n;
	json_num(j, "Slab_bytes_per_mapping", kb);
	json_num(j, "SUnreclaim_bytes_per_mapping",
		 (double)(o->s1.sunreclaim_kb - o->s0.sunreclaim_kb) * 1024 / n);
	json_num(j, "PageTables_bytes_per_mapping_untouched",
		 (double)(o->s1.pagetables_kb - o->s0.pagetables_kb) * 1024 / n);
	json_num(j, "PageTables_bytes_per_mapping_touched",
		 (double)(o->s2.pagetables_kb - o->s0.pagetables_kb) * 1024 / n);
	json_int(j, "module_pdb_count", o->s1.pdb_count - o->s0.pdb_count);
	json_int(j, "module_map_count", o->s1.map_count - o->s0.map_count);
	snprintf(what, sizeof(what), "module memory per mapping, %s (slab)",
		 kind);
	if (o->s1.ncaches > 0) {
		slab_deltas(j, &o->s0, &o->s1, n, &module, &vma);
		json_num(j, "kernel_vma_bytes_per_mapping", vma);
		json_num(j, "module_bytes_per_mapping", module);
		json_str(j, "module_bytes_rule",
			 "slab growth per mapping outside vm_area_struct and maple_node (/proc/slabinfo active objects x object size)");
		scale_add(SID_MODULE, window, what, "", module, 0, NULL);
		snprintf(what, sizeof(what),
			 "kernel VMA per mapping, %s (reference)", kind);
		scale_add(SID_VMA, window, what, "", vma, 0, NULL);
	} else {
		scale_add(SID_MODULE, window, what, "", 0, 0,
			  "not available: /proc/slabinfo unreadable");
	}
	json_end_obj(j);

	json_obj(j, "interleaved");
	json_int(j, "rounds", o->inter_rounds);
	json_int(j, "maps_per_round", c->scale_sub);
	json_num(j, "map_ns_at_max", o->inter_live_ns);
	json_num(j, "map_ns_fresh_introspector", o->inter_fresh_ns);
	json_num(j, "touched_map_ns_at_max", o->touched_live_ns);
	json_num(j, "touched_map_ns_fresh_introspector", o->touched_fresh_ns);
	json_obj(j, "fresh_introspector_other_target");
	json_int(j, "rounds", o->other_rounds);
	json_int(j, "target_pages", OTHER_TARGET_PAGES);
	json_num(j, "map_ns_at_max", o->other_live_ns);
	json_num(j, "map_ns_fresh_introspector", o->other_fresh_ns);
	json_end_obj(j);
	if (window)
		json_str(j, "how",
			 "sub-blocks of maps alternate between the introspector holding all mappings in its window and a fresh one holding 1 in a window of its own; blocks[].probe_* likewise after each block");
	else
		json_str(j, "how",
			 "sub-blocks of maps alternate between the introspector holding all mappings and a fresh one holding 1; blocks[].probe_* likewise after each block");
	json_end_obj(j);
	snprintf(what, sizeof(what), "map at %zu live, %s", n,
		 window ? "one window" : "anonymous memory");
	snprintf(base, sizeof(base),
		 "map at 1 live (other process%s, interleaved)",
		 window ? ", own window" : "");
	if (o->inter_rounds)
		scale_add(SID_COST, window, what, base, o->inter_live_ns,
			  o->inter_fresh_ns, NULL);
	else
		scale_add(SID_COST, window, what, base, 0, 0,
			  "not available: the interleaved comparison failed");
	snprintf(what, sizeof(what), "map at %zu live, %s, all touched", n,
		 kind);
	scale_add(SID_TOUCHED, window, what, base, o->touched_live_ns,
		  o->touched_fresh_ns, NULL);
	snprintf(what, sizeof(what), "map at %zu live, %s, other target", n,
		 kind);
	snprintf(base, sizeof(base),
		 "map at 1 live (other process%s and target)",
		 window ? ", own window" : "");
	if (o->other_rounds)
		snprintf(scale_add(SID_OTHER, window, what, base,
				   o->other_live_ns, o->other_fresh_ns,
				   NULL)->note, sizeof(results[0].note),
			 "the fresh introspector maps a target of its own, whose notifier tree has no n nodes");
	else
		scale_add(SID_OTHER, window, what, base, 0, 0,
			  "not available: the second target or its introspector failed");
	snprintf(what, sizeof(what), "map at %zu live, %s, last block", n,
		 kind);
	snprintf(base, sizeof(base), "map at 2..%zu live (first block)",
		 c->scale_block);
	snprintf(scale_add(SID_SEQ, window, what, base, o->map_ns[nb - 1],
			   o->map_ns[0], NULL)->note, sizeof(results[0].note),
		 "sequential: blocks of %zu maps, one after the other",
		 c->scale_block);

	/*
	 * One exit with mappings; the baseline is cheap enough for three.
	 * Anonymous: as many one-page VMAs; window: one VMA of as many
	 * touched pages.
	 */
	for (b = 0; b < 3; b++)
		plain[b] = plain_exit_ns(n, !window);
	base_exit = median(plain, 3);
	json_obj(j, "teardown");
	json_num(j, "exit_ns", r->t_end - o->exit_start);
	json_num(j, "exit_ns_per_mapping",
		 (double)(r->t_end - o->exit_start) / n);
	json_num(j, "until_counters_zero_ns", r->t_clean - o->exit_start);
	json_int(j, "pdb_count_after", r->pdbs);
	json_num(j, window ? "baseline_exit_one_vma_ns" :
		 "baseline_exit_plain_vmas_ns", base_exit);
	if (window)
		json_str(j, "note",
			 "one exit with the mappings; baseline: median of three exits of a process with one anonymous VMA of as many touched pages");
	else
		json_str(j, "note",
			 "one exit with the mappings; baseline: median of three exits of a process with as many touched one-page anonymous VMAs");
	json_end_obj(j);
	snprintf(what, sizeof(what), "exit with all mappings, %s",
		 window ? "one window" : "anonymous memory");
	snprintf(base, sizeof(base), window ?
		 "exit with one VMA of %zu touched pages" :
		 "exit with as many plain 1-page VMAs", n);
	snprintf(scale_add(SID_EXIT, window, what, base,
			   r->t_end - o->exit_start, base_exit, NULL)->note,
		 sizeof(results[0].note),
		 "%.2f us per mapping; counters back to 0 after %.1f ms",
		 (double)(r->t_end - o->exit_start) / n / 1e3,
		 (r->t_clean - o->exit_start) / 1e6);
	json_end_obj(j);
}

/* scale.dat: one line per block, the anonymous then the window columns. */
static void write_scale_dat(const struct cfg *c, const struct scale_run *r)
{
	size_t nb = c->scale_maps / c->scale_block, b;
	char path[256];
	FILE *dat;
	int v;

	if (!c->dat_dir || (!r[0].ok && !r[1].ok))
		return;
	snprintf(path, sizeof(path), "%s/scale.dat", c->dat_dir);
	dat = fopen(path, "w");
	if (!dat)
		return;
	/* Columns 2-5: anonymous memory, 6-9: window; NaN: not run. */
	fprintf(dat, "# n map_us_median map_us_mean touch_us_median probe_ratio (x2)\n");
	for (b = 0; b < nb; b++) {
		fprintf(dat, "%zu", (b + 1) * c->scale_block);
		for (v = 0; v < 2; v++) {
			const struct scale_out *o = r[v].o;

			if (r[v].ok)
				fprintf(dat, " %.3f %.3f %.3f %.4f",
					o->map_ns[b] / 1e3,
					o->map_mean_ns[b] / 1e3,
					o->touch_ns[b] / 1e3,
					o->probe_live_ns[b] /
					o->probe_fresh_ns[b]);
			else
				fprintf(dat, " NaN NaN NaN NaN");
		}
		fputc('\n', dat);
	}
	fclose(dat);
}

/*
 * Two introspectors, one after the other: n mappings over anonymous
 * memory, then n mappings into one window.
 */
static void bench_scale(const struct cfg *c, const struct bench_target *t,
			struct json *j)
{
	size_t n = c->scale_maps;
	struct scale_run r[2];
	bool raised = false;
	long mmc, mmc0;
	int v;

	mmc0 = read_max_map_count();
	if (mmc0 < (long)n + 4096) {
		FILE *f = fopen("/proc/sys/vm/max_map_count", "w");

		if (f) {
			fprintf(f, "%d\n", WANT_MAP_COUNT);
			raised = !fclose(f);
		}
	}
	mmc = read_max_map_count();
	printf("scale: %zu maps, anonymous then in a window (vm.max_map_count %ld%s)\n",
	       n, mmc, raised ? ", raised by rm_bench" : "");

	for (v = 0; v < 2; v++)
		scale_fork(c, t, v, &r[v]);

	for (v = 0; v < 2; v++)
		scale_report(c, j, &r[v], v, mmc0, mmc, raised);
	write_scale_dat(c, r);
	for (v = 0; v < 2; v++)
		munmap(r[v].o, sizeof(*r[v].o));
}

/* Main ------------------------------------------------------------------------- */

static void json_file_line(struct json *j, const char *key, const char *path,
			   const char *prefix)
{
	char line[256], *p;
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (prefix && strncmp(line, prefix, strlen(prefix)))
			continue;
		p = prefix ? strchr(line, ':') : line;
		if (!p)
			continue;
		p += prefix ? 1 : 0;
		p += strspn(p, " \t");
		p[strcspn(p, "\n")] = 0;
		json_str(j, key, p);
		fclose(f);
		return;
	}
	if (f)
		fclose(f);
	json_null(j, key);
}

static void json_machine(const struct cfg *c, struct json *j)
{
	char line[256], *eq;
	struct utsname u;
	struct stat st;
	FILE *f;

	uname(&u);
	json_obj(j, "guest");
	json_str(j, "kernel", u.release);
	json_int(j, "cpus", sysconf(_SC_NPROCESSORS_ONLN));
	json_file_line(j, "cpu", "/proc/cpuinfo", "model name");
	json_file_line(j, "memory", "/proc/meminfo", "MemTotal");
	json_file_line(j, "clocksource",
		       "/sys/devices/system/clocksource/clocksource0/current_clocksource",
		       NULL);
	json_file_line(j, "transparent_hugepage",
		       "/sys/kernel/mm/transparent_hugepage/enabled", NULL);
	json_end_obj(j);

	/*
	 * Which build of the module ran: run-bench.sh loaded it from this
	 * file seconds ago, and it may be rebuilt while benchmarks run.
	 */
	if (!stat("host/remote_mapping.ko", &st)) {
		strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ",
			 gmtime(&st.st_mtime));
		json_str(j, "module_ko_mtime", line);
	}

	json_obj(j, "host");
	f = c->host_info ? fopen(c->host_info, "r") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		eq = strchr(line, '=');
		if (!eq || line[0] == '#')
			continue;
		*eq = 0;
		json_str(j, line, eq + 1);
	}
	if (f)
		fclose(f);
	json_end_obj(j);
}

static double clock_cost_ns(void)
{
	double v[9];
	uint64_t t0;
	int r, i;

	for (r = 0; r < 9; r++) {
		t0 = now_ns();
		for (i = 0; i < 200; i++)
			now_ns();
		v[r] = (double)(now_ns() - t0) / 200;
	}
	return median(v, 9);
}

static const char *short_label(const char *id)
{
	static const char * const labels[][2] = {
		{ "read8_vs_own", "8 B read vs own memory (>=0.95x)" },
		{ "read4k_vs_own", "4 KiB read vs own memory (>=0.95x)" },
		{ "map_touch_unmap_window_populate_vs_pvr",
		  "map+touch+unmap, window+POPULATE (<=1.5x)" },
		{ "map_touch_unmap_vs_pvr", "map+touch+unmap, anonymous (ref.)" },
		{ "batch512_window_vs_single",
		  "batch 512 vs single map, window (<=0.2x)" },
		{ "batch512_vs_single", "batch 512, anonymous (ref.)" },
		{ "batch_cycle_vs_pvr",
		  "batch cycle of 512 per page vs pvr (<=0.5x)" },
		{ "scale_map_cost_window",
		  "map at max live vs at 1, window (<=1.5x)" },
		{ "scale_map_cost", "map at max live, anonymous (ref.)" },
		{ "module_bytes_per_mapping_window",
		  "module bytes per mapping, window (<=128)" },
		{ "module_bytes_per_mapping", "module bytes, anonymous (ref.)" },
		{ "hc_pool_map_unmap_vs_null",
		  "map+unmap hypercall, pool, vs null (<=2.5x)" },
		{ "hc_map_unmap_vs_null", "map+unmap hypercall, RAM (ref.)" },
		{ "watch_mm_vs_none", "target mm ops, mirrored vs not (>=0.95x)" },
		{ "watch_fork_vs_none", "target fork, mirrored vs not (>=0.95x)" },
		{ "watch_thp_vs_none", "target THP ops, mirrored vs not (>=0.95x)" },
		{ "scan_vs_pvr4k", "scan vs pvr 4 KiB (>=10x)" },
		{ "scan_vs_own", "scan vs own memcpy (>=0.5x)" },
		{ "scan_2m_mirror_vs_own",
		  "2 MiB mirror scan vs own memcpy (>=0.5x)" },
		{ "scan_2m_mirror_vs_pvr4k",
		  "2 MiB mirror scan vs pvr 4 KiB (>=10x)" },
		{ "map_2m_per_4k_vs_map_4k",
		  "2 MiB map per 4 KiB vs 4 KiB map (<=0.01x)" },
		{ "watch_vm_vs_none", "guest churn, 65536 aliases vs none (>=0.95x)" },
		{ "scan_vm_vs_own", "VM scan from a VM vs own RAM (>=0.5x)" },
		{ "scan_vm_2m_vs_own",
		  "VM scan, 2 MiB aliases, vs own RAM (>=0.5x)" },
		{ "scan_vm_2m_vs_pvr4k",
		  "VM scan, 2 MiB aliases, vs pvr 4 KiB (>=10x)" },
		{ "fleet_map_at_full_vs_1", "map at 1.6M live vs at 1 (<=1.5x)" },
		{ "fleet_bytes_per_mapping", "module bytes, fleet (<=128)" },
		{ "fleet_teardown_vs_exit", "fleet teardown vs exit (<=2x)" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(labels); i++)
		if (!strcmp(id, labels[i][0]))
			return labels[i][1];
	return id;
}

/*
 * Ratio bars: cost against the target's limit, 1 = exactly at the target.
 * Rows without a verdict that keep a limit (the anonymous-memory variants
 * of window targets) are drawn for reference, met = -1.
 */
static void write_ratios_dat(const struct cfg *c)
{
	char path[256];
	int i, k = 0;
	FILE *f;

	if (!c->dat_dir)
		return;
	snprintf(path, sizeof(path), "%s/ratios.dat", c->dat_dir);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "# index \"label\" used \"ratio\" met; used: 1 = at target\n");
	for (i = 0; i < nresults; i++) {
		const struct result *r = &results[i];
		double used;

		if (result_met(r) < 0 && !(r->available &&
					   isfinite(r->ratio) && r->target > 0))
			continue;
		used = r->kind == TK_SPEEDUP || r->kind == TK_INFO_SPEEDUP ?
		       r->target / r->ratio : r->ratio / r->target;
		fprintf(f, "%d \"%s\" %.4g \"%.3g%s\" %d\n", k++,
			short_label(r->id),
			used, r->ratio, r->kind == TK_BYTES ||
			r->kind == TK_INFO_BYTES ? " B" :
			r->kind == TK_SPEEDUP ? "x faster" : "x",
			result_met(r));
	}
	fclose(f);
}

static void print_usage(void)
{
	printf("Usage: rm_bench [--smoke] [--only reads,mtu,batch,scale,hc,watch,scan,fleet,vm]\n"
	       "                [--json FILE]\n"
	       "                [--dat-dir DIR] [--host-info FILE] [--scale N]\n");
}

static const char * const section_names[NSECTIONS] = {
	"reads", "mtu", "batch", "scale", "hc", "watch", "scan", "fleet", "vm"
};

static unsigned int parse_sections(const char *s)
{
	unsigned int m = 0, i;
	char *dup = strdup(s), *tok, *save;

	for (tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NSECTIONS; i++)
			if (!strcmp(tok, section_names[i]))
				m |= 1U << i;
		if (!strcmp(tok, "all"))
			m |= SECT_ALL;
	}
	free(dup);
	if (!m)
		die("no known section in '%s'", s);
	return m;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "smoke", no_argument, NULL, 's' },
		{ "only", required_argument, NULL, 'o' },
		{ "json", required_argument, NULL, 'j' },
		{ "dat-dir", required_argument, NULL, 'd' },
		{ "host-info", required_argument, NULL, 'H' },
		{ "scale", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct cfg c = {
		.read_pages = 16384, .read_rounds = 3,
		.mtu_iters = 1024, .mtu_block = 64,
		.batch_pages = 2048, .batch_window_pages = 16384,
		.batch_min_rounds = 8,
		.scale_maps = 65536, .scale_block = 1024, .scale_sub = 32,
		.scale_inter_rounds = 32, .scale_probe_rounds = 6,
		.hc_loops_null = 10, .hc_loops_map = 2, .hc_rounds = 61,
		.hc_batch_max = 512, .hc_batch_rounds = 5,
		.watch_mirrors = 65536, .watch_rounds = 7, .watch_ms = 300,
		.scan_pages = 262144,
		.vm_aliases = 65536, .vm_churn_pages = 512, .vm_rounds = 7,
		.vm_ms = 300, .vm_scan_pages = 16384,
		.fleet_procs = 100, .fleet_maps = 16384,
		.sections = SECT_ALL,
	};
	size_t scale_arg = 0, tpages;
	struct bench_target t;
	struct json j;
	char date[64];
	FILE *jf;
	time_t now;
	int opt, rm, err, met, unmet = 0, nmet = 0, sect;
	bool pinned;
	cpu_set_t cpus;
	double secs[NSECTIONS] = { 0 };
	uint64_t t0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			c.smoke = true;
			break;
		case 'o':
			c.sections = parse_sections(optarg);
			break;
		case 'j':
			c.json_path = optarg;
			break;
		case 'd':
			c.dat_dir = optarg;
			break;
		case 'H':
			c.host_info = optarg;
			break;
		case 'n':
			scale_arg = strtoul(optarg, NULL, 0);
			break;
		case 'h':
			print_usage();
			return 0;
		default:
			print_usage();
			return 2;
		}
	}
	if (c.smoke) {
		c.read_pages = 256;
		c.read_rounds = 3;
		c.mtu_iters = 32;
		c.mtu_block = 8;
		c.batch_pages = 512;
		c.batch_window_pages = 512;
		c.batch_min_rounds = 1;
		c.scale_maps = 1024;
		c.scale_block = 256;
		c.scale_sub = 32;
		c.scale_inter_rounds = 4;
		c.scale_probe_rounds = 2;
		c.hc_loops_null = 10;
		c.hc_loops_map = 2;
		c.hc_rounds = 3;
		c.hc_batch_max = 64;
		c.hc_batch_rounds = 2;
		c.watch_mirrors = 1024;
		c.watch_rounds = 1;
		c.watch_ms = 30;
		c.scan_pages = 1024;
		c.vm_aliases = 1024;
		c.vm_churn_pages = 64;
		c.vm_rounds = 1;
		c.vm_ms = 30;
		c.vm_scan_pages = 1024;
		c.fleet_procs = 4;
		c.fleet_maps = 256;
	}
	if (scale_arg)
		c.scale_maps = scale_arg;
	if (c.hc_rounds > 128)
		c.hc_rounds = 128;
	if (c.scale_maps % c.scale_block || c.scale_block % c.scale_sub ||
	    c.scale_maps / c.scale_block > MAX_BLOCKS)
		die("--scale must be a multiple of %zu, at most %zu",
		    c.scale_block, c.scale_block * MAX_BLOCKS);

	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * One vCPU for everything measured (children inherit it): the
	 * processes compared in the scale probes then share one vCPU and
	 * whatever load its host thread sees.
	 */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	pinned = !sched_setaffinity(0, sizeof(cpus), &cpus);
	jf = c.json_path ? fopen(c.json_path, "w") : fopen("/dev/null", "w");
	if (!jf)
		die("cannot write %s: %s", c.json_path, strerror(errno));
	json_open(&j, jf);
	now = time(NULL);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	json_str(&j, "benchmark", "remote_mapping rm_bench");
	json_int(&j, "schema", 1);
	json_str(&j, "mode", c.smoke ? "smoke" : "full");
	json_str(&j, "date", date);
	json_machine(&c, &j);
	clock_ns = clock_cost_ns();
	json_num(&j, "clock_gettime_ns", clock_ns);
	json_bool(&j, "pinned_to_cpu0", pinned);
	json_str(&j, "statistic",
		 "median over rounds/blocks; CLOCK_MONOTONIC; ratios against baselines of the same run on the same target pages");

	rm = rm_open();
	if (rm < 0)
		die("open /dev/remote_mapping: %s (is remote_mapping.ko loaded? root?)",
		    strerror(-rm));

	tpages = c.read_pages;
	if (c.sections & SECT_SCALE && c.scale_maps > tpages)
		tpages = c.scale_maps;
	if (tpages < BATCH_MAX)
		tpages = BATCH_MAX;
	if (c.sections & SECT_TARGET) {
		printf("target: %zu pages (%zu MiB)\n", tpages,
		       tpages * PAGE_SZ >> 20);
		err = bench_target_start(&t, tpages);
		if (err)
			die("starting the target: %s", strerror(-err));
	}
	json_obj(&j, "config");
	json_int(&j, "target_pages", tpages);
	json_int(&j, "read_pages", c.read_pages);
	json_int(&j, "read_rounds", c.read_rounds);
	json_int(&j, "mtu_iterations", c.mtu_iters);
	json_int(&j, "batch_pages_per_size", c.batch_pages);
	json_int(&j, "batch_window_pages_per_size", c.batch_window_pages);
	json_int(&j, "scale_maps", c.scale_maps);
	json_int(&j, "hc_null_per_run", c.hc_loops_null);
	json_int(&j, "hc_map_unmap_per_run", c.hc_loops_map);
	json_int(&j, "hc_rounds", c.hc_rounds);
	json_int(&j, "watch_mirrors", c.watch_mirrors);
	json_int(&j, "watch_rounds", c.watch_rounds);
	json_num(&j, "watch_round_ms", c.watch_ms);
	json_int(&j, "scan_pages", c.scan_pages);
	json_int(&j, "vm_aliases", c.vm_aliases);
	json_int(&j, "vm_churn_pages", c.vm_churn_pages);
	json_int(&j, "vm_rounds", c.vm_rounds);
	json_num(&j, "vm_round_ms", c.vm_ms);
	json_int(&j, "vm_scan_pages", c.vm_scan_pages);
	json_int(&j, "fleet_introspectors", c.fleet_procs);
	json_int(&j, "fleet_maps_each", c.fleet_maps);
	json_end_obj(&j);

	for (sect = 0; sect < NSECTIONS; sect++) {
		if (!(c.sections & (1U << sect)))
			continue;
		t0 = now_ns();
		switch (1U << sect) {
		case SECT_READS:
			bench_reads(&c, &t, rm, &j);
			bench_running(&c, &t, rm, &j);
			break;
		case SECT_MTU:
			bench_mtu(&c, &t, rm, &j);
			break;
		case SECT_BATCH:
			bench_batch(&c, &t, rm, &j);
			break;
		case SECT_SCALE:
			bench_scale(&c, &t, &j);
			break;
		case SECT_HC:
			bench_hc(&c, rm, &j);
			break;
		case SECT_WATCH:
			bench_watch(&c, rm, &j);
			break;
		case SECT_SCAN:
			bench_scan(&c, rm, &j);
			break;
		case SECT_FLEET:
			bench_fleet(&c, rm, &j);
			break;
		case SECT_VM:
			bench_vm(&c, rm, &j);
			break;
		}
		secs[sect] = (now_ns() - t0) / 1e9;
		printf("  (%s: %.1f s)\n", section_names[sect], secs[sect]);
	}
	json_obj(&j, "section_seconds");
	for (sect = 0; sect < NSECTIONS; sect++)
		if (c.sections & (1U << sect))
			json_num(&j, section_names[sect], secs[sect]);
	json_end_obj(&j);
	if (c.sections & SECT_TARGET)
		bench_target_stop(&t);
	close(rm);

	json_results(&j);
	json_close(&j);
	fclose(jf);
	write_ratios_dat(&c);
	print_table(stdout, c.smoke);
	for (opt = 0; opt < nresults; opt++) {
		met = result_met(&results[opt]);
		if (met == 1)
			nmet++;
		else if (met == 0)
			unmet++;
	}
	if (c.smoke)
		printf("smoke run: the benchmark ran; targets are not judged\n");
	else
		printf("targets: %d met, %d not met\n", nmet, unmet);
	return 0;
}
