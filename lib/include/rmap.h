/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmap.h - librmap, the userspace library of remote_mapping: map pages of
 * another process through /dev/remote_mapping (host), grant and revoke the
 * tokens of the KVM path, map pages of another VM through /dev/kvmmem
 * (introspector guest), and explain each ABI's errors.
 *
 * Conventions
 * -----------
 * Functions that return int or long return a non-negative value on success
 * and a negative errno on failure; errno is set to the positive value too.
 * rmap_window_create(), which returns a pointer, returns NULL and sets errno.
 * Nothing is printed and nothing is global: every function is thread-safe.
 * Addresses are those of the ABI: page-aligned, checked by the kernel.
 * The ABIs themselves are in <linux/remote_mapping.h> and <linux/kvmmem.h>,
 * which this header includes; see librmap(3), remote_mapping(4), kvmmem(4).
 *
 * Build with -lrmap (shared) or link librmap.a; pkg-config name: librmap.
 */
#ifndef RMAP_H
#define RMAP_H

#include <stddef.h>
#include <sys/types.h>

#include <linux/kvmmem.h>
#include <linux/remote_mapping.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the library and of the project it belongs to. */
#define RMAP_VERSION_MAJOR	0
#define RMAP_VERSION_MINOR	3
#define RMAP_VERSION_PATCH	0

/* "MAJOR.MINOR.PATCH" of the library actually loaded. */
const char *rmap_version(void);

#define RMAP_DEV_PATH		"/dev/remote_mapping"
#define RMAP_KVMMEM_DEV_PATH	"/dev/kvmmem"

/*
 * Host: /dev/remote_mapping
 * -------------------------
 * rmap_open() opens @path (NULL: RMAP_DEV_PATH) read-write and close-on-exec;
 * returns the fd.  The file is bound to the calling process's address space:
 * use it from this process only (not from a child after fork()).
 *
 * rmap_pidfd_open() returns a pidfd of @pid for the @target arguments.
 *
 * rmap_map() makes the page at @map_addr of the caller (in a private,
 * anonymous, writable mapping, or in a window) a mirror of the page at
 * @req_hva of @target: a pidfd, or a pid with REMOTE_MAPPING_TARGET_PID in
 * @flags.  REMOTE_MAPPING_READONLY maps without write access;
 * REMOTE_MAPPING_POPULATE installs the target page during the call, so that
 * the first read takes no page fault.  @flags go to the kernel unchanged.
 *
 * rmap_unmap() gives @map_addr back as private anonymous memory (zeros), or
 * in a window makes it a hole again.
 *
 * rmap_map_batch() maps @count pages of one target: page i mirrors
 * @req_hvas[i] at @map_hvas[i].  @errs (NULL, or @count entries) receives 0
 * or the negative errno of each page.  Batches larger than
 * REMOTE_MAPPING_BATCH_MAX are split into several ioctls.  Returns the
 * number of pages mapped, or a negative errno if nothing was mapped because
 * a call failed as a whole (@count 0: -EINVAL).  When a later call fails as
 * a whole, its pages and all after it get that error in @errs and the count
 * so far is returned.
 */
int rmap_open(const char *path);
int rmap_pidfd_open(pid_t pid);
int rmap_map(int dev, int target, __u64 req_hva, void *map_addr,
	     unsigned int flags);
int rmap_unmap(int dev, void *map_addr);
long rmap_map_batch(int dev, int target, unsigned int flags,
		    const __u64 *req_hvas, const __u64 *map_hvas,
		    __s32 *errs, size_t count);

/*
 * Windows
 * -------
 * A window is a mapping of the device file into which rmap_map() and
 * rmap_map_batch() map pages and from which rmap_unmap() removes them
 * without creating, splitting or merging a VMA: cheaper than maps over
 * anonymous memory, and not limited by vm.max_map_count.  A page of a
 * window that is not mapped is a hole: an access to it raises SIGBUS, and
 * so does a write to a page mapped with REMOTE_MAPPING_READONLY.
 *
 * rmap_window_create() maps a window of @npages pages of the device file
 * @dev (from rmap_open(), in this process).  @prot is PROT_READ, or
 * PROT_READ | PROT_WRITE for a window that takes writable maps too (a
 * writable map into a read-only window fails with -EACCES).  Returns the
 * window's address, or NULL with errno set: EINVAL for @npages 0 or a @prot
 * without PROT_READ or with unknown bits, ENOMEM if @npages pages do not fit
 * the address space, or the error of mmap() (EPERM without CAP_SYS_PTRACE or
 * for PROT_EXEC, EINVAL for a file opened by another process).  The window
 * stays when @dev is closed, and is not inherited by fork().
 *
 * rmap_window_destroy() unmaps the @npages pages of @window (all of a
 * window, or a part of one), which ends the mappings in them; -EINVAL for
 * @npages 0 or an unaligned @window.  NULL @window: nothing is done and 0
 * is returned.
 */
void *rmap_window_create(int dev, size_t npages, int prot);
int rmap_window_destroy(void *window, size_t npages);

