// SPDX-License-Identifier: GPL-2.0
/*
 * Access control: CAP_SYS_PTRACE for every ioctl, the device node's mode,
 * random tokens refused, hypercalls refused from guest ring 3.
 *
 * Usage: access_test [--long] [--seed N]
 *   --long    guess the full 10^6 tokens whatever the time (default: as
 *             many of them as fit in TOKENS_SHORT_MS)
 *   --seed N  seed of the token generator (default: from the clock;
 *             printed either way so that a failure can be replayed)
 */
#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <sys/stat.h>
#include <linux/capability.h>

#include "ra_common.h"
#include "hc_vm.h"

#define TOKENS_LONG	1000000ULL
#define TOKENS_SHORT_MS	10000ULL
#define TOKENS_CHUNK	20000ULL
#define NOBODY		65534

static bool opt_long;
static unsigned long long opt_seed;

/* Every command, valid or not, with a good or a NULL argument: EPERM. */
static void all_eperm(struct child_report *r, int fd, const char *who)
{
	struct remote_mapping_map m = { 0 };
	struct remote_mapping_unmap u = { 0 };
	struct remote_mapping_map_batch b = { .count = 1 };
	struct remote_mapping_token_grant g = { .intro_vm_fd = -1 };
	struct remote_mapping_token_revoke rv = { 0 };
	const struct {
		unsigned long cmd;
		void *arg;
	} c[] = {
		{ REMOTE_MAPPING_MAP, &m },
		{ REMOTE_MAPPING_UNMAP, &u },
		{ REMOTE_MAPPING_MAP_BATCH, &b },
		{ REMOTE_MAPPING_TOKEN_GRANT, &g },
		{ REMOTE_MAPPING_TOKEN_REVOKE, &rv },
		{ REMOTE_MAPPING_MAP, NULL },
		{ REMOTE_MAPPING_MAP_BATCH, NULL },
		{ REMOTE_MAPPING_TOKEN_GRANT, NULL },
		{ REMOTE_MAPPING_TOKEN_REVOKE, NULL },
		{ _IO(REMOTE_MAPPING_IOCTL_BASE, 0x7f), NULL },
	};
	size_t i;
	void *w;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		errno = 0;
		if (ioctl(fd, c[i].cmd, c[i].arg) != -1 || errno != EPERM)
			child_fail(r, "%s: command %#lx (%s): %s, not EPERM",
				   who, c[i].cmd, c[i].arg ? "arg" : "NULL",
				   strerror(errno));
	}
	/* A window is a mapping of other processes' memory too. */
	errno = 0;
	w = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, 0);
	if (w != MAP_FAILED || errno != EPERM)
		child_fail(r, "%s: mmap of a window: %s, not EPERM", who,
			   w != MAP_FAILED ? "success" : strerror(errno));
}

struct eperm_args {
	uintptr_t req;
	pid_t target;
};

