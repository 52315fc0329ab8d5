// SPDX-License-Identifier: GPL-2.0
/*
 * Bad inputs to the /dev/remote_mapping ioctls, one errno each, beyond
 * those of remote_mapping/: odd addresses and fds, faulting argument
 * pointers and arrays, batch counts; then nothing may be left behind.
 */
#define _GNU_SOURCE
#include <limits.h>

#include "ra_common.h"

#define SEED	0xbad10c0000000000ULL

/* Kinds of address and target a case uses, resolved per test. */
enum ra_addr {
	A_OK,		/* a good page (target: filled; caller: rm_anon3) */
	A_ZERO,
	A_NONCANON47,	/* 0x0000800000000000: EFAULT with la57, else EINVAL */
	A_NONCANON,	/* 0x8000000000000000 */
	A_GUARD,	/* TASK_SIZE_MAX: the page no process may map */
	A_TOP_HOLE,	/* unmapped, just below 2^47 */
	A_PROT_NONE,
	A_WRITE_ONLY,	/* PROT_WRITE: no VM_READ */
	A_VDSO,
	A_VVAR,
};

enum ra_tgt {
	T_PIDFD,
	T_EVENTFD,
	T_PROC_DIR,	/* open("/proc/PID"): a pidfd for some syscalls */
	T_MEMFD,
	T_EPOLL,
	T_PID_ZERO,
	T_PID_NEG,
	T_PID_MAX,
};

struct map_case {
	const char *name;
	enum ra_addr req;
	enum ra_addr map;
	enum ra_tgt tgt;
	unsigned int flags;
	int err;		/* 0: EFAULT with la57, else EINVAL */
};

#define RO	REMOTE_MAPPING_READONLY

static const struct map_case map_cases[] = {
	{ "req 0",			A_ZERO, A_OK, T_PIDFD, 0, EINVAL },
	{ "map 0",			A_OK, A_ZERO, T_PIDFD, 0, EINVAL },
	{ "req 0x800000000000",		A_NONCANON47, A_OK, T_PIDFD, 0, 0 },
	{ "map 0x800000000000",		A_OK, A_NONCANON47, T_PIDFD, 0, 0 },
	{ "req 0x8000000000000000",	A_NONCANON, A_OK, T_PIDFD, 0, EINVAL },
	{ "map 0x8000000000000000",	A_OK, A_NONCANON, T_PIDFD, 0, EINVAL },
	{ "req TASK_SIZE_MAX",		A_GUARD, A_OK, T_PIDFD, 0, EINVAL },
	{ "map TASK_SIZE_MAX",		A_OK, A_GUARD, T_PIDFD, 0, EINVAL },
	{ "req top hole",		A_TOP_HOLE, A_OK, T_PIDFD, RO, EFAULT },
	{ "map top hole",		A_OK, A_TOP_HOLE, T_PIDFD, 0, EFAULT },
	{ "map PROT_NONE",		A_OK, A_PROT_NONE, T_PIDFD, 0, EINVAL },
	{ "map [vdso]",			A_OK, A_VDSO, T_PIDFD, RO, EINVAL },
	{ "map [vvar]",			A_OK, A_VVAR, T_PIDFD, RO, EINVAL },
	{ "req PROT_NONE",		A_PROT_NONE, A_OK, T_PIDFD, 0, EACCES },
	{ "req PROT_NONE, RO",		A_PROT_NONE, A_OK, T_PIDFD, RO, EACCES },
	{ "req PROT_WRITE only",	A_WRITE_ONLY, A_OK, T_PIDFD, 0, EACCES },
	{ "req PROT_WRITE only, RO",	A_WRITE_ONLY, A_OK, T_PIDFD, RO, EACCES },
	{ "target eventfd",		A_OK, A_OK, T_EVENTFD, 0, EBADF },
	{ "target /proc/PID dir",	A_OK, A_OK, T_PROC_DIR, 0, EBADF },
	{ "target memfd",		A_OK, A_OK, T_MEMFD, 0, EBADF },
	{ "target epoll",		A_OK, A_OK, T_EPOLL, RO, EBADF },
	{ "target pid 0",		A_OK, A_OK, T_PID_ZERO, 0, ESRCH },
	{ "target pid -1",		A_OK, A_OK, T_PID_NEG, 0, ESRCH },
	{ "target pid INT_MAX",		A_OK, A_OK, T_PID_MAX, 0, ESRCH },
};

