// SPDX-License-Identifier: GPL-2.0
/* Functional and error tests of the /dev/remote_mapping ioctls. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <linux/capability.h>

#include "rm_harness.h"

#define SEED_A	0x5eed0a0000000000ULL
#define SEED_B	0x5eed0b0000000000ULL
#define SEED_C	0x5eed0c0000000000ULL
#define TAG	0x7a90000000000000ULL
#define SECRET	0x5ec2e70000000000ULL

/* A target page filled with the pattern of @seed. */
static uintptr_t target_page(struct __test_metadata *_metadata,
			     RM_FIXTURE *self, __u64 seed)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 1);

	t_fill(_metadata, &self->t, req, page_size, seed);
	return req;
}

TEST_F(remote_mapping, counters_start_at_zero)
{
	/* Nothing is mapped yet and no other test runs. */
	ASSERT_EQ(0, self->map0);
	ASSERT_EQ(0, self->pdb0);
}

static void map_unmap(struct __test_metadata *_metadata,
		      RM_FIXTURE *self, bool by_pid)
{
	unsigned int flags = by_pid ? REMOTE_MAPPING_TARGET_PID : 0;
	int target = by_pid ? self->t.pid : self->t.pidfd;
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *reg = rm_anon3(_metadata);
	char *map = reg + page_size;
	int lines;

	/* The page that was at map_hva is dropped. */
	memset(map, 0x5a, page_size);
	lines = rm_maps_lines(_metadata);

	rm_map(_metadata, self->fd, req, map, target, flags);
	ASSERT_EQ(lines + 2, rm_maps_lines(_metadata));
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, map, page_size, SEED_A);
	check_coherent(_metadata, &self->t, req, map, TAG);
	rm_check_anon3(_metadata, reg);

	rm_unmap(_metadata, self->fd, map);
	ASSERT_EQ(lines, rm_maps_lines(_metadata));
	must_read(_metadata, map);
	ASSERT_TRUE(is_zero(map, page_size));
	rm_check_anon3(_metadata, reg);
	/* Private memory again, and the target keeps what was written. */
	must_write(_metadata, map, TAG + 9);
	ASSERT_EQ(TAG + 9, peek(map));
	ASSERT_EQ(TAG, t_read(_metadata, &self->t, req + 8));
	t_check(_metadata, &self->t, req + 24, 64, SEED_A + 3);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, map_unmap_pidfd)
{
	map_unmap(_metadata, self, false);
}

TEST_F(remote_mapping, map_unmap_pid)
{
	map_unmap(_metadata, self, true);
}

TEST_F(remote_mapping, writes_visible_both_ways)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 2);
	char *map = rm_anon3(_metadata) + page_size;
	__u64 seed;
	int round;

	t_fill(_metadata, &self->t, req, 2 * page_size, SEED_A);
	/* The second page, so that an offset error shows. */
	rm_map(_metadata, self->fd, req + page_size, map, self->t.pidfd, 0);
	check_pattern(_metadata, map, page_size, SEED_A + page_size / 8);

	for (round = 0; round < 3; round++) {
		seed = SEED_B + ((__u64)round << 32);
		pattern_fill(map, page_size, seed);
		t_check(_metadata, &self->t, req + page_size, page_size, seed);
		seed = SEED_C + ((__u64)round << 32);
		t_fill(_metadata, &self->t, req + page_size, page_size, seed);
		check_pattern(_metadata, map, page_size, seed);
	}
	/* The neighbouring target page is untouched. */
	t_check(_metadata, &self->t, req, page_size, SEED_A);

	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, readonly)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;

	rm_map(_metadata, self->fd, req, map, self->t.pidfd,
	       REMOTE_MAPPING_READONLY);
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, map, page_size, SEED_A);
	ASSERT_EQ(SIGSEGV, probe_write(map + 8, TAG));
	t_check(_metadata, &self->t, req, page_size, SEED_A);
	t_write(_metadata, &self->t, req + 8, TAG);
	ASSERT_EQ(TAG, must_read(_metadata, map + 8));

	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

/* The caller may be its own target, at another address. */
TEST_F(remote_mapping, self_target)
{
	char *src = rm_anon3(_metadata) + page_size;
	char *map = rm_anon3(_metadata) + page_size;

	pattern_fill(src, page_size, SEED_A);
	rm_map(_metadata, self->fd, (uintptr_t)src, map, getpid(),
	       REMOTE_MAPPING_TARGET_PID);
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, map, page_size, SEED_A);
	must_write(_metadata, map + 8, TAG);
	ASSERT_EQ(TAG, peek(src + 8));
	poke(src + 16, TAG + 1);
	ASSERT_EQ(TAG + 1, must_read(_metadata, map + 16));

	rm_unmap(_metadata, self->fd, map);
	ASSERT_EQ(TAG, peek(src + 8));
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, two_mirrors_of_one_page)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map1 = rm_anon3(_metadata) + page_size;
	char *map2 = rm_anon3(_metadata) + page_size;

	rm_map(_metadata, self->fd, req, map1, self->t.pidfd, 0);
	rm_map(_metadata, self->fd, req, map2, self->t.pid,
	       REMOTE_MAPPING_TARGET_PID);
	rm_expect_maps(_metadata, self, 2);
	check_pattern(_metadata, map1, page_size, SEED_A);
	check_pattern(_metadata, map2, page_size, SEED_A);
	must_write(_metadata, map1 + 8, TAG);
	ASSERT_EQ(TAG, must_read(_metadata, map2 + 8));
	check_coherent(_metadata, &self->t, req, map2, TAG + 16);
	ASSERT_EQ(TAG + 16, must_read(_metadata, map1 + 8));

	rm_unmap(_metadata, self->fd, map1);
	rm_expect_maps(_metadata, self, 1);
	check_coherent(_metadata, &self->t, req, map2, TAG + 32);
	rm_unmap(_metadata, self->fd, map2);
	rm_expect_counters_back(_metadata, self);
}

