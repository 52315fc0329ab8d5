// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of librmap: token parse/format, error messages and argument checks
 * (anywhere), and the /dev/remote_mapping wrappers and windows (root,
 * module loaded).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rmap.h"

#define STR(x)		#x
#define XSTR(x)		STR(x)

/* What kvmmem.ko returns when the host has no KVM_HC_MEM_* service. */
#define E_NO_HYPERCALL	38

/* A known token and its text form. */
static const struct rmap_token known = { .word = {
	0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0, ~0ULL } };
static const char known_hex[] =
	"0123456789abcdeffedcba98765432100000000000000000ffffffffffffffff";

static int token_is_zero(const struct rmap_token *t)
{
	int i;

	for (i = 0; i < RMAP_TOKEN_WORDS; i++)
		if (t->word[i])
			return 0;
	return 1;
}

TEST(version)
{
	EXPECT_STREQ(XSTR(RMAP_VERSION_MAJOR) "." XSTR(RMAP_VERSION_MINOR) "."
		     XSTR(RMAP_VERSION_PATCH), rmap_version());
}

TEST(token_format_known)
{
	char buf[RMAP_TOKEN_HEX_SIZE];

	memset(buf, 'x', sizeof(buf));
	ASSERT_TRUE(rmap_token_format(&known, buf) == buf);
	EXPECT_EQ(RMAP_TOKEN_HEX_LEN, (int)strlen(buf));
	EXPECT_STREQ(known_hex, buf);
}

TEST(token_round_trip)
{
	char buf[RMAP_TOKEN_HEX_SIZE];
	struct rmap_token t, back;
	int i, j;

	srandom(12345);
	for (i = 0; i < 1000; i++) {
		for (j = 0; j < RMAP_TOKEN_WORDS; j++)
			t.word[j] = (__u64)random() << 40 ^
				    (__u64)random() << 20 ^ random();
		if (i == 0)
			memset(&t, 0, sizeof(t));
		if (i == 1)
			memset(&t, 0xff, sizeof(t));
		rmap_token_format(&t, buf);
		ASSERT_EQ(0, rmap_token_parse(buf, &back)) TH_LOG("%s", buf);
		ASSERT_EQ(0, memcmp(&t, &back, sizeof(t))) TH_LOG("%s", buf);
	}
}

TEST(token_parse_accepts)
{
	char buf[RMAP_TOKEN_HEX_LEN + 8];
	struct rmap_token t;
	int i;

	/* Upper case. */
	for (i = 0; i < RMAP_TOKEN_HEX_LEN; i++)
		buf[i] = (char)toupper((unsigned char)known_hex[i]);
	buf[i] = '\0';
	ASSERT_EQ(0, rmap_token_parse(buf, &t));
	EXPECT_EQ(0, memcmp(&known, &t, sizeof(t)));

	/* Trailing white space, as read from a file. */
	snprintf(buf, sizeof(buf), "%s\n", known_hex);
	ASSERT_EQ(0, rmap_token_parse(buf, &t));
	EXPECT_EQ(0, memcmp(&known, &t, sizeof(t)));
	snprintf(buf, sizeof(buf), "%s \t\r\n", known_hex);
	ASSERT_EQ(0, rmap_token_parse(buf, &t));
	EXPECT_EQ(0, memcmp(&known, &t, sizeof(t)));
}