struct ra_env {
	uintptr_t req_ok, req_none, req_wo, req_hole;
	char *map_ok, *map_none;
	uintptr_t vdso, vvar, map_hole;
	int fds[T_PID_MAX + 1];
};

static void env_init(struct __test_metadata *_metadata, RM_FIXTURE *self,
		     struct ra_env *e)
{
	struct rm_target *t = &self->t;
	uintptr_t end;
	char path[64];

	e->req_ok = t_alloc(_metadata, t, 3);
	t_fill(_metadata, t, e->req_ok, page_size, SEED);
	e->req_none = e->req_ok + page_size;
	e->req_wo = e->req_ok + 2 * page_size;
	t_call(_metadata, t, TARGET_MPROTECT, e->req_none, page_size,
	       PROT_NONE, 0);
	t_call(_metadata, t, TARGET_MPROTECT, e->req_wo, page_size,
	       PROT_WRITE, 0);
	e->req_hole = ra_top_hole(t->pid);
	ASSERT_NE(0UL, e->req_hole);

	e->map_ok = rm_anon3(_metadata) + page_size;
	e->map_none = anon_map(1, PROT_NONE, MAP_PRIVATE);
	ASSERT_NE(NULL, e->map_none);
	e->map_hole = ra_top_hole(getpid());
	ASSERT_NE(0UL, e->map_hole);
	ASSERT_EQ(0, maps_find(0, NULL, "[vdso]", &e->vdso, &end));
	ASSERT_EQ(0, maps_find(0, NULL, "[vvar]", &e->vvar, &end));