static void stop_target(void *arg)
{
	target_stop(arg);
}

TEST_F(remote_mapping, two_targets)
{
	static struct rm_target t2;
	uintptr_t req1 = target_page(_metadata, self, SEED_A);
	char *map1 = rm_anon3(_metadata) + page_size;
	char *map2 = rm_anon3(_metadata) + page_size;
	uintptr_t req2;
	int ret;

	ret = target_start(&t2);
	rm_defer(_metadata, self, stop_target, &t2);
	ASSERT_EQ(0, ret) TH_LOG("second target: %s", strerror(-ret));
	req2 = t_alloc(_metadata, &t2, 1);
	t_fill(_metadata, &t2, req2, page_size, SEED_B);

	rm_map(_metadata, self->fd, req1, map1, self->t.pidfd, 0);
	rm_map(_metadata, self->fd, req2, map2, t2.pidfd, 0);
	rm_expect_maps(_metadata, self, 2);
	check_pattern(_metadata, map1, page_size, SEED_A);
	check_pattern(_metadata, map2, page_size, SEED_B);
	check_coherent(_metadata, &self->t, req1, map1, TAG);
	check_coherent(_metadata, &t2, req2, map2, TAG + 16);

	/* One target dies, the other one's mirror is not affected. */
	target_stop(&t2);
	ASSERT_EQ(0ULL, must_read(_metadata, map2));
	ASSERT_TRUE(is_zero(map2, page_size));
	check_coherent(_metadata, &self->t, req1, map1, TAG + 32);
	rm_unmap(_metadata, self->fd, map2);
	rm_unmap(_metadata, self->fd, map1);
	rm_expect_counters_back(_metadata, self);
}

/* Mappings belong to the address space, not to the file. */
TEST_F(remote_mapping, close_keeps_mapping)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;

	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, map, page_size, SEED_A);
	check_coherent(_metadata, &self->t, req, map, TAG);

	self->fd = rm_open();
	ASSERT_LE(0, self->fd);
	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

static void target_gone(struct __test_metadata *_metadata,
			RM_FIXTURE *self, bool killed)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;
	int lines, status, ret;

	lines = rm_maps_lines(_metadata);
	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	check_pattern(_metadata, map, page_size, SEED_A);

	ret = killed ? kill(self->t.pid, SIGKILL) :
		       target_call(&self->t, TARGET_EXIT, 0, 0, 0, 0, NULL);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, target_reap(&self->t, &status));
	ASSERT_EQ(killed, WIFSIGNALED(status));

	/* Zeros, no signal; a write gets a private page. */
	ASSERT_EQ(0UL, must_read(_metadata, map));
	ASSERT_EQ(0UL, must_read(_metadata, map + page_size - 8));
	ASSERT_TRUE(is_zero(map, page_size));
	must_write(_metadata, map + 8, TAG);
	ASSERT_EQ(TAG, must_read(_metadata, map + 8));
	ASSERT_EQ(0UL, must_read(_metadata, map));

	rm_unmap(_metadata, self->fd, map);
	ASSERT_EQ(lines, rm_maps_lines(_metadata));
	ASSERT_TRUE(is_zero(map, page_size));
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, target_exits)
{
	target_gone(_metadata, self, false);
}

TEST_F(remote_mapping, target_killed)
{
	target_gone(_metadata, self, true);
}

/* The mirror follows the target's address, not its page. */
TEST_F(remote_mapping, target_munmap_and_remap)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;
	__u64 val;

	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	check_pattern(_metadata, map, page_size, SEED_A);

	t_call(_metadata, &self->t, TARGET_MUNMAP, req, page_size, 0, 0);
	ASSERT_EQ(SIGBUS, probe_read(map, &val));
	ASSERT_EQ(SIGBUS, probe_write(map + 8, TAG));

	ASSERT_EQ(req, t_call(_metadata, &self->t, TARGET_MMAP, req,
			      page_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED));
	t_write(_metadata, &self->t, req + 64, TAG);
	ASSERT_EQ(TAG, must_read(_metadata, map + 64));
	ASSERT_EQ(0UL, must_read(_metadata, map));
	check_coherent(_metadata, &self->t, req, map, TAG + 16);
	rm_expect_maps(_metadata, self, 1);

	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, introspector_munmap)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *reg = rm_anon3(_metadata);
	char *map = reg + page_size;

	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	rm_expect_maps(_metadata, self, 1);
	ASSERT_EQ(0, munmap(map, page_size));
	rm_expect_maps(_metadata, self, 0);
	rm_unmap_fails(_metadata, self->fd, map, ENOENT);

	/* The address can be mapped again once it is memory again. */
	ASSERT_EQ(map, mmap(map, page_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, map, page_size, SEED_A);
	check_coherent(_metadata, &self->t, req, map, TAG);

	/* So does an munmap() that covers more than the mirror. */
	ASSERT_EQ(0, munmap(reg, 3 * page_size));
	rm_expect_maps(_metadata, self, 0);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, mprotect)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;

	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	ASSERT_EQ(0, mprotect(map, page_size, PROT_READ));
	check_pattern(_metadata, map, page_size, SEED_A);
	ASSERT_EQ(SIGSEGV, probe_write(map + 8, TAG));
	t_check(_metadata, &self->t, req, page_size, SEED_A);

	ASSERT_EQ(0, mprotect(map, page_size, PROT_READ | PROT_WRITE));
	check_pattern(_metadata, map, page_size, SEED_A);
	check_coherent(_metadata, &self->t, req, map, TAG);
	rm_expect_maps(_metadata, self, 1);

	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, mremap_refused)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;
	char *dst = rm_anon3(_metadata) + page_size;
	void *p;

	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);

	p = mremap(map, page_size, 2 * page_size, 0);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EFAULT, errno) TH_LOG("grow: %s", strerror(errno));
	p = mremap(map, page_size, 2 * page_size, MREMAP_MAYMOVE);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EFAULT, errno) TH_LOG("grow, may move: %s", strerror(errno));
	p = mremap(map, page_size, page_size, MREMAP_MAYMOVE | MREMAP_FIXED,
		   dst);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno) TH_LOG("move: %s", strerror(errno));

	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, map, page_size, SEED_A);
	check_coherent(_metadata, &self->t, req, map, TAG);

	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