static void eperm_no_cap_child(struct child_report *r, void *arg)
{
	struct eperm_args *a = arg;
	char *l = anon_map(3, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	int fd = rm_open(), ret;

	if (fd < 0 || !l)
		child_fail(r, "open: %s", strerror(-fd));
	if (set_cap_ptrace(false))
		child_fail(r, "capset");
	all_eperm(r, fd, "without CAP_SYS_PTRACE");
	/* The capability is what was missing: with it back, a map works. */
	if (set_cap_ptrace(true))
		child_fail(r, "capset");
	ret = __rm_map(fd, a->req, l + page_size, a->target,
		       REMOTE_MAPPING_TARGET_PID);
	if (ret)
		child_fail(r, "map with CAP_SYS_PTRACE: %s", strerror(-ret));
}

TEST_F(remote_mapping, eperm_without_cap_every_ioctl)
{
	struct eperm_args a = { .target = self->t.pid };

	a.req = t_alloc(_metadata, &self->t, 1);
	rm_in_child(_metadata, eperm_no_cap_child, &a);
	ra_expect_clean(_metadata, self);
}

/* An fd opened by root, used after the switch to an unprivileged uid. */
static void eperm_nobody_child(struct child_report *r, void *arg)
{
	int fd = rm_open(), fd2;

	(void)arg;
	if (fd < 0)
		child_fail(r, "open: %s", strerror(-fd));
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		child_fail(r, "dropping to uid %d: %s", NOBODY,
			   strerror(errno));
	all_eperm(r, fd, "uid nobody");
	/* And the node itself is closed to it. */
	fd2 = open(RM_DEV_PATH, O_RDWR);
	if (fd2 >= 0 || errno != EACCES)
		child_fail(r, "open by uid nobody: %s, not EACCES",
			   fd2 >= 0 ? "success" : strerror(errno));
}

TEST_F(remote_mapping, eperm_unprivileged_uid)
{
	rm_in_child(_metadata, eperm_nobody_child, NULL);
	ra_expect_clean(_metadata, self);
}

/* All capabilities, but in a user namespace: not in the initial one. */
static void eperm_userns_child(struct child_report *r, void *arg)
{
	int fd = rm_open();

	(void)arg;
	if (fd < 0)
		child_fail(r, "open: %s", strerror(-fd));
	if (unshare(CLONE_NEWUSER))
		_exit(0);	/* no user namespaces: nothing to check */
	all_eperm(r, fd, "in a user namespace");
}

TEST_F(remote_mapping, eperm_in_user_namespace)
{
	rm_in_child(_metadata, eperm_userns_child, NULL);
	ra_expect_clean(_metadata, self);
}

TEST_F(remote_mapping, device_node_mode)
{
	struct stat st;

	ASSERT_EQ(0, stat(RM_DEV_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777)
		TH_LOG("mode %#o", st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);
	EXPECT_EQ(0U, st.st_gid);
	/* /dev/kvmmem lives in the introspector VM; same rule if present. */
	if (!stat("/dev/kvmmem", &st)) {
		EXPECT_EQ(0600U, st.st_mode & 07777);
		EXPECT_EQ(0U, st.st_uid);
	}
}

/* --- hypercalls: tiny VMs ------------------------------------------- */

FIXTURE(hc) {
	int rm;
	bool up;
	struct tiny_vm intro;
	struct tiny_vm target;
	struct remote_mapping_token tok;
	long map0;
};

FIXTURE_SETUP(hc)
{
	const char *why;
	int ret;

	why = hv_unavailable();
	if (why)
		RM_SETUP_SKIP("%s", why);
	self->rm = rm_open();
	ASSERT_LE(0, self->rm);
	ASSERT_EQ(0, rm_read_counter(RM_MAP_COUNT, &self->map0));
	ret = hv_create(&self->intro);
	ASSERT_EQ(0, ret) TH_LOG("introspector VM: %s", strerror(-ret));
	ret = hv_create(&self->target);
	ASSERT_EQ(0, ret) TH_LOG("target VM: %s", strerror(-ret));
	self->up = true;
	ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 0,
				&self->tok));
	memcpy(self->intro.ram + HV_TOKEN_GPA, &self->tok, sizeof(self->tok));
}

FIXTURE_TEARDOWN(hc)
{
	if (!self->up)
		return;
	tvm_destroy(&self->intro);
	tvm_destroy(&self->target);
	close(self->rm);
}

static long maps_now(void)
{
	long v = -1;

	rm_read_counter(RM_MAP_COUNT, &v);
	return v;
}

#define HC_MODE(mode, nr, a0, a1, a2, a3) ({				\
	bool __fail = false;						\
	long long __r = hv_hypercall(&self->intro, mode, nr, a0, a1,	\
				     a2, a3, &__fail);			\
	ASSERT_FALSE(__fail) TH_LOG("running the guest: %s",		\
				    strerror((int)-__r));		\
	__r;								\
})

/*
 * The same hypercalls that work from 32-bit ring 0 are refused with
 * -KVM_EPERM from ring 3, before any argument is looked at.
 */
TEST_F(hc, ring3_hypercalls_refused)
{
	const __u64 req = HV_REQ_GPA, map = HV_MAP_GPA;
	struct kvmmem_map_entry *e =
		(struct kvmmem_map_entry *)(self->intro.ram + HV_ARRAY_GPA);

	/* Ring 0: the call maps. */
	ASSERT_EQ(0, HC_MODE(HV_MODE_PROT, KVM_HC_MEM_MAP, HV_TOKEN_GPA, req,
			     map, 0));
	ASSERT_EQ(0, hv_cpl(&self->intro));
	ASSERT_EQ(self->map0 + 1, maps_now());

	/* Ring 3: refused, nothing changes. */
	EXPECT_EQ(-HV_KVM_EPERM, HC_MODE(HV_MODE_USER, KVM_HC_MEM_MAP,
					 HV_TOKEN_GPA, req, map + 0x1000, 0));
	ASSERT_EQ(3, hv_cpl(&self->intro)) TH_LOG("the guest was not in ring 3");
	EXPECT_EQ(-HV_KVM_EPERM, HC_MODE(HV_MODE_USER, KVM_HC_MEM_UNMAP, map,
					 0, 0, 0));
	e[0] = (struct kvmmem_map_entry){ req, map + 0x2000, 1 };
	EXPECT_EQ(-HV_KVM_EPERM, HC_MODE(HV_MODE_USER, KVM_HC_MEM_MAP_BATCH,
					 HV_TOKEN_GPA, HV_ARRAY_GPA, 1, 0));
	EXPECT_EQ(1, e[0].err);
	/* A pool would replace the VM's memory there; its end likewise. */
	EXPECT_EQ(-HV_KVM_EPERM, HC_MODE(HV_MODE_USER, KVM_HC_MEM_POOL,
					 HV_TOKEN_GPA, map + 0x3000, 1, 0));
	EXPECT_EQ(-HV_KVM_EPERM, HC_MODE(HV_MODE_USER, KVM_HC_MEM_UNPOOL,
					 map + 0x3000, 1, 0, 0));
	/* Even numbers nobody serves, and bad arguments. */
	EXPECT_EQ(-HV_KVM_EPERM, HC_MODE(HV_MODE_USER, 40, 0, 0, 0, 0));
	EXPECT_EQ(-HV_KVM_EPERM, HC_MODE(HV_MODE_USER, KVM_HC_MEM_MAP, 0xfff,
					 1, 2, 3));
	EXPECT_EQ(self->map0 + 1, maps_now());

	/* Ring 3 made no pool: ring 0 finds none to end. */
	EXPECT_EQ(-ENOENT, HC_MODE(HV_MODE_PROT, KVM_HC_MEM_UNPOOL,
				   map + 0x3000, 1, 0, 0));

	/* The ring-0 mapping is still there; ring 0 can unmap it. */
	EXPECT_EQ(-EALREADY, HC_MODE(HV_MODE_PROT, KVM_HC_MEM_MAP,
				     HV_TOKEN_GPA, req, map, 0));
	EXPECT_EQ(0, HC_MODE(HV_MODE_PROT, KVM_HC_MEM_UNMAP, map, 0, 0, 0));
	EXPECT_EQ(self->map0, maps_now());
}

