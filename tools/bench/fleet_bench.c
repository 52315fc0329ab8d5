// SPDX-License-Identifier: GPL-2.0
/* rm_bench fleet: the seed's scale, many introspectors and their targets. */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <linux/remote_mapping.h>

#include "rm_bench.h"

#define FLEET_BATCH	512	/* pages per REMOTE_MAPPING_MAP_BATCH */
#define PROBE_SUB	32	/* single maps per timed probe sub-block */
#define PROBE_ROUNDS	101	/* sub-blocks per probe phase */
#define SMOKE_ROUNDS	9
#define CLEAN_WAIT_NS	60000000000ULL
#define NCOUNTERS	3

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

/* What a child was doing when it failed, for the parent's message. */
enum stage { ST_OPEN, ST_WINDOW, ST_BATCH, ST_BATCH_PAGE, ST_TOUCH, ST_MAP,
	     ST_UNMAP, NSTAGES };

static const char * const stage_names[NSTAGES] = {
	[ST_OPEN] = "open of /dev/remote_mapping",
	[ST_WINDOW] = "mmap of its window",
	[ST_BATCH] = "REMOTE_MAPPING_MAP_BATCH",
	[ST_BATCH_PAGE] = "REMOTE_MAPPING_MAP_BATCH, errs[] of a page",
	[ST_TOUCH] = "first touch of a mapped page (wrong content)",
	[ST_MAP] = "REMOTE_MAPPING_MAP",
	[ST_UNMAP] = "REMOTE_MAPPING_UNMAP",
};

/* Module counters that must be back to their values after the fleet. */
static const char * const counters[NCOUNTERS] = {
	"map_count", "pdb_count", "idb_count",
};

/* A child's answer to each command; err 0 means done. */
struct msg {
	int32_t stage;
	int32_t err;
};

/* What the children work on. */
struct fleet_ctx {
	const struct bench_target *ts;	/* introspector i maps ts[i % nt] */
	size_t nt;
	size_t kid;		/* the child being started (its copy keeps it) */
	size_t maps;		/* target pages = mappings per introspector */
	size_t sub;		/* maps per timed probe sub-block */
	uint8_t *shared;	/* region of the plain baseline */
};

/* The target of the child being started; the probe's is the first. */
static const struct bench_target *kid_target(const struct fleet_ctx *x)
{
	return &x->ts[x->kid % x->nt];
}

/* In a child: done (@err 0), or tell the parent what failed and exit. */
static void kid_answer(int res, int stage, int err)
{
	struct msg m = { .stage = stage, .err = err };

	if (!write_full(res, &m, sizeof(m)) || err)
		_exit(1);
}

static void kid_send(const struct bench_child *k, uint32_t op)
{
	if (!write_full(k->cmd, &op, sizeof(op)))
		die("fleet: write to child %d: %s", k->pid, strerror(errno));
}

/* Wait for the answer of child @i, a @who; die on its failure. */
static void kid_wait(const struct bench_child *k, const char *who, size_t i)
{
	struct msg m;

	if (!read_full(k->res, &m, sizeof(m)))
		die("fleet: %s %zu died", who, i);
	if (m.err)
		die("fleet: %s %zu: %s: %s", who, i,
		    m.stage >= 0 && m.stage < NSTAGES ?
		    stage_names[m.stage] : "?", strerror(-m.err));
}

/* Map every target page into @win, in batches, without POPULATE. */
static void fleet_map(const struct fleet_ctx *x, int rm, uint8_t *win,
		      int res)
{
	const struct bench_target *t = kid_target(x);
	__u64 req[FLEET_BATCH], map[FLEET_BATCH];
	int32_t errs[FLEET_BATCH];
	size_t i, k, n;
	long ret;

	for (i = 0; i < x->maps; i += n) {
		n = x->maps - i < FLEET_BATCH ? x->maps - i : FLEET_BATCH;
		for (k = 0; k < n; k++) {
			req[k] = t->base + (i + k) * PAGE_SZ;
			map[k] = (uintptr_t)(win + (i + k) * PAGE_SZ);
		}
		ret = __rm_map_batch(rm, t->pidfd, 0, req, map, errs, n);
		if (ret < 0)
			kid_answer(res, ST_BATCH, ret);
		for (k = 0; k < n; k++)
			if (errs[k])
				kid_answer(res, ST_BATCH_PAGE, errs[k]);
		if (ret != (long)n)
			kid_answer(res, ST_BATCH, -EIO);
	}
}