static void fork_child(struct child_report *r, void *arg)
{
	char *map = arg;
	__u64 val;
	int sig;

	sig = probe_read(map, &val);
	if (sig != SIGSEGV)
		child_fail(r, "map_hva in the child: signal %d, value %#llx",
			   sig, sig ? 0ULL : val);
	if (maps_lookup(0, (uintptr_t)map, NULL, NULL) != -ENOENT)
		child_fail(r, "the child's /proc/self/maps covers map_hva");
}

TEST_F(remote_mapping, fork_not_inherited)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;

	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	check_pattern(_metadata, map, page_size, SEED_A);

	rm_in_child(_metadata, fork_child, map);

	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, map, page_size, SEED_A);
	check_coherent(_metadata, &self->t, req, map, TAG);
	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

#define EXIT_PAGES	8
#define EXIT_MARK	0x3a3a000000000000ULL

struct exit_args {
	RM_FIXTURE *self;
	uintptr_t req;
	int ready_fd;
	int go_fd;
};

/* Maps EXIT_PAGES pages with its own file, marks them, exits. */
static void exit_child(struct child_report *r, void *arg)
{
	struct exit_args *a = arg;
	struct rm_target *t = &a->self->t;
	char *reg, *map;
	int fd, i, ret;
	char c = 0;

	fd = rm_open();
	if (fd < 0)
		child_fail(r, "open %s: %s", RM_DEV_PATH, strerror(-fd));
	reg = anon_map(2 * EXIT_PAGES + 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE);
	if (!reg)
		child_fail(r, "mmap: %s", strerror(errno));
	for (i = 0; i < EXIT_PAGES; i++) {
		map = reg + (2 * i + 1) * page_size;
		ret = __rm_map(fd, a->req + i * page_size, map,
			       i & 1 ? t->pid : t->pidfd,
			       i & 1 ? REMOTE_MAPPING_TARGET_PID : 0);
		if (ret)
			child_fail(r, "REMOTE_MAPPING_MAP page %d: %s", i,
				   strerror(-ret));
		if (pattern_check(map, page_size, SEED_A + ((__u64)i << 20)))
			child_fail(r, "page %d does not show the target's", i);
		poke(map, EXIT_MARK + i);
	}
	if (write(a->ready_fd, &c, 1) != 1 || read(a->go_fd, &c, 1) != 1)
		child_fail(r, "pipe: %s", strerror(errno));
	/* Exit with everything still mapped and the file open. */
}

TEST_F(remote_mapping, introspector_exits)
{
	uintptr_t req = t_alloc(_metadata, &self->t, EXIT_PAGES);
	struct child_report *r = child_report_new();
	struct exit_args a = { .self = self, .req = req };
	int ready[2], go[2], status, i;
	uintptr_t page;
	pid_t pid;
	char c;

	ASSERT_NE(NULL, r);
	for (i = 0; i < EXIT_PAGES; i++)
		t_fill(_metadata, &self->t, req + i * page_size, page_size,
		       SEED_A + ((__u64)i << 20));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	a.ready_fd = ready[1];
	a.go_fd = go[0];
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		exit_child(r, &a);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("child: %s", r->msg);
	rm_expect_maps(_metadata, self, EXIT_PAGES);
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_FALSE(r->failed) TH_LOG("child: %s", r->msg);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	rm_expect_counters_back(_metadata, self);
	/* The target lives on, with the child's stores and nothing else. */
	ASSERT_EQ(0, waitpid(self->t.pid, &status, WNOHANG));
	for (i = 0; i < EXIT_PAGES; i++) {
		page = req + i * page_size;
		ASSERT_EQ(EXIT_MARK + i, t_read(_metadata, &self->t, page));
		t_check(_metadata, &self->t, page + 8, page_size - 8,
			SEED_A + ((__u64)i << 20) + 1);
	}
	t_call(_metadata, &self->t, TARGET_NOP, 0, 0, 0, 0);
}

/* Error cases, in the order of the header's list. */

