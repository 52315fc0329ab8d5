// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel API of remote_mapping.ko with raw values, through the
 * rm_kapi test module: one errno each, nothing left behind.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <sys/utsname.h>
#include <limits.h>

#include "ra_common.h"
#include "rm_kapi.h"

#define KAPI_DEV	"/dev/rm_kapi"
#define SEED		0x6a91000000000000ULL

static bool kapi_loaded_here;

/*
 * Load rm_kapi.ko unless it is loaded: the one built next to this program
 * (for the Debian kernel), else the running kernel's copy in
 * /lib/modules (scripts/build-debug-kernel.sh installs one there).
 */
static void kapi_load(void)
{
	char exe[PATH_MAX], ko[PATH_MAX + 16];
	struct utsname u;
	ssize_t n;

	if (!access(KAPI_DEV, F_OK) || access(RM_DEV_PATH, F_OK))
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(ko, sizeof(ko), "%s/rm_kapi.ko", dirname(exe));
		if (!access(ko, R_OK) && !run_cmd("insmod", ko, NULL)) {
			kapi_loaded_here = true;
			return;
		}
	}
	if (uname(&u))
		return;
	snprintf(ko, sizeof(ko), "/lib/modules/%s/extra/rm_kapi.ko",
		 u.release);
	if (!access(ko, R_OK) && !run_cmd("insmod", ko, NULL))
		kapi_loaded_here = true;
}

/* The module holds a reference on remote_mapping: let it go at the end. */
static void kapi_unload(void)
{
	if (kapi_loaded_here)
		run_cmd("rmmod", "rm_kapi", NULL);
}

