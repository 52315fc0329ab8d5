// SPDX-License-Identifier: GPL-2.0
/* rm_bench hc: KVM_HC_MEM_MAP+UNMAP round trip vs a null hypercall, tiny VMs. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>
#include <linux/kvmmem.h>
#include <linux/remote_mapping.h>

#include "rm_bench.h"
#include "tiny_vm.h"
#include "tvm_code.h"

#define KVM_ENOSYS	1000
#define NULL_HC		40	/* served by nobody: -KVM_ENOSYS */
#define TOKEN_GPA	TVM_DATA_GPA
#define MAP_GPA		0x4000U
#define REQ_GPA		0x8000U
#define KEEP_GPA	0x6000U		/* stays mapped in the warm runs */
#define POOL_GPA	0xc000U		/* a KVM_HC_MEM_POOL of POOL_PAGES */
#define POOL_PAGES	2U
#define ARRAY_GPA	0x10000U	/* batch entries, below 1 MiB */
#define SLOT_GPA	0x100000U	/* second memslot: batch pages */
#define SLOT_PAGES	512
#define HC_MAX_ROUNDS	128
/* The pool round trip against a null hypercall (second performance round). */
#define POOL_TARGET	2.5

/* "Hypercall nr 40" edi times, then hlt. */
static void code_null(struct code *c)
{
	code_start(c, false);
	mov32(c, EAX, NULL_HC);
	vmmcall(c);
	loop_to(c, 0);
	emit(c, 1, 0xf4);
}

/*
 * Map (and touch) + unmap at @map (< 64 KiB), edi times or until an
 * error, then hlt.
 */
static void code_map_unmap(struct code *c, bool touch, uint32_t map)
{
	int e1, e2;

	code_start(c, false);
	hypercall(c, KVM_HC_MEM_MAP, TOKEN_GPA, REQ_GPA, map, 0);
	e1 = bail_if_error(c);
	if (touch)	/* mov eax, [map] */
		emit(c, 4, 0x66, 0xa1, map & 0xff, map >> 8);
	hypercall(c, KVM_HC_MEM_UNMAP, map, 0, 0, 0);
	e2 = bail_if_error(c);
	loop_to(c, 0);
	patch_to_here(c, e1);
	patch_to_here(c, e2);
	emit(c, 1, 0xf4);
}

/* Map ecx (target) at edx (own), both += 4 KiB, edi times; then hlt. */
static void code_map_loop(struct code *c)
{
	int e;

	code_start(c, false);
	mov32(c, EAX, KVM_HC_MEM_MAP);
	mov32(c, EBX, TOKEN_GPA);
	mov32(c, ESI, 0);
	vmmcall(c);
	e = bail_if_error(c);
	add32(c, ECX, PAGE_SZ);
	add32(c, EDX, PAGE_SZ);
	loop_to(c, 0);
	patch_to_here(c, e);
	emit(c, 1, 0xf4);
}

/* Unmap ebx, += 4 KiB, edi times; then hlt. */
static void code_unmap_loop(struct code *c)
{
	int e;

	code_start(c, false);
	mov32(c, EAX, KVM_HC_MEM_UNMAP);
	vmmcall(c);
	e = bail_if_error(c);
	add32(c, EBX, PAGE_SZ);
	loop_to(c, 0);
	patch_to_here(c, e);
	emit(c, 1, 0xf4);
}

/* ns of one KVM_RUN of @code looping @loops times; NAN (and *why) on failure. */
static double guest_loop(struct tiny_vm *vm, const struct code *code,
			 int loops, char *why, size_t len)
{
	struct kvm_regs regs = { .rdi = loops };
	uint64_t t0;
	int err;

	t0 = now_ns();
	err = run_code(vm, code, &regs);
	t0 = now_ns() - t0;
	if (err || (uint32_t)regs.rdi) {
		snprintf(why, len,
			 "guest loop stopped: err %d, %u loops left, rax %d",
			 err, (uint32_t)regs.rdi, (int32_t)regs.rax);
		return NAN;
	}
	return t0 - clock_ns;
}

/*
 * Median ns of each hypercall in its own KVM_RUN through tiny_vm.c:
 * null, map, unmap.  0, or the first unexpected result.
 */
