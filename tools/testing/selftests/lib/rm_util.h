/* SPDX-License-Identifier: GPL-2.0 */
/* Library for the remote_mapping selftests: ioctls, counters, targets. */
#ifndef SELFTEST_RM_UTIL_H
#define SELFTEST_RM_UTIL_H

#include <stdbool.h>
#include <stdnoreturn.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/remote_mapping.h>

#define RM_DEV_PATH		"/dev/remote_mapping"
#define RM_DEBUGFS_ROOT		"/sys/kernel/debug"
#define RM_DEBUGFS_DIR		RM_DEBUGFS_ROOT "/remote_mapping"
#define RM_MAP_COUNT		"map_count"
#define RM_PDB_COUNT		"pdb_count"

#ifndef BIT_ULL
#define BIT_ULL(nr)		(1ULL << (nr))
#endif

/* A user-space address that is certainly a kernel address (direct map). */
#define RM_KERNEL_ADDR		0xffff888000000000UL

/* Multiplier that scatters page indexes over a power-of-two sized area. */
#define RM_SCATTER_MULT		4099UL

extern unsigned long page_size;

/* The ioctls: 0 or -errno, nothing asserted. */
int rm_open(void);
int __rm_map_args(int fd, struct remote_mapping_map *args);
int __rm_map(int fd, uintptr_t req_hva, void *map_hva, int target,
	     unsigned int flags);
int __rm_unmap_args(int fd, struct remote_mapping_unmap *args);
int __rm_unmap(int fd, void *map_hva);
/* Returns the number of pages mapped (see errs) or -errno. */
int __rm_map_batch(int fd, int target, unsigned int flags, const __u64 *req,
		   const __u64 *map, __s32 *errs, __u64 count);
/* Returns the number of pages unmapped (see errs) or -errno. */
int __rm_unmap_batch(int fd, const __u64 *map, __s32 *errs, __u64 count);

/* debugfs counters: 0 or -errno. */
int rm_counters_init(void);
int rm_read_counter(const char *name, long *val);
int rm_wait_counter(const char *name, long want, int timeout_ms, long *seen);

/* Small file and process helpers: 0 (or a count) or -errno. */
int read_file(const char *path, char *buf, size_t size);
int read_file_long(const char *path, long *val);
int write_file(const char *path, const char *str);
int read_field_kb(const char *path, const char *field, long *kb);
int run_cmd(const char *prog, ...);
int sys_pidfd_open(pid_t pid);
int set_cap_ptrace(bool on);
int pagemap_entry(pid_t pid, uintptr_t addr, __u64 *entry);
int node_list(const char *path, int *nodes, int max);
__u64 now_ms(void);
void sleep_ms(unsigned int ms);

/* /proc/PID/maps; pid 0 means the calling process. */
int maps_count_lines(pid_t pid);
int maps_lookup(pid_t pid, uintptr_t addr, uintptr_t *start, uintptr_t *end);
/*
 * Each line of /proc/@pid/smaps (0: this process) but the VMAs' first
 * ones, given to @fn with the range of its VMA, until @fn returns
 * non-zero.  Returns what @fn returned last (0 at the end of the file), or
 * -errno if the file cannot be read.
 */
typedef int smaps_fn(unsigned long start, unsigned long end,
		     const char *line, void *arg);
int smaps_walk(pid_t pid, smaps_fn *fn, void *arg);
int smaps_vma_kb(pid_t pid, uintptr_t addr, const char *field, long *kb);
int smaps_check_flags(pid_t pid, uintptr_t start, uintptr_t end,
		      const char *want, int *vmas, uintptr_t *bad,
		      char *bad_flags, size_t size);
int maps_find(pid_t pid, const char *perms, const char *name,
	      uintptr_t *start, uintptr_t *end);

/* Access that reports SIGSEGV/SIGBUS instead of dying: 0 or the signal. */
int probe_read(const void *addr, __u64 *val);
int probe_write(void *addr, __u64 val);

/* Page contents: word i of a pattern is seed + i. */
void pattern_fill(void *addr, size_t len, __u64 seed);
size_t pattern_check(const void *addr, size_t len, __u64 seed);
bool is_zero(const void *addr, size_t len);
__u64 peek(const void *addr);
void poke(void *addr, __u64 val);
/*
 * Page faults of the calling thread so far, or -1.  A fault completed
 * after a retry (the module's, after resolving the target page) counts as
 * major.
 */
long thread_faults(void);

/*
 * A shared mapping of @len bytes of a new memfd_secret at @addr (MAP_FIXED
 * unless NULL), or MAP_FAILED with errno set (ENOSYS: no memfd_secret, on
 * 6.1 without secretmem.enable=1).
 */
void *secret_map(void *addr, size_t len);

/* Anonymous memory of the calling process, NULL on failure. */
void *anon_map(size_t npages, int prot, int flags);

/* What a forked child of a test reports through shared memory. */
struct child_report {
	int failed;
	char msg[256];
};

struct child_report *child_report_new(void);
noreturn void child_fail(struct child_report *r, const char *fmt, ...);

/*
 * A target: a forked child that allocates its memory after fork() and runs
 * commands sent over a pipe in its own address space.
 */
struct rm_target {
	pid_t pid;
	int pidfd;
	int cmd_fd;
	int rsp_fd;
	bool reaped;
};

enum target_op {
	TARGET_NOP,
	TARGET_MMAP,		/* addr, len, prot, flags -> address */
	TARGET_MUNMAP,		/* addr, len */
	TARGET_MPROTECT,	/* addr, len, prot */
	TARGET_MADVISE,		/* addr, len, advice */
	TARGET_WRITE,		/* addr, value */
	TARGET_READ,		/* addr -> value */
	TARGET_FILL,		/* addr, len, seed */
	TARGET_CHECK,		/* addr, len, seed -> mismatch offset + 1 */
	TARGET_SCATTER,		/* base, npages, count, seed */
	TARGET_UFFD,		/* addr, len: register with userfaultfd */
	TARGET_SECRET,		/* addr (0: any), len, seed: memfd_secret -> address */
	TARGET_EXIT,		/* exit code */
	TARGET_FORK,		/* addr (0: none), value -> pid of a child */
};

int target_start(struct rm_target *t);
int target_call(struct rm_target *t, enum target_op op, __u64 a0,
		__u64 a1, __u64 a2, __u64 a3, __u64 *val);
int target_wait_zombie(struct rm_target *t);
int target_reap(struct rm_target *t, int *status);
void target_stop(struct rm_target *t);

/* KVM tokens (REMOTE_MAPPING_TOKEN_GRANT/_REVOKE); 0 or -errno. */
int __rm_grant(int rm, int vm_fd, int intro_fd, unsigned int flags,
	       unsigned int ttl_ms, struct remote_mapping_token *tok);
int __rm_revoke(int rm, const struct remote_mapping_token *tok);

/* Where TARGET_SCATTER puts value number i. */
static inline uintptr_t scatter_addr(uintptr_t base, size_t npages, size_t i)
{
	return base + ((i * RM_SCATTER_MULT) % npages) * page_size +
	       (i % (page_size / 8)) * 8;
}

#endif /* SELFTEST_RM_UTIL_H */
