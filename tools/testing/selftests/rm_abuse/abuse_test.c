// SPDX-License-Identifier: GPL-2.0
/*
 * Abuse of /dev/remote_mapping: mirror chains, processes mapping each
 * other, userfaultfd, hugetlbfs, tmpfs/memfd/shmem and mlocked targets,
 * and races of close, munmap, exec, fork and target exit with the ioctls.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <sys/prctl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <linux/mempolicy.h>

#include "ra_common.h"

#define SEED	0xab05e00000000000ULL
#define TAG	0x7a90000000000000ULL

/* --- loads and stores that survive SIGSEGV/SIGBUS, in any thread ---- */

static __thread void *ra_env;	/* sigjmp_buf of the access in progress */

static void ra_signal(int sig)
{
	if (ra_env)
		siglongjmp(*(sigjmp_buf *)ra_env, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void ra_install(void)
{
	struct sigaction sa = { .sa_handler = ra_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* 0 or the signal the access raised. */
static int ra_access(void *addr, bool write, __u64 *val)
{
	sigjmp_buf env;
	int sig;

	sig = sigsetjmp(env, 1);
	if (!sig) {
		ra_env = &env;
		if (write)
			poke(addr, *val);
		else
			*val = peek(addr);
	}
	ra_env = NULL;
	return sig;
}

static __u64 elapsed_ms(__u64 start)
{
	return now_ms() - start;
}

/* --- a peer: another introspector process with its own file ---------- */

struct peer {
	pid_t pid;
	int to[2], from[2];
};

struct peer_msg {
	__u64 a, b, c;
	__s64 ret;
};

static int peer_send(int fd, const struct peer_msg *m)
{
	return write(fd, m, sizeof(*m)) == sizeof(*m) ? 0 : -EIO;
}

static int peer_recv(int fd, struct peer_msg *m)
{
	return read(fd, m, sizeof(*m)) == sizeof(*m) ? 0 : -EIO;
}

static int peer_start(struct peer *p, void (*fn)(struct peer *p))
{
	if (pipe(p->to) || pipe(p->from))
		return -errno;
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (!p->pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p->to[1]);
		close(p->from[0]);
		fn(p);
		_exit(0);
	}
	close(p->to[0]);
	close(p->from[1]);
	return 0;
}

/* 0 when the peer exited with status 0 within @ms, else -1. */
static int peer_wait(struct peer *p, int ms)
{
	__u64 start = now_ms();
	int status;
	pid_t r;

	while ((r = waitpid(p->pid, &status, WNOHANG)) == 0 &&
	       elapsed_ms(start) < (__u64)ms)
		sleep_ms(10);
	if (r != p->pid) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		return -1;
	}
	close(p->to[1]);
	close(p->from[0]);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

/*
 * Chains: a peer maps our mirror (ELOOP, single and batch); we map the
 * peer's mirror of our own page (ELOOP); the peer's mirror works.
 */
static void chain_peer(struct peer *p)
{
	struct peer_msg m;
	char *l = anon_map(5, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	int fd = rm_open();
	__u64 req[2], map[2];
	__s32 errs[2];
	struct remote_mapping_map_batch b = {
		.target = getppid(), .flags = REMOTE_MAPPING_TARGET_PID,
		.count = 2, .req_hvas = (uintptr_t)req,
		.map_hvas = (uintptr_t)map, .errs = (uintptr_t)errs,
	};

	if (!l || fd < 0 || peer_recv(p->to[0], &m))
		_exit(10);
	/* m.a: the parent's mirror, m.b: a plain page of the parent */
	m.ret = __rm_map(fd, m.a, l + page_size, getppid(),
			 REMOTE_MAPPING_TARGET_PID);
	req[0] = m.b;
	map[0] = (uintptr_t)l + page_size;
	req[1] = m.a;
	map[1] = (uintptr_t)l + 3 * page_size;
	m.c = ioctl(fd, REMOTE_MAPPING_MAP_BATCH, &b);
	if (m.ret != -ELOOP || m.c != 1 || errs[0] || errs[1] != -ELOOP)
		_exit(11);
	/* Our mirror of the parent's plain page, for it to try. */
	m.a = (uintptr_t)l + page_size;
	if (peer_send(p->from[1], &m) || peer_recv(p->to[0], &m))
		_exit(12);
	if (peek(l + page_size) != m.c)
		_exit(13);
}

TEST_F(remote_mapping, mirror_chains_eloop)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 1);
	char *mirror = rm_anon3(_metadata) + page_size;
	char *plain = rm_anon3(_metadata) + page_size;
	char *map = rm_anon3(_metadata) + page_size;
	struct peer_msg m = { 0 };
	struct peer p;

	t_fill(_metadata, &self->t, req, page_size, SEED);
	rm_map(_metadata, self->fd, req, mirror, self->t.pidfd, 0);
	pattern_fill(plain, page_size, SEED + 1);
	ASSERT_EQ(0, peer_start(&p, chain_peer));
	m.a = (uintptr_t)mirror;
	m.b = (uintptr_t)plain;
	ASSERT_EQ(0, peer_send(p.to[1], &m));
	ASSERT_EQ(0, peer_recv(p.from[0], &m));
	rm_expect_maps(_metadata, self, 2);
	/* The peer's mirror of our page: no chain through it either. */
	rm_map_fails(_metadata, self->fd, m.a, map, p.pid,
		     REMOTE_MAPPING_TARGET_PID | REMOTE_MAPPING_READONLY,
		     ELOOP);
	m.c = SEED + 1;
	ASSERT_EQ(0, peer_send(p.to[1], &m));
	ASSERT_EQ(0, peer_wait(&p, 10000)) TH_LOG("the peer failed");
	check_pattern(_metadata, mirror, page_size, SEED);
	rm_unmap(_metadata, self->fd, mirror);
	ra_expect_clean(_metadata, self);
}

/*
 * A maps B's page while B maps A's page; both hammer their mirror and
 * make the other's mirror refault (protection changes of their own page)
 * at the same time.  No deadlock, bounded time, values monotonic.
 */
#define AB_MS		2500
#define AB_LIMIT_MS	30000

static int ab_loop(int fd, __u64 *own, __u64 *mirror, __u64 ms)
{
	__u64 start = now_ms(), i, seen = 0, v;

	for (i = 1; elapsed_ms(start) < ms; i++) {
		poke(mirror, i);		/* lands in the other's page */
		v = peek(own);			/* written by the other */
		if (v < seen)
			return -1;
		seen = v;
		if (peek(mirror) != i)
			return -2;
		if (!(i % 16)) {
			if (mprotect(own, page_size, PROT_READ | PROT_WRITE |
				     PROT_EXEC) ||
			    mprotect(own, page_size, PROT_READ | PROT_WRITE))
				return -3;
		}
		if (!(i % 64))
			sched_yield();
	}
	(void)fd;
	return seen ? 0 : -4;
}

static void ab_peer(struct peer *p)
{
	char *own = anon_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *l = anon_map(3, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	int fd = rm_open();
	struct peer_msg m = { 0 };

	if (!own || !l || fd < 0)
		_exit(10);
	poke(own, 0);
	m.a = (uintptr_t)own;
	if (peer_send(p->from[1], &m) || peer_recv(p->to[0], &m))
		_exit(11);
	if (__rm_map(fd, m.a, l + page_size, getppid(),
		     REMOTE_MAPPING_TARGET_PID))
		_exit(12);
	if (peer_send(p->from[1], &m) || peer_recv(p->to[0], &m))
		_exit(13);
	if (ab_loop(fd, (__u64 *)own, (__u64 *)(l + page_size), AB_MS))
		_exit(14);
	if (__rm_unmap(fd, l + page_size))
		_exit(15);
}

TEST_F_TIMEOUT(remote_mapping, recursive_a_b, 60)
{
	char *own = anon_map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *map = rm_anon3(_metadata) + page_size;
	struct peer_msg m = { 0 };
	struct peer p;
	__u64 start;
	int ret;

	ASSERT_NE(NULL, own);
	poke(own, 0);
	ASSERT_EQ(0, peer_start(&p, ab_peer));
	ASSERT_EQ(0, peer_recv(p.from[0], &m));
	rm_map(_metadata, self->fd, m.a, map, p.pid,
	       REMOTE_MAPPING_TARGET_PID);
	m.a = (uintptr_t)own;
	ASSERT_EQ(0, peer_send(p.to[1], &m));
	ASSERT_EQ(0, peer_recv(p.from[0], &m));
	rm_expect_maps(_metadata, self, 2);

	start = now_ms();
	ASSERT_EQ(0, peer_send(p.to[1], &m));
	ret = ab_loop(self->fd, (__u64 *)own, (__u64 *)map, AB_MS);
	EXPECT_EQ(0, ret) TH_LOG("A's loop: %d", ret);
	EXPECT_EQ(0, peer_wait(&p, AB_LIMIT_MS)) TH_LOG("B failed or hung");
	EXPECT_GT((__u64)AB_LIMIT_MS, elapsed_ms(start));
	TH_LOG("A and B mapped each other for %llu ms",
	       (unsigned long long)elapsed_ms(start));
	rm_unmap(_metadata, self->fd, map);
	ra_expect_clean(_metadata, self);
}

/*
 * The caller maps its own pages twice (single and batch, one read-only)
 * while a thread writes the source: coherent; an munmap of the source
 * gives SIGBUS, a new mapping there is seen.
 */
struct writer {
	__u64 *p;
	int stop;
	__u64 n;
};

static bool stopped(int *stop)
{
	return __atomic_load_n(stop, __ATOMIC_ACQUIRE);
}

static void *writer_fn(void *arg)
{
	struct writer *w = arg;

	while (!stopped(&w->stop))
		poke(w->p, ++w->n);
	return NULL;
}

TEST_F(remote_mapping, self_map_with_writer_thread)
{
	char *src = rm_anon3(_metadata) + page_size;
	char *m1 = rm_anon3(_metadata) + page_size;
	char *m2 = rm_anon3(_metadata) + page_size;
	__u64 req[1] = { (uintptr_t)src }, map[1] = { (uintptr_t)m2 };
	__s32 errs[1];
	struct remote_mapping_map_batch b = {
		.target = getpid(), .count = 1,
		.flags = REMOTE_MAPPING_TARGET_PID | REMOTE_MAPPING_READONLY,
		.req_hvas = (uintptr_t)req, .map_hvas = (uintptr_t)map,
		.errs = (uintptr_t)errs,
	};
	struct writer w = { .p = (__u64 *)src };
	__u64 last = 0, v, i, val;
	pthread_t th;

	pattern_fill(src, page_size, SEED);
	poke(src, 0);
	rm_map(_metadata, self->fd, (uintptr_t)src, m1, getpid(),
	       REMOTE_MAPPING_TARGET_PID);
	ASSERT_EQ(1, ioctl(self->fd, REMOTE_MAPPING_MAP_BATCH, &b));
	ASSERT_EQ(0, pthread_create(&th, NULL, writer_fn, &w));
	for (i = 0; i < 20000; i++) {
		v = peek(m2);
		ASSERT_LE(last, v);
		last = v;
		ASSERT_LE(v, peek(m1));
		ASSERT_EQ(SEED + 9, peek(m1 + 72));
	}
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	ASSERT_EQ(w.n, peek(m1));
	ASSERT_EQ(w.n, peek(m2));
	poke(m1 + 8, TAG);
	ASSERT_EQ(TAG, peek(src + 8));
	ASSERT_EQ(TAG, peek(m2 + 8));

	/* The source goes away: SIGBUS, then the new page there. */
	ra_install();
	ASSERT_EQ(0, munmap(src, page_size));
	ASSERT_EQ(SIGBUS, ra_access(m1, false, &val));
	ASSERT_EQ(SIGBUS, ra_access(m2, false, &val));
	ASSERT_EQ(src, mmap(src, page_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	poke(src + 16, TAG + 1);
	ASSERT_EQ(0, ra_access(m1 + 16, false, &val));
	ASSERT_EQ(TAG + 1, val);
	ASSERT_EQ(0, ra_access(m2 + 16, false, &val));
	ASSERT_EQ(TAG + 1, val);
	rm_unmap(_metadata, self->fd, m1);
	rm_unmap(_metadata, self->fd, m2);
	ra_expect_clean(_metadata, self);
}

/*
 * Review item 9: a target invalidation zaps the mirrors of its pages; when
 * the mirrors are in the target's own mm, each zap invalidates that mm
 * again, inside the walk that holds its pdbs_sem for read.  Without a
 * guard the nested walk takes pdbs_sem for read a second time, and a map
 * or unmap queued for write in between deadlocks both.  Here one thread
 * keeps invalidating self-mapped pages (and a reader keeps their mirror
 * PTEs installed, so that every invalidation zaps) while another maps and
 * unmaps, taking pdbs_sem for write each time.
 */
#define NEST_PAGES	32
#define NEST_MS		6000

struct nest_worker {
	char *src;
	char *map;
	int fd;
	int stop;
	__u64 rounds;
	int err;
};

static void *nest_invalidator(void *arg)
{
	struct nest_worker *w = arg;
	size_t i;

	while (!stopped(&w->stop)) {
		for (i = 0; i < NEST_PAGES; i++)
			poke(w->src + i * page_size, w->rounds);
		if (madvise(w->src, NEST_PAGES * page_size, MADV_DONTNEED)) {
			w->err = errno;
			break;
		}
		w->rounds++;
	}
	return NULL;
}

static void *nest_reader(void *arg)
{
	struct nest_worker *w = arg;
	__u64 sum = 0;
	size_t i;

	/* peek() is a real load: each one installs the mirror's PTE. */
	while (!stopped(&w->stop)) {
		for (i = 0; i < NEST_PAGES; i++)
			sum += peek(w->map + i * page_size);
		w->rounds++;
	}
	w->err = sum == ~0ULL;	/* keeps the loads */
	return NULL;
}

static void *nest_mapper(void *arg)
{
	struct nest_worker *w = arg;
	int ret;

	while (!stopped(&w->stop)) {
		ret = __rm_map(w->fd, (uintptr_t)w->src, w->map, getpid(),
			       REMOTE_MAPPING_TARGET_PID);
		if (!ret)
			ret = __rm_unmap(w->fd, w->map);
		if (ret) {
			w->err = -ret;
			break;
		}
		w->rounds++;
	}
	return NULL;
}

TEST_F_TIMEOUT(remote_mapping, self_map_nested_invalidation_vs_writers, 120)
{
	char *src = anon_map(NEST_PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *map = anon_map(NEST_PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *extra = rm_anon3(_metadata) + page_size;
	__u64 req[NEST_PAGES], maps[NEST_PAGES];
	struct nest_worker inv = { 0 }, rd = { 0 }, mp = { 0 };
	pthread_t t_inv, t_rd, t_mp;
	__s32 errs[NEST_PAGES];
	__u64 start;
	size_t i;

	ASSERT_TRUE(src && map);
	for (i = 0; i < NEST_PAGES; i++) {
		poke(src + i * page_size, i);
		req[i] = (uintptr_t)src + i * page_size;
		maps[i] = (uintptr_t)map + i * page_size;
	}
	ASSERT_EQ(NEST_PAGES, __rm_map_batch(self->fd, getpid(),
					     REMOTE_MAPPING_TARGET_PID, req,
					     maps, errs, NEST_PAGES));
	inv = (struct nest_worker){ .src = src };
	rd = (struct nest_worker){ .map = map };
	mp = (struct nest_worker){ .src = src + page_size, .map = extra,
				   .fd = self->fd };
	start = now_ms();
	ASSERT_EQ(0, pthread_create(&t_inv, NULL, nest_invalidator, &inv));
	ASSERT_EQ(0, pthread_create(&t_rd, NULL, nest_reader, &rd));
	ASSERT_EQ(0, pthread_create(&t_mp, NULL, nest_mapper, &mp));
	sleep_ms(NEST_MS);
	__atomic_store_n(&inv.stop, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&rd.stop, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&mp.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t_inv, NULL);
	pthread_join(t_rd, NULL);
	pthread_join(t_mp, NULL);
	TH_LOG("%llu invalidations, %llu read rounds, %llu map/unmap in %llu ms",
	       (unsigned long long)inv.rounds, (unsigned long long)rd.rounds,
	       (unsigned long long)mp.rounds,
	       (unsigned long long)elapsed_ms(start));
	EXPECT_EQ(0, inv.err);
	EXPECT_EQ(0, mp.err) TH_LOG("map/unmap: %s", strerror(mp.err));
	EXPECT_LT(0ULL, inv.rounds);
	EXPECT_LT(0ULL, mp.rounds);
	/* Still coherent: the mirrors show the source. */
	poke(src + 3 * page_size, TAG + 3);
	EXPECT_EQ(TAG + 3, peek(map + 3 * page_size));
	for (i = 0; i < NEST_PAGES; i++)
		rm_unmap(_metadata, self->fd, map + i * page_size);
	ra_expect_clean(_metadata, self);
}

/*
 * A process mirrors its own page, into a page mirror and a window, while
 * one thread migrates that page back and forth between NUMA nodes (the
 * migration holds the page's anon_vma across the invalidation of the
 * mirrors) and another registers new mmu notifiers on the same mm with
 * KVM_CREATE_VM.  The registration's mm_take_all_locks() takes the
 * i_mmap_rwsem of every file the mm maps, the mirrors' pseudo files too,
 * then every anon_vma of the mm.  A zap of the mirrors through the pseudo
 * files' i_mmap trees closed that cycle and hung both threads (within 50
 * registrations here).  One VM stays open throughout: creating the first
 * VM and closing the last turn SVM on and off on every CPU, and a few
 * dozen such cycles hang QEMU's emulated SVM, module or not.
 */
#define REG_MS	8000

struct migrator {
	void *page;
	int nodes[2];
	int stop;
	__u64 moves;
	int err;
};

static void *migrator_fn(void *arg)
{
	struct migrator *m = arg;
	void *pages[1] = { m->page };
	int to, status;

	while (!stopped(&m->stop)) {
		to = m->nodes[m->moves & 1];
		if (syscall(SYS_move_pages, 0, 1, pages, &to, &status,
			    MPOL_MF_MOVE)) {
			m->err = errno;
			break;
		}
		m->moves++;
	}
	return NULL;
}

TEST_F_TIMEOUT(remote_mapping, self_map_vs_notifier_register, 120)
{
	char *src = rm_anon3(_metadata) + page_size;
	char *m1 = rm_anon3(_metadata) + page_size;
	struct migrator m = { .page = src };
	int kvm, keep, vm, nodes[16], n;
	__u64 start, regs = 0;
	pthread_t th;
	char *w;

	n = node_list("/sys/devices/system/node/has_memory", nodes,
		      ARRAY_SIZE(nodes));
	if (n < 2)
		SKIP(return, "needs 2 NUMA nodes with memory, found %d", n);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		SKIP(return, "/dev/kvm: %s", strerror(errno));
	m.nodes[0] = nodes[0];
	m.nodes[1] = nodes[1];
	keep = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, keep) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));

	w = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, w) TH_LOG("window: %s", strerror(errno));
	pattern_fill(src, page_size, SEED);
	rm_map(_metadata, self->fd, (uintptr_t)src, m1, getpid(),
	       REMOTE_MAPPING_TARGET_PID);
	rm_map(_metadata, self->fd, (uintptr_t)src, w, getpid(),
	       REMOTE_MAPPING_TARGET_PID);
	ASSERT_EQ(SEED, peek(m1));
	ASSERT_EQ(SEED, peek(w));

	ASSERT_EQ(0, pthread_create(&th, NULL, migrator_fn, &m));
	start = now_ms();
	while (elapsed_ms(start) < REG_MS && !stopped(&m.stop)) {
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
		ASSERT_LE(0, vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
		close(vm);
		regs++;
		/* Fault the mirrors back in, so each migration zaps them. */
		ASSERT_EQ(SEED, peek(m1));
		ASSERT_EQ(SEED, peek(w));
	}
	__atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	ASSERT_EQ(0, m.err) TH_LOG("move_pages: %s", strerror(m.err));
	TH_LOG("%llu registrations, %llu migrations",
	       (unsigned long long)regs, (unsigned long long)m.moves);
	ASSERT_LT(0ULL, regs);
	ASSERT_LT(0ULL, m.moves);
	poke(src + 8, TAG);
	ASSERT_EQ(TAG, peek(m1 + 8));
	ASSERT_EQ(TAG, peek(w + 8));

	close(keep);
	close(kvm);
	rm_unmap(_metadata, self->fd, m1);
	ASSERT_EQ(0, munmap(w, page_size));
	ra_expect_clean(_metadata, self);
}

/*
 * userfaultfd armed on the target range after the map (the map itself
 * gives EBUSY: remote_mapping_test): an access that needs the target's
 * page gets SIGBUS at once instead of waiting for a handler that never
 * answers.
 */
TEST_F(remote_mapping, userfaultfd_armed_after_map)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 2);
	char *fresh = rm_anon3(_metadata) + page_size;
	char *used = rm_anon3(_metadata) + page_size;
	__u64 val, start;
	int ret;

	t_fill(_metadata, &self->t, req, 2 * page_size, SEED);
	rm_map(_metadata, self->fd, req, fresh, self->t.pidfd, 0);
	rm_map(_metadata, self->fd, req + page_size, used, self->t.pidfd, 0);
	ASSERT_EQ(SEED + page_size / 8, must_read(_metadata, used));

	ret = target_call(&self->t, TARGET_UFFD, req, 2 * page_size, 0, 0,
			  NULL);
	if (ret)
		SKIP(goto out, "userfaultfd unavailable: %s", strerror(-ret));
	ra_install();
	start = now_ms();
	/* Never touched through the mirror: resolving it sees the uffd. */
	EXPECT_EQ(SIGBUS, ra_access(fresh, false, &val));
	val = 1;
	EXPECT_EQ(SIGBUS, ra_access(fresh + 8, true, &val));
	/* Touched, then the target drops the page: its uffd would fire. */
	t_call(_metadata, &self->t, TARGET_MADVISE, req + page_size,
	       page_size, MADV_DONTNEED, 0);
	EXPECT_EQ(SIGBUS, ra_access(used, false, &val));
	EXPECT_GT(5000ULL, elapsed_ms(start));
	/* The target is not stuck either, nor its mapping broken. */
	t_call(_metadata, &self->t, TARGET_NOP, 0, 0, 0, 0);
	rm_expect_maps(_metadata, self, 2);
out:
	rm_unmap(_metadata, self->fd, fresh);
	rm_unmap(_metadata, self->fd, used);
	ra_expect_clean(_metadata, self);
}

/* --- hugetlbfs ------------------------------------------------------- */

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define HPAGE		(2UL << 20)

static char nr_hugepages_saved[32];

static void hugepages_restore(void *arg)
{
	(void)arg;
	if (nr_hugepages_saved[0])
		write_file(NR_HUGEPAGES, nr_hugepages_saved);
}

/*
 * A hugetlb target is supported: 4 KiB mirrors of pages inside a 2 MiB
 * huge page are coherent both ways.  A hugetlb region cannot take a
 * mirror (EINVAL): it is no private anonymous memory of base pages.
 */
TEST_F(remote_mapping, hugetlb_target)
{
	const size_t off[] = { 0, page_size, HPAGE / 2, HPAGE - page_size };
	char *m[ARRAY_SIZE(off)];
	uintptr_t req;
	char *local_huge;
	__u64 ret = 0;
	long free_kb;
	size_t i;

	if (read_file(NR_HUGEPAGES, nr_hugepages_saved,
		      sizeof(nr_hugepages_saved)) <= 0)
		SKIP(return, "no %s", NR_HUGEPAGES);
	rm_defer(_metadata, self, hugepages_restore, NULL);
	write_file(NR_HUGEPAGES, "4");
	if (read_field_kb("/proc/meminfo", "HugePages_Free", &free_kb) ||
	    free_kb < 2)
		SKIP(return, "no huge pages could be reserved");
	if (target_call(&self->t, TARGET_MMAP, 0, HPAGE,
			PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, &ret))
		SKIP(return, "MAP_HUGETLB failed in the target");
	req = ret;
	t_fill(_metadata, &self->t, req, HPAGE, SEED);

	for (i = 0; i < ARRAY_SIZE(off); i++) {
		m[i] = rm_anon3(_metadata) + page_size;
		rm_map(_metadata, self->fd, req + off[i], m[i], self->t.pidfd,
		       0);
		check_pattern(_metadata, m[i], page_size, SEED + off[i] / 8);
		check_coherent(_metadata, &self->t, req + off[i], m[i],
			       TAG + 16 * i);
	}
	rm_expect_maps(_metadata, self, ARRAY_SIZE(off));

	local_huge = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (local_huge != MAP_FAILED) {
		local_huge[0] = 1;
		rm_map_fails(_metadata, self->fd, req, local_huge + page_size,
			     self->t.pidfd, 0, EINVAL);
		rm_map_fails(_metadata, self->fd, req, local_huge,
			     self->t.pidfd, REMOTE_MAPPING_READONLY, EINVAL);
		munmap(local_huge, HPAGE);
	}
	for (i = 0; i < ARRAY_SIZE(off); i++)
		rm_unmap(_metadata, self->fd, m[i]);
	/* The target's huge page still has what the mirrors wrote. */
	ASSERT_EQ(TAG + 16 * 3,
		  t_read(_metadata, &self->t, req + off[3] + 8));
	t_call(_metadata, &self->t, TARGET_MUNMAP, req, HPAGE, 0, 0);
	ra_expect_clean(_metadata, self);
}

/* --- shared file targets: tmpfs, memfd, shmem ---------------------- */

/*
 * A target that maps a shared file (inherited fd) and acts on it on
 * command: 'p' punch page 0, 't' truncate to 0, 'e' extend to 2 pages,
 * 'w' write a value at page 0, 'q' quit.  Answers with one byte.
 */
struct ftarget {
	pid_t pid;
	int cmd, rsp;
	int fd;
	uintptr_t addr;		/* its mapping: 2 pages */
};

static void ftarget_main(struct ftarget *f, int cmd, int rsp, int prot)
{
	char *p = mmap(NULL, 2 * page_size, prot, MAP_SHARED, f->fd, 0);
	uintptr_t a = (uintptr_t)p;
	char c;

	if (p == MAP_FAILED || write(rsp, &a, sizeof(a)) != sizeof(a))
		_exit(1);
	while (read(cmd, &c, 1) == 1) {
		switch (c) {
		case 'p':
			fallocate(f->fd, FALLOC_FL_PUNCH_HOLE |
				  FALLOC_FL_KEEP_SIZE, 0, page_size);
			break;
		case 't':
			if (ftruncate(f->fd, 0))
				_exit(2);
			break;
		case 'e':
			if (ftruncate(f->fd, 2 * page_size))
				_exit(3);
			break;
		case 'w':
			poke(p + 24, TAG + 5);
			break;
		case 'q':
			_exit(0);
		}
		if (write(rsp, &c, 1) != 1)
			_exit(4);
	}
	_exit(0);
}

static int ftarget_start(struct ftarget *f, int fd, int prot)
{
	int cmd[2], rsp[2];

	f->fd = fd;
	if (pipe(cmd) || pipe(rsp))
		return -errno;
	fflush(NULL);
	f->pid = fork();
	if (f->pid < 0)
		return -errno;
	if (!f->pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		ftarget_main(f, cmd[0], rsp[1], prot);
	}
	close(cmd[0]);
	close(rsp[1]);
	f->cmd = cmd[1];
	f->rsp = rsp[0];
	return read(f->rsp, &f->addr, sizeof(f->addr)) == sizeof(f->addr) ?
	       0 : -EIO;
}

static int ftarget_do(struct ftarget *f, char c)
{
	char r;

	if (write(f->cmd, &c, 1) != 1 || read(f->rsp, &r, 1) != 1)
		return -EIO;
	return r == c ? 0 : -EIO;
}

static void ftarget_stop(struct ftarget *f)
{
	char c = 'q';

	if (write(f->cmd, &c, 1) != 1)
		kill(f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
	close(f->cmd);
	close(f->rsp);
}

static void shared_file_target(struct __test_metadata *_metadata,
			       RM_FIXTURE *self, int fd)
{
	char *m = rm_anon3(_metadata) + page_size;
	char *file = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			  MAP_SHARED, fd, 0);
	struct ftarget f;
	__u64 val;

	ASSERT_NE(MAP_FAILED, file);
	ASSERT_EQ(0, ftruncate(fd, 2 * page_size));
	pattern_fill(file, 2 * page_size, SEED);
	ASSERT_EQ(0, ftarget_start(&f, fd, PROT_READ | PROT_WRITE));
	rm_map(_metadata, self->fd, f.addr, m, f.pid,
	       REMOTE_MAPPING_TARGET_PID);
	check_pattern(_metadata, m, page_size, SEED);
	/* Both ways: through the mirror into the file, and back. */
	poke(m + 8, TAG);
	ASSERT_EQ(TAG, peek(file + 8));
	ASSERT_EQ(0, ftarget_do(&f, 'w'));
	ASSERT_EQ(TAG + 5, peek(m + 24));
	poke(file + 32, TAG + 6);
	ASSERT_EQ(TAG + 6, peek(m + 32));

	/* The target punches the page out: the mirror sees the new page. */
	ASSERT_EQ(0, ftarget_do(&f, 'p'));
	ra_install();
	ASSERT_EQ(0, ra_access(m, false, &val));
	ASSERT_EQ(0ULL, val);
	ASSERT_TRUE(is_zero(m, page_size));
	poke(m + 40, TAG + 7);
	ASSERT_EQ(TAG + 7, peek(file + 40));

	/* Truncated away: SIGBUS, no hang; extended again: zeros. */
	ASSERT_EQ(0, ftarget_do(&f, 't'));
	ASSERT_EQ(SIGBUS, ra_access(m, false, &val));
	val = 1;
	ASSERT_EQ(SIGBUS, ra_access(m + 8, true, &val));
	ASSERT_EQ(0, ftarget_do(&f, 'e'));
	ASSERT_EQ(0, ra_access(m + 40, false, &val));
	ASSERT_EQ(0ULL, val);
	poke(m + 48, TAG + 8);
	ASSERT_EQ(TAG + 8, peek(file + 48));
	rm_expect_maps(_metadata, self, 1);

	rm_unmap(_metadata, self->fd, m);
	ftarget_stop(&f);
	munmap(file, 2 * page_size);
	ra_expect_clean(_metadata, self);
}

TEST_F(remote_mapping, memfd_target)
{
	int fd = memfd_create("rm_abuse", MFD_CLOEXEC);

	ASSERT_LE(0, fd);
	shared_file_target(_metadata, self, fd);
	close(fd);
}

TEST_F(remote_mapping, tmpfs_file_target)
{
	char path[] = "/tmp/rm_abuse.XXXXXX";
	int fd = mkstemp(path);

	ASSERT_LE(0, fd) TH_LOG("mkstemp in /tmp: %s", strerror(errno));
	unlink(path);
	shared_file_target(_metadata, self, fd);
	close(fd);
}

/*
 * A read-only shared file mapping of the target: writable map EACCES,
 * READONLY works and follows the file; the target making its private
 * page read-only after a writable map makes writes SIGBUS, not reach it.
 */
TEST_F(remote_mapping, readonly_targets)
{
	int fd = memfd_create("rm_abuse_ro", MFD_CLOEXEC);
	char *m = rm_anon3(_metadata) + page_size;
	char *m2 = rm_anon3(_metadata) + page_size;
	uintptr_t req = t_alloc(_metadata, &self->t, 1);
	struct ftarget f;
	char *file;
	__u64 val;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 2 * page_size));
	file = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	ASSERT_NE(MAP_FAILED, file);
	pattern_fill(file, page_size, SEED);
	ASSERT_EQ(0, ftarget_start(&f, fd, PROT_READ));
	rm_map_fails(_metadata, self->fd, f.addr, m, f.pid,
		     REMOTE_MAPPING_TARGET_PID, EACCES);
	rm_map(_metadata, self->fd, f.addr, m, f.pid,
	       REMOTE_MAPPING_TARGET_PID | REMOTE_MAPPING_READONLY);
	check_pattern(_metadata, m, page_size, SEED);
	poke(file + 8, TAG);
	ASSERT_EQ(TAG, peek(m + 8));
	ra_install();
	val = 1;
	ASSERT_EQ(SIGSEGV, ra_access(m, true, &val));

	/* A private page made read-only by the target after the map. */
	t_fill(_metadata, &self->t, req, page_size, SEED + 1);
	rm_map(_metadata, self->fd, req, m2, self->t.pidfd, 0);
	must_write(_metadata, m2 + 8, TAG + 1);
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, page_size,
	       PROT_READ, 0);
	ra_install();
	val = TAG + 2;
	ASSERT_EQ(SIGBUS, ra_access(m2 + 8, true, &val));
	ASSERT_EQ(0, ra_access(m2 + 8, false, &val));
	ASSERT_EQ(TAG + 1, val);
	ASSERT_EQ(TAG + 1, t_read(_metadata, &self->t, req + 8));
	/* Refused again, through the read-only PTE the read installed... */
	val = TAG + 2;
	ASSERT_EQ(SIGBUS, ra_access(m2 + 8, true, &val));
	ASSERT_EQ(TAG + 1, t_read(_metadata, &self->t, req + 8));
	/* ...until the target page is writable again. */
	t_call(_metadata, &self->t, TARGET_MPROTECT, req, page_size,
	       PROT_READ | PROT_WRITE, 0);
	val = TAG + 3;
	ASSERT_EQ(0, ra_access(m2 + 8, true, &val));
	ASSERT_EQ(TAG + 3, t_read(_metadata, &self->t, req + 8));

	rm_unmap(_metadata, self->fd, m);
	rm_unmap(_metadata, self->fd, m2);
	ftarget_stop(&f);
	munmap(file, 2 * page_size);
	close(fd);
	ra_expect_clean(_metadata, self);
}