TEST_F(remote_mapping, einval_unaligned)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;

	rm_map_fails(_metadata, self->fd, req + 8, map, self->t.pidfd, 0,
		     EINVAL);
	rm_map_fails(_metadata, self->fd, req + page_size / 2, map,
		     self->t.pidfd, 0, EINVAL);
	rm_map_fails(_metadata, self->fd, req, map + 8, self->t.pidfd, 0,
		     EINVAL);
	rm_map_fails(_metadata, self->fd, req, map + page_size / 2,
		     self->t.pidfd, 0, EINVAL);
	rm_expect_maps(_metadata, self, 0);

	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	rm_unmap_fails(_metadata, self->fd, map + 8, EINVAL);
	check_pattern(_metadata, map, page_size, SEED_A);
	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, einval_kernel_address)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;
	uintptr_t last = -page_size;

	rm_map_fails(_metadata, self->fd, RM_KERNEL_ADDR, map, self->t.pidfd,
		     0, EINVAL);
	rm_map_fails(_metadata, self->fd, last, map, self->t.pidfd, 0,
		     EINVAL);
	rm_map_fails(_metadata, self->fd, req, (void *)RM_KERNEL_ADDR,
		     self->t.pidfd, 0, EINVAL);
	rm_map_fails(_metadata, self->fd, req, (void *)last, self->t.pidfd,
		     0, EINVAL);
	rm_unmap_fails(_metadata, self->fd, (void *)RM_KERNEL_ADDR, EINVAL);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, einval_reserved)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;
	struct remote_mapping_map m = {
		.req_hva = req,
		.map_hva = (uintptr_t)map,
		.target = self->t.pidfd,
	};
	struct remote_mapping_unmap u = { .map_hva = (uintptr_t)map };
	int i;

	for (i = 0; i < 2; i++) {
		m.reserved[i] = 1ULL << (i * 40);
		ASSERT_EQ(-EINVAL, __rm_map_args(self->fd, &m)) {
			TH_LOG("REMOTE_MAPPING_MAP with reserved[%d] set", i);
		}
		m.reserved[i] = 0;
	}
	rm_expect_maps(_metadata, self, 0);
	ASSERT_EQ(0, __rm_map_args(self->fd, &m));

	u.flags = 1;
	ASSERT_EQ(-EINVAL, __rm_unmap_args(self->fd, &u));
	u.flags = 1ULL << 63;
	ASSERT_EQ(-EINVAL, __rm_unmap_args(self->fd, &u));
	u.flags = 0;
	for (i = 0; i < 2; i++) {
		u.reserved[i] = 1;
		ASSERT_EQ(-EINVAL, __rm_unmap_args(self->fd, &u)) {
			TH_LOG("REMOTE_MAPPING_UNMAP with reserved[%d] set", i);
		}
		u.reserved[i] = 0;
	}
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, map, page_size, SEED_A);
	ASSERT_EQ(0, __rm_unmap_args(self->fd, &u));
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, einval_unknown_flags)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;
	unsigned int bad[] = {
		1U << 3,
		1U << 31,
		REMOTE_MAPPING_READONLY | 1U << 5,
		~REMOTE_MAPPING_MAP_FLAGS,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		rm_map_fails(_metadata, self->fd, req, map, self->t.pidfd,
			     bad[i], EINVAL);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, einval_map_shared)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *reg = anon_map(3, PROT_READ | PROT_WRITE, MAP_SHARED);

	ASSERT_NE(NULL, reg);
	rm_map_fails(_metadata, self->fd, req, reg + page_size,
		     self->t.pidfd, 0, EINVAL);
	rm_map_fails(_metadata, self->fd, req, reg + page_size,
		     self->t.pidfd, REMOTE_MAPPING_READONLY, EINVAL);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, einval_map_readonly_vma)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *reg = anon_map(3, PROT_READ, MAP_PRIVATE);

	ASSERT_NE(NULL, reg);
	rm_map_fails(_metadata, self->fd, req, reg + page_size,
		     self->t.pidfd, 0, EINVAL);
	rm_map_fails(_metadata, self->fd, req, reg + page_size,
		     self->t.pidfd, REMOTE_MAPPING_READONLY, EINVAL);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, einval_map_file)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char path[] = "/tmp/remote_mapping_test.XXXXXX";
	char *reg;
	int fd;

	fd = mkstemp(path);
	ASSERT_LE(0, fd) TH_LOG("mkstemp in /tmp: %s", strerror(errno));
	unlink(path);
	ASSERT_EQ(0, ftruncate(fd, 3 * page_size));
	reg = mmap(NULL, 3 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		   fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, reg);
	/* Untouched, then with a private copy of the file's page. */
	rm_map_fails(_metadata, self->fd, req, reg + page_size,
		     self->t.pidfd, 0, EINVAL);
	memset(reg + page_size, 1, page_size);
	rm_map_fails(_metadata, self->fd, req, reg + page_size,
		     self->t.pidfd, 0, EINVAL);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, einval_map_stack)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	uintptr_t start, end;

	ASSERT_EQ(0, maps_find(0, NULL, "[stack]", &start, &end));
	/* The lowest page of the stack VMA, far below what is in use. */
	rm_map_fails(_metadata, self->fd, req, (void *)start, self->t.pidfd,
		     0, EINVAL);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, einval_same_address_in_caller)
{
	char *addr = rm_anon3(_metadata) + page_size;
	int pidfd;

	pattern_fill(addr, page_size, SEED_A);
	rm_map_fails(_metadata, self->fd, (uintptr_t)addr, addr, getpid(),
		     REMOTE_MAPPING_TARGET_PID, EINVAL);
	pidfd = sys_pidfd_open(getpid());
	ASSERT_LE(0, pidfd);
	rm_map_fails(_metadata, self->fd, (uintptr_t)addr, addr, pidfd, 0,
		     EINVAL);
	close(pidfd);
	check_pattern(_metadata, addr, page_size, SEED_A);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, einval_kernel_thread)
{
	char *map = rm_anon3(_metadata) + page_size;
	char comm[32];
	int pidfd;

	if (read_file("/proc/2/comm", comm, sizeof(comm)) < 0 ||
	    strcmp(comm, "kthreadd\n"))
		SKIP(return, "pid 2 is not kthreadd here");
	rm_map_fails(_metadata, self->fd, 0x400000, map, 2,
		     REMOTE_MAPPING_TARGET_PID, EINVAL);
	rm_map_fails(_metadata, self->fd, 0x400000, map, 2,
		     REMOTE_MAPPING_TARGET_PID | REMOTE_MAPPING_READONLY,
		     EINVAL);
	pidfd = sys_pidfd_open(2);
	if (pidfd >= 0) {
		rm_map_fails(_metadata, self->fd, 0x400000, map, pidfd, 0,
			     EINVAL);
		close(pidfd);
	}
	rm_expect_counters_back(_metadata, self);
}

/* process_vm_readv() of 8 bytes of the target at @addr: 0 or errno. */
static int ptrace_read_errno(pid_t pid, uintptr_t addr)
{
	__u64 val;
	struct iovec local = { &val, sizeof(val) };
	struct iovec remote = { (void *)addr, sizeof(val) };

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0)
		return errno;
	return 0;
}