/* One introspector: a window of all target pages; 'm' maps, 't' touches. */
static void fleet_kid(void *arg, int cmd, int res)
{
	const struct fleet_ctx *x = arg;
	uint8_t *win;
	uint32_t op;
	size_t i;
	int rm = rm_open();

	if (rm < 0)
		kid_answer(res, ST_OPEN, rm);
	win = rm_window(rm, x->maps);
	if (!win)
		kid_answer(res, ST_WINDOW, -errno);
	kid_answer(res, 0, 0);
	while (read_full(cmd, &op, sizeof(op))) {
		if (op == 'm')
			fleet_map(x, rm, win, res);
		else
			/* A read resolves the page: its PTE, as in use. */
			for (i = 0; i < x->maps; i++)
				if (load64(win + i * PAGE_SZ) !=
				    target_word(i, 0))
					kid_answer(res, ST_TOUCH, -EIO);
		kid_answer(res, 0, 0);
	}
}

/*
 * The probe: one live mapping of its own; on command, that many sub-blocks
 * of single maps into its window, each sub-block timed as a whole, then
 * unmapped untimed.  Round r maps the same target pages in every phase.
 */
static void probe_kid(void *arg, int cmd, int res)
{
	const struct fleet_ctx *x = arg;
	const struct bench_target *t = &x->ts[0];
	uint32_t *order = xmalloc(x->maps * sizeof(*order)), rounds, r;
	uint64_t state = 0x2545f4914f6cdd1dULL, t0;
	double v[PROBE_ROUNDS];
	uint8_t *win;
	size_t k, p;
	int err, rm = rm_open();

	if (rm < 0)
		kid_answer(res, ST_OPEN, rm);
	win = rm_window(rm, 1 + x->sub);
	if (!win)
		kid_answer(res, ST_WINDOW, -errno);
	err = __rm_map(rm, t->base, win, t->pidfd, 0);
	if (err)
		kid_answer(res, ST_MAP, err);
	rnd_perm(order, x->maps, &state);
	kid_answer(res, 0, 0);
	while (read_full(cmd, &rounds, sizeof(rounds))) {
		for (r = 0; r < rounds && r < PROBE_ROUNDS; r++) {
			t0 = now_ns();
			for (k = 0; k < x->sub; k++) {
				p = order[(r * x->sub + k) % x->maps];
				err = __rm_map(rm, t->base + p * PAGE_SZ,
					       win + (1 + k) * PAGE_SZ,
					       t->pidfd, 0);
				if (err)
					kid_answer(res, ST_MAP, err);
			}
			v[r] = (now_ns() - t0 - clock_ns) / x->sub;
			for (k = 0; k < x->sub; k++) {
				err = __rm_unmap(rm, win + (1 + k) * PAGE_SZ);
				if (err)
					kid_answer(res, ST_UNMAP, err);
			}
		}
		kid_answer(res, 0, 0);
		if (!write_full(res, v, r * sizeof(v[0])))
			_exit(1);
	}
}

/* Median ns per map over @rounds probe sub-blocks, samples into @v. */
static double probe_run(const struct bench_child *p, uint32_t rounds,
			double *v)
{
	kid_send(p, rounds);
	kid_wait(p, "probe", 0);
	if (!read_full(p->res, v, rounds * sizeof(*v)))
		die("fleet: the probe died");
	return median_of(v, rounds);
}

/*
 * A plain process: PTEs for every page of the shared region, as a store to
 * each would make them (each has its own PTEs, rmap and page references;
 * the memory is shared), without a trap per page where the kernel can.
 */