TEST(token_parse_rejects)
{
	char bad[10][RMAP_TOKEN_HEX_LEN + 16];
	struct rmap_token t;
	size_t i;

	snprintf(bad[0], sizeof(bad[0]), "%s", "");
	snprintf(bad[1], sizeof(bad[1]), "%.4s", known_hex);
	snprintf(bad[2], sizeof(bad[2]), "%.63s", known_hex);	/* 63 digits */
	snprintf(bad[3], sizeof(bad[3]), "%s0", known_hex);	/* 65 digits */
	snprintf(bad[4], sizeof(bad[4]), "%.63sg", known_hex);	/* not hex */
	snprintf(bad[5], sizeof(bad[5]), " %s", known_hex);	/* leading space */
	snprintf(bad[6], sizeof(bad[6]), "0x%.62s", known_hex);
	snprintf(bad[7], sizeof(bad[7]), "%s\nx", known_hex);	/* junk after space */
	snprintf(bad[8], sizeof(bad[8]), "%.32s-%.31s", known_hex,
		 known_hex + 32);
	snprintf(bad[9], sizeof(bad[9]), "%.32s %.32s", known_hex,
		 known_hex + 32);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&t, 0x5a, sizeof(t));
		errno = 0;
		EXPECT_EQ(-EINVAL, rmap_token_parse(bad[i], &t))
			TH_LOG("accepted \"%s\"", bad[i]);
		EXPECT_EQ(EINVAL, errno);
		EXPECT_TRUE(token_is_zero(&t)) TH_LOG("\"%s\"", bad[i]);
	}
	memset(&t, 0x5a, sizeof(t));
	EXPECT_EQ(-EINVAL, rmap_token_parse(NULL, &t));
	EXPECT_TRUE(token_is_zero(&t));
}

TEST(token_wipe)
{
	struct rmap_token t = known;

	rmap_token_wipe(&t);
	EXPECT_TRUE(token_is_zero(&t));
}

TEST(messages_specific)
{
	EXPECT_STREQ("address already mapped",
		     rmap_strerror(RMAP_OP_MAP, EALREADY));
	EXPECT_STREQ("address already mapped",
		     rmap_strerror(RMAP_OP_MAP, -EALREADY));
	EXPECT_STREQ("address already mapped",
		     rmap_strerror(RMAP_OP_KVMMEM_MAP, -EALREADY));
	EXPECT_EQ(0, strncmp("token refused",
			     rmap_strerror(RMAP_OP_KVMMEM_MAP, -EPERM), 13));
	EXPECT_NE(NULL, strstr(rmap_strerror(RMAP_OP_MAP, EPERM),
			       "CAP_SYS_PTRACE"));
	EXPECT_STREQ("address is not a remote mapping, or is a hole of a window",
		     rmap_strerror(RMAP_OP_UNMAP, ENOENT));
	EXPECT_NE(NULL, strstr(rmap_strerror(RMAP_OP_MAP, EACCES),
			       "read-only page or window"));
	EXPECT_NE(NULL, strstr(rmap_strerror(RMAP_OP_WINDOW, EPERM),
			       "CAP_SYS_PTRACE"));
	EXPECT_NE(NULL, strstr(rmap_strerror(RMAP_OP_WINDOW, EPERM),
			       "PROT_EXEC"));
	EXPECT_NE(NULL, strstr(rmap_strerror(RMAP_OP_TOKEN_GRANT, ENODEV),
			       "patched kvm.ko"));
	EXPECT_NE(NULL, strstr(rmap_strerror(RMAP_OP_TOKEN_REVOKE, ENOENT),
			       "unknown token"));
	EXPECT_NE(NULL, strstr(rmap_strerror(RMAP_OP_OPEN, ENOENT),
			       "remote_mapping.ko"));
	EXPECT_NE(NULL, strstr(rmap_strerror(RMAP_OP_KVMMEM_OPEN, ENOENT),
			       "kvmmem.ko"));
	/* The same errno means something else for another operation. */
	EXPECT_STRNE(rmap_strerror(RMAP_OP_MAP, EPERM),
		     rmap_strerror(RMAP_OP_KVMMEM_MAP, EPERM));
}

TEST(messages_fallback)
{
	char expect[256];

	snprintf(expect, sizeof(expect), "%s", strerror(EXDEV));
	EXPECT_STREQ(expect, rmap_strerror(RMAP_OP_MAP, EXDEV));
	EXPECT_STREQ(expect, rmap_strerror(RMAP_OP_MAP, -EXDEV));
	snprintf(expect, sizeof(expect), "%s", strerror(EPERM));
	EXPECT_STREQ(expect, rmap_strerror((enum rmap_op)1000, EPERM));
	EXPECT_STREQ(expect, rmap_strerror((enum rmap_op)-1, EPERM));
}

