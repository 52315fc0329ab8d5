// SPDX-License-Identifier: GPL-2.0
/*
 * Demo: one process reads and writes another's page with plain loads and
 * stores, through /dev/remote_mapping.
 *
 * A forked child (the "target") owns one private anonymous page holding a
 * counter that it increments ten times a second and a text message.  The
 * parent (the "introspector") maps that page over one of its own pages,
 * reads the message and the live counter, writes a new message that the
 * target notices and acknowledges, unmaps, and checks that its page is a
 * fresh zero page again.  Needs root (CAP_SYS_PTRACE) and the module loaded.
 * The ioctls go through librmap (lib/), which also explains errors.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "rmap.h"

#define MSG_LEN		256
#define TICK_MS		100	/* target counter period */
#define TARGET_LIFE_MS	60000	/* target gives up after this long */
#define WAIT_MS		10000	/* how long to wait for the target to act */

/* Layout of the target's page; both sides use plain loads and stores. */
struct demo_page {
	unsigned long counter;		/* written by the target */
	unsigned long msg_seq;		/* bumped by whoever rewrites @msg */
	unsigned long ack_seq;		/* target: last @msg_seq it read */
	char msg[MSG_LEN];
	char reply[MSG_LEN];
};

/* Single-copy atomic plain loads and stores (mov on x86), like READ_ONCE. */
#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static void say(const char *who, const char *fmt, ...)
{
	va_list ap;

	printf("[%s] ", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void step(const char *title)
{
	printf("\n== %s\n", title);
	fflush(stdout);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void copy_msg(char *dst, const char *src)
{
	size_t n = strnlen(src, MSG_LEN - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Target: own a page, count, and watch for a new message.  Runs until the
 * parent closes @ctl_fd (or dies).  Exit code 0 if a message from the
 * introspector arrived.
 */
static int run_target(int addr_fd, int ctl_fd)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct demo_page *pg;
	unsigned long seen = 0;
	struct pollfd pfd = { .fd = ctl_fd, .events = POLLIN };
	char buf[MSG_LEN];
	int life = TARGET_LIFE_MS / TICK_MS;
	int got_msg = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);

	pg = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED) {
		say("target", "mmap: %s", strerror(errno));
		return 2;
	}
	snprintf(buf, sizeof(buf), "hello from target pid %d", (int)getpid());
	copy_msg(pg->msg, buf);
	say("target", "my page is at %p, message \"%s\"", (void *)pg, pg->msg);

	if (write(addr_fd, &pg, sizeof(pg)) != sizeof(pg)) {
		say("target", "cannot send page address: %s", strerror(errno));
		return 2;
	}
	close(addr_fd);

	while (life-- > 0) {
		int r = poll(&pfd, 1, TICK_MS);

		if (r < 0 && errno != EINTR) {
			say("target", "poll: %s", strerror(errno));
			return 2;
		}
		if (r > 0)	/* parent closed the pipe: done */
			break;

		STORE(pg->counter, LOAD(pg->counter) + 1);

		if (LOAD(pg->msg_seq) != seen) {
			seen = LOAD(pg->msg_seq);
			copy_msg(buf, pg->msg);
			say("target", "my own page now says \"%s\"", buf);
			snprintf(pg->reply, MSG_LEN, "target %d read message #%lu",
				 (int)getpid(), seen);
			STORE(pg->ack_seq, seen);
			got_msg = 1;
		}
	}

	say("target", "exiting: counter=%lu, message \"%s\"",
	    LOAD(pg->counter), pg->msg);
	return got_msg ? 0 : 1;
}

/* @err: 0, or the errno of a failed system call. */
static int fail(const char *what, int err)
{
	if (err)
		fprintf(stderr, "rm_demo: FAILED: %s: %s\n", what, strerror(err));
	else
		fprintf(stderr, "rm_demo: FAILED: %s\n", what);
	return 1;
}

/* @err: the negative errno of librmap operation @op. */
static int fail_rmap(const char *what, enum rmap_op op, int err)
{
	fprintf(stderr, "rm_demo: FAILED: %s: %s (%s)\n", what,
		rmap_errname(err), rmap_strerror(op, err));
	return 1;
}

static int page_is_zero(const unsigned char *p, long len)
{
	long i;

	for (i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

static int introspect(int dev, pid_t pid, struct demo_page *remote,
		      unsigned char *local, long psz)
{
	struct demo_page *pg = (struct demo_page *)local;
	unsigned long prev, now, seq;
	char expect[MSG_LEN];
	int pidfd, i, waited, ret;

	step("2. Map the target's page into ours (REMOTE_MAPPING_MAP)");
	pidfd = rmap_pidfd_open(pid);
	if (pidfd < 0)
		return fail("pidfd_open", -pidfd);

	memset(local, 0xaa, psz);
	say("introspector", "my page at %p is filled with 0xaa before the map",
	    (void *)local);

	ret = rmap_map(dev, pidfd, (unsigned long)remote, local, 0);
	if (ret)
		return fail_rmap("REMOTE_MAPPING_MAP", RMAP_OP_MAP, ret);
	close(pidfd);	/* the mapping does not need the pidfd any more */
	say("introspector", "mapped target %d's %p at my %p",
	    (int)pid, (void *)remote, (void *)local);

	step("3. Read the target's message with plain loads");
	snprintf(expect, sizeof(expect), "hello from target pid %d", (int)pid);
	if (strncmp(pg->msg, expect, MSG_LEN))
		return fail("the mapped page does not hold the target's message", 0);
	say("introspector", "message at my %p: \"%s\"", (void *)pg->msg, pg->msg);

	step("4. Watch the target's live counter (no syscall per read)");
	prev = LOAD(pg->counter);
	say("introspector", "counter = %lu", prev);
	for (i = 0; i < 5; i++) {
		sleep_ms(300);
		/* A loaded (emulated) machine may not run the target on time. */
		for (waited = 0; (now = LOAD(pg->counter)) == prev; waited += 50) {
			if (waited >= WAIT_MS)
				return fail("the counter did not advance", 0);
			sleep_ms(50);
		}
		say("introspector", "counter = %lu", now);
		if (now < prev)
			return fail("the counter went backwards", 0);
		prev = now;
	}

	step("5. Write a new message into the target's page with plain stores");
	copy_msg(pg->msg, "greetings from the introspector");
	seq = LOAD(pg->msg_seq) + 1;
	STORE(pg->msg_seq, seq);
	say("introspector", "wrote \"%s\" (message #%lu), waiting for the ack",
	    pg->msg, seq);
	for (waited = 0; LOAD(pg->ack_seq) != seq; waited += 10) {
		if (waited >= WAIT_MS)
			return fail("the target did not see the new message", 0);
		sleep_ms(10);
	}
	say("introspector", "target replied in its page: \"%s\"", pg->reply);

	step("6. Unmap (REMOTE_MAPPING_UNMAP): our page is a fresh zero page");
	ret = rmap_unmap(dev, local);
	if (ret)
		return fail_rmap("REMOTE_MAPPING_UNMAP", RMAP_OP_UNMAP, ret);
	if (!page_is_zero(local, psz))
		return fail("the page is not zero after unmap", 0);
	say("introspector", "all %ld bytes at %p read 0 (neither 0xaa nor the target's data)",
	    psz, (void *)local);
	local[0] = 1;	/* and it is ordinary writable memory again */
	return 0;
}

int main(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	int addr_pipe[2], ctl_pipe[2];
	struct demo_page *remote;
	unsigned char *local;
	int dev, ret, status;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("remote_mapping demo: a process maps another process's page and\n");
	printf("reads/writes it with plain loads and stores.\n");

	step("1. Open " RMAP_DEV_PATH " and start the target process");
	dev = rmap_open(NULL);
	if (dev < 0) {
		fprintf(stderr, "rm_demo: %s\n", rmap_strerror(RMAP_OP_OPEN, dev));
		return 1;
	}

	if (pipe(addr_pipe) || pipe(ctl_pipe))
		return fail("pipe", errno);

	local = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (local == MAP_FAILED)
		return fail("mmap", errno);

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail("fork", errno);
	if (pid == 0) {
		close(dev);
		close(addr_pipe[0]);
		close(ctl_pipe[1]);
		_exit(run_target(addr_pipe[1], ctl_pipe[0]));
	}
	close(addr_pipe[1]);
	close(ctl_pipe[0]);

	if (read(addr_pipe[0], &remote, sizeof(remote)) != sizeof(remote)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return fail("the target did not report its page address", 0);
	}
	say("introspector", "target is pid %d, its page is at %p",
	    (int)pid, (void *)remote);

	ret = introspect(dev, pid, remote, local, psz);

	step("7. Stop the target");
	close(ctl_pipe[1]);	/* the target's poll() sees the hangup */
	if (waitpid(pid, &status, 0) != pid)
		return fail("waitpid", errno);
	if (!ret && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		ret = fail("the target did not exit cleanly", 0);
	close(dev);

	if (ret)
		return ret;
	printf("\nrm_demo: SUCCESS\n");
	return 0;
}