static void plain_kid(void *arg, int cmd, int res)
{
	const struct fleet_ctx *x = arg;
	uint32_t op;
	size_t i;

	if (madvise(x->shared, x->maps * PAGE_SZ, MADV_POPULATE_WRITE))
		for (i = 0; i < x->maps; i++)
			x->shared[i * PAGE_SZ] = 1;
	kid_answer(res, 0, 0);
	while (read_full(cmd, &op, sizeof(op)))
		;
}

/* SIGKILL all @n at once; ns from the first kill until all are reaped. */
static uint64_t kill_all(struct bench_child *k, size_t n, uint64_t *t0)
{
	uint64_t ns;
	size_t i;

	*t0 = now_ns();
	for (i = 0; i < n; i++)
		kill(k[i].pid, SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(k[i].pid, NULL, 0);
	ns = now_ns() - *t0;
	for (i = 0; i < n; i++)
		bench_child_close(&k[i]);
	return ns;
}

static void read_counters(long *v)
{
	int i;

	for (i = 0; i < NCOUNTERS; i++)
		v[i] = rm_counter(counters[i]);
}

/*
 * Deferred frees (SRCU, workqueue) end after the exits: ns from @t0 until
 * the module counters are back at @c0, false if they are not within 60 s.
 */
static bool wait_counters(const long *c0, uint64_t t0, uint64_t *ns)
{
	long v[NCOUNTERS];
	bool back;
	int i;

	for (;;) {
		read_counters(v);
		for (back = true, i = 0; i < NCOUNTERS; i++)
			back &= v[i] <= c0[i];
		*ns = now_ns() - t0;
		if (back || *ns > CLEAN_WAIT_NS)
			return back;
		usleep(1000);
	}
}

/* Slab growth from @a to @b in bytes, outside the kernel's VMA caches. */
static double slab_growth(struct json *j, const struct mem_snap *a,
			  const struct mem_snap *b, double n)
{
	double sum = 0, d;
	long before;
	int i, k;

	json_arr(j, "slab_caches_per_mapping");
	for (i = 0; i < b->ncaches; i++) {
		const struct slab_cache *cb = &b->caches[i];

		if (!strcmp(cb->name, "vm_area_struct") ||
		    !strcmp(cb->name, "maple_node"))
			continue;
		for (before = 0, k = 0; k < a->ncaches; k++)
			if (!strcmp(a->caches[k].name, cb->name))
				before = a->caches[k].active;
		d = (double)(cb->active - before) * cb->objsize;
		sum += d;
		if (fabs(d / n) < 0.5)
			continue;
		json_obj(j, NULL);
		json_str(j, "cache", cb->name);
		json_num(j, "bytes_per_mapping", d / n);
		json_end_obj(j);
	}
	json_end_arr(j);
	return sum;
}

/* Memory per mapping: JSON, the module's bytes and the page tables' rows. */
static void fleet_memory(struct json *j, const struct mem_snap *s,
			 size_t live)
{
	double n = live, module, pt;
	char what[96];
	struct result *r;

	json_obj(j, "memory");
	json_int(j, "map_count_delta", s[1].map_count - s[0].map_count);
	json_int(j, "pdb_count_delta", s[1].pdb_count - s[0].pdb_count);
	json_num(j, "Slab_bytes_per_mapping",
		 (s[1].slab_kb - s[0].slab_kb) * 1024.0 / n);
	json_num(j, "SUnreclaim_bytes_per_mapping",
		 (s[1].sunreclaim_kb - s[0].sunreclaim_kb) * 1024.0 / n);
	json_num(j, "Slab_bytes_per_mapping_touched",
		 (s[2].slab_kb - s[0].slab_kb) * 1024.0 / n);
	pt = (s[2].pagetables_kb - s[0].pagetables_kb) * 1024.0 / n;
	json_num(j, "PageTables_bytes_per_mapping_touched", pt);
	if (s[1].ncaches > 0)
		module = slab_growth(j, &s[0], &s[1], n) / n;
	else
		module = (s[1].slab_kb - s[0].slab_kb) * 1024.0 / n;
	json_num(j, "module_bytes_per_mapping", module);
	json_end_obj(j);

	snprintf(what, sizeof(what), "module memory per mapping, %zu live (slab)",
		 live);
	r = add_result("fleet_bytes_per_mapping", TK_BYTES, 128, what, "",
		       module, 0);
	snprintf(r->note, sizeof(r->note), s[1].ncaches > 0 ?
		 "slabinfo growth outside vm_area_struct and maple_node" :
		 "meminfo Slab growth (/proc/slabinfo unreadable)");
	snprintf(what, sizeof(what), "page tables per mapping, %zu live, touched",
		 live);
	add_result("fleet_pagetable_bytes_per_mapping", TK_INFO_BYTES, 0, what,
		   "", pt, 0);
}

/* Fork @n children running @fn; wait until all are set up. */
/*
 * Each child on its own CPU in turn, as the VMs of a host are spread:
 * rm_bench pins itself to CPU 0 for its timings, and children inheriting
 * that tore the fleet down on one vCPU while the other idled (the
 * fleet-teardown profile: half of it in the idle loop).
 */
static void start_all(struct bench_child *k, size_t n, bench_child_fn fn,
		      struct fleet_ctx *x, const char *who)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		x->kid = i;
		err = bench_child_start(&k[i], fn, x);
		if (err)
			die("fleet: starting %s %zu: %s", who, i,
			    strerror(-err));
		CPU_ZERO(&set);
		CPU_SET(i % (cpus > 0 ? cpus : 1), &set);
		if (sched_setaffinity(k[i].pid, sizeof(set), &set))
			die("fleet: sched_setaffinity of %s %zu: %s", who, i,
			    strerror(errno));
	}
	for (i = 0; i < n; i++)
		kid_wait(&k[i], who, i);
}

