// SPDX-License-Identifier: GPL-2.0
/* A real program as target: its pages match /proc/PID/mem byte for byte. */
#define _GNU_SOURCE
#include <sys/prctl.h>

#include "rm_harness.h"

#define PROGRAM		"/bin/sleep"
#define MAX_PAGES	1024UL

static pid_t program_pid;

static void program_kill(void *arg)
{
	(void)arg;
	if (program_pid > 0) {
		kill(program_pid, SIGKILL);
		waitpid(program_pid, NULL, 0);
		program_pid = 0;
	}
}

/* Starts PROGRAM and stops it once it runs: its pid. */
static pid_t program_start(struct __test_metadata *_metadata,
			   RM_FIXTURE *self)
{
	char path[64], exe[256];
	pid_t parent = getpid();
	ssize_t len = -1;
	int status, i;
	pid_t pid;

	if (access(PROGRAM, X_OK))
		SKIP(return 0, "no %s", PROGRAM);
	rm_defer(_metadata, self, program_kill, NULL);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		execl(PROGRAM, "sleep", "1000", (char *)NULL);
		_exit(127);
	}
	program_pid = pid;

	/* Wait for exec() to be done: /proc/PID/exe is the program. */
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	for (i = 0; i < 1000; i++) {
		len = readlink(path, exe, sizeof(exe) - 1);
		if (len > 0) {
			exe[len] = '\0';
			if (strstr(exe, "sleep"))
				break;
		}
		sleep_ms(10);
	}
	ASSERT_GT(1000, i) TH_LOG("%s did not start", PROGRAM);
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	return pid;
}

/* Mirrors [start, end) of @pid read-only and compares with /proc/PID/mem. */
static void compare_range(struct __test_metadata *_metadata,
			  RM_FIXTURE *self, pid_t pid, uintptr_t start,
			  uintptr_t end)
{
	size_t i, n = (end - start) / page_size, off;
	char path[64], *base, *map, *buf;
	int pidfd, memfd;

	ASSERT_LT(0UL, n);
	ASSERT_GE(MAX_PAGES, n);
	pidfd = sys_pidfd_open(pid);
	ASSERT_LE(0, pidfd);
	base = anon_map(2 * n + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT_NE(NULL, base);
	buf = malloc(page_size);
	ASSERT_NE(NULL, buf);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	memfd = open(path, O_RDONLY);
	ASSERT_LE(0, memfd);

	for (i = 0; i < n; i++)
		rm_map(_metadata, self->fd, start + i * page_size,
		       base + (2 * i + 1) * page_size, i & 1 ? pid : pidfd,
		       REMOTE_MAPPING_READONLY |
		       (i & 1 ? REMOTE_MAPPING_TARGET_PID : 0));
	rm_expect_maps(_metadata, self, n);

	for (i = 0; i < n; i++) {
		map = base + (2 * i + 1) * page_size;
		must_read(_metadata, map);
		ASSERT_EQ((ssize_t)page_size,
			  pread(memfd, buf, page_size, start + i * page_size));
		if (!memcmp(map, buf, page_size))
			continue;
		for (off = 0; map[off] == buf[off]; off++)
			;
		ASSERT_EQ(buf[off], map[off]) {
			TH_LOG("page %#lx differs at offset %#zx",
			       (unsigned long)(start + i * page_size), off);
		}
	}

	for (i = 0; i < n; i++)
		rm_unmap(_metadata, self->fd, base + (2 * i + 1) * page_size);
	rm_expect_counters_back(_metadata, self);
	close(memfd);
	close(pidfd);
	free(buf);
	munmap(base, (2 * n + 1) * page_size);
}

TEST_F_TIMEOUT(remote_mapping, real_program_stack, 60)
{
	uintptr_t start, end;
	pid_t pid;

	pid = program_start(_metadata, self);
	if (!pid)
		return;
	ASSERT_EQ(0, maps_find(pid, NULL, "[stack]", &start, &end));
	compare_range(_metadata, self, pid, start, end);
	program_kill(NULL);
}

TEST_F_TIMEOUT(remote_mapping, real_program_text, 60)
{
	uintptr_t start, end;
	char *map;
	pid_t pid;

	pid = program_start(_metadata, self);
	if (!pid)
		return;

	/* The first mapping of the executable starts with its ELF header. */
	ASSERT_EQ(0, maps_find(pid, "r--p", "sleep", &start, &end));
	map = rm_anon3(_metadata) + page_size;
	rm_map(_metadata, self->fd, start, map, pid,
	       REMOTE_MAPPING_TARGET_PID | REMOTE_MAPPING_READONLY);
	ASSERT_EQ(0, memcmp(map, "\177ELF", 4));
	rm_unmap(_metadata, self->fd, map);

	/* Its code: not writable, and the same bytes as /proc/PID/mem. */
	ASSERT_EQ(0, maps_find(pid, "r-xp", "sleep", &start, &end));
	rm_map_fails(_metadata, self->fd, start, map, pid,
		     REMOTE_MAPPING_TARGET_PID, EACCES);
	compare_range(_metadata, self, pid, start, end);
	program_kill(NULL);
}

TEST_HARNESS_MAIN