/*
 * Tokens of the KVM path
 * ----------------------
 * A token authorises KVM_HC_MEM_MAP of pages of one target VM.  Its text
 * form is RMAP_TOKEN_HEX_LEN hex digits: word[0] to word[3], each as 16
 * digits, most significant first (what rm-grant(8) prints).
 *
 * rmap_token_grant() grants a token for the KVM VM fd @vm_fd.  @intro_vm_fd
 * is -1, or the VM fd of the only introspector VM that may use the token
 * (this sets REMOTE_MAPPING_TOKEN_BIND).  @flags: REMOTE_MAPPING_TOKEN_*.
 * @ttl_ms: lifetime, 0 for none.
 *
 * rmap_token_revoke() withdraws @token (-ENOENT if unknown).
 *
 * rmap_vm_slots() reads the RAM layout of the KVM VM @vm_fd
 * (REMOTE_MAPPING_VM_SLOTS): *@slots receives an array the caller frees,
 * lowest gpa first; returns how many entries it has.  Needs no token.
 *
 * rmap_vm_fd_of_pid() returns, in this process, a copy of the KVM VM fd of
 * process @pid (a QEMU): the lowest-numbered fd whose /proc link reads
 * "anon_inode:kvm-vm".  *@nr_vm_fds (if not NULL) receives how many such
 * fds @pid has.  -ESRCH: no such process; -ENOENT: it has no VM fd.
 *
 * rmap_token_parse() parses exactly RMAP_TOKEN_HEX_LEN hex digits (either
 * case), optionally followed by white space (a newline from a file), and
 * nothing else; -EINVAL otherwise (@token is then zeroed).
 * rmap_token_format() writes the text form and a NUL into @buf, which has
 * room for RMAP_TOKEN_HEX_SIZE bytes; returns @buf.
 * rmap_token_wipe() clears a token in a way the compiler keeps.
 */
#define RMAP_TOKEN_WORDS	4
#define RMAP_TOKEN_HEX_LEN	(RMAP_TOKEN_WORDS * 16)
#define RMAP_TOKEN_HEX_SIZE	(RMAP_TOKEN_HEX_LEN + 1)

struct rmap_token {
	__u64 word[RMAP_TOKEN_WORDS];
};

int rmap_token_grant(int dev, int vm_fd, int intro_vm_fd, unsigned int flags,
		     __u32 ttl_ms, struct rmap_token *token);
long rmap_vm_slots(int dev, int vm_fd, struct remote_mapping_vm_slot **slots);
int rmap_token_revoke(int dev, const struct rmap_token *token);
int rmap_vm_fd_of_pid(pid_t pid, int *nr_vm_fds);
int rmap_token_parse(const char *hex, struct rmap_token *token);
char *rmap_token_format(const struct rmap_token *token, char *buf);
void rmap_token_wipe(struct rmap_token *token);

/*
 * Introspector guest: /dev/kvmmem
 * -------------------------------
 * rmap_kvmmem_open() opens @path (NULL: RMAP_KVMMEM_DEV_PATH); the file is
 * bound to the calling process, and closing it unmaps everything mapped
 * through it.
 *
 * rmap_kvmmem_map() maps the target VM's page at guest-physical @gpa (with
 * @token) at @addr, a page-aligned address in a private anonymous mapping of
 * the caller; the map is read-only if that mapping is not writable.
 * rmap_kvmmem_unmap() makes @addr ordinary memory again (reading zeros).
 *
 * rmap_kvmmem_map_range() maps @npages consecutive target pages from @gpa
 * at @addr, all or nothing: on failure the pages it mapped are unmapped,
 * *@failed (if not NULL) receives the index of the page that failed, and
 * the error is returned.  rmap_kvmmem_unmap_range() unmaps @npages pages
 * from @addr, trying all of them; returns 0 or the first error.
 *
 * rmap_kvmmem_map_batch() maps target page @gpas[i] at @addrs[i] for each
 * of @count pages (KVM_INTRO_MEM_MAP_BATCH), with the results and splitting
 * of rmap_map_batch().
 */
int rmap_kvmmem_open(const char *path);
int rmap_kvmmem_map(int fd, const struct rmap_token *token, __u64 gpa,
		    void *addr);
int rmap_kvmmem_unmap(int fd, void *addr);
int rmap_kvmmem_map_range(int fd, const struct rmap_token *token,
			  __u64 gpa, void *addr, size_t npages,
			  size_t *failed);
int rmap_kvmmem_unmap_range(int fd, void *addr, size_t npages);
long rmap_kvmmem_map_batch(int fd, const struct rmap_token *token,
			   const __u64 *gpas, const __u64 *addrs,
			   __s32 *errs, size_t count);

/*
 * Errors
 * ------
 * rmap_strerror() explains @err (positive or negative errno) as returned by
 * the operation @op, in the words of that ABI: for example -EALREADY from
 * RMAP_OP_MAP is "address already mapped", -EPERM from RMAP_OP_KVMMEM_MAP
 * is "token refused ...".  Errors an ABI does not define get strerror()'s
 * text.  The string is static.
 * rmap_errname() is the symbolic name ("EALREADY"), or "E?" if unknown.
 */
enum rmap_op {
	RMAP_OP_OPEN,		/* rmap_open() */
	RMAP_OP_MAP,		/* rmap_map(), rmap_map_batch() and its @errs */
	RMAP_OP_UNMAP,		/* rmap_unmap() */
	RMAP_OP_TOKEN_GRANT,	/* rmap_token_grant() */
	RMAP_OP_TOKEN_REVOKE,	/* rmap_token_revoke() */
	RMAP_OP_TOKEN_PARSE,	/* rmap_token_parse() */
	RMAP_OP_VM_FD,		/* rmap_vm_fd_of_pid() */
	RMAP_OP_KVMMEM_OPEN,	/* rmap_kvmmem_open() */
	RMAP_OP_KVMMEM_MAP,	/* rmap_kvmmem_map*(), KVM_HC_MEM_MAP(_BATCH) */
	RMAP_OP_KVMMEM_UNMAP,	/* rmap_kvmmem_unmap*(), KVM_HC_MEM_UNMAP */
	RMAP_OP_WINDOW,		/* rmap_window_create(), rmap_window_destroy() */
};

const char *rmap_strerror(enum rmap_op op, int err);
const char *rmap_errname(int err);

#ifdef __cplusplus
}
#endif

#endif /* RMAP_H */