/* Command @op to all @n at once; ns until all are done. */
static uint64_t all_do(struct bench_child *k, size_t n, uint32_t op)
{
	uint64_t t0 = now_ns();
	size_t i;

	for (i = 0; i < n; i++)
		kid_send(&k[i], op);
	for (i = 0; i < n; i++)
		kid_wait(&k[i], "introspector", i);
	return now_ns() - t0;
}

/* One fleet's figures. */
struct fleet_out {
	double before, after, one, mapped, full;	/* ns per map */
	uint64_t t_map, t_touch, t_reap, t_clean;
	bool clean;
	struct mem_snap s[3];
};

/*
 * A probe at 1 live, the fleet of @x mapping, the probe at full, touching,
 * the probe again, the fleet's exit; the perf parts are @pfx "probe" and
 * @pfx "teardown".
 */
static void fleet_run(const struct cfg *c, struct fleet_ctx *x,
		      const char *pfx, struct fleet_out *o)
{
	size_t np = c->fleet_procs;
	uint32_t rounds = c->smoke ? SMOKE_ROUNDS : PROBE_ROUNDS;
	double one_v[2 * PROBE_ROUNDS], v[PROBE_ROUNDS];
	struct bench_child probe, *kids;
	char part[2][32];
	long c0[NCOUNTERS];
	uint64_t t0;

	snprintf(part[0], sizeof(part[0]), "%sprobe", pfx);
	snprintf(part[1], sizeof(part[1]), "%steardown", pfx);
	/* At 1 live: only the probe's own mapping (of this section). */
	start_all(&probe, 1, probe_kid, x, "probe");
	o->before = probe_run(&probe, rounds, one_v);
	o->one = o->before;
	o->after = NAN;
	read_counters(c0);

	/* Windows are one VMA each: vm.max_map_count is no limit here. */
	kids = xcalloc(np, sizeof(*kids));
	start_all(kids, np, fleet_kid, x, "introspector");
	mem_snapshot(&o->s[0]);
	o->t_map = all_do(kids, np, 'm');
	mem_snapshot(&o->s[1]);
	o->mapped = probe_run(&probe, rounds, v);
	o->t_touch = all_do(kids, np, 't');
	mem_snapshot(&o->s[2]);
	prof_part_on(part[0]);
	o->full = probe_run(&probe, rounds, v);
	prof_part_off(part[0]);

	/* All at once; the fleet ends when the module has freed its part. */
	prof_part_on(part[1]);
	o->t_reap = kill_all(kids, np, &t0);
	o->clean = wait_counters(c0, t0, &o->t_clean);
	prof_part_off(part[1]);
	/* At 1 live again: drift between the phases cancels in the pool. */
	if (o->clean) {
		o->after = probe_run(&probe, rounds, one_v + rounds);
		o->one = median_of(one_v, 2 * rounds);
	}
	kill_all(&probe, 1, &t0);
	free(kids);
}

