/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the rm_abuse tests: leak checks, address limits, odd fds. */
#ifndef SELFTEST_RA_COMMON_H
#define SELFTEST_RA_COMMON_H

#include <dirent.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "rm_harness.h"

#define RM_TDB_COUNT	"tdb_count"
#define RM_IDB_COUNT	"idb_count"

/* tdb_count and idb_count when the program started. */
static long ra_tdb0 = -1, ra_idb0 = -1;

static void __attribute__((constructor)) ra_baseline(void)
{
	if (rm_counters_init())
		return;
	/* An earlier program's objects go after an SRCU grace period. */
	rm_wait_counter(RM_TDB_COUNT, 0, 3000, &ra_tdb0);
	rm_wait_counter(RM_IDB_COUNT, 0, 3000, &ra_idb0);
}

/*
 * Nothing of the test is left: map_count and pdb_count as at setup, and
 * tdb_count and idb_count (freed after an SRCU grace period) as at start.
 */
static inline void ra_expect_clean(struct __test_metadata *_metadata,
				   RM_FIXTURE *self)
{
	long seen = -1;
	int ret;

	rm_expect_counters_back(_metadata, self);
	ret = rm_wait_counter(RM_TDB_COUNT, ra_tdb0, 5000, &seen);
	ASSERT_EQ(0, ret) TH_LOG("tdb_count is %ld, expected %ld", seen,
				 ra_tdb0);
	ret = rm_wait_counter(RM_IDB_COUNT, ra_idb0, 5000, &seen);
	ASSERT_EQ(0, ret) TH_LOG("idb_count is %ld, expected %ld", seen,
				 ra_idb0);
}

/* The CPU runs with 5-level page tables (user addresses up to 2^56). */
static inline bool ra_la57(void)
{
	static int la57 = -1;
	char *buf;

	if (la57 < 0) {
		buf = malloc(1 << 16);
		la57 = buf && read_file("/proc/cpuinfo", buf, 1 << 16) > 0 &&
		       strstr(buf, " la57");
		free(buf);
	}
	return la57;
}

/* The kernel's TASK_SIZE_MAX: the first address that is no user page. */
static inline uintptr_t ra_task_size_max(void)
{
	return (ra_la57() ? 1UL << 56 : 1UL << 47) - page_size;
}

/* Lowest non-canonical address with 4-level page tables. */
#define RA_NONCANON47	0x0000800000000000UL
/* Non-canonical with 4 and 5 levels alike. */
#define RA_NONCANON	0x8000000000000000UL

/* A page-aligned address near the top of @pid's user space, not mapped. */
static inline uintptr_t ra_top_hole(pid_t pid)
{
	uintptr_t top = ((1UL << 47) - page_size) - page_size;
	int i;

	for (i = 0; i < 1024; i++, top -= page_size) {
		if (maps_lookup(pid, top, NULL, NULL) == -ENOENT)
			return top;
	}
	return 0;
}

/*
 * Room for @len bytes whose last @spill bytes lie in an inaccessible page
 * (the second of two, PROT_NONE).
 */
static inline void *ra_straddle(struct __test_metadata *_metadata,
				size_t len, size_t spill)
{
	char *p = anon_map(2, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, mprotect(p + page_size, page_size, PROT_NONE));
	memset(p, 0, page_size);
	return p + page_size - len + spill;
}

/* pid of a kernel thread other than kthreadd, or 0. */
static inline pid_t ra_kthread_pid(void)
{
	char path[300], comm[64];
	struct dirent *de;
	pid_t pid = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return 0;
	while (!pid && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (read_file(path, comm, sizeof(comm)) > 0 &&
		    !strncmp(comm, "ksoftirqd/", 10))
			pid = atoi(de->d_name);
	}
	closedir(d);
	return pid;
}

/* A child that exited and is not reaped: its pid; *@pidfd opened before. */
static inline pid_t ra_zombie(int *pidfd)
{
	siginfo_t si;
	int pipefd[2];
	pid_t pid;
	char c;

	if (pipe(pipefd))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(pipefd[0]);
	*pidfd = sys_pidfd_open(pid);
	close(pipefd[1]);
	if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT))
		return -errno;
	return pid;
}

#endif /* SELFTEST_RA_COMMON_H */