	e->fds[T_PIDFD] = t->pidfd;
	e->fds[T_EVENTFD] = eventfd(0, EFD_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d", t->pid);
	e->fds[T_PROC_DIR] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e->fds[T_MEMFD] = memfd_create("ra", MFD_CLOEXEC);
	e->fds[T_EPOLL] = epoll_create1(EPOLL_CLOEXEC);
	e->fds[T_PID_ZERO] = 0;
	e->fds[T_PID_NEG] = -1;
	e->fds[T_PID_MAX] = INT_MAX;
	ASSERT_LE(0, e->fds[T_EVENTFD]);
	ASSERT_LE(0, e->fds[T_PROC_DIR]);
	ASSERT_LE(0, e->fds[T_MEMFD]);
	ASSERT_LE(0, e->fds[T_EPOLL]);
}

static uintptr_t env_addr(const struct ra_env *e, enum ra_addr a, bool req)
{
	switch (a) {
	case A_OK:
		return req ? e->req_ok : (uintptr_t)e->map_ok;
	case A_ZERO:
		return 0;
	case A_NONCANON47:
		return RA_NONCANON47;
	case A_NONCANON:
		return RA_NONCANON;
	case A_GUARD:
		return ra_task_size_max();
	case A_TOP_HOLE:
		return req ? e->req_hole : e->map_hole;
	case A_PROT_NONE:
		return req ? e->req_none : (uintptr_t)e->map_none;
	case A_WRITE_ONLY:
		return e->req_wo;
	case A_VDSO:
		return e->vdso;
	case A_VVAR:
		return e->vvar;
	}
	return 0;
}

TEST_F(remote_mapping, map_bad_inputs)
{
	const struct map_case *c;
	struct ra_env e;
	unsigned int flags;
	int err, ret;
	void *map;
	size_t i;

	env_init(_metadata, self, &e);
	for (i = 0; i < ARRAY_SIZE(map_cases); i++) {
		c = &map_cases[i];
		flags = c->flags;
		if (c->tgt >= T_PID_ZERO)
			flags |= REMOTE_MAPPING_TARGET_PID;
		err = c->err ? c->err : ra_la57() ? EFAULT : EINVAL;
		map = (void *)env_addr(&e, c->map, false);
		ret = __rm_map(self->fd, env_addr(&e, c->req, true), map,
			       e.fds[c->tgt], flags);
		if (!ret)
			__rm_unmap(self->fd, map);
		EXPECT_EQ(-err, ret) TH_LOG("%s: %s", c->name, strerror(-ret));
	}
	/* The good page was good: every case failed for its own reason. */
	rm_map(_metadata, self->fd, e.req_ok, e.map_ok, self->t.pidfd, 0);
	check_pattern(_metadata, e.map_ok, page_size, SEED);
	rm_unmap(_metadata, self->fd, e.map_ok);
	ra_expect_clean(_metadata, self);
}

/* Wrong size or direction in the command, or an unknown number. */
TEST_F(remote_mapping, enotty_bad_commands)
{
	char buf[256] = { 0 };
	const unsigned long cmds[] = {
		_IOW(REMOTE_MAPPING_IOCTL_BASE, 0x01, __u64[2]),
		_IOR(REMOTE_MAPPING_IOCTL_BASE, 0x01,
		     struct remote_mapping_map),
		_IOWR(REMOTE_MAPPING_IOCTL_BASE, 0x02,
		      struct remote_mapping_unmap),
		_IOW(REMOTE_MAPPING_IOCTL_BASE, 0x03,
		     struct remote_mapping_map_batch),
		_IOW(REMOTE_MAPPING_IOCTL_BASE, 0x10,
		     struct remote_mapping_token_grant),
		_IOWR(REMOTE_MAPPING_IOCTL_BASE, 0x11,
		      struct remote_mapping_token_revoke),
		_IOW(REMOTE_MAPPING_IOCTL_BASE, 0x04,
		     struct remote_mapping_map),
		_IOW(REMOTE_MAPPING_IOCTL_BASE, 0x12,
		     struct remote_mapping_token_revoke),
		_IOW(REMOTE_MAPPING_IOCTL_BASE + 1, 0x01,
		     struct remote_mapping_map),
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], buf));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("command %#lx", cmds[i]);
	}
	ra_expect_clean(_metadata, self);
}

/* Argument structs that run into an inaccessible page, or are NULL. */
TEST_F(remote_mapping, efault_argument_pointers)
{
	struct {
		unsigned long cmd;
		size_t size;
	} c[] = {
		{ REMOTE_MAPPING_MAP, sizeof(struct remote_mapping_map) },
		{ REMOTE_MAPPING_UNMAP, sizeof(struct remote_mapping_unmap) },
		{ REMOTE_MAPPING_MAP_BATCH,
		  sizeof(struct remote_mapping_map_batch) },
		{ REMOTE_MAPPING_TOKEN_GRANT,
		  sizeof(struct remote_mapping_token_grant) },
		{ REMOTE_MAPPING_TOKEN_REVOKE,
		  sizeof(struct remote_mapping_token_revoke) },
	};
	void *arg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		arg = ra_straddle(_metadata, c[i].size, 8);
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, c[i].cmd, arg));
		EXPECT_EQ(EFAULT, errno) TH_LOG("straddling, command %zu", i);
		if (c[i].cmd == REMOTE_MAPPING_MAP ||
		    c[i].cmd == REMOTE_MAPPING_UNMAP)
			continue;	/* NULL: remote_mapping_test */
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, c[i].cmd, NULL));
		EXPECT_EQ(EFAULT, errno) TH_LOG("NULL, command %zu", i);
	}
	ra_expect_clean(_metadata, self);
}