/*
 * Random 256-bit tokens, each in a KVM_HC_MEM_MAP from the guest (a loop
 * in the guest, one exit per call), while the target VM has all of its
 * REMOTE_MAPPING_MAX_TOKENS tokens outstanding: none is accepted.  One
 * real token is slipped in once to show that an acceptance is seen.
 */
TEST_F_TIMEOUT(hc, random_tokens_refused, 7200)
{
	unsigned long long seed = opt_seed, done = 0, refused = 0;
	__u64 budget_ms = opt_long ? ~0ULL : TOKENS_SHORT_MS;
	__u64 start, n, good_at, ms;
	struct hv_guess g;
	int i, ret;

	for (i = 1; i < REMOTE_MAPPING_MAX_TOKENS; i++)
		ASSERT_EQ(0, __rm_grant(self->rm, self->target.vm_fd, -1, 0, 0,
					NULL));
	memcpy(self->intro.ram + HV_GOOD_GPA, &self->tok, sizeof(self->tok));
	fprintf(stderr, "# random_tokens_refused: seed %llu (--seed to replay)\n",
		seed);

	start = now_ms();
	g.state = seed;
	while (done < TOKENS_LONG && now_ms() - start < budget_ms) {
		n = TOKENS_LONG - done < TOKENS_CHUNK ? TOKENS_LONG - done :
							 TOKENS_CHUNK;
		/* The real token once, in the first chunk, call 1000. */
		good_at = done ? 0 : n - 999;
		ret = hv_guess_tokens(&self->intro, g.state, n, good_at,
				      HV_REQ_GPA, HV_MAP_GPA, &g);
		ASSERT_EQ(0, ret) TH_LOG("running the guest: %s",
					 strerror(-ret));
		ASSERT_EQ(0ULL, g.other) TH_LOG("unexpected result %lld",
						(long long)g.last_other);
		ASSERT_EQ(good_at ? 1ULL : 0ULL, g.ok)
			TH_LOG("%llu random tokens accepted (seed %llu)",
			       (unsigned long long)g.ok - !!good_at, seed);
		ASSERT_EQ(n - !!good_at, g.eperm);
		if (good_at) {
			ASSERT_EQ(self->map0 + 1, maps_now());
			ASSERT_EQ(0, HC_MODE(HV_MODE_LONG, KVM_HC_MEM_UNMAP,
					     HV_MAP_GPA, 0, 0, 0));
		}
		refused += g.eperm;
		done += n;
	}
	ms = now_ms() - start;
	EXPECT_EQ(self->map0, maps_now());
	fprintf(stderr, "# random_tokens_refused: %llu refused in %llu ms (%llu/s)\n",
		refused, (unsigned long long)ms, ms ? refused * 1000 / ms : 0);
	if (done < TOKENS_LONG)
		fprintf(stderr, "# random_tokens_refused: time budget reached (--long for 10^6)\n");
	if (opt_long)
		EXPECT_EQ(TOKENS_LONG - 1, refused);
}

static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	int i;

	opt_seed = now_ms() ^ ((unsigned long long)getpid() << 32);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--long"))
			opt_long = true;
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			opt_seed = strtoull(argv[++i], NULL, 0);
	}
	if (!opt_seed)
		opt_seed = 1;
	return test_harness_run(argc, argv);
}