/* Every errno an ABI documents has a message of its own. */
TEST(messages_cover_the_abis)
{
	static const struct {
		enum rmap_op op;
		int errs[16];
	} abi[] = {
		{ RMAP_OP_OPEN, { ENOENT, EACCES } },
		{ RMAP_OP_MAP, { EPERM, EINVAL, EFAULT, ELOOP, EACCES, EBUSY,
				 ESRCH, EBADF, EALREADY, EAGAIN, ENOMEM,
				 E2BIG, EINTR, ENOTTY } },
		{ RMAP_OP_UNMAP, { EPERM, ENOENT, EINVAL, EAGAIN } },
		{ RMAP_OP_TOKEN_GRANT, { EPERM, ENODEV, EBADF, ENOSPC, EINVAL,
					 ESRCH } },
		{ RMAP_OP_TOKEN_REVOKE, { EPERM, ENOENT, EINVAL } },
		{ RMAP_OP_TOKEN_PARSE, { EINVAL } },
		{ RMAP_OP_VM_FD, { ESRCH, ENOENT, EPERM } },
		{ RMAP_OP_KVMMEM_OPEN, { ENOENT, EACCES } },
		{ RMAP_OP_KVMMEM_MAP, { EPERM, EACCES, EFAULT, EINVAL,
					EALREADY, EAGAIN, ESRCH, ENOMEM,
					E_NO_HYPERCALL,
					ELOOP, EBUSY, EIO } },
		{ RMAP_OP_KVMMEM_UNMAP, { ENOENT, EINVAL, EAGAIN } },
		{ RMAP_OP_WINDOW, { EPERM, EINVAL, EACCES, ENOMEM, ENODEV,
				    EBADF } },
	};
	const char *msg;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(abi); i++) {
		for (j = 0; abi[i].errs[j]; j++) {
			msg = rmap_strerror(abi[i].op, abi[i].errs[j]);
			ASSERT_NE(NULL, msg);
			EXPECT_STRNE(strerror(abi[i].errs[j]), msg)
				TH_LOG("op %d: no message for %s", abi[i].op,
				       rmap_errname(abi[i].errs[j]));
		}
	}
}

TEST(errname)
{
	EXPECT_STREQ("EALREADY", rmap_errname(EALREADY));
	EXPECT_STREQ("EPERM", rmap_errname(-EPERM));
	EXPECT_STREQ("E2BIG", rmap_errname(E2BIG));
	EXPECT_STREQ("E?", rmap_errname(0));
	EXPECT_STREQ("E?", rmap_errname(100000));
}