static int kapi_open(struct __test_metadata *_metadata)
{
	int fd = open(KAPI_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		SKIP(return -1, "%s missing: rm_kapi.ko not built or loaded",
		     KAPI_DEV);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", KAPI_DEV, strerror(errno));
	return fd;
}

/* The function's return value; the ioctl itself must work. */
static long long kapi(struct __test_metadata *_metadata, int fd,
		      struct rm_kapi_call *c)
{
	int ret = ioctl(fd, RM_KAPI_CALL, c);

	ASSERT_EQ(0, ret) TH_LOG("RM_KAPI_CALL op %u: %s", c->op,
				 strerror(errno));
	return c->ret;
}

static int kapi_grab(int fd, pid_t pid)
{
	struct rm_kapi_call c = { .op = RM_KAPI_GRAB, .pid = pid };

	return ioctl(fd, RM_KAPI_CALL, &c) ? -errno : 0;
}

/* A target that exited, its mm kept (mm_count only) by rm_kapi. */
static void grab_dead_mm(struct __test_metadata *_metadata, int fd)
{
	struct rm_target t;

	ASSERT_EQ(0, target_start(&t));
	ASSERT_EQ(0, kapi_grab(fd, t.pid));
	target_stop(&t);
}

struct kcase {
	const char *name;
	__u32 op;
	__u32 mm;
	int req;	/* enum kaddr */
	int map;
	__u32 flags;
	__u32 kthread;
	int err;	/* 0: EFAULT with la57, else EINVAL */
};

enum kaddr {
	K_OK, K_PLUS1, K_HALF, K_KERNEL, K_NONCANON47, K_NONCANON, K_HOLE,
	K_ZERO, K_SELF_SRC,
};

static const struct kcase map_cases[] = {
	{ "req unaligned", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID, K_PLUS1, K_OK,
	  0, 0, EINVAL },
	{ "map unaligned", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID, K_OK, K_HALF,
	  0, 0, EINVAL },
	{ "req kernel address", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID, K_KERNEL,
	  K_OK, 0, 0, EINVAL },
	{ "map kernel address", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID, K_OK,
	  K_KERNEL, 0, 0, EINVAL },
	{ "req 0x800000000000", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID,
	  K_NONCANON47, K_OK, 0, 0, 0 },
	{ "map 0x800000000000", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID, K_OK,
	  K_NONCANON47, 0, 0, 0 },
	{ "req 0x8000000000000000", RM_KAPI_MAP, RM_KAPI_MM_PID, K_NONCANON,
	  K_OK, 0, 0, EINVAL },
	{ "map 0x8000000000000000", RM_KAPI_MAP, RM_KAPI_MM_PID, K_OK,
	  K_NONCANON, 0, 0, EINVAL },
	{ "req 0", RM_KAPI_MAP, RM_KAPI_MM_PID, K_ZERO, K_OK, 0, 0, EINVAL },
	{ "req unmapped", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID, K_HOLE, K_OK,
	  RM_KAPI_READONLY, 0, EFAULT },
	{ "map unmapped", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID, K_OK, K_HOLE,
	  0, 0, EFAULT },
	{ "NULL mm", RM_KAPI_MAP, RM_KAPI_MM_NULL, K_OK, K_OK, 0, 0,
	  EINVAL },
	{ "NULL mm, flags", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_NULL, K_OK, K_OK,
	  RM_KAPI_READONLY, 0, EINVAL },
	{ "exited mm", RM_KAPI_MAP, RM_KAPI_MM_GRABBED, K_OK, K_OK, 0, 0,
	  ESRCH },
	{ "exited mm, flags", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_GRABBED, K_OK,
	  K_OK, RM_KAPI_READONLY, 0, ESRCH },
	{ "flags bit 16", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID, K_OK, K_OK,
	  1U << 16, 0, EINVAL },
	{ "flags bit 31", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID, K_OK, K_OK,
	  1U << 31 | RM_KAPI_READONLY, 0, EINVAL },
	{ "flags ~0", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID, K_OK, K_OK, ~0U, 0,
	  EINVAL },
	{ "from a kernel thread", RM_KAPI_MAP, RM_KAPI_MM_PID, K_OK, K_OK, 0,
	  1, EINVAL },
	{ "from a kernel thread, flags", RM_KAPI_MAP_FLAGS, RM_KAPI_MM_PID,
	  K_OK, K_OK, 0, 1, EINVAL },
	{ "own page onto itself", RM_KAPI_MAP, RM_KAPI_MM_PID, K_SELF_SRC,
	  K_SELF_SRC, 0, 0, EINVAL },
	{ "unmap unaligned", RM_KAPI_UNMAP, RM_KAPI_MM_NULL, K_OK, K_PLUS1,
	  0, 0, EINVAL },
	{ "unmap kernel address", RM_KAPI_UNMAP, RM_KAPI_MM_NULL, K_OK,
	  K_KERNEL, 0, 0, EINVAL },
	{ "unmap 0", RM_KAPI_UNMAP, RM_KAPI_MM_NULL, K_OK, K_ZERO, 0, 0,
	  EINVAL },
	{ "unmap 0x8000000000000000", RM_KAPI_UNMAP, RM_KAPI_MM_NULL, K_OK,
	  K_NONCANON, 0, 0, EINVAL },
	{ "unmap not a mirror", RM_KAPI_UNMAP, RM_KAPI_MM_NULL, K_OK, K_OK,
	  0, 0, ENOENT },
	{ "unmap unmapped", RM_KAPI_UNMAP, RM_KAPI_MM_NULL, K_OK, K_HOLE, 0,
	  0, ENOENT },
	{ "unmap from a kernel thread", RM_KAPI_UNMAP, RM_KAPI_MM_NULL, K_OK,
	  K_OK, 0, 1, EINVAL },
};

struct kenv {
	uintptr_t req, req_hole;
	char *map, *self_src;
	uintptr_t map_hole;
};

static __u64 kaddr(const struct kenv *e, int a, bool req)
{
	uintptr_t ok = req ? e->req : (uintptr_t)e->map;

	switch (a) {
	case K_OK:
		return ok;
	case K_PLUS1:
		return ok + 1;
	case K_HALF:
		return ok + page_size / 2;
	case K_KERNEL:
		return RM_KERNEL_ADDR;
	case K_NONCANON47:
		return RA_NONCANON47;
	case K_NONCANON:
		return RA_NONCANON;
	case K_HOLE:
		return req ? e->req_hole : e->map_hole;
	case K_SELF_SRC:
		return (uintptr_t)e->self_src;
	}
	return 0;
}

TEST_F(remote_mapping, kapi_map_unmap_bad_inputs)
{
	int kfd = kapi_open(_metadata);
	const struct kcase *k;
	struct rm_kapi_call c;
	struct kenv e;
	long long ret;
	int err;
	size_t i;

	if (kfd < 0)
		return;
	e.req = t_alloc(_metadata, &self->t, 1);
	t_fill(_metadata, &self->t, e.req, page_size, SEED);
	e.req_hole = ra_top_hole(self->t.pid);
	e.map = rm_anon3(_metadata) + page_size;
	e.self_src = rm_anon3(_metadata) + page_size;
	e.map_hole = ra_top_hole(getpid());
	ASSERT_TRUE(e.req_hole && e.map_hole);
	grab_dead_mm(_metadata, kfd);

	for (i = 0; i < ARRAY_SIZE(map_cases); i++) {
		k = &map_cases[i];
		c = (struct rm_kapi_call){
			.op = k->op, .mm = k->mm, .flags = k->flags,
			.req_hva = kaddr(&e, k->req, true),
			.map_hva = kaddr(&e, k->map, false),
			.kthread = k->kthread,
			.pid = k->req == K_SELF_SRC ? getpid() : self->t.pid,
		};
		err = k->err ? k->err : ra_la57() ? EFAULT : EINVAL;
		ret = kapi(_metadata, kfd, &c);
		if (!ret && k->op != RM_KAPI_UNMAP)
			__rm_unmap(self->fd, (void *)(uintptr_t)c.map_hva);
		EXPECT_EQ(-err, ret) TH_LOG("%s", k->name);
	}
	rm_check_anon3(_metadata, e.map - page_size);
	close(kfd);
	ra_expect_clean(_metadata, self);
}

/* The same calls work with good values: the failures were the values'. */
TEST_F(remote_mapping, kapi_map_unmap_work)
{
	int kfd = kapi_open(_metadata);
	struct rm_kapi_call c;
	char *map, *ro;
	uintptr_t req;

	if (kfd < 0)
		return;
	req = t_alloc(_metadata, &self->t, 1);
	t_fill(_metadata, &self->t, req, page_size, SEED);
	map = rm_anon3(_metadata) + page_size;
	ro = rm_anon3(_metadata) + page_size;

	c = (struct rm_kapi_call){ .op = RM_KAPI_MAP, .pid = self->t.pid,
				   .req_hva = req, .map_hva = (uintptr_t)map };
	ASSERT_EQ(0, kapi(_metadata, kfd, &c));
	c.op = RM_KAPI_MAP_FLAGS;
	c.flags = RM_KAPI_READONLY;
	c.map_hva = (uintptr_t)ro;
	ASSERT_EQ(0, kapi(_metadata, kfd, &c));
	rm_expect_maps(_metadata, self, 2);
	check_pattern(_metadata, map, page_size, SEED);
	check_coherent(_metadata, &self->t, req, map, SEED + 99);
	ASSERT_EQ(SEED + 99, must_read(_metadata, ro + 8));
	ASSERT_EQ(SIGSEGV, probe_write(ro, 1));

	c = (struct rm_kapi_call){ .op = RM_KAPI_UNMAP,
				   .map_hva = (uintptr_t)map };
	ASSERT_EQ(0, kapi(_metadata, kfd, &c));
	c.map_hva = (uintptr_t)ro;
	ASSERT_EQ(0, kapi(_metadata, kfd, &c));
	close(kfd);
	ra_expect_clean(_metadata, self);
}

/*
 * MM_REMOTE_ZEROHOLE: coherent while the target page exists; once the
 * target unmaps it, zeros and a private page instead of SIGBUS, for good.
 */
TEST_F(remote_mapping, kapi_zerohole)
{
	int kfd = kapi_open(_metadata);
	struct rm_kapi_call c;
	uintptr_t req;
	char *map, *plain;

	if (kfd < 0)
		return;
	req = t_alloc(_metadata, &self->t, 1);
	t_fill(_metadata, &self->t, req, page_size, SEED);
	map = rm_anon3(_metadata) + page_size;
	plain = rm_anon3(_metadata) + page_size;
	c = (struct rm_kapi_call){ .op = RM_KAPI_MAP_FLAGS,
				   .flags = RM_KAPI_ZEROHOLE,
				   .pid = self->t.pid, .req_hva = req,
				   .map_hva = (uintptr_t)map };
	ASSERT_EQ(0, kapi(_metadata, kfd, &c));
	rm_map(_metadata, self->fd, req, plain, self->t.pidfd, 0);
	check_pattern(_metadata, map, page_size, SEED);
	check_coherent(_metadata, &self->t, req, map, SEED + 7);

	t_call(_metadata, &self->t, TARGET_MUNMAP, req, page_size, 0, 0);
	ASSERT_EQ(SIGBUS, probe_read(plain, &(__u64){ 0 }));
	ASSERT_EQ(0ULL, must_read(_metadata, map + 8));
	ASSERT_TRUE(is_zero(map, page_size));
	must_write(_metadata, map + 16, SEED + 9);
	ASSERT_EQ(SEED + 9, must_read(_metadata, map + 16));
	/* A new page at req_hva is not followed any more. */
	ASSERT_EQ(req, t_call(_metadata, &self->t, TARGET_MMAP, req,
			      page_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED));
	t_write(_metadata, &self->t, req + 16, SEED + 11);
	ASSERT_EQ(SEED + 11, must_read(_metadata, plain + 16));
	ASSERT_EQ(SEED + 9, must_read(_metadata, map + 16));
	rm_expect_maps(_metadata, self, 2);

	rm_unmap(_metadata, self->fd, map);
	rm_unmap(_metadata, self->fd, plain);
	close(kfd);
	ra_expect_clean(_metadata, self);
}

#define NB	8

TEST_F(remote_mapping, kapi_batch_bad_inputs)
{
	int kfd = kapi_open(_metadata);
	__u64 req[NB], map[NB];
	__s32 errs[NB];
	struct rm_kapi_call c;
	uintptr_t treq, hole;
	char *l[3];
	int i;

	if (kfd < 0)
		return;
	treq = t_alloc(_metadata, &self->t, 2);
	t_fill(_metadata, &self->t, treq, 2 * page_size, SEED);
	hole = ra_top_hole(self->t.pid);
	ASSERT_NE(0UL, hole);
	for (i = 0; i < 3; i++)
		l[i] = rm_anon3(_metadata) + page_size;
	grab_dead_mm(_metadata, kfd);

	/* Raw entries: two good ones around every kind of bad one. */
	req[0] = treq;			map[0] = (uintptr_t)l[0];
	req[1] = treq + 8;		map[1] = (uintptr_t)l[1];
	req[2] = RM_KERNEL_ADDR;	map[2] = (uintptr_t)l[1];
	req[3] = treq;			map[3] = RA_NONCANON;
	req[4] = hole;			map[4] = (uintptr_t)l[1];
	req[5] = treq;			map[5] = ra_top_hole(getpid());
	req[6] = treq + page_size;	map[6] = (uintptr_t)l[0];
	req[7] = treq + page_size;	map[7] = (uintptr_t)l[2];
	memset(errs, 0x55, sizeof(errs));
	c = (struct rm_kapi_call){
		.op = RM_KAPI_MAP_BATCH, .pid = self->t.pid, .n = NB,
		.req_hvas = (uintptr_t)req, .map_hvas = (uintptr_t)map,
		.errs = (uintptr_t)errs,
	};
	ASSERT_EQ(2, kapi(_metadata, kfd, &c));
	EXPECT_EQ(0, errs[0]);
	EXPECT_EQ(-EINVAL, errs[1]);
	EXPECT_EQ(-EINVAL, errs[2]);
	EXPECT_EQ(-EINVAL, errs[3]);
	EXPECT_EQ(-EFAULT, errs[4]);
	EXPECT_EQ(-EFAULT, errs[5]);
	EXPECT_EQ(-EAGAIN, errs[6]);	/* same map_hva as entry 0 */
	EXPECT_EQ(0, errs[7]);
	rm_expect_maps(_metadata, self, 2);
	check_pattern(_metadata, l[2], page_size, SEED + page_size / 8);
	rm_check_anon3(_metadata, l[1] - page_size);
	rm_unmap(_metadata, self->fd, l[0]);
	rm_unmap(_metadata, self->fd, l[2]);

	/* Calls that fail as a whole. */
	c.n = 0;
	EXPECT_EQ(-EINVAL, kapi(_metadata, kfd, &c)) TH_LOG("n = 0");
	c.n = 1;
	c.flags = 1U << 16;
	EXPECT_EQ(-EINVAL, kapi(_metadata, kfd, &c)) TH_LOG("flags bit 16");
	c.flags = ~0U;
	EXPECT_EQ(-EINVAL, kapi(_metadata, kfd, &c)) TH_LOG("flags ~0");
	c.flags = 0;
	c.mm = RM_KAPI_MM_NULL;
	EXPECT_EQ(-EINVAL, kapi(_metadata, kfd, &c)) TH_LOG("NULL mm");
	c.mm = RM_KAPI_MM_GRABBED;
	EXPECT_EQ(-ESRCH, kapi(_metadata, kfd, &c)) TH_LOG("exited mm");
	c.mm = RM_KAPI_MM_PID;
	c.kthread = 1;
	EXPECT_EQ(-EINVAL, kapi(_metadata, kfd, &c)) TH_LOG("kernel thread");
	rm_expect_maps(_metadata, self, 0);
	close(kfd);
	ra_expect_clean(_metadata, self);
}

static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	kapi_load();
	atexit(kapi_unload);
	return test_harness_run(argc, argv);
}