static int32_t single_calls(struct tiny_vm *vm, int n, double *out)
{
	double *v = xcalloc(3 * n, sizeof(double));
	int32_t ret = 0;
	uint64_t t[4];
	int i, k;

	for (i = 0; i < n && !ret; i++) {
		t[0] = now_ns();
		ret = tvm_hypercall(vm, NULL_HC, 0, 0, 0, 0) + KVM_ENOSYS;
		t[1] = now_ns();
		ret |= tvm_hypercall(vm, KVM_HC_MEM_MAP, TOKEN_GPA, REQ_GPA,
				     MAP_GPA, 0);
		t[2] = now_ns();
		ret |= tvm_hypercall(vm, KVM_HC_MEM_UNMAP, MAP_GPA, 0, 0, 0);
		t[3] = now_ns();
		for (k = 0; k < 3; k++)
			v[k * n + i] = t[k + 1] - t[k];
	}
	for (k = 0; k < 3; k++)
		out[k] = median(v + k * n, i);
	free(v);
	return ret;
}

static void hc_unavailable(struct json *j, const char *why)
{
	printf("hc: %s\n", why);
	json_obj(j, "hypercall");
	json_bool(j, "available", false);
	json_str(j, "note", why);
	json_end_obj(j);
	add_unavailable("hc_pool_map_unmap_vs_null", TK_COST, POOL_TARGET,
			"hypercall map+unmap round trip, pool", "null hypercall",
			why);
}

static const int hc_batch_sizes[] = { 1, 8, 64, 512 };
#define HC_NBATCH	ARRAY_SIZE(hc_batch_sizes)

/* Private anonymous memory without THP as a second memslot of @vm. */
static void *add_slot(struct tiny_vm *vm)
{
	void *p = anon_area(SLOT_PAGES);
	int err = __tvm_add_slot(vm, 1, SLOT_GPA, p, SLOT_PAGES * PAGE_SZ, 0);

	if (err)
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(-err));
	return p;
}

/* Unmap @n pages from SLOT_GPA in the guest; 0 or a description. */
static const char *unmap_slot(struct tiny_vm *vm, int n)
{
	struct kvm_regs regs = { .rbx = SLOT_GPA, .rdi = n };
	struct code code;

	code_unmap_loop(&code);
	if (run_code(vm, &code, &regs) || (uint32_t)regs.rdi)
		return "unmap loop failed";
	return NULL;
}

/*
 * KVM_HC_MEM_MAP_BATCH of n pages in one hypercall vs n KVM_HC_MEM_MAP in
 * one guest loop, per page; both in one KVM_RUN each.
 */
static void hc_guest_batch(const struct cfg *c, struct tiny_vm *intro,
			   struct tiny_vm *target, struct json *j)
{
#ifdef KVM_HC_MEM_MAP_BATCH
	struct kvmmem_map_entry *e;
	double *vs, *vb, ms, mb;
	struct kvm_regs regs;
	const char *fail = NULL;
	char what[64], why[160];
	uint8_t *tslot;
	struct code code;
	int s, r, i, n, rounds;
	uint64_t t0;

	tslot = add_slot(target);
	add_slot(intro);
	for (i = 0; i < SLOT_PAGES; i++)
		memset(tslot + i * PAGE_SZ, i, PAGE_SZ);
	e = (void *)(intro->ram + ARRAY_GPA);

	/* Probe: a one-page batch. */
	e[0] = (struct kvmmem_map_entry){ SLOT_GPA, SLOT_GPA, 1 };
	code_start(&code, false);
	mov32(&code, EAX, KVM_HC_MEM_MAP_BATCH);
	vmmcall(&code);
	emit(&code, 1, 0xf4);
	memset(&regs, 0, sizeof(regs));
	regs.rbx = TOKEN_GPA;
	regs.rcx = ARRAY_GPA;
	regs.rdx = 1;
	if (run_code(intro, &code, &regs) || (int32_t)regs.rax != 1 ||
	    e[0].err) {
		snprintf(why, sizeof(why),
			 "not available: KVM_HC_MEM_MAP_BATCH of one page returned %d, err %lld",
			 (int32_t)regs.rax, (long long)e[0].err);
		goto unavailable;
	}
	if (unmap_slot(intro, 1)) {
		snprintf(why, sizeof(why), "not available: unmap after the probe failed");
		goto unavailable;
	}

