// SPDX-License-Identifier: GPL-2.0
/*
 * A target VM torn down while an introspector's vCPU maps its pages in a
 * loop: its token revoked, its process gone.  The last references on the
 * target's struct kvm and mm may then be the hypercall's; they must not be
 * dropped inside the introspector's vCPU exit handler, where
 * kvm_destroy_vm() would load the dead VM's vCPUs over the loaded one
 * (security review issue 15, item 5).
 *
 * Where the teardown ran is read from the function tracer: the stack of
 * each kvm_arch_destroy_vm() call.  A test run shows a failed KVM_RUN of
 * the introspector (tiny_vm ends the process) or a dirty kernel log too.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "hc_race.h"

#define TRACEFS		"/sys/kernel/tracing/"
#define RUN_SECONDS	15
#define MAX_ROUNDS	400

/* The whole of @s: set_ftrace_filter takes one function a write(). */
static int write_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	int fd, ret = 0;
	ssize_t n = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		s += n;
		len -= n;
		n = write(fd, s, len);
	} while (n > 0 && (size_t)n < len);
	if (n < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Trace calls of the functions in @filter (one a line): 0 or -errno. */
static int trace_start(const char *filter)
{
	int ret;

	if (access(TRACEFS "trace", F_OK) &&
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return -errno;
	ret = write_str(TRACEFS "current_tracer", "nop");
	if (!ret)
		ret = write_str(TRACEFS "set_ftrace_filter", filter);
	if (!ret)
		ret = write_str(TRACEFS "trace", "");
	if (!ret)
		ret = write_str(TRACEFS "options/func_stack_trace", "1");
	if (!ret)
		ret = write_str(TRACEFS "current_tracer", "function");
	if (!ret)
		ret = write_str(TRACEFS "tracing_on", "1");
	return ret;
}

struct trace_count {
	unsigned long total;	/* calls */
	unsigned long in_hc;	/* calls inside a hypercall */
	unsigned long kworker;	/* calls by a kworker */
};

/*
 * Calls of @func in the trace, each an event line "<comm>-<pid> [cpu]
 * flags time: func <-caller" then its stack, " => caller" lines: inside a
 * hypercall if kvm_emulate_hypercall() is on the stack.
 */
static void trace_count(const char *func, struct trace_count *c)
{
	char line[512], name[64];
	bool in = false;
	FILE *f;

	memset(c, 0, sizeof(*c));
	snprintf(name, sizeof(name), ": %s <-", func);
	f = fopen(TRACEFS "trace", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, " => ", 4)) {
			if (in && strstr(line, "kvm_emulate_hypercall")) {
				c->in_hc++;
				in = false;
			}
			continue;
		}
		if (strstr(line, "<stack trace>"))
			continue;
		in = line[0] != '#' && strstr(line, name);
		if (!in)
			continue;
		c->total++;
		if (!strncmp(line + strspn(line, " "), "kworker", 7))
			c->kworker++;
	}
	fclose(f);
}

static void trace_stop(void)
{
	write_str(TRACEFS "current_tracer", "nop");
	write_str(TRACEFS "options/func_stack_trace", "0");
	write_str(TRACEFS "set_ftrace_filter", "");
}

/*
 * A target VM in a process of its own: it grants a token, sends it, waits
 * for a byte, then revokes the token, closes its VM's fds and unmaps its
 * kvm_run, and exits shortly after.
 */
static pid_t target_start(int *to_child, struct remote_mapping_token *tok)
{
	int up[2], down[2], kvm, run_size;
	pid_t pid;
	char c;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -1;
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	close(kvm);
	if (run_size <= 0 || pipe(up) || pipe(down))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct tiny_vm t;

		close(up[0]);
		close(down[1]);
		tvm_create(&t);
		*(__u32 *)(t.ram + HR_REQ_GPA) = 0x7a46e7;
		if (hr_grant(t.vm_fd, tok) ||
		    write(up[1], tok, sizeof(*tok)) != sizeof(*tok))
			_exit(1);
		if (read(down[0], &c, 1) != 1)
			_exit(1);
		/*
		 * The VM goes, its process lives on: the last reference on
		 * the VM may be the hypercall's.
		 */
		hr_revoke(tok);
		munmap(t.run, run_size);
		close(t.vcpu_fd);
		close(t.vm_fd);
		usleep(2000);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	*to_child = down[1];
	if (read(up[0], tok, sizeof(*tok)) != sizeof(*tok)) {
		close(up[0]);
		return -1;
	}
	close(up[0]);
	return pid;
}

/* Nothing shared: a fixture only for a timeout longer than the run. */
FIXTURE(race) {
};

FIXTURE_SETUP(race)
{
}

FIXTURE_TEARDOWN(race)
{
}

TEST_F_TIMEOUT(race, target_teardown_during_maps, RUN_SECONDS + 60)
{
	struct trace_count destroy = { }, mm_exit = { };
	struct remote_mapping_token tok;
	unsigned int seed = 7, rounds = 0;
	struct hr_locker locker;
	struct tiny_vm intro;
	struct hr_loop loop;
	bool traced;
	int to_child, status;
	double end;
	pid_t pid;

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm");
	if (!hr_hooked())
		SKIP(return, "remote_mapping has no KVM hook (patched kvm.ko not loaded)");

	traced = !trace_start("kvm_arch_destroy_vm\nexit_mmap\n");
	if (!traced)
		ksft_print_msg("no function tracer: where the VMs were destroyed is not checked\n");
	tvm_create(&intro);
	ASSERT_EQ(0, hr_locker_start(&locker));
	ASSERT_EQ(0, hr_loop_start(&loop, &intro, 0));

	end = hr_now_s() + RUN_SECONDS;
	while (rounds < MAX_ROUNDS && hr_now_s() < end) {
		pid = target_start(&to_child, &tok);
		ASSERT_LT(0, pid);
		hr_loop_set_token(&loop, &tok);
		usleep(rand_r(&seed) % 20000);
		ASSERT_EQ(1, write(to_child, "x", 1));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
		close(to_child);
		rounds++;
	}
	hr_loop_stop(&loop);
	hr_locker_stop(&locker);
	tvm_destroy(&intro);
	/* Deferred puts and mm teardowns run from work items. */
	usleep(200 * 1000);
	if (traced) {
		trace_count("kvm_arch_destroy_vm", &destroy);
		trace_count("exit_mmap", &mm_exit);
		trace_stop();
	}
	ksft_print_msg("%u targets; %lu maps: %lu mapped, %lu EPERM, %lu other\n",
		       rounds, loop.calls, loop.ok, loop.eperm, loop.other);
	ksft_print_msg("VMs destroyed: %lu, by a kworker %lu, in the hypercall %lu\n",
		       destroy.total, destroy.kworker, destroy.in_hc);
	ksft_print_msg("mms torn down: %lu, by a kworker %lu, in the hypercall %lu\n",
		       mm_exit.total, mm_exit.kworker, mm_exit.in_hc);
	/* The test's process ends with _exit(). */
	fflush(stdout);
	EXPECT_EQ(0, loop.unmap_err);
	EXPECT_LT(0, loop.ok);
	EXPECT_EQ(0, destroy.in_hc)
		TH_LOG("the target VM was destroyed in the introspector's vCPU exit handler");
	/* Nor the target's mm (review item 12c): a whole exit_mmap(). */
	EXPECT_EQ(0, mm_exit.in_hc)
		TH_LOG("the target's mm was torn down in the introspector's vCPU exit handler");
}

TEST_HARNESS_MAIN