TEST_F(remote_mapping, unmap_bad_inputs)
{
	char *none = anon_map(1, PROT_NONE, MAP_PRIVATE);
	uintptr_t hole = ra_top_hole(getpid()), vdso, vvar, end;
	struct {
		uintptr_t addr;
		int err;
	} c[] = {
		{ 0, EINVAL },
		{ RA_NONCANON, EINVAL },
		{ ra_task_size_max(), EINVAL },
		{ (uintptr_t)none, ENOENT },
		{ hole, ENOENT },
		{ 0, ENOENT },		/* [vdso] */
		{ 0, ENOENT },		/* [vvar] */
	};
	size_t i;
	int ret;

	ASSERT_NE(NULL, none);
	ASSERT_NE(0UL, hole);
	ASSERT_EQ(0, maps_find(0, NULL, "[vdso]", &vdso, &end));
	ASSERT_EQ(0, maps_find(0, NULL, "[vvar]", &vvar, &end));
	c[5].addr = vdso;
	c[6].addr = vvar;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		ret = __rm_unmap(self->fd, (void *)c[i].addr);
		EXPECT_EQ(-c[i].err, ret) TH_LOG("case %zu: %s", i,
						 strerror(-ret));
	}
	ra_expect_clean(_metadata, self);
}

/* The batch call must fail with -@err and map nothing. */
#define BATCH_FAILS(err, target, flags, count, req, map, errs) do {	\
	int __ret = __rm_map_batch(self->fd, target, flags, req, map,	\
				   errs, count);			\
	EXPECT_EQ(-(err), __ret) TH_LOG("batch at line %d: %s", __LINE__, \
					__ret < 0 ? strerror(-__ret) :	\
						    "mapped");		\
	rm_expect_maps(_metadata, self, 0);				\
} while (0)

/* Counts 1 and REMOTE_MAPPING_BATCH_MAX work; beyond it, E2BIG. */
TEST_F_TIMEOUT(remote_mapping, batch_counts, 120)
{
	const size_t max = REMOTE_MAPPING_BATCH_MAX;
	size_t n_req = max / 8, i;
	__u64 *req = calloc(max + 1, sizeof(*req));
	__u64 *map = calloc(max + 1, sizeof(*map));
	__s32 *errs = calloc(max + 1, sizeof(*errs));
	uintptr_t treq = t_alloc(_metadata, &self->t, n_req);
	char *local = anon_map(2 * max + 1, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE);
	int lines;

	ASSERT_TRUE(req && map && errs && local);
	t_fill(_metadata, &self->t, treq, n_req * page_size, SEED);
	for (i = 0; i < max + 1; i++) {
		req[i] = treq + (i % n_req) * page_size;
		map[i] = (uintptr_t)local + (2 * i + 1) * page_size;
		errs[i] = 1;
	}

	/* One page. */
	ASSERT_EQ(1, __rm_map_batch(self->fd, self->t.pidfd, 0, req, map, errs,
				    1));
	ASSERT_EQ(0, errs[0]);
	check_pattern(_metadata, (void *)(uintptr_t)map[0], page_size, SEED);
	rm_unmap(_metadata, self->fd, (void *)(uintptr_t)map[0]);
	/* One bad page: a result of 0 with its errno, not a failed call. */
	req[0] += 8;
	ASSERT_EQ(0, __rm_map_batch(self->fd, self->t.pidfd, 0, req, map, errs,
				    1));
	ASSERT_EQ(-EINVAL, errs[0]);
	req[0] -= 8;
	rm_expect_maps(_metadata, self, 0);

	/* Too many, also when the count only looks small in 32 bits. */
	BATCH_FAILS(E2BIG, self->t.pidfd, 0, max + 1, req, map, errs);
	BATCH_FAILS(E2BIG, self->t.pidfd, 0, (1ULL << 32) + 1, req, map,
		    errs);
	BATCH_FAILS(E2BIG, self->t.pidfd, 0, ~0ULL, req, map, errs);

	/* The maximum, every page a mirror (some target pages twice). */
	lines = rm_maps_lines(_metadata);
	ASSERT_EQ((int)max, __rm_map_batch(self->fd, self->t.pidfd, RO, req,
					   map, errs, max));
	rm_expect_maps(_metadata, self, max);
	ASSERT_EQ(lines + 2 * (int)max, rm_maps_lines(_metadata));
	for (i = 0; i < max; i++) {
		ASSERT_EQ(0, errs[i]) TH_LOG("page %zu", i);
		ASSERT_EQ(SEED + (i % n_req) * page_size / 8,
			  peek((void *)(uintptr_t)map[i]));
	}
	ASSERT_EQ(0, munmap(local, (2 * max + 1) * page_size));
	rm_expect_maps(_metadata, self, 0);
	ra_expect_clean(_metadata, self);
}