static void fleet_json(struct json *j, const struct fleet_out *o,
		       size_t live)
{
	json_num(j, "map_ns_1_live_before", o->before);
	json_num(j, "map_ns_1_live_after", o->after);
	json_num(j, "map_ns_1_live", o->one);
	json_num(j, "map_ns_full_mapped", o->mapped);
	json_num(j, "map_ns_full_touched", o->full);
	json_bool(j, "after_phase_pooled", o->clean);
	json_num(j, "fleet_map_all_ns", o->t_map);
	json_num(j, "fleet_touch_all_ns", o->t_touch);
	json_num(j, "fleet_map_ns_per_page", (double)o->t_map / live);
	json_num(j, "fleet_touch_ns_per_page", (double)o->t_touch / live);
}

static void fleet_teardown_json(struct json *j, const struct fleet_out *o,
				uint64_t t_plain)
{
	json_obj(j, "teardown");
	json_num(j, "reaped_ns", o->t_reap);
	json_num(j, "counters_back_ns", o->t_clean);
	json_bool(j, "counters_back", o->clean);
	json_num(j, "plain_reaped_ns", t_plain);
	json_end_obj(j);
}

static void fleet_notes(struct result *map, struct result *down,
			const struct fleet_out *o, uint32_t rounds,
			size_t sub, size_t m)
{
	snprintf(map->note, sizeof(map->note),
		 "medians of %u sub-blocks of %zu maps, fleet touched; 1 live: before%s the fleet",
		 rounds, sub, o->clean ? " and after" : "");
	snprintf(down->note, sizeof(down->note),
		 "reaped in %.1f ms, counters %s %.1f ms; plain: one shared %.1f MiB",
		 o->t_reap / 1e6, o->clean ? "back in" : "NOT back after",
		 o->t_clean / 1e6, m * PAGE_SZ / 1048576.0);
}

/*
 * The seed's deployment is 100 watched VMs: each introspector maps a
 * target of its own, the targets sharing their pages (one memfd) so that
 * the memory is that of one.  The same fleet over one target, every pdb
 * in one tree, is the worst case, reported without a target.
 */
