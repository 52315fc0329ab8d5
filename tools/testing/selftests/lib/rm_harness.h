/* SPDX-License-Identifier: GPL-2.0 */
/* Fixture and asserting helpers of the remote_mapping selftests. */
#ifndef SELFTEST_RM_HARNESS_H
#define SELFTEST_RM_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* The 6.1 harness has an unused parameter; -Wextra is for our code. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "rm_util.h"

/*
 * The 6.1 harness runs the test body even when the fixture setup used
 * SKIP(); take the path of a failed ASSERT instead, which skips both the
 * body and the teardown.  Setup must not hold anything to clean up yet.
 */
#define RM_SETUP_SKIP(fmt, ...) \
	SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

#define RM_MAX_CLEANUPS	8

struct rm_cleanup {
	void (*fn)(void *arg);
	void *arg;
};

/*
 * Every test gets an open device, the counters at setup time and a target
 * process; cleanups registered with rm_defer() run in the teardown, after
 * the target is gone.
 */
FIXTURE(remote_mapping) {
	int fd;
	long map0;
	long pdb0;
	struct rm_target t;
	struct rm_cleanup cleanup[RM_MAX_CLEANUPS];
	int ncleanup;
};

/* The type of a test's "self". */
#define RM_FIXTURE FIXTURE_DATA(remote_mapping)