/* Argument checks and errors that need no module. */
TEST(no_device)
{
	__u64 req = 0, map = 0;
	char path[64];
	int fd, nr = -1;
	pid_t pid;

	errno = 0;
	EXPECT_EQ(-EINVAL, rmap_map_batch(-1, -1, 0, &req, &map, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, rmap_map_batch(-1, -1, 0, NULL, &map, NULL, 1));
	EXPECT_EQ(-EBADF, rmap_map(-1, -1, 0, &req, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, rmap_unmap(-1, &req));
	EXPECT_EQ(-EBADF, rmap_map_batch(-1, -1, 0, &req, &map, NULL, 1));
	EXPECT_EQ(-EBADF, rmap_kvmmem_unmap(-1, &req));
	EXPECT_EQ(-EINVAL, rmap_pidfd_open(0));
	EXPECT_EQ(-ENOENT, rmap_open("/nonexistent/remote_mapping"));
	EXPECT_EQ(-ENOENT, rmap_kvmmem_open("/nonexistent/kvmmem"));

	/* This process has no KVM VM fd; a reaped child does not exist. */
	EXPECT_EQ(-ENOENT, rmap_vm_fd_of_pid(getpid(), &nr));
	EXPECT_EQ(0, nr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (access(path, F_OK))
		EXPECT_EQ(-ESRCH, rmap_vm_fd_of_pid(pid, NULL));

	/* An ordinary file is not a device: ENOTTY. */
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, rmap_unmap(fd, &req));
	EXPECT_EQ(-ENOTTY, rmap_kvmmem_unmap(fd, &req));
	close(fd);
}

/* Window arguments the library checks, and mmap()'s errors without one. */
TEST(no_device_window)
{
	static const int bad_prot[] = {
		PROT_NONE, PROT_WRITE, PROT_EXEC, PROT_WRITE | PROT_EXEC,
		PROT_READ | 0x100, PROT_READ | PROT_WRITE | 0x80000000,
	};
	long psz = sysconf(_SC_PAGESIZE);
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(bad_prot); i++) {
		errno = 0;
		EXPECT_EQ(NULL, rmap_window_create(-1, 1, bad_prot[i]))
			TH_LOG("prot %#x", bad_prot[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("prot %#x", bad_prot[i]);
	}
	errno = 0;
	EXPECT_EQ(NULL, rmap_window_create(-1, 0, PROT_READ));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(NULL, rmap_window_create(-1, SIZE_MAX / psz + 1, PROT_READ));
	EXPECT_EQ(ENOMEM, errno);
	errno = 0;
	EXPECT_EQ(NULL, rmap_window_create(-1, 1, PROT_READ));
	EXPECT_EQ(EBADF, errno);

	/* A file without mmap(): ENODEV, as from an older module. */
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(NULL, rmap_window_create(fd, 1, PROT_READ));
	EXPECT_EQ(ENODEV, errno);
	close(fd);

	EXPECT_EQ(0, rmap_window_destroy(NULL, 1));
	errno = 0;
	EXPECT_EQ(-EINVAL, rmap_window_destroy(&fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, rmap_window_destroy(&fd, SIZE_MAX / psz + 1));
	/* munmap() of an unaligned address. */
	EXPECT_EQ(-EINVAL, rmap_window_destroy((char *)&fd + 1, 1));
}

/* --- With /dev/remote_mapping ------------------------------------------ */

#define NPAGES	(REMOTE_MAPPING_BATCH_MAX + 3)

struct target {
	pid_t pid;
	int pidfd;
	unsigned long addr;	/* NPAGES pages; page i holds i + 1 */
};

/* A child holding NPAGES pages, each starting with its index + 1. */
static int target_start(struct target *t, long psz)
{
	int pfd[2];
	long i;

	if (pipe(pfd))
		return -errno;
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (!t->pid) {
		char *p = mmap(NULL, NPAGES * psz, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(1);
		for (i = 0; i < NPAGES; i++)
			*(unsigned long *)(p + i * psz) = i + 1;
		if (write(pfd[1], &p, sizeof(p)) != sizeof(p))
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], &t->addr, sizeof(t->addr)) != sizeof(t->addr)) {
		close(pfd[0]);
		return -EIO;
	}
	close(pfd[0]);
	t->pidfd = rmap_pidfd_open(t->pid);
	return t->pidfd < 0 ? t->pidfd : 0;
}

static void target_stop(struct target *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	if (t->pidfd >= 0)
		close(t->pidfd);
}

FIXTURE(dev) {
	int fd;
	long psz;
	struct target t;
};

FIXTURE_SETUP(dev)
{
	int ret;

	self->fd = -1;
	self->t.pid = -1;
	self->t.pidfd = -1;
	self->psz = sysconf(_SC_PAGESIZE);
	if (geteuid())
		SKIP(return, "needs root");
	self->fd = rmap_open(NULL);
	if (self->fd == -ENOENT)
		SKIP(return, "%s", rmap_strerror(RMAP_OP_OPEN, self->fd));
	ASSERT_LE(0, self->fd)
		TH_LOG("%s", rmap_strerror(RMAP_OP_OPEN, self->fd));
	ret = target_start(&self->t, self->psz);
	ASSERT_EQ(0, ret) TH_LOG("target: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(dev)
{
	target_stop(&self->t);
	if (self->fd >= 0)
		close(self->fd);
}

static void *anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static sigjmp_buf probe_env;
static int probe_armed;

static void probe_handler(int sig)
{
	if (__atomic_load_n(&probe_armed, __ATOMIC_SEQ_CST))
		siglongjmp(probe_env, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Read the word at @addr into *@val, or with @write store *@val there:
 * 0, or the signal (SIGBUS, SIGSEGV) the access raised.
 */
static int probe(void *addr, int write, unsigned long *val)
{
	struct sigaction sa = { .sa_handler = probe_handler };
	struct sigaction old_segv, old_bus;
	int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	sig = sigsetjmp(probe_env, 1);
	if (!sig) {
		__atomic_store_n(&probe_armed, 1, __ATOMIC_SEQ_CST);
		if (write)
			__atomic_store_n((unsigned long *)addr, *val,
					 __ATOMIC_RELAXED);
		else
			*val = __atomic_load_n((unsigned long *)addr,
					       __ATOMIC_RELAXED);
	}
	__atomic_store_n(&probe_armed, 0, __ATOMIC_SEQ_CST);
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return sig;
}

/* Page faults of the calling thread so far (minor and major). */
static long faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_minflt + ru.ru_majflt;
}

/* The page faults that a read of @addr takes. */
static long read_faults(const void *addr)
{
	long before;

	/* getrusage()'s first store to this stack page may fault (COW). */
	faults();
	before = faults();
	__atomic_load_n((const unsigned long *)addr, __ATOMIC_RELAXED);
	return faults() - before;
}

static char *window(struct __test_metadata *_metadata, int fd,
		    size_t npages, int prot)
{
	char *w = rmap_window_create(fd, npages, prot);

	ASSERT_NE(NULL, w) TH_LOG("%s: %s", rmap_errname(errno),
				  rmap_strerror(RMAP_OP_WINDOW, errno));
	return w;
}

TEST_F(dev, map_unmap)
{
	unsigned long *p;
	int ret;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	p = anon(self->psz);
	ASSERT_NE(NULL, p);
	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr + 7 * self->psz,
		       p, 0);
	ASSERT_EQ(0, ret) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, ret));
	EXPECT_EQ(8UL, *p);
	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr, p, 0);
	EXPECT_EQ(-EALREADY, ret);
	EXPECT_STREQ("address already mapped",
		     rmap_strerror(RMAP_OP_MAP, ret));
	EXPECT_EQ(0, rmap_unmap(self->fd, p));
	EXPECT_EQ(0UL, *p);
	EXPECT_EQ(-ENOENT, rmap_unmap(self->fd, p));

	/* By pid, read-only. */
	ret = rmap_map(self->fd, self->t.pid, self->t.addr, p,
		       REMOTE_MAPPING_TARGET_PID | REMOTE_MAPPING_READONLY);
	ASSERT_EQ(0, ret) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, ret));
	EXPECT_EQ(1UL, *p);
	EXPECT_EQ(0, rmap_unmap(self->fd, p));
	munmap(p, self->psz);
}