/*
 * The target's [vvar] (VM_IO | VM_PFNMAP on 6.1, VM_MIXEDMAP on newer
 * kernels): ptrace cannot read it, and neither may a mapping.
 */
TEST_F(remote_mapping, einval_req_in_pfnmap)
{
	char *map = rm_anon3(_metadata) + page_size;
	uintptr_t start, end;

	if (maps_find(self->t.pid, NULL, "[vvar]", &start, &end))
		SKIP(return, "the target has no [vvar] mapping");
	ASSERT_EQ(EFAULT, ptrace_read_errno(self->t.pid, start));
	rm_map_fails(_metadata, self->fd, start, map, self->t.pidfd,
		     REMOTE_MAPPING_READONLY, EINVAL);
	rm_map_fails(_metadata, self->fd, start, map, self->t.pidfd,
		     REMOTE_MAPPING_READONLY | REMOTE_MAPPING_POPULATE,
		     EINVAL);
	rm_map_fails(_metadata, self->fd, start, map, self->t.pidfd, 0,
		     EINVAL);
	rm_check_anon3(_metadata, map - page_size);
	rm_expect_counters_back(_metadata, self);
}

/* memfd_secret is not there unless 6.1 boots with secretmem.enable=1. */
static bool have_secretmem(void)
{
	void *p = secret_map(NULL, page_size);

	if (p == MAP_FAILED)
		return false;
	munmap(p, page_size);
	return true;
}

/*
 * memfd_secret memory of the target: GUP refuses it, so ptrace and
 * process_vm_readv() cannot read it, and no mapping may either.
 */
TEST_F(remote_mapping, eperm_req_in_secretmem)
{
	char *map = rm_anon3(_metadata) + page_size;
	__u64 req = 0;
	int ret;

	ret = target_call(&self->t, TARGET_SECRET, 0, page_size, SECRET, 0,
			  &req);
	if (ret == -ENOSYS)
		SKIP(return, "no memfd_secret (6.1 needs secretmem.enable=1)");
	ASSERT_EQ(0, ret) TH_LOG("memfd_secret in the target: %s",
				 strerror(-ret));
	t_check(_metadata, &self->t, req, page_size, SECRET);
	ASSERT_EQ(EFAULT, ptrace_read_errno(self->t.pid, req));

	rm_map_fails(_metadata, self->fd, req, map, self->t.pidfd, 0, EPERM);
	rm_map_fails(_metadata, self->fd, req, map, self->t.pidfd,
		     REMOTE_MAPPING_READONLY, EPERM);
	rm_map_fails(_metadata, self->fd, req, map, self->t.pidfd,
		     REMOTE_MAPPING_READONLY | REMOTE_MAPPING_POPULATE, EPERM);
	/* The introspector's page is still its own. */
	ASSERT_NE(0UL, pattern_check(map, page_size, SECRET));
	rm_check_anon3(_metadata, map - page_size);
	rm_expect_counters_back(_metadata, self);
}

/*
 * A mapping of ordinary memory whose target page the target then replaces
 * with memfd_secret memory (MAP_FIXED): the mapping must not read or write
 * the secret, at the fault (SIGBUS) nor with POPULATE at a new map.
 */
TEST_F(remote_mapping, secretmem_replacing_mapped_page)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;
	char *map2 = rm_anon3(_metadata) + page_size;
	__u64 addr = 0, val = 0;
	int sig;

	if (!have_secretmem())
		SKIP(return, "no memfd_secret (6.1 needs secretmem.enable=1)");
	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	check_pattern(_metadata, map, page_size, SEED_A);

	ASSERT_EQ(0, target_call(&self->t, TARGET_SECRET, req, page_size,
				 SECRET, 0, &addr));
	ASSERT_EQ(req, addr);
	t_check(_metadata, &self->t, req, page_size, SECRET);

	sig = probe_read(map + 8, &val);
	ASSERT_EQ(SIGBUS, sig) TH_LOG("read the target's secret: %#llx",
				      (unsigned long long)val);
	ASSERT_EQ(SIGBUS, probe_write(map + 16, TAG));
	t_check(_metadata, &self->t, req, page_size, SECRET);
	rm_map_fails(_metadata, self->fd, req, map2, self->t.pidfd,
		     REMOTE_MAPPING_READONLY, EPERM);

	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, efault_unmapped)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;
	uintptr_t hole;

	ASSERT_EQ(0, munmap(map, page_size));
	rm_map_fails(_metadata, self->fd, req, map, self->t.pidfd, 0, EFAULT);

	map = rm_anon3(_metadata) + page_size;
	hole = t_alloc(_metadata, &self->t, 1);
	t_call(_metadata, &self->t, TARGET_MUNMAP, hole, page_size, 0, 0);
	rm_map_fails(_metadata, self->fd, hole, map, self->t.pidfd, 0,
		     EFAULT);
	rm_map_fails(_metadata, self->fd, hole, map, self->t.pid,
		     REMOTE_MAPPING_TARGET_PID | REMOTE_MAPPING_READONLY,
		     EFAULT);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, efault_bad_argument_pointer)
{
	ASSERT_EQ(-1, ioctl(self->fd, REMOTE_MAPPING_MAP, NULL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->fd, REMOTE_MAPPING_MAP, RM_KERNEL_ADDR));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->fd, REMOTE_MAPPING_UNMAP, NULL));
	ASSERT_EQ(EFAULT, errno);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, enotty_unknown_ioctl)
{
	struct remote_mapping_map m = { 0 };

	/* 0x03 is reserved for batch mapping, not implemented. */
	ASSERT_EQ(-1, ioctl(self->fd, _IOW(REMOTE_MAPPING_IOCTL_BASE, 0x03,
					   struct remote_mapping_map), &m));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->fd, _IO(REMOTE_MAPPING_IOCTL_BASE, 0x01)));
	ASSERT_EQ(ENOTTY, errno);
}