	printf("hc: guest batch hypercall, sizes 1 to %d vs map hypercalls\n",
	       c->hc_batch_max);
	json_arr(j, "guest_batch");
	for (s = 0; s < (int)HC_NBATCH; s++) {
		n = hc_batch_sizes[s];
		if (n > c->hc_batch_max)
			break;
		rounds = 64 / n > c->hc_rounds ? 64 / n : c->hc_rounds;
		if (n >= 64)
			rounds = c->hc_batch_rounds;
		vs = xcalloc(rounds, sizeof(double));
		vb = xcalloc(rounds, sizeof(double));
		for (r = 0; r < rounds && !fail; r++) {
			code_map_loop(&code);
			memset(&regs, 0, sizeof(regs));
			regs.rcx = SLOT_GPA;
			regs.rdx = SLOT_GPA;
			regs.rdi = n;
			t0 = now_ns();
			if (run_code(intro, &code, &regs) || (uint32_t)regs.rdi)
				fail = "map hypercall loop failed";
			vs[r] = (double)(now_ns() - t0) / n;
			fail = fail ?: unmap_slot(intro, n);

			for (i = 0; i < n; i++)
				e[i] = (struct kvmmem_map_entry){
					SLOT_GPA + i * PAGE_SZ,
					SLOT_GPA + i * PAGE_SZ, 1 };
			code_start(&code, false);
			mov32(&code, EAX, KVM_HC_MEM_MAP_BATCH);
			vmmcall(&code);
			emit(&code, 1, 0xf4);
			memset(&regs, 0, sizeof(regs));
			regs.rbx = TOKEN_GPA;
			regs.rcx = ARRAY_GPA;
			regs.rdx = n;
			t0 = now_ns();
			if (run_code(intro, &code, &regs) ||
			    (int32_t)regs.rax != n)
				fail = "batch hypercall failed";
			vb[r] = (double)(now_ns() - t0) / n;
			for (i = 0; i < n && !fail; i++)
				if (e[i].err)
					fail = "a batch entry failed";
			fail = fail ?: unmap_slot(intro, n);
		}
		if (fail) {
			free(vs);
			free(vb);
			break;
		}
		ms = median(vs, rounds);
		mb = median(vb, rounds);
		json_obj(j, NULL);
		json_int(j, "batch", n);
		json_int(j, "rounds", rounds);
		json_num(j, "batch_ns_per_page", mb);
		json_num(j, "single_ns_per_page", ms);
		json_num(j, "ratio", mb / ms);
		json_end_obj(j);
		snprintf(what, sizeof(what),
			 "guest batch hypercall of %d, per page", n);
		add_result("hc_batch_vs_single", TK_INFO, 0, what,
			   "KVM_HC_MEM_MAP in a guest loop", mb, ms);
		free(vs);
		free(vb);
	}
	json_end_arr(j);
	if (fail) {
		snprintf(why, sizeof(why), "not available: %s", fail);
		goto unavailable;
	}
	return;
unavailable:
#else
	const char *why = "not available: no guest batch hypercall is defined";
#endif
	printf("hc: guest batch: %s\n", why);
	json_str(j, "guest_batch_note", why);
	add_unavailable("hc_guest_batch", TK_INFO, 0,
			"guest batch map hypercall", "", why);
}

/* bench_hc()'s guest loops, taking turns round by round. */
enum {
	HC_EMPTY, HC_NULL, HC_PAIR, HC_TOUCH, HC_WARM, HC_POOL, HC_POOL_TOUCH,
	NCODES
};

/* ns per hypercall loop of @rounds KVM_RUNs, less the empty run. */
static double loop_ns(const double *v, int rounds, double empty_ns, int loops)
{
	return (median_of(v, rounds) - empty_ns) / loops;
}