/*
 * More pages than one ioctl takes: the library splits the batch.  4097
 * page mirrors and their VMAs take longer than the harness's default 30 s
 * under KASAN (make check-debug).
 */
TEST_F_TIMEOUT(dev, batch_split, 300)
{
	__u64 *req, *map;
	__s32 *errs;
	char *local;
	long i, n;

	if (self->fd < 0)
		return;
#ifdef RMAP_TEST_SHARED
	SKIP(return, "the same code as in rmap_lib_test, which runs it");
#endif
	req = calloc(NPAGES, sizeof(*req));
	map = calloc(NPAGES, sizeof(*map));
	errs = calloc(NPAGES, sizeof(*errs));
	local = anon(NPAGES * self->psz);
	ASSERT_NE(NULL, req);
	ASSERT_NE(NULL, map);
	ASSERT_NE(NULL, errs);
	ASSERT_NE(NULL, local);
	for (i = 0; i < NPAGES; i++) {
		req[i] = self->t.addr + i * self->psz;
		map[i] = (unsigned long)local + i * self->psz;
		errs[i] = 1;
	}
	/* The last page of the second ioctl cannot be mapped. */
	req[NPAGES - 1] += 1;

	n = rmap_map_batch(self->fd, self->t.pidfd, 0, req, map, errs,
			   NPAGES);
	ASSERT_EQ(NPAGES - 1, n) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, n));
	for (i = 0; i < NPAGES - 1; i++) {
		ASSERT_EQ(0, errs[i]) TH_LOG("page %ld", i);
		ASSERT_EQ((unsigned long)i + 1,
			  *(unsigned long *)(local + i * self->psz));
	}
	EXPECT_EQ(-EINVAL, errs[NPAGES - 1]);

	/* Again without @errs: every page is mapped already. */
	EXPECT_EQ(0, rmap_map_batch(self->fd, self->t.pidfd, 0, req, map,
				    NULL, 2));

	/* munmap() ends all the mirrors at once (faster than 4098 unmaps). */
	ASSERT_EQ(0, rmap_unmap(self->fd, local));
	ASSERT_EQ(0, munmap(local, NPAGES * self->psz));
	local = anon(NPAGES * self->psz);
	ASSERT_NE(NULL, local);
	/* A call that fails as a whole fills @errs. */
	EXPECT_EQ(-EINVAL, rmap_map_batch(self->fd, self->t.pidfd, 1U << 31,
					  req, map, errs, 3));
	EXPECT_EQ(-EINVAL, errs[0]);
	EXPECT_EQ(-EINVAL, errs[2]);
	munmap(local, NPAGES * self->psz);
	free(errs);
	free(map);
	free(req);
}

