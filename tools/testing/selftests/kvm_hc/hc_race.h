/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the race tests of kvm_hc: an introspector vCPU thread that
 * maps and unmaps a target page in a loop with whatever token is current,
 * and a thread that keeps this process's mmap_lock busy, so that the
 * first map of each round waits for it (rm_mn_get() takes it for
 * write) while holding what the hypercall took: a module reference, a
 * reference on the target VM and on its mm.
 */
#ifndef SELFTEST_HC_RACE_H
#define SELFTEST_HC_RACE_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/kvmmem.h>
#include <linux/remote_mapping.h>

#include "tiny_vm.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#define HR_KVM_ENOSYS	1000
#define HR_TOKEN_GPA	TVM_DATA_GPA
#define HR_MAP_GPA	0x4000U
#define HR_REQ_GPA	0x8000U
#define HR_DEBUGFS	"/sys/kernel/debug/remote_mapping/"
#define HR_LOCK_BYTES	(32UL << 20)

/* Fields shared between the threads. */
#define HR_READ(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define HR_SET(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define HR_INC(x)	__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)

/* CLOCK_MONOTONIC, in seconds. */
static inline double hr_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int hr_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* The module serves the KVM hypercalls (debugfs kvm_hook: patch, ftrace). */
static inline bool hr_hooked(void)
{
	return tvm_kvm_hook() >= TVM_HOOK_PATCH;
}

/*
 * A token for @vm_fd, granted through a /dev/remote_mapping file that is
 * closed again: the token holds no reference on the module.  0 or -errno.
 */
static inline int hr_grant(int vm_fd, struct remote_mapping_token *tok)
{
	struct remote_mapping_token_grant g = {
		.vm_fd = vm_fd,
		.intro_vm_fd = -1,
	};
	int rm, err = 0;

	rm = open("/dev/remote_mapping", O_RDWR | O_CLOEXEC);
	if (rm < 0)
		return -errno;
	if (ioctl(rm, REMOTE_MAPPING_TOKEN_GRANT, &g))
		err = -errno;
	else
		*tok = g.token;
	close(rm);
	return err;
}

static inline int hr_revoke(const struct remote_mapping_token *tok)
{
	struct remote_mapping_token_revoke r = { .token = *tok };
	int rm, err = 0;

	rm = open("/dev/remote_mapping", O_RDWR | O_CLOEXEC);
	if (rm < 0)
		return -errno;
	if (ioctl(rm, REMOTE_MAPPING_TOKEN_REVOKE, &r))
		err = -errno;
	close(rm);
	return err;
}

/*
 * Keeps this process's mmap_lock held for read most of the time.  The
 * short sleep after each round is a voluntary switch: without one, a task
 * spinning in the kernel holds up the RCU-tasks grace period that
 * unregistering an ftrace hook waits for (a minute and more on one CPU).
 */
struct hr_locker {
	pthread_t thread;
	bool stop;
	char *buf;
};

static inline void *hr_locker_fn(void *arg)
{
	struct hr_locker *l = arg;

	while (!HR_READ(l->stop)) {
		madvise(l->buf, HR_LOCK_BYTES, MADV_POPULATE_WRITE);
		madvise(l->buf, HR_LOCK_BYTES, MADV_DONTNEED);
		usleep(1);
	}
	return NULL;
}

static inline int hr_locker_start(struct hr_locker *l)
{
	memset(l, 0, sizeof(*l));
	l->buf = mmap(NULL, HR_LOCK_BYTES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (l->buf == MAP_FAILED)
		return -errno;
	return -pthread_create(&l->thread, NULL, hr_locker_fn, l);
}

static inline void hr_locker_stop(struct hr_locker *l)
{
	HR_SET(l->stop, true);
	pthread_join(l->thread, NULL);
	munmap(l->buf, HR_LOCK_BYTES);
}

/*
 * The introspector's vCPU thread: KVM_HC_MEM_MAP of HR_REQ_GPA at
 * HR_MAP_GPA with the current token, and KVM_HC_MEM_UNMAP after each
 * success, until stopped.  A failed KVM_RUN ends the process (tiny_vm).
 */
struct hr_loop {
	struct tiny_vm *vm;
	pthread_t thread;
	pthread_mutex_t lock;
	struct remote_mapping_token tok;	/* under lock */
	unsigned int pause_us;	/* random pause after each call, up to */
	bool stop;
	pid_t tid;
	/* Results of the map calls: read with HR_READ(). */
	unsigned long calls, ok, enosys, eperm, other;
	long last_other;
	long unmap_err;			/* the first failed unmap */
};

static inline void *hr_loop_fn(void *arg)
{
	struct hr_loop *h = arg;
	unsigned int seed = 1;
	__s32 r;

	prctl(PR_SET_NAME, "rm-hc-vcpu");
	HR_SET(h->tid, syscall(SYS_gettid));
	while (!HR_READ(h->stop)) {
		pthread_mutex_lock(&h->lock);
		memcpy(h->vm->ram + HR_TOKEN_GPA, &h->tok, sizeof(h->tok));
		pthread_mutex_unlock(&h->lock);
		r = tvm_hypercall(h->vm, KVM_HC_MEM_MAP, HR_TOKEN_GPA,
				  HR_REQ_GPA, HR_MAP_GPA, 0);
		HR_INC(h->calls);
		if (!r) {
			HR_INC(h->ok);
			r = tvm_hypercall(h->vm, KVM_HC_MEM_UNMAP, HR_MAP_GPA,
					  0, 0, 0);
			if (r && !HR_READ(h->unmap_err))
				HR_SET(h->unmap_err, r);
		} else if (r == -HR_KVM_ENOSYS) {
			HR_INC(h->enosys);
		} else if (r == -EPERM) {
			HR_INC(h->eperm);
		} else {
			HR_INC(h->other);
			HR_SET(h->last_other, r);
		}
		if (h->pause_us)
			usleep(rand_r(&seed) % h->pause_us);
	}
	return NULL;
}

static inline void hr_loop_set_token(struct hr_loop *h,
				     const struct remote_mapping_token *tok)
{
	pthread_mutex_lock(&h->lock);
	h->tok = *tok;
	pthread_mutex_unlock(&h->lock);
}

static inline int hr_loop_start(struct hr_loop *h, struct tiny_vm *vm,
				unsigned int pause_us)
{
	memset(h, 0, sizeof(*h));
	h->vm = vm;
	h->pause_us = pause_us;
	pthread_mutex_init(&h->lock, NULL);
	return -pthread_create(&h->thread, NULL, hr_loop_fn, h);
}

static inline void hr_loop_stop(struct hr_loop *h)
{
	HR_SET(h->stop, true);
	pthread_join(h->thread, NULL);
}

/* Lines of /proc/self/maps naming a mirror ("[remote_mapping]"). */
static inline int hr_mirror_vmas(void)
{
	char line[512];
	int n = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, "[remote_mapping]");
	fclose(f);
	return n;
}

#endif /* SELFTEST_HC_RACE_H */