void bench_hc(const struct cfg *c, int rm, struct json *j)
{
	struct remote_mapping_token_grant g = { .intro_vm_fd = -1 };
	double null_ns, pair_ns, touch_ns, single[3], pool_ns, pool_touch_ns;
	struct tiny_vm intro, target;
	const int loops[NCODES] = { 0, c->hc_loops_null, c->hc_loops_map,
				    c->hc_loops_map, c->hc_loops_map,
				    c->hc_loops_map, c->hc_loops_map };
	double v[NCODES][HC_MAX_ROUNDS], empty_ns, warm_ns;
	struct code codes[NCODES];
	int32_t pool;
	char why[160] = "";
	int32_t got;
	int err, r, k;

	if (access("/dev/kvm", R_OK | W_OK)) {
		hc_unavailable(j, "not available: no /dev/kvm");
		goto batch;
	}
	if (tvm_kvm_hook() < TVM_HOOK_PATCH) {
		hc_unavailable(j, "not available: remote_mapping has no KVM hook");
		goto batch;
	}
	err = __tvm_create(&intro);
	if (!err)
		err = __tvm_create(&target);
	if (err) {
		snprintf(why, sizeof(why),
			 "not available: creating tiny VMs: %s", strerror(-err));
		hc_unavailable(j, why);
		goto batch;
	}
	g.vm_fd = target.vm_fd;
	if (ioctl(rm, REMOTE_MAPPING_TOKEN_GRANT, &g)) {
		snprintf(why, sizeof(why),
			 "not available: REMOTE_MAPPING_TOKEN_GRANT: %s",
			 strerror(errno));
		hc_unavailable(j, why);
		goto out;
	}
	memcpy(intro.ram + TOKEN_GPA, &g.token, sizeof(g.token));
	memset(target.ram + REQ_GPA, 0x5a, PAGE_SZ);
	/* Maps into a pool change no VMA of this process (the VMM). */
	pool = tvm_hypercall(&intro, KVM_HC_MEM_POOL, TOKEN_GPA, POOL_GPA,
			     POOL_PAGES, 0);

	printf("hc: %d rounds of KVM_RUNs of %d null or %d map+unmap hypercalls (nested)\n",
	       c->hc_rounds, loops[1], loops[2]);
	/*
	 * Rounds alternate the loops; a KVM_RUN of a bare hlt gives the
	 * cost of the run itself, subtracted from the others.
	 */
	code_start(&codes[HC_EMPTY], false);
	emit(&codes[HC_EMPTY], 1, 0xf4);
	code_null(&codes[HC_NULL]);
	code_map_unmap(&codes[HC_PAIR], false, MAP_GPA);
	code_map_unmap(&codes[HC_TOUCH], true, MAP_GPA);
	codes[HC_WARM] = codes[HC_PAIR];
	code_map_unmap(&codes[HC_POOL], false, POOL_GPA);
	code_map_unmap(&codes[HC_POOL_TOUCH], true, POOL_GPA);
	/* --profile hc-pool: the pool's map+unmap loops only. */
	if (!prof_part())
		prof_on();
	for (r = 0; r < c->hc_rounds; r++) {
		for (k = 0; k < NCODES; k++) {
			if (pool && (k == HC_POOL || k == HC_POOL_TOUCH)) {
				v[k][r] = NAN;
				continue;
			}
			/* Warm: another page of the target stays mapped. */
			if (k == HC_WARM &&
			    tvm_hypercall(&intro, KVM_HC_MEM_MAP, TOKEN_GPA,
					  REQ_GPA + PAGE_SZ, KEEP_GPA, 0)) {
				hc_unavailable(j, "not available: map of the kept page failed");
				prof_off();
				goto out;
			}
			if (k == HC_POOL)
				prof_part_on("pool");
			v[k][r] = guest_loop(&intro, &codes[k], loops[k], why,
					     sizeof(why));
			if (k == HC_POOL)
				prof_part_off("pool");
			if (k == HC_WARM)
				tvm_hypercall(&intro, KVM_HC_MEM_UNMAP, KEEP_GPA,
					      0, 0, 0);
			if (!isfinite(v[k][r])) {
				char w[200];

				snprintf(w, sizeof(w), "not available: %s",
					 why);
				hc_unavailable(j, w);
				prof_off();
				goto out;
			}
		}
	}
	empty_ns = median_of(v[HC_EMPTY], c->hc_rounds);
	null_ns = loop_ns(v[HC_NULL], c->hc_rounds, empty_ns, loops[HC_NULL]);
	pair_ns = loop_ns(v[HC_PAIR], c->hc_rounds, empty_ns, loops[HC_PAIR]);
	touch_ns = loop_ns(v[HC_TOUCH], c->hc_rounds, empty_ns,
			   loops[HC_TOUCH]);
	warm_ns = loop_ns(v[HC_WARM], c->hc_rounds, empty_ns, loops[HC_WARM]);
	pool_ns = pool ? NAN : loop_ns(v[HC_POOL], c->hc_rounds, empty_ns,
				       loops[HC_POOL]);
	pool_touch_ns = pool ? NAN : loop_ns(v[HC_POOL_TOUCH], c->hc_rounds,
					     empty_ns, loops[HC_POOL_TOUCH]);

	/* Each hypercall in its own KVM_RUN through tiny_vm.c. */
	got = single_calls(&intro, c->hc_rounds * 4, single);

	json_obj(j, "hypercall");
	json_bool(j, "available", true);
	json_int(j, "null_per_run", loops[1]);
	json_int(j, "map_unmap_per_run", loops[2]);
	json_int(j, "rounds", c->hc_rounds);
	json_num(j, "empty_run_ns", empty_ns);
	json_num(j, "null_ns", null_ns);
	json_num(j, "map_unmap_ns", pair_ns);
	json_num(j, "map_touch_unmap_ns", touch_ns);
	json_num(j, "map_unmap_warm_ns", warm_ns);
	json_int(j, "pool_result", pool);
	if (!pool) {
		json_num(j, "pool_map_unmap_ns", pool_ns);
		json_num(j, "pool_map_touch_unmap_ns", pool_touch_ns);
	}
	json_arr(j, "rounds_ns");
	for (r = 0; r < c->hc_rounds; r++) {
		json_obj(j, NULL);
		json_num(j, "empty_run", v[HC_EMPTY][r]);
		json_num(j, "null_run", v[HC_NULL][r]);
		json_num(j, "map_unmap_run", v[HC_PAIR][r]);
		json_num(j, "map_touch_unmap_run", v[HC_TOUCH][r]);
		json_num(j, "map_unmap_warm_run", v[HC_WARM][r]);
		if (!pool) {
			json_num(j, "pool_map_unmap_run", v[HC_POOL][r]);
			json_num(j, "pool_map_touch_unmap_run",
				 v[HC_POOL_TOUCH][r]);
		}
		json_end_obj(j);
	}
	json_end_arr(j);
	json_obj(j, "one_kvm_run_per_call");
	json_num(j, "null_ns", single[0]);
	json_num(j, "map_ns", single[1]);
	json_num(j, "unmap_ns", single[2]);
	if (got)
		json_int(j, "unexpected_result", got);
	json_str(j, "note",
		 "tvm_hypercall(): KVM_GET/SET_SREGS, KVM_SET_REGS, KVM_RUN, KVM_GET_REGS per call");
	json_end_obj(j);

	if (pool) {
		snprintf(why, sizeof(why),
			 "not available: KVM_HC_MEM_POOL returned %d", pool);
		add_unavailable("hc_pool_map_unmap_vs_null", TK_COST, POOL_TARGET,
				"hypercall map+unmap round trip, pool",
				"null hypercall (nr 40)", why);
	} else {
		add_result("hc_pool_map_unmap_vs_null", TK_COST, POOL_TARGET,
			   "hypercall map+unmap round trip, pool",
			   "null hypercall (nr 40)", pool_ns, null_ns);
		snprintf(results[nresults - 1].note, sizeof(results[0].note),
			 "pool: KVM_HC_MEM_POOL made the page part of a host window");
		add_result("hc_pool_map_touch_unmap_vs_null", TK_INFO, 0,
			   "hypercall map+guest touch+unmap, pool",
			   "null hypercall (nr 40)", pool_touch_ns, null_ns);
	}
	/* Over the VMM's anonymous memory: two vm_mmap() per round trip. */
	add_result("hc_map_unmap_vs_null", TK_INFO, 5,
		   "hypercall map+unmap round trip, RAM",
		   "null hypercall (nr 40)", pair_ns, null_ns);
	add_result("hc_map_touch_unmap_vs_null", TK_INFO, 0,
		   "hypercall map+guest touch+unmap", "null hypercall (nr 40)",
		   touch_ns, null_ns);
	add_result("hc_map_unmap_warm_vs_null", TK_INFO, 0,
		   "hypercall map+unmap, warm", "null hypercall (nr 40)",
		   warm_ns, null_ns);
	snprintf(results[nresults - 1].note, sizeof(results[0].note),
		 "warm: another page of the target stays mapped meanwhile");
	add_result("hc_single_run_vs_null", TK_INFO, 0,
		   "map+unmap, one KVM_RUN per hypercall",
		   "null, one KVM_RUN", single[1] + single[2], single[0]);
	hc_guest_batch(c, &intro, &target, j);
	prof_off();
	json_end_obj(j);
	if (!pool)
		tvm_hypercall(&intro, KVM_HC_MEM_UNPOOL, POOL_GPA, POOL_PAGES, 0,
			      0);
	tvm_destroy(&intro);
	tvm_destroy(&target);
	return;
out:
	tvm_destroy(&intro);
	tvm_destroy(&target);
batch:
	add_unavailable("hc_guest_batch", TK_INFO, 0,
			"guest batch map hypercall", "",
			"not available: the hypercall section did not run");
}