/* Map, read, write, unmap into a window: no VMA per page, holes between. */
TEST_F(dev, window_map_unmap)
{
	unsigned long val, *mirror;
	long psz = self->psz;
	char *w;
	int ret;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	w = window(_metadata, self->fd, 4, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, w);
	/* Every page is a hole. */
	EXPECT_EQ(SIGBUS, probe(w, 0, &val));
	val = 1;
	EXPECT_EQ(SIGBUS, probe(w + 3 * psz, 1, &val));

	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr + 4 * psz,
		       w + psz, 0);
	ASSERT_EQ(0, ret) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, ret));
	ASSERT_EQ(0, probe(w + psz, 0, &val));
	EXPECT_EQ(5UL, val);
	/* The neighbours are still holes. */
	EXPECT_EQ(SIGBUS, probe(w, 0, &val));
	EXPECT_EQ(SIGBUS, probe(w + 2 * psz, 0, &val));

	/* A write reaches the target: another mirror of its page sees it. */
	mirror = anon(psz);
	ASSERT_NE(NULL, mirror);
	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr + 4 * psz,
		       mirror, REMOTE_MAPPING_READONLY);
	ASSERT_EQ(0, ret) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, ret));
	val = 0x5eed;
	EXPECT_EQ(0, probe(w + psz + 8, 1, &val));
	EXPECT_EQ(0x5eedUL, mirror[1]);
	EXPECT_EQ(0, rmap_unmap(self->fd, mirror));
	munmap(mirror, psz);

	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr, w + psz, 0);
	EXPECT_EQ(-EALREADY, ret);
	EXPECT_EQ(0, rmap_unmap(self->fd, w + psz));
	EXPECT_EQ(SIGBUS, probe(w + psz, 0, &val));
	ret = rmap_unmap(self->fd, w + psz);
	EXPECT_EQ(-ENOENT, ret);
	EXPECT_EQ(ENOENT, errno);
	EXPECT_NE(NULL, strstr(rmap_strerror(RMAP_OP_UNMAP, ret), "hole"));

	/* The same slot again, another page, by pid. */
	ret = rmap_map(self->fd, self->t.pid, self->t.addr, w + psz,
		       REMOTE_MAPPING_TARGET_PID);
	ASSERT_EQ(0, ret) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, ret));
	ASSERT_EQ(0, probe(w + psz, 0, &val));
	EXPECT_EQ(1UL, val);

	/* Destroying the window ends the mapping in it. */
	EXPECT_EQ(0, rmap_window_destroy(w, 4));
	EXPECT_EQ(SIGSEGV, probe(w + psz, 0, &val));
}