TEST_F(remote_mapping, eloop_mirror_of_mirror)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *mirror = rm_anon3(_metadata) + page_size;
	char *map = rm_anon3(_metadata) + page_size;

	rm_map(_metadata, self->fd, req, mirror, self->t.pidfd, 0);
	rm_map_fails(_metadata, self->fd, (uintptr_t)mirror, map, getpid(),
		     REMOTE_MAPPING_TARGET_PID, ELOOP);
	rm_map_fails(_metadata, self->fd, (uintptr_t)mirror, map, getpid(),
		     REMOTE_MAPPING_TARGET_PID | REMOTE_MAPPING_READONLY,
		     ELOOP);
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, mirror, page_size, SEED_A);
	rm_unmap(_metadata, self->fd, mirror);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, eacces_readonly_target_page)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;

	t_call(_metadata, &self->t, TARGET_MPROTECT, req, page_size,
	       PROT_READ, 0);
	rm_map_fails(_metadata, self->fd, req, map, self->t.pidfd, 0,
		     EACCES);
	rm_expect_maps(_metadata, self, 0);

	rm_map(_metadata, self->fd, req, map, self->t.pidfd,
	       REMOTE_MAPPING_READONLY);
	check_pattern(_metadata, map, page_size, SEED_A);
	ASSERT_EQ(SIGSEGV, probe_write(map, TAG));
	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, ebusy_userfaultfd)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 2);
	char *map = rm_anon3(_metadata) + page_size;
	int ret;

	/* One page present, one never touched. */
	t_write(_metadata, &self->t, req, TAG);
	ret = target_call(&self->t, TARGET_UFFD, req, 2 * page_size, 0, 0,
			  NULL);
	if (ret)
		SKIP(return, "userfaultfd unavailable: %s", strerror(-ret));
	rm_map_fails(_metadata, self->fd, req, map, self->t.pidfd, 0, EBUSY);
	rm_map_fails(_metadata, self->fd, req + page_size, map, self->t.pidfd,
		     0, EBUSY);
	rm_map_fails(_metadata, self->fd, req, map, self->t.pidfd,
		     REMOTE_MAPPING_READONLY, EBUSY);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, esrch_exited_target)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;

	t_call(_metadata, &self->t, TARGET_EXIT, 0, 0, 0, 0);
	ASSERT_EQ(0, target_wait_zombie(&self->t));
	/* A zombie: the task is there, its memory is not. */
	rm_map_fails(_metadata, self->fd, req, map, self->t.pidfd, 0, ESRCH);
	rm_map_fails(_metadata, self->fd, req, map, self->t.pid,
		     REMOTE_MAPPING_TARGET_PID, ESRCH);
	ASSERT_EQ(0, target_reap(&self->t, NULL));
	rm_map_fails(_metadata, self->fd, req, map, self->t.pidfd, 0, ESRCH);
	rm_map_fails(_metadata, self->fd, req, map, self->t.pid,
		     REMOTE_MAPPING_TARGET_PID, ESRCH);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, ebadf_not_a_pidfd)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;
	int nullfd;

	nullfd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, nullfd);
	rm_map_fails(_metadata, self->fd, req, map, nullfd, 0, EBADF);
	rm_map_fails(_metadata, self->fd, req, map, self->fd, 0, EBADF);
	rm_map_fails(_metadata, self->fd, req, map, -1, 0, EBADF);
	close(nullfd);
	rm_map_fails(_metadata, self->fd, req, map, nullfd, 0, EBADF);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, ealready_mapped)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 2);
	char *map = rm_anon3(_metadata) + page_size;

	t_fill(_metadata, &self->t, req, 2 * page_size, SEED_A);
	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	/*
	 * Not rm_map_fails(): an unexpected success there would unmap the
	 * first mapping too.
	 */
	ASSERT_EQ(-EALREADY, __rm_map(self->fd, req, map, self->t.pidfd, 0));
	ASSERT_EQ(-EALREADY, __rm_map(self->fd, req + page_size, map,
				      self->t.pid,
				      REMOTE_MAPPING_TARGET_PID));
	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, map, page_size, SEED_A);
	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

TEST_F(remote_mapping, enoent_unmap_not_a_mirror)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;
	char *fresh = anon_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	ASSERT_NE(NULL, fresh);
	memset(map, 0x11, page_size);
	rm_unmap_fails(_metadata, self->fd, map, ENOENT);
	rm_unmap_fails(_metadata, self->fd, fresh, ENOENT);
	ASSERT_EQ(0x1111111111111111ULL, peek(map));

	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	rm_unmap(_metadata, self->fd, map);
	rm_unmap_fails(_metadata, self->fd, map, ENOENT);
	rm_expect_counters_back(_metadata, self);
}

/*
 * A third thread replaces the mirror at map_hva with a mapping of its own
 * (MAP_FIXED of a memfd, which a map refuses to replace) while the mirror
 * is being unmapped: whichever comes first, the third thread's mapping
 * must survive, and the unmap return 0 or ENOENT.
 */
struct unmap_race {
	char *map;
	int memfd;
	unsigned int delay;
	int go;		/* iteration to start; -1: exit */
	int done;	/* last iteration finished */
	int err;
};

static void *unmap_race_thread(void *arg)
{
	struct unmap_race *r = arg;
	unsigned int spin;
	int it = 0;

	for (;;) {
		while (__atomic_load_n(&r->go, __ATOMIC_ACQUIRE) == it)
			;
		it = __atomic_load_n(&r->go, __ATOMIC_ACQUIRE);
		if (it < 0)
			return NULL;
		for (spin = 0; spin < r->delay; spin++)
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (mmap(r->map, page_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, r->memfd, 0) == MAP_FAILED)
			r->err = errno;
		__atomic_store_n(&r->done, it, __ATOMIC_RELEASE);
	}
}