FIXTURE_SETUP(remote_mapping)
{
	int ret;

	self->fd = -1;
	if (geteuid())
		RM_SETUP_SKIP("needs root");
	if (access(RM_DEV_PATH, F_OK))
		RM_SETUP_SKIP("%s missing: remote_mapping.ko not loaded",
			      RM_DEV_PATH);
	ret = rm_counters_init();
	if (ret)
		RM_SETUP_SKIP("no %s: debugfs not mounted (%s)",
			      RM_DEBUGFS_DIR, strerror(-ret));
	self->fd = rm_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", RM_DEV_PATH,
				      strerror(-self->fd));
	ASSERT_EQ(0, rm_read_counter(RM_MAP_COUNT, &self->map0));
	ASSERT_EQ(0, rm_read_counter(RM_PDB_COUNT, &self->pdb0));
	ret = target_start(&self->t);
	ASSERT_EQ(0, ret) TH_LOG("starting the target: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(remote_mapping)
{
	struct rm_cleanup *c;

	target_stop(&self->t);
	while (self->ncleanup > 0) {
		c = &self->cleanup[--self->ncleanup];
		c->fn(c->arg);
	}
	if (self->fd >= 0)
		close(self->fd);
}

static inline void rm_defer(struct __test_metadata *_metadata,
			    RM_FIXTURE *self,
			    void (*fn)(void *arg), void *arg)
{
	ASSERT_GT(RM_MAX_CLEANUPS, self->ncleanup);
	self->cleanup[self->ncleanup].fn = fn;
	self->cleanup[self->ncleanup].arg = arg;
	self->ncleanup++;
}

/* The ioctls, asserting success and naming the failing one. */
static inline void rm_map(struct __test_metadata *_metadata, int fd,
			  uintptr_t req_hva, void *map_hva, int target,
			  unsigned int flags)
{
	int ret = __rm_map(fd, req_hva, map_hva, target, flags);

	ASSERT_EQ(0, ret) {
		TH_LOG("REMOTE_MAPPING_MAP req_hva %#lx map_hva %p",
		       (unsigned long)req_hva, map_hva);
		TH_LOG("target %d flags %#x: %s", target, flags,
		       strerror(-ret));
	}
}

static inline void rm_unmap(struct __test_metadata *_metadata, int fd,
			    void *map_hva)
{
	int ret = __rm_unmap(fd, map_hva);

	ASSERT_EQ(0, ret) {
		TH_LOG("REMOTE_MAPPING_UNMAP map_hva %p: %s", map_hva,
		       strerror(-ret));
	}
}

/* REMOTE_MAPPING_MAP must fail with @err. */
static inline void rm_map_fails(struct __test_metadata *_metadata, int fd,
				uintptr_t req_hva, void *map_hva, int target,
				unsigned int flags, int err)
{
	int ret = __rm_map(fd, req_hva, map_hva, target, flags);

	/* A mapping made by mistake must not leak into later checks. */
	if (!ret)
		__rm_unmap(fd, map_hva);
	ASSERT_EQ(-err, ret) {
		TH_LOG("REMOTE_MAPPING_MAP req_hva %#lx map_hva %p",
		       (unsigned long)req_hva, map_hva);
		TH_LOG("target %d flags %#x: got '%s', expected '%s'",
		       target, flags, ret ? strerror(-ret) : "success",
		       strerror(err));
	}
}

static inline void rm_unmap_fails(struct __test_metadata *_metadata, int fd,
				  void *map_hva, int err)
{
	int ret = __rm_unmap(fd, map_hva);

	ASSERT_EQ(-err, ret) {
		TH_LOG("REMOTE_MAPPING_UNMAP map_hva %p: got '%s'", map_hva,
		       ret ? strerror(-ret) : "success");
		TH_LOG("expected '%s'", strerror(err));
	}
}

/* map_count must reach setup value + @delta (it may lag a little). */
static inline void rm_expect_maps(struct __test_metadata *_metadata,
				  RM_FIXTURE *self,
				  long delta)
{
	long seen = -1;
	int ret;

	ret = rm_wait_counter(RM_MAP_COUNT, self->map0 + delta, 2000, &seen);
	ASSERT_EQ(0, ret) {
		TH_LOG("map_count is %ld, expected %ld (%s)", seen,
		       self->map0 + delta, strerror(-ret));
	}
}

/* Both counters must come back to what they were at setup. */
static inline void rm_expect_counters_back(struct __test_metadata *_metadata,
					   RM_FIXTURE *self)
{
	long seen = -1;
	int ret;

	rm_expect_maps(_metadata, self, 0);
	ret = rm_wait_counter(RM_PDB_COUNT, self->pdb0, 5000, &seen);
	ASSERT_EQ(0, ret) {
		TH_LOG("pdb_count is %ld, expected %ld (%s)", seen,
		       self->pdb0, strerror(-ret));
	}
}

/* Both counters must read 0: nothing is mapped anywhere. */
static inline void rm_expect_counters_zero(struct __test_metadata *_metadata)
{
	long seen = -1;
	int ret;

	ret = rm_wait_counter(RM_MAP_COUNT, 0, 2000, &seen);
	ASSERT_EQ(0, ret) TH_LOG("map_count is %ld, expected 0", seen);
	ret = rm_wait_counter(RM_PDB_COUNT, 0, 5000, &seen);
	ASSERT_EQ(0, ret) TH_LOG("pdb_count is %ld, expected 0", seen);
}

static inline int rm_maps_lines(struct __test_metadata *_metadata)
{
	int lines = maps_count_lines(0);

	ASSERT_LT(0, lines) TH_LOG("reading /proc/self/maps");
	return lines;
}

/*
 * A private anonymous read-write region of three pages, the outer two
 * filled with a pattern; the middle one is where a mirror goes.
 */
static inline char *rm_anon3(struct __test_metadata *_metadata)
{
	char *p = anon_map(3, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	ASSERT_NE(NULL, p) TH_LOG("mmap of 3 pages: %s", strerror(errno));
	pattern_fill(p, page_size, 0xa1a1000000000000ULL);
	pattern_fill(p + 2 * page_size, page_size, 0xa3a3000000000000ULL);
	return p;
}

/* The outer pages of rm_anon3() are still what they were. */
static inline void rm_check_anon3(struct __test_metadata *_metadata, char *p)
{
	ASSERT_EQ(0UL, pattern_check(p, page_size, 0xa1a1000000000000ULL));
	p += 2 * page_size;
	ASSERT_EQ(0UL, pattern_check(p, page_size, 0xa3a3000000000000ULL));
}

/* Commands to the target, asserting success. */
static inline __u64 t_call(struct __test_metadata *_metadata,
			   struct rm_target *t, enum target_op op,
			   __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
	__u64 val = 0;
	int ret;

	ret = target_call(t, op, a0, a1, a2, a3, &val);
	ASSERT_EQ(0, ret) {
		TH_LOG("target %d command %d (%#lx, %#lx, %#lx, %#lx): %s",
		       t->pid, op, (unsigned long)a0, (unsigned long)a1,
		       (unsigned long)a2, (unsigned long)a3, strerror(-ret));
	}
	return val;
}

/* Private anonymous read-write memory in the target. */
static inline uintptr_t t_alloc(struct __test_metadata *_metadata,
				struct rm_target *t, size_t npages)
{
	return t_call(_metadata, t, TARGET_MMAP, 0, npages * page_size,
		      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
}

static inline void t_fill(struct __test_metadata *_metadata,
			  struct rm_target *t, uintptr_t addr, size_t len,
			  __u64 seed)
{
	t_call(_metadata, t, TARGET_FILL, addr, len, seed, 0);
}

/* The target's memory at @addr holds the pattern of @seed. */
static inline void t_check(struct __test_metadata *_metadata,
			   struct rm_target *t, uintptr_t addr, size_t len,
			   __u64 seed)
{
	__u64 bad = t_call(_metadata, t, TARGET_CHECK, addr, len, seed, 0);

	ASSERT_EQ(0UL, bad) {
		TH_LOG("target memory at %#lx differs at offset %#lx",
		       (unsigned long)addr, (unsigned long)bad - 1);
	}
}

static inline void t_write(struct __test_metadata *_metadata,
			   struct rm_target *t, uintptr_t addr, __u64 val)
{
	t_call(_metadata, t, TARGET_WRITE, addr, val, 0, 0);
}

static inline __u64 t_read(struct __test_metadata *_metadata,
			   struct rm_target *t, uintptr_t addr)
{
	return t_call(_metadata, t, TARGET_READ, addr, 0, 0, 0);
}

/* The introspector's memory at @addr holds the pattern of @seed. */
static inline void check_pattern(struct __test_metadata *_metadata,
				 const void *addr, size_t len, __u64 seed)
{
	size_t bad = pattern_check(addr, len, seed);

	ASSERT_EQ(0UL, bad) {
		TH_LOG("memory at %p differs at offset %#lx:", addr,
		       (unsigned long)bad - 1);
		TH_LOG("%#llx, expected %#llx",
		       peek((const char *)addr + bad - 1),
		       seed + (bad - 1) / 8);
	}
}

/* A read through @addr must not raise a signal; returns the value. */
static inline __u64 must_read(struct __test_metadata *_metadata,
			      const void *addr)
{
	__u64 val = 0;
	int sig = probe_read(addr, &val);

	ASSERT_EQ(0, sig) TH_LOG("read at %p: signal %d", addr, sig);
	return val;
}

static inline void must_write(struct __test_metadata *_metadata, void *addr,
			      __u64 val)
{
	int sig = probe_write(addr, val);

	ASSERT_EQ(0, sig) TH_LOG("write at %p: signal %d", addr, sig);
}

/*
 * The page faults of one 8-byte access of @addr (@write: a store of
 * @val).  A plain load or store in another file, not optimised away, and
 * nothing else between the two counts (a signal ends the test).
 */
static inline long access_faults(struct __test_metadata *_metadata,
				 void *addr, bool write, __u64 val)
{
	long before = thread_faults(), after;

	ASSERT_LE(0, before);
	if (write)
		poke(addr, val);
	else
		peek(addr);
	after = thread_faults();
	return after - before;
}

/* Stores through the mirror reach the target and the other way round. */
static inline void check_coherent(struct __test_metadata *_metadata,
				  struct rm_target *t, uintptr_t req,
				  char *map, __u64 tag)
{
	size_t last = page_size - 8;

	must_write(_metadata, map + 8, tag);
	ASSERT_EQ(tag, t_read(_metadata, t, req + 8));
	must_write(_metadata, map + last, tag + 1);
	ASSERT_EQ(tag + 1, t_read(_metadata, t, req + last));
	t_write(_metadata, t, req + 16, tag + 2);
	ASSERT_EQ(tag + 2, must_read(_metadata, map + 16));
	t_write(_metadata, t, req + last - 8, tag + 3);
	ASSERT_EQ(tag + 3, must_read(_metadata, map + last - 8));
}

/*
 * Runs @fn in a forked child, which must not use ASSERT_*() but report
 * with child_fail(); fails the test with the child's message.
 */
static inline void rm_in_child(struct __test_metadata *_metadata,
			       void (*fn)(struct child_report *r, void *arg),
			       void *arg)
{
	struct child_report *r = child_report_new();
	int status;
	pid_t pid;

	ASSERT_NE(NULL, r);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fn(r, arg);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_FALSE(r->failed) TH_LOG("child: %s", r->msg);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		TH_LOG("child ended with status %#x", status);
	}
	munmap(r, sizeof(*r));
}

#endif /* SELFTEST_RM_HARNESS_H */