/* REMOTE_MAPPING_POPULATE goes through rmap_map() and rmap_map_batch(). */
TEST_F(dev, window_populate)
{
	__u64 req[3], map[3];
	long psz = self->psz;
	unsigned long val;
	char *w, *a;
	__s32 errs[3];
	int i, ret;

	if (self->fd < 0)
		return;
	w = window(_metadata, self->fd, 8, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, w);
	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr, w, 0);
	ASSERT_EQ(0, ret) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, ret));
	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr + psz, w + psz,
		       REMOTE_MAPPING_POPULATE);
	ASSERT_EQ(0, ret) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, ret));

	/* Without the flag the first read faults; with it, it does not. */
	EXPECT_LE(1, read_faults(w));
	EXPECT_EQ(0, read_faults(w + psz));
	EXPECT_EQ(1UL, *(unsigned long *)w);
	EXPECT_EQ(2UL, *(unsigned long *)(w + psz));

	/* A batch: three pages with the flag, two without. */
	for (i = 0; i < 3; i++) {
		req[i] = self->t.addr + (2 + i) * psz;
		map[i] = (unsigned long)w + (2 + i) * psz;
		errs[i] = 1;
	}
	EXPECT_EQ(3, rmap_map_batch(self->fd, self->t.pidfd,
				    REMOTE_MAPPING_POPULATE, req, map, errs,
				    3));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, errs[i]);
		EXPECT_EQ(0, read_faults(w + (2 + i) * psz)) TH_LOG("page %d", i);
		EXPECT_EQ(3UL + i, *(unsigned long *)(w + (2 + i) * psz));
	}
	for (i = 0; i < 2; i++) {
		req[i] = self->t.addr + (5 + i) * psz;
		map[i] = (unsigned long)w + (5 + i) * psz;
	}
	EXPECT_EQ(2, rmap_map_batch(self->fd, self->t.pidfd, 0, req, map,
				    NULL, 2));
	for (i = 0; i < 2; i++) {
		EXPECT_LE(1, read_faults(w + (5 + i) * psz)) TH_LOG("page %d", i);
		EXPECT_EQ(6UL + i, *(unsigned long *)(w + (5 + i) * psz));
	}

	/* Installed read-only: a write still gets write access. */
	val = 0x5eed;
	EXPECT_EQ(0, probe(w + psz + 8, 1, &val));
	EXPECT_EQ(0x5eedUL, *(unsigned long *)(w + psz + 8));

	/* The flag works for a mirror over anonymous memory too. */
	a = anon(psz);
	ASSERT_NE(NULL, a);
	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr + 7 * psz, a,
		       REMOTE_MAPPING_POPULATE | REMOTE_MAPPING_READONLY);
	ASSERT_EQ(0, ret) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, ret));
	EXPECT_EQ(0, read_faults(a));
	EXPECT_EQ(8UL, *(unsigned long *)a);
	EXPECT_EQ(0, rmap_unmap(self->fd, a));
	munmap(a, psz);

	for (i = 0; i < 7; i++)
		EXPECT_EQ(0, rmap_unmap(self->fd, w + i * psz)) TH_LOG("page %d", i);
	EXPECT_EQ(0, rmap_window_destroy(w, 8));
}