TEST_F(remote_mapping, unmap_race_keeps_third_thread_mapping)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	struct unmap_race r = { .map = rm_anon3(_metadata) + page_size };
	unsigned int ok = 0, enoent = 0;
	__u64 start = now_ms(), tag;
	pthread_t thread;
	int i, ret;

	r.memfd = memfd_create("unmap_race", MFD_CLOEXEC);
	ASSERT_LE(0, r.memfd);
	ASSERT_EQ(0, ftruncate(r.memfd, page_size));
	ASSERT_EQ(0, pthread_create(&thread, NULL, unmap_race_thread, &r));

	for (i = 1; i <= 4000 && now_ms() - start < 20000; i++) {
		tag = TAG + i;
		ASSERT_EQ((ssize_t)sizeof(tag),
			  pwrite(r.memfd, &tag, sizeof(tag), 0));
		ASSERT_EQ(r.map, mmap(r.map, page_size, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				      -1, 0));
		rm_map(_metadata, self->fd, req, r.map, self->t.pidfd, 0);
		/* Sweep the third thread's start over the unmap. */
		r.delay = (i * 37) % 1024;
		__atomic_store_n(&r.go, i, __ATOMIC_RELEASE);
		ret = __rm_unmap(self->fd, r.map);
		while (__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) != i)
			;
		ASSERT_EQ(0, r.err) TH_LOG("third thread's mmap: %s",
					   strerror(r.err));
		ASSERT_TRUE(!ret || ret == -ENOENT)
			TH_LOG("unmap: %s", strerror(-ret));
		ok += !ret;
		enoent += ret == -ENOENT;
		ASSERT_EQ(tag, peek(r.map)) {
			TH_LOG("iteration %d: the third thread's mapping is gone",
			       i);
			TH_LOG("(unmap returned %s)",
			       ret ? strerror(-ret) : "success");
		}
	}
	__atomic_store_n(&r.go, -1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	close(r.memfd);
	TH_LOG("%d iterations: unmap succeeded %u times, ENOENT %u times",
	       i - 1, ok, enoent);
	rm_expect_counters_back(_metadata, self);
}

#define MAX_MAP_COUNT	"/proc/sys/vm/max_map_count"

static char max_map_count[32];

static void max_map_count_restore(void *arg)
{
	(void)arg;
	if (max_map_count[0])
		write_file(MAX_MAP_COUNT, max_map_count);
}

TEST_F(remote_mapping, enomem_max_map_count)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char *map = rm_anon3(_metadata) + page_size;
	uintptr_t vsys_start, vsys_end;
	char limit[32];
	int lines, ret, vsys;

	ASSERT_LT(0, read_file(MAX_MAP_COUNT, max_map_count,
			       sizeof(max_map_count)));
	rm_defer(_metadata, self, max_map_count_restore, NULL);
	/*
	 * The mirror splits the VMA of map_hva in three, which munmap()
	 * refuses once map_count is at the limit.  maps also shows
	 * [vsyscall] when the kernel has one (LEGACY_VSYSCALL_XONLY), which
	 * is no VMA.  Nothing else may run in the short window.
	 */
	vsys = !maps_find(0, NULL, "[vsyscall]", &vsys_start, &vsys_end);
	lines = rm_maps_lines(_metadata) - vsys;
	snprintf(limit, sizeof(limit), "%d", lines);
	ASSERT_EQ(0, write_file(MAX_MAP_COUNT, limit));
	ret = __rm_map(self->fd, req, map, self->t.pidfd, 0);
	max_map_count_restore(NULL);
	if (!ret)
		__rm_unmap(self->fd, map);
	ASSERT_EQ(-ENOMEM, ret) {
		TH_LOG("REMOTE_MAPPING_MAP at max_map_count: %s",
		       ret ? strerror(-ret) : "success");
	}
	rm_expect_counters_back(_metadata, self);

	/* map_hva is intact, and can be mapped once there is room. */
	rm_check_anon3(_metadata, map - page_size);
	must_write(_metadata, map, TAG);
	rm_map(_metadata, self->fd, req, map, self->t.pidfd, 0);
	check_pattern(_metadata, map, page_size, SEED_A);
	rm_unmap(_metadata, self->fd, map);
	rm_expect_counters_back(_metadata, self);
}

/*
 * Guest RAM of a VMM carries advice (QEMU: MADV_DONTFORK, MADV_HUGEPAGE,
 * MADV_MERGEABLE; MADV_DONTDUMP with dump-guest-core=off).  A map replaces
 * a page of it; the unmap gives the page back with that advice, and cycles
 * over the same pages do not add VMAs each time.
 */
#define RAM_PAGES	64
#define RAM_CYCLES	10000
/* Enough for RAM_CYCLES here; a debug kernel stops earlier. */
#define RAM_CYCLES_MS	60000

/*
 * Map and unmap cycles @from to @to over the pages of @ram, or as many
 * as fit until @deadline (now_ms()); the number of the last + 1.
 */
static int ram_cycles(struct __test_metadata *_metadata, RM_FIXTURE *self,
		      uintptr_t req, char *ram, int from, int to,
		      __u64 deadline)
{
	char *page;
	int i;

	for (i = from; i < to; i++) {
		if (i % RAM_PAGES == 0 && now_ms() > deadline)
			break;
		page = ram + (i % RAM_PAGES) * page_size;
		rm_map(_metadata, self->fd, req, page, self->t.pidfd, 0);
		if (i % 1000 == 0)
			check_pattern(_metadata, page, page_size, SEED_A);
		rm_unmap(_metadata, self->fd, page);
	}
	return i;
}