void bench_fleet(const struct cfg *c, int rm, struct json *j)
{
	size_t np = c->fleet_procs, m = c->fleet_maps, live = np * m, i;
	uint32_t rounds = c->smoke ? SMOKE_ROUNDS : PROBE_ROUNDS;
	static struct fleet_out own, one;
	struct bench_target *ts, t1;
	char what[4][96], base[2][64], why[128];
	struct fleet_ctx x = { .maps = m };
	struct bench_child *kids;
	struct result *r, *r2;
	sighandler_t old_pipe;
	uint64_t t0, t_plain;
	int err, memfd;

	printf("fleet: %zu introspectors x %zu maps (%zu live), a target each\n",
	       np, m, live);
	printf("fleet: (one memfd's pages), then one target for all\n");
	snprintf(what[0], sizeof(what[0]), "map at %zu live, %zu introspectors",
		 live, np);
	snprintf(base[0], sizeof(base[0]), "map at 1 live");
	snprintf(what[1], sizeof(what[1]),
		 "exit of %zu introspectors with %zu mappings each", np, m);
	snprintf(base[1], sizeof(base[1]),
		 "exit of %zu processes with %zu plain pages each", np, m);
	snprintf(what[2], sizeof(what[2]), "map at %zu live, one target for all",
		 live);
	snprintf(what[3], sizeof(what[3]), "exit of %zu introspectors, one target",
		 np);
	json_obj(j, "fleet");
	json_int(j, "introspectors", np);
	json_int(j, "maps_each", m);
	json_int(j, "live_total", live);

	/* count 0: EINVAL from a module that has the batch ioctl. */
	if (__rm_map_batch(rm, -1, 0, NULL, NULL, NULL, 0) == -ENOTTY) {
		snprintf(why, sizeof(why),
			 "not available: no REMOTE_MAPPING_MAP_BATCH (ENOTTY)");
		printf("fleet: %s\n", why);
		json_str(j, "error", why);
		json_end_obj(j);
		add_unavailable("fleet_map_at_full_vs_1", TK_COST, 1.5,
				what[0], base[0], why);
		add_unavailable("fleet_bytes_per_mapping", TK_BYTES, 128,
				"module memory per mapping (slab)", "", why);
		add_unavailable("fleet_pagetable_bytes_per_mapping",
				TK_INFO_BYTES, 0, "page tables per mapping",
				"", why);
		add_unavailable("fleet_teardown_vs_exit", TK_COST, 2.0,
				what[1], base[1], why);
		return;
	}
	x.sub = m < PROBE_SUB ? m : PROBE_SUB;
	/* A child that died fails its read, not the bench with SIGPIPE. */
	old_pipe = signal(SIGPIPE, SIG_IGN);

	/* A target for each introspector, all of them one memfd's pages. */
	memfd = bench_target_shared_pages(m);
	if (memfd < 0)
		die("fleet: memfd of %zu target pages: %s", m,
		    strerror(-memfd));
	ts = xcalloc(np, sizeof(*ts));
	for (i = 0; i < np; i++) {
		err = bench_target_start_shared(&ts[i], m, memfd);
		if (err)
			die("fleet: starting target %zu: %s", i,
			    strerror(-err));
	}
	x.ts = ts;
	x.nt = np;
	fleet_run(c, &x, "", &own);
	for (i = 0; i < np; i++)
		bench_target_stop(&ts[i]);
	free(ts);
	close(memfd);

	/* One target for all of them, its pages its own. */
	err = bench_target_start(&t1, m);
	if (err)
		die("fleet: starting a target of %zu pages: %s", m,
		    strerror(-err));
	x.ts = &t1;
	x.nt = 1;
	fleet_run(c, &x, "one-", &one);
	bench_target_stop(&t1);

	/*
	 * The baseline: as many processes with as many touched pages.  Private
	 * pages would need np x 64 MiB; one shared region gives each the same
	 * PTEs, rmap and page references.
	 */
	x.shared = mmap(NULL, m * PAGE_SZ, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (x.shared == MAP_FAILED)
		die("fleet: mmap of %zu shared pages: %s", m, strerror(errno));
	madvise(x.shared, m * PAGE_SZ, MADV_NOHUGEPAGE);
	for (i = 0; i < m; i++)
		x.shared[i * PAGE_SZ] = 1;
	kids = xcalloc(np, sizeof(*kids));
	start_all(kids, np, plain_kid, &x, "plain process");
	t_plain = kill_all(kids, np, &t0);
	free(kids);
	munmap(x.shared, m * PAGE_SZ);
	signal(SIGPIPE, old_pipe);

	json_str(j, "how",
		 "a probe process times single maps before, with, after the fleet");
	json_int(j, "batch", FLEET_BATCH);
	json_int(j, "probe_sub_block", x.sub);
	json_int(j, "probe_rounds", rounds);
	fleet_json(j, &own, live);
	fleet_memory(j, own.s, live);
	fleet_teardown_json(j, &own, t_plain);
	json_obj(j, "one_target");
	fleet_json(j, &one, live);
	fleet_teardown_json(j, &one, t_plain);
	json_end_obj(j);
	json_end_obj(j);

	r = add_result("fleet_map_at_full_vs_1", TK_COST, 1.5, what[0],
		       base[0], own.full, own.one);
	r2 = add_result("fleet_teardown_vs_exit", TK_COST, 2.0, what[1],
			base[1], own.t_clean, t_plain);
	fleet_notes(r, r2, &own, rounds, x.sub, m);
	r = add_result("fleet_one_target_map_vs_1", TK_INFO, 0, what[2],
		       base[0], one.full, one.one);
	r2 = add_result("fleet_one_target_teardown_vs_exit", TK_INFO, 0,
			what[3], base[1], one.t_clean, t_plain);
	fleet_notes(r, r2, &one, rounds, x.sub, m);
}