TEST_F(dev, window_readonly)
{
	char *ro, *rw;
	unsigned long val;
	long psz = self->psz;
	int ret;

	if (self->fd < 0)
		return;
	ro = window(_metadata, self->fd, 2, PROT_READ);
	ASSERT_NE(NULL, ro);
	rw = window(_metadata, self->fd, 2, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, rw);

	/* A writable map needs a writable window. */
	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr, ro, 0);
	EXPECT_EQ(-EACCES, ret);
	EXPECT_EQ(EACCES, errno);
	EXPECT_NE(NULL, strstr(rmap_strerror(RMAP_OP_MAP, ret), "window"));
	EXPECT_EQ(SIGBUS, probe(ro, 0, &val));
	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr, ro,
		       REMOTE_MAPPING_READONLY);
	ASSERT_EQ(0, ret) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, ret));
	ASSERT_EQ(0, probe(ro, 0, &val));
	EXPECT_EQ(1UL, val);
	/* Not writable: the VMA is not (SIGSEGV). */
	val = 0x5eed;
	EXPECT_EQ(SIGSEGV, probe(ro + 8, 1, &val));

	/* A read-only page of a writable window: SIGBUS on write. */
	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr + psz, rw,
		       REMOTE_MAPPING_READONLY);
	ASSERT_EQ(0, ret) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, ret));
	ASSERT_EQ(0, probe(rw, 0, &val));
	EXPECT_EQ(2UL, val);
	val = 0x5eed;
	EXPECT_EQ(SIGBUS, probe(rw + 8, 1, &val));
	ASSERT_EQ(0, probe(rw + 8, 0, &val));
	EXPECT_EQ(0UL, val);

	EXPECT_EQ(0, rmap_unmap(self->fd, ro));
	EXPECT_EQ(0, rmap_unmap(self->fd, rw));
	EXPECT_EQ(0, rmap_window_destroy(ro, 2));
	EXPECT_EQ(0, rmap_window_destroy(rw, 2));
}

static void window_in_child(int fd)
{
	/* The file is bound to the parent's address space. */
	if (rmap_window_create(fd, 1, PROT_READ) || errno != EINVAL)
		_exit(1);
	_exit(0);
}

TEST_F(dev, window_errors)
{
	long psz = self->psz;
	int ret, fd, status;
	unsigned long val;
	char *w;
	pid_t pid;

	if (self->fd < 0)
		return;
	/* Windows are never executable: the kernel says EPERM. */
	errno = 0;
	EXPECT_EQ(NULL, rmap_window_create(self->fd, 1, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(NULL, rmap_window_create(self->fd, 1, PROT_NONE));
	EXPECT_EQ(EINVAL, errno);
	/* More than the address space. */
	errno = 0;
	EXPECT_EQ(NULL, rmap_window_create(self->fd, (size_t)1 << 40,
					   PROT_READ));
	EXPECT_EQ(ENOMEM, errno);

	/* A writable window needs a device fd open for writing. */
	fd = open(RMAP_DEV_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(NULL, rmap_window_create(fd, 1, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	close(fd);

	/* The window outlives its fd, and maps through another. */
	fd = rmap_open(NULL);
	ASSERT_LE(0, fd);
	w = window(_metadata, fd, 1, PROT_READ);
	ASSERT_NE(NULL, w);
	close(fd);
	ret = rmap_map(self->fd, self->t.pidfd, self->t.addr + psz, w,
		       REMOTE_MAPPING_READONLY);
	ASSERT_EQ(0, ret) TH_LOG("%s", rmap_strerror(RMAP_OP_MAP, ret));
	ASSERT_EQ(0, probe(w, 0, &val));
	EXPECT_EQ(2UL, val);
	/* Unaligned: EINVAL, as for any munmap(). */
	EXPECT_EQ(-EINVAL, rmap_window_destroy(w + 1, 1));
	EXPECT_EQ(0, rmap_window_destroy(w, 1));
	EXPECT_EQ(-ENOENT, rmap_unmap(self->fd, w));

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		window_in_child(self->fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("window of the parent's file in a child: not EINVAL");
}

TEST_F(dev, tokens)
{
	struct rmap_token t = known;
	int ret;

	if (self->fd < 0)
		return;
	ret = rmap_token_revoke(self->fd, &t);
	EXPECT_EQ(-ENOENT, ret);
	EXPECT_NE(NULL, strstr(rmap_strerror(RMAP_OP_TOKEN_REVOKE, ret),
			       "unknown token"));
	/* A pidfd is no VM fd; without the KVM hook: ENODEV first. */
	ret = rmap_token_grant(self->fd, self->t.pidfd, -1, 0, 0, &t);
	EXPECT_TRUE(ret == -EBADF || ret == -ENODEV)
		TH_LOG("%s", rmap_errname(ret));
	TH_LOG("grant with a pidfd: %s (%s)", rmap_errname(ret),
	       rmap_strerror(RMAP_OP_TOKEN_GRANT, ret));
}

TEST_HARNESS_MAIN