/* Shared anonymous memory (shmem) of the target, and MADV_REMOVE of it. */
TEST_F(remote_mapping, shmem_target)
{
	char *m = rm_anon3(_metadata) + page_size;
	uintptr_t req;

	req = t_call(_metadata, &self->t, TARGET_MMAP, 0, 2 * page_size,
		     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	t_fill(_metadata, &self->t, req, 2 * page_size, SEED);
	rm_map(_metadata, self->fd, req + page_size, m, self->t.pidfd, 0);
	check_pattern(_metadata, m, page_size, SEED + page_size / 8);
	check_coherent(_metadata, &self->t, req + page_size, m, TAG);
	t_call(_metadata, &self->t, TARGET_MADVISE, req + page_size,
	       page_size, MADV_REMOVE, 0);
	ASSERT_EQ(0ULL, must_read(_metadata, m));
	ASSERT_TRUE(is_zero(m, page_size));
	check_coherent(_metadata, &self->t, req + page_size, m, TAG + 16);
	t_check(_metadata, &self->t, req, page_size, SEED);
	rm_unmap(_metadata, self->fd, m);
	ra_expect_clean(_metadata, self);
}

/*
 * mlock: an mlocked target page maps and stays locked; a mirror in an
 * mlocked region of the caller gives the page back locked on unmap.
 */
TEST_F(remote_mapping, mlocked_target_and_mirror)
{
	char path[64];
	long lck0, lck1, tlck0, tlck1;
	uintptr_t req;
	char *l;

	snprintf(path, sizeof(path), "/proc/%d/status", self->t.pid);
	ASSERT_EQ(0, read_field_kb(path, "VmLck", &tlck0));
	req = t_call(_metadata, &self->t, TARGET_MMAP, 0, page_size,
		     PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED);
	t_fill(_metadata, &self->t, req, page_size, SEED);
	ASSERT_EQ(0, read_field_kb(path, "VmLck", &tlck1));
	ASSERT_EQ(tlck0 + (long)page_size / 1024, tlck1);

	l = mmap(NULL, 3 * page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	ASSERT_NE(MAP_FAILED, l);
	ASSERT_EQ(0, read_field_kb("/proc/self/status", "VmLck", &lck0));
	rm_map(_metadata, self->fd, req, l + page_size, self->t.pidfd, 0);
	check_pattern(_metadata, l + page_size, page_size, SEED);
	check_coherent(_metadata, &self->t, req, l + page_size, TAG);
	ASSERT_EQ(0, read_field_kb(path, "VmLck", &tlck1));
	ASSERT_EQ(tlck0 + (long)page_size / 1024, tlck1);
	rm_unmap(_metadata, self->fd, l + page_size);
	ASSERT_EQ(0, read_field_kb("/proc/self/status", "VmLck", &lck1));
	ASSERT_EQ(lck0, lck1);
	ASSERT_TRUE(is_zero(l + page_size, page_size));
	munmap(l, 3 * page_size);
	ra_expect_clean(_metadata, self);
}

/* --- races ------------------------------------------------------------ */

#define RACE_MS		1500

/* Is @err an answer the ioctls may give in these races? */
static bool clean_errno(int err, const int *ok, int n)
{
	int i;

	if (!err)
		return true;
	for (i = 0; i < n; i++)
		if (err == -ok[i])
			return true;
	return false;
}

struct closer {
	int *fd;
	int stop;
	int closes;
};

/* Closes the device file under the mapper and opens it again. */
static void *closer_fn(void *arg)
{
	struct closer *c = arg;
	int fd;

	while (!stopped(&c->stop)) {
		fd = *c->fd;
		close(fd);
		c->closes++;
		sched_yield();
		if (rm_open() != fd)
			return (void *)1;	/* the number moved on */
	}
	return NULL;
}

TEST_F_TIMEOUT(remote_mapping, close_fd_during_ioctls, 60)
{
	static const int ok[] = { EBADF, ENOENT, EALREADY, EAGAIN };
	uintptr_t req = t_alloc(_metadata, &self->t, 1);
	char *map = rm_anon3(_metadata) + page_size;
	struct closer c = { .fd = &self->fd };
	int ret, maps = 0, bad = 0, last_bad = 0;
	__u64 start = now_ms();
	pthread_t th;
	void *res;

	t_fill(_metadata, &self->t, req, page_size, SEED);
	ASSERT_EQ(0, pthread_create(&th, NULL, closer_fn, &c));
	while (elapsed_ms(start) < RACE_MS) {
		ret = __rm_map(self->fd, req, map, self->t.pidfd, 0);
		maps += !ret;
		if (!clean_errno(ret, ok, ARRAY_SIZE(ok))) {
			bad++;
			last_bad = ret;
		}
		ret = __rm_unmap(self->fd, map);
		if (!clean_errno(ret, ok, ARRAY_SIZE(ok))) {
			bad++;
			last_bad = ret;
		}
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, &res);
	ASSERT_EQ(NULL, res);
	EXPECT_EQ(0, bad) TH_LOG("%d unexpected results, the last %s", bad,
				 strerror(-last_bad));
	TH_LOG("%d maps, %d closes", maps, c.closes);
	/* A map that raced with a close may have stayed: unmap it. */
	__rm_unmap(self->fd, map);
	ra_expect_clean(_metadata, self);
}

struct toucher {
	char *map;
	int stop;
	__u64 reads, sigs, wrong;
	__u64 seed;
};

static void *toucher_fn(void *arg)
{
	struct toucher *t = arg;
	__u64 v;
	int sig;

	while (!stopped(&t->stop)) {
		sig = ra_access(t->map, false, &v);
		if (sig) {
			t->sigs++;
			continue;
		}
		t->reads++;
		/* the target's page, or the zero page between mappings */
		if (v && v != t->seed)
			t->wrong++;
	}
	return NULL;
}

/*
 * Thread A touches the mirror while B maps it, then unmaps it or munmaps
 * it and mmaps a fresh page at its place: anonymous memory for a page
 * mirror, a new one-page window for a window page (whose unmap leaves a
 * hole: SIGBUS, never a stale page).
 */
static void munmap_during_fault(struct __test_metadata *_metadata,
				RM_FIXTURE *self, bool window)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 1);
	int fd = window ? self->fd : -1;
	int flags = window ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS;
	char *map = window ? mmap(NULL, page_size, PROT_READ | PROT_WRITE,
				  flags, fd, 0) :
			     rm_anon3(_metadata) + page_size;
	struct toucher t = { .map = map, .seed = SEED };
	__u64 start = now_ms(), rounds = 0;
	pthread_t th;
	int ret;

	ASSERT_NE(MAP_FAILED, map);
	t_fill(_metadata, &self->t, req, page_size, SEED);
	ra_install();
	ASSERT_EQ(0, pthread_create(&th, NULL, toucher_fn, &t));
	while (elapsed_ms(start) < RACE_MS) {
		ret = __rm_map(self->fd, req, map, self->t.pidfd,
			       rounds & 2 ? REMOTE_MAPPING_POPULATE : 0);
		ASSERT_EQ(0, ret) TH_LOG("map: %s", strerror(-ret));
		sched_yield();
		if (rounds & 1) {
			ASSERT_EQ(0, munmap(map, page_size));
			ASSERT_EQ(map, mmap(map, page_size,
					    PROT_READ | PROT_WRITE,
					    flags | MAP_FIXED, fd, 0));
		} else {
			ASSERT_EQ(0, __rm_unmap(self->fd, map));
		}
		rounds++;
	}
	__atomic_store_n(&t.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	EXPECT_EQ(0ULL, t.wrong);
	TH_LOG("%llu rounds, %llu reads, %llu signals",
	       (unsigned long long)rounds, (unsigned long long)t.reads,
	       (unsigned long long)t.sigs);
	if (window)
		ASSERT_EQ(0, munmap(map, page_size));
	ra_expect_clean(_metadata, self);
}

TEST_F_TIMEOUT(remote_mapping, munmap_during_fault, 60)
{
	munmap_during_fault(_metadata, self, false);
}

TEST_F_TIMEOUT(remote_mapping, window_munmap_during_fault, 60)
{
	munmap_during_fault(_metadata, self, true);
}

/*
 * exec: the mappings of the old image are gone, and the device file
 * (not O_CLOEXEC) is bound to the old address space: EINVAL.
 */
#define EXEC_ARG	"--exec-child"
#define EXEC_PAGES	4

static int exec_child_main(int fd)
{
	char *l = anon_map(3, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	long seen;
	int ret;

	if (!l)
		return 10;
	/* The old image's mirrors went with its address space. */
	if (rm_counters_init() ||
	    rm_wait_counter(RM_MAP_COUNT, 0, 2000, &seen))
		return 14;
	ret = __rm_map(fd, (uintptr_t)l, l + page_size, getpid(),
		       REMOTE_MAPPING_TARGET_PID);
	if (ret != -EINVAL)
		return 11;
	if (__rm_unmap(fd, l + page_size) != -EINVAL)
		return 12;
	/* A file opened now works. */
	fd = rm_open();
	if (fd < 0 || __rm_map(fd, (uintptr_t)l, l + 2 * page_size, getpid(),
			       REMOTE_MAPPING_TARGET_PID))
		return 13;
	return 0;
}

TEST_F(remote_mapping, exec_drops_mappings)
{
	uintptr_t req = t_alloc(_metadata, &self->t, EXEC_PAGES);
	int status, go[2], fd, i;
	char fdstr[16], c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *l = anon_map(2 * EXEC_PAGES, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE);

		fd = rm_open();
		/* Inherited over exec, unlike rm_open()'s default. */
		if (fd < 0 || fcntl(fd, F_SETFD, 0))
			_exit(19);
		for (i = 0; l && fd >= 0 && i < EXEC_PAGES; i++)
			if (__rm_map(fd, req + i * page_size,
				     l + 2 * i * page_size, self->t.pidfd, 0))
				_exit(20);
		if (read(go[0], &c, 1) != 1)
			_exit(21);
		snprintf(fdstr, sizeof(fdstr), "%d", fd);
		execl("/proc/self/exe", "abuse_test", EXEC_ARG, fdstr, NULL);
		_exit(22);
	}
	close(go[0]);
	rm_expect_maps(_metadata, self, EXEC_PAGES);
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	close(go[1]);
	ra_expect_clean(_metadata, self);
}

/* Many forks of an introspector with mirrors: none inherits any. */
TEST_F(remote_mapping, fork_storm)
{
	uintptr_t req = t_alloc(_metadata, &self->t, 8);
	char *l = anon_map(17, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	int i, status;
	pid_t pid;

	ASSERT_NE(NULL, l);
	t_fill(_metadata, &self->t, req, 8 * page_size, SEED);
	for (i = 0; i < 8; i++)
		rm_map(_metadata, self->fd, req + i * page_size,
		       l + (2 * i + 1) * page_size, self->t.pidfd, 0);
	for (i = 0; i < 20; i++) {
		fflush(NULL);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			int fd = rm_open();
			__u64 v;

			ra_install();
			if (ra_access(l + page_size, false, &v) != SIGSEGV)
				_exit(1);
			if (__rm_unmap(fd, l + page_size) != -ENOENT)
				_exit(2);
			/* The child's copy of the neighbours is private. */
			poke(l, 1);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, status) TH_LOG("child %d", i);
		rm_expect_maps(_metadata, self, 8);
	}
	for (i = 0; i < 8; i++) {
		check_pattern(_metadata, l + (2 * i + 1) * page_size,
			      page_size, SEED + i * page_size / 8);
		rm_unmap(_metadata, self->fd, l + (2 * i + 1) * page_size);
	}
	ra_expect_clean(_metadata, self);
}

/*
 * Targets killed while a batch of their pages is being mapped: the kill
 * lands at a random point of the call (calibrated on an undisturbed one),
 * or just before it.  The call holds the target's mm, so it may map all
 * pages of a dying target; whatever it maps must read zeros once the
 * target is gone, unmap cleanly, and leave nothing behind.
 */
#define EXIT_ROUNDS	40
#define EXIT_PAGES_N	64
#define EXIT_NO_KILL	(-1L)
#define EXIT_KILL_FIRST	(-2L)

struct exit_race {
	__u64 req[EXIT_PAGES_N], map[EXIT_PAGES_N];
	__s32 errs[EXIT_PAGES_N];
	int mapped, failed, partial, bad;
	__u64 call_us;		/* duration of the last call */
	/* the killer thread, with __atomic_*() */
	int go;
	pid_t victim;
	long delay_us;
};

static __u64 now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

/* Spins (no wake-up latency) until told, then kills after a delay. */
static void *killer_fn(void *arg)
{
	struct exit_race *r = arg;
	__u64 t;

	for (;;) {
		while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
			;
		if (__atomic_load_n(&r->go, __ATOMIC_ACQUIRE) < 0)
			return NULL;
		t = now_us();
		while (now_us() - t < (__u64)r->delay_us)
			;
		kill(r->victim, SIGKILL);
		__atomic_store_n(&r->go, 0, __ATOMIC_RELEASE);
	}
}

/* One round: 0 or -1 (setup failed); the outcome is counted in @r. */
static int exit_round(struct __test_metadata *_metadata, RM_FIXTURE *self,
		      struct exit_race *r, char *l, long delay_us)
{
	static const int ok[] = { ESRCH, EFAULT, EINTR };
	struct remote_mapping_map_batch b = {
		.count = EXIT_PAGES_N, .req_hvas = (uintptr_t)r->req,
		.map_hvas = (uintptr_t)r->map, .errs = (uintptr_t)r->errs,
	};
	int i, ret, n = 0;
	struct rm_target t;
	uintptr_t base;
	__u64 t0;

	if (target_start(&t))
		return -1;
	base = t_alloc(_metadata, &t, EXIT_PAGES_N);
	t_fill(_metadata, &t, base, EXIT_PAGES_N * page_size, SEED);
	for (i = 0; i < EXIT_PAGES_N; i++) {
		r->req[i] = base + i * page_size;
		r->map[i] = (uintptr_t)l + (2 * i + 1) * page_size;
	}
	b.target = t.pidfd;
	if (delay_us == EXIT_KILL_FIRST) {
		kill(t.pid, SIGKILL);
	} else if (delay_us >= 0) {
		r->victim = t.pid;
		r->delay_us = delay_us;
		__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
	}
	t0 = now_us();
	ret = ioctl(self->fd, REMOTE_MAPPING_MAP_BATCH, &b);
	r->call_us = now_us() - t0;
	if (ret < 0) {
		r->failed++;
		r->bad += !clean_errno(-errno, ok, ARRAY_SIZE(ok));
	} else {
		n = ret;
		r->mapped += ret;
		r->partial += ret && ret < EXIT_PAGES_N;
		for (i = 0; i < EXIT_PAGES_N; i++)
			r->bad += !clean_errno(r->errs[i], ok, ARRAY_SIZE(ok));
	}
	while (__atomic_load_n(&r->go, __ATOMIC_ACQUIRE) > 0)
		;
	target_stop(&t);
	/* Dead target: what was mapped reads zeros, and unmaps. */
	for (i = 0; i < EXIT_PAGES_N && n; i++) {
		if (r->errs[i])
			continue;
		ASSERT_EQ(0ULL, must_read(_metadata,
					  (void *)(uintptr_t)r->map[i]));
		rm_unmap(_metadata, self->fd, (void *)(uintptr_t)r->map[i]);
	}
	rm_expect_maps(_metadata, self, 0);
	return 0;
}

TEST_F_TIMEOUT(remote_mapping, target_exit_during_map, 120)
{
	char *l = anon_map(2 * EXIT_PAGES_N + 1, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE);
	static struct exit_race r;
	__u64 span_us;
	pthread_t th;
	int round;

	ASSERT_NE(NULL, l);
	ASSERT_EQ(0, exit_round(_metadata, self, &r, l, EXIT_NO_KILL));
	ASSERT_EQ(EXIT_PAGES_N, r.mapped);
	/* Kill anywhere from before the call to after its end. */
	span_us = 2 * r.call_us + 1;
	r.mapped = 0;
	ASSERT_EQ(0, pthread_create(&th, NULL, killer_fn, &r));
	srand(1);
	for (round = 0; round < EXIT_ROUNDS; round++)
		ASSERT_EQ(0, exit_round(_metadata, self, &r, l,
					round % 4 == 3 ? EXIT_KILL_FIRST :
					(long)(rand() % span_us)));
	__atomic_store_n(&r.go, -1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	EXPECT_EQ(0, r.bad);
	TH_LOG("%d rounds, kill within %llu us:", EXIT_ROUNDS,
	       (unsigned long long)span_us);
	TH_LOG("%d pages mapped, %d partial batches, %d calls failed",
	       r.mapped, r.partial, r.failed);
	ra_expect_clean(_metadata, self);
}

static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], EXEC_ARG))
		return exec_child_main(atoi(argv[2]));
	return test_harness_run(argc, argv);
}