TEST_F_TIMEOUT(remote_mapping, unmap_keeps_vmm_ram_advice, 180)
{
	uintptr_t req = target_page(_metadata, self, SEED_A);
	char want[16] = "dc hg dd", bad_flags[256] = "";
	size_t len = RAM_PAGES * page_size;
	int lines, lines_pass1, vmas, cycles;
	uintptr_t bad = 0;
	char *ram;

	ram = anon_map(RAM_PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT_NE(NULL, ram);
	ASSERT_EQ(0, madvise(ram, len, MADV_DONTFORK));
	ASSERT_EQ(0, madvise(ram, len, MADV_HUGEPAGE));
	ASSERT_EQ(0, madvise(ram, len, MADV_DONTDUMP));
	/* EINVAL without CONFIG_KSM */
	if (!madvise(ram, len, MADV_MERGEABLE))
		strcat(want, " mg");
	memset(ram, 0x5a, len);
	ASSERT_EQ(0, smaps_check_flags(0, (uintptr_t)ram, (uintptr_t)ram + len,
				       want, &vmas, &bad, bad_flags,
				       sizeof(bad_flags)));
	ASSERT_EQ(1, vmas);
	lines = rm_maps_lines(_metadata);

	ram_cycles(_metadata, self, req, ram, 0, RAM_PAGES, ~0ULL);
	lines_pass1 = rm_maps_lines(_metadata);
	cycles = ram_cycles(_metadata, self, req, ram, RAM_PAGES, RAM_CYCLES,
			    now_ms() + RAM_CYCLES_MS);
	TH_LOG("%d map/unmap cycles", cycles);
	ASSERT_LE(3 * RAM_PAGES, cycles);
	ASSERT_EQ(0, smaps_check_flags(0, (uintptr_t)ram, (uintptr_t)ram + len,
				       want, &vmas, &bad, bad_flags,
				       sizeof(bad_flags))) {
		TH_LOG("page %ld of the RAM lost its advice (want %s): %s",
		       (long)(bad - (uintptr_t)ram) / page_size, want,
		       bad_flags);
	}
	/* Each page a VMA of its own (no vma_merge()), but no more. */
	ASSERT_GE(RAM_PAGES, vmas);
	ASSERT_EQ(lines_pass1, rm_maps_lines(_metadata));
	ASSERT_GE(lines + RAM_PAGES - 1, lines_pass1);
	ASSERT_TRUE(is_zero(ram, page_size));
	t_check(_metadata, &self->t, req, page_size, SEED_A);
	rm_expect_counters_back(_metadata, self);
	ASSERT_EQ(0, munmap(ram, len));
}

struct child_args {
	RM_FIXTURE *self;
	uintptr_t req;
	char *map;
};

static void eperm_child(struct child_report *r, void *arg)
{
	struct child_args *a = arg;
	pid_t pid = a->self->t.pid;
	int fd, ret;

	fd = rm_open();
	if (fd < 0)
		child_fail(r, "open %s: %s", RM_DEV_PATH, strerror(-fd));
	ret = set_cap_ptrace(false);
	if (ret)
		child_fail(r, "capset: %s", strerror(-ret));
	ret = __rm_map(fd, a->req, a->map, pid, REMOTE_MAPPING_TARGET_PID);
	if (ret != -EPERM)
		child_fail(r, "MAP without CAP_SYS_PTRACE: %s, not EPERM",
			   ret ? strerror(-ret) : "success");
	ret = __rm_unmap(fd, a->map);
	if (ret != -EPERM)
		child_fail(r, "UNMAP without CAP_SYS_PTRACE: %s, not EPERM",
			   ret ? strerror(-ret) : "success");
	/* The capability was the only thing missing. */
	ret = set_cap_ptrace(true);
	if (ret)
		child_fail(r, "capset: %s", strerror(-ret));
	ret = __rm_map(fd, a->req, a->map, pid, REMOTE_MAPPING_TARGET_PID);
	if (ret)
		child_fail(r, "MAP with CAP_SYS_PTRACE back: %s",
			   strerror(-ret));
	if (pattern_check(a->map, page_size, SEED_A))
		child_fail(r, "the mirror does not show the target's page");
	ret = __rm_unmap(fd, a->map);
	if (ret)
		child_fail(r, "UNMAP with CAP_SYS_PTRACE back: %s",
			   strerror(-ret));
}

TEST_F(remote_mapping, eperm_without_cap_sys_ptrace)
{
	struct child_args a = { .self = self };

	a.req = target_page(_metadata, self, SEED_A);
	a.map = rm_anon3(_metadata) + page_size;
	rm_in_child(_metadata, eperm_child, &a);
	rm_expect_counters_back(_metadata, self);
}

static void other_process_child(struct child_report *r, void *arg)
{
	struct child_args *a = arg;
	char *map = anon_map(3, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	int ret;

	if (!map)
		child_fail(r, "mmap: %s", strerror(errno));
	map += page_size;
	ret = __rm_map(a->self->fd, a->req, map, a->self->t.pidfd, 0);
	if (ret != -EINVAL)
		child_fail(r, "MAP on the parent's file: %s, not EINVAL",
			   ret ? strerror(-ret) : "success");
	ret = __rm_unmap(a->self->fd, a->map);
	if (ret != -EINVAL)
		child_fail(r, "UNMAP on the parent's file: %s, not EINVAL",
			   ret ? strerror(-ret) : "success");
}

TEST_F(remote_mapping, einval_file_of_other_process)
{
	struct child_args a = { .self = self };

	/* The parent's mirror is not inherited: a hole in the child. */
	a.req = target_page(_metadata, self, SEED_A);
	a.map = rm_anon3(_metadata) + page_size;
	rm_map(_metadata, self->fd, a.req, a.map, self->t.pidfd, 0);
	rm_in_child(_metadata, other_process_child, &a);

	rm_expect_maps(_metadata, self, 1);
	check_pattern(_metadata, a.map, page_size, SEED_A);
	rm_unmap(_metadata, self->fd, a.map);
	rm_expect_counters_back(_metadata, self);
}

TEST_HARNESS_MAIN