/* Arrays that cannot be read or written: the call fails, maps nothing. */
TEST_F(remote_mapping, batch_bad_arrays)
{
	uintptr_t treq = t_alloc(_metadata, &self->t, 2);
	char *l1 = rm_anon3(_metadata), *l2 = rm_anon3(_metadata);
	__u64 req[2] = { treq, treq + page_size };
	__u64 map[2] = { (uintptr_t)l1 + page_size, (uintptr_t)l2 + page_size };
	__s32 errs[2], *ro_errs, *strad_errs;
	__u64 *strad_map;

	t_fill(_metadata, &self->t, treq, 2 * page_size, SEED);
	ro_errs = anon_map(1, PROT_READ, MAP_PRIVATE);
	ASSERT_NE(NULL, ro_errs);
	strad_errs = ra_straddle(_metadata, 2 * sizeof(__s32), 4);
	strad_map = ra_straddle(_metadata, 2 * sizeof(__u64), 8);
	memcpy(strad_map, map, 8);

	BATCH_FAILS(EFAULT, self->t.pidfd, 0, 2, NULL, map, errs);
	BATCH_FAILS(EFAULT, self->t.pidfd, 0, 2, req, NULL, errs);
	BATCH_FAILS(EFAULT, self->t.pidfd, 0, 2, req, strad_map, errs);
	BATCH_FAILS(EFAULT, self->t.pidfd, 0, 2, req, map, NULL);
	BATCH_FAILS(EFAULT, self->t.pidfd, 0, 2, req, map, ro_errs);
	BATCH_FAILS(EFAULT, self->t.pidfd, 0, 2, req, map, strad_errs);
	BATCH_FAILS(EFAULT, self->t.pidfd, 0, 2, req,
		    (void *)RM_KERNEL_ADDR, errs);
	/* The pages of the failed calls are still the caller's. */
	rm_check_anon3(_metadata, l1);
	rm_check_anon3(_metadata, l2);

	ASSERT_EQ(2, __rm_map_batch(self->fd, self->t.pidfd, 0, req, map, errs,
				    2));
	check_pattern(_metadata, l2 + page_size, page_size,
		      SEED + page_size / 8);
	rm_unmap(_metadata, self->fd, l1 + page_size);
	rm_unmap(_metadata, self->fd, l2 + page_size);
	ra_expect_clean(_metadata, self);
}

/* Reserved fields, flags and targets of the batch call. */
TEST_F(remote_mapping, batch_bad_fields_and_targets)
{
	uintptr_t treq = t_alloc(_metadata, &self->t, 1);
	char *l = rm_anon3(_metadata);
	__u64 req[1] = { treq }, map[1] = { (uintptr_t)l + page_size };
	struct remote_mapping_map_batch b = {
		.target = self->t.pidfd, .count = 1,
		.req_hvas = (uintptr_t)req, .map_hvas = (uintptr_t)map,
	};
	pid_t zombie, kthread = ra_kthread_pid();
	int zombie_fd = -1, evfd, kfd;
	__s32 errs[1];

	b.errs = (uintptr_t)errs;
	b.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, REMOTE_MAPPING_MAP_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	b.reserved[1] = 0;
	BATCH_FAILS(EINVAL, self->t.pidfd, 1U << 31, 1, req, map, errs);
	BATCH_FAILS(EINVAL, self->t.pidfd, ~0U, 1, req, map, errs);

	evfd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, evfd);
	BATCH_FAILS(EBADF, -1, 0, 1, req, map, errs);
	BATCH_FAILS(EBADF, evfd, 0, 1, req, map, errs);
	BATCH_FAILS(EBADF, self->fd, 0, 1, req, map, errs);
	close(evfd);
	BATCH_FAILS(ESRCH, 0, REMOTE_MAPPING_TARGET_PID, 1, req, map, errs);
	BATCH_FAILS(ESRCH, INT_MAX, REMOTE_MAPPING_TARGET_PID, 1, req, map,
		    errs);

	zombie = ra_zombie(&zombie_fd);
	ASSERT_LT(0, zombie);
	ASSERT_LE(0, zombie_fd);
	BATCH_FAILS(ESRCH, zombie_fd, 0, 1, req, map, errs);
	BATCH_FAILS(ESRCH, zombie, REMOTE_MAPPING_TARGET_PID, 1, req, map,
		    errs);
	ASSERT_EQ(zombie, waitpid(zombie, NULL, 0));
	BATCH_FAILS(ESRCH, zombie_fd, 0, 1, req, map, errs);
	close(zombie_fd);

	BATCH_FAILS(EINVAL, 2, REMOTE_MAPPING_TARGET_PID, 1, req, map, errs);
	if (kthread > 0) {
		BATCH_FAILS(EINVAL, kthread, REMOTE_MAPPING_TARGET_PID, 1,
			    req, map, errs);
		kfd = sys_pidfd_open(kthread);
		ASSERT_LE(0, kfd);
		BATCH_FAILS(EINVAL, kfd, 0, 1, req, map, errs);
		close(kfd);
	}
	rm_check_anon3(_metadata, l);
	ra_expect_clean(_metadata, self);
}

/* MAP of a zombie or another kernel thread than kthreadd. */
TEST_F(remote_mapping, map_zombie_and_kthread)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 1);
	char *map = rm_anon3(_metadata) + page_size;
	pid_t zombie, kthread = ra_kthread_pid();
	int zombie_fd = -1, kfd;

	zombie = ra_zombie(&zombie_fd);
	ASSERT_LT(0, zombie);
	rm_map_fails(_metadata, self->fd, req, map, zombie,
		     REMOTE_MAPPING_TARGET_PID | RO, ESRCH);
	ASSERT_EQ(zombie, waitpid(zombie, NULL, 0));
	close(zombie_fd);
	ASSERT_LT(0, kthread) TH_LOG("no ksoftirqd thread found");
	rm_map_fails(_metadata, self->fd, req, map, kthread,
		     REMOTE_MAPPING_TARGET_PID | RO, EINVAL);
	kfd = sys_pidfd_open(kthread);
	ASSERT_LE(0, kfd);
	rm_map_fails(_metadata, self->fd, req, map, kfd, 0, EINVAL);
	close(kfd);
	ra_expect_clean(_metadata, self);
}

struct other_args {
	int fd;
	uintptr_t req;
	int pidfd;
};

/* A batch on a file opened by another process: EINVAL. */
static void batch_other_child(struct child_report *r, void *arg)
{
	struct other_args *a = arg;
	char *l = anon_map(3, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	__u64 req[1] = { a->req }, map[1];
	__s32 errs[1];
	int ret;

	if (!l)
		child_fail(r, "mmap: %s", strerror(errno));
	map[0] = (uintptr_t)l + page_size;
	ret = __rm_map_batch(a->fd, a->pidfd, 0, req, map, errs, 1);
	if (ret != -EINVAL)
		child_fail(r, "batch on the parent's file: %d, not -EINVAL",
			   ret);
}

TEST_F(remote_mapping, batch_file_of_other_process)
{
	struct other_args a = { .fd = self->fd, .pidfd = self->t.pidfd };

	a.req = t_alloc(_metadata, &self->t, 1);
	rm_in_child(_metadata, batch_other_child, &a);
	ra_expect_clean(_metadata, self);
}

TEST_HARNESS_MAIN
