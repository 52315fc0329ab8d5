// SPDX-License-Identifier: GPL-2.0
/*
 * rm-grant.c - grant or revoke a KVM_HC_MEM_MAP token for the VM of a
 * running QEMU/KVM process through /dev/remote_mapping (runs on the host).
 *
 * Usage: rm-grant PID [--ro] [--ttl MS] [--bind-pid PID2]
 *        rm-grant --revoke TOKENHEX
 * The VM fd is the fd of PID whose /proc/PID/fd link reads
 * "anon_inode:kvm-vm" (the lowest, if several), fetched with
 * pidfd_open() + pidfd_getfd().  --bind-pid limits the token to the VM of
 * PID2 (the introspector).  The token is printed as 64 hex digits.
 * Exit status: 0 success, 1 usage, 2 the grant/revoke ioctl failed (errno
 * name and librmap's explanation printed), 3 other errors.  Built on
 * librmap (lib/); see rm-grant(8).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rmap.h"

enum { EXIT_USAGE = 1, EXIT_IOCTL = 2, EXIT_ERR = 3 };

static void print_usage(void)
{
	fprintf(stderr,
		"usage: rm-grant PID [--ro] [--ttl MS] [--bind-pid PID2]\n"
		"       rm-grant --revoke TOKENHEX\n");
	exit(EXIT_USAGE);
}

static unsigned long parse_ulong(const char *s, const char *what,
				 unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || v > max) {
		fprintf(stderr, "rm-grant: bad %s '%s'\n", what, s);
		exit(EXIT_USAGE);
	}
	return v;
}

/* A copy, in this process, of the VM fd of @pid; -1 on error. */
static int get_vm_fd(pid_t pid)
{
	int fd, count;

	fd = rmap_vm_fd_of_pid(pid, &count);
	if (fd < 0) {
		fprintf(stderr, "rm-grant: VM fd of process %d: %s (%s)\n",
			(int)pid, rmap_errname(fd),
			rmap_strerror(RMAP_OP_VM_FD, fd));
		return -1;
	}
	if (count > 1)
		fprintf(stderr, "rm-grant: process %d has %d VM fds, using the lowest\n",
			(int)pid, count);
	return fd;
}

static int open_dev(void)
{
	int fd = rmap_open(NULL);

	if (fd < 0) {
		fprintf(stderr, "rm-grant: %s\n", rmap_strerror(RMAP_OP_OPEN, fd));
		exit(EXIT_ERR);
	}
	return fd;
}

static int do_revoke(const char *hex)
{
	struct rmap_token token;
	int dev, ret;

	if (rmap_token_parse(hex, &token)) {
		fprintf(stderr, "rm-grant: TOKENHEX must be %d hex digits\n",
			RMAP_TOKEN_HEX_LEN);
		return EXIT_USAGE;
	}
	dev = open_dev();
	ret = rmap_token_revoke(dev, &token);
	rmap_token_wipe(&token);
	close(dev);
	if (ret) {
		fprintf(stderr, "rm-grant: revoke: %s (%s)\n", rmap_errname(ret),
			rmap_strerror(RMAP_OP_TOKEN_REVOKE, ret));
		return EXIT_IOCTL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i, dev, ret, vm_fd, intro_vm_fd = -1, rc = EXIT_ERR;
	char hex[RMAP_TOKEN_HEX_SIZE];
	pid_t pid = 0, bind_pid = 0;
	struct rmap_token token;
	unsigned int flags = 0;
	__u32 ttl_ms = 0;

	if (argc == 3 && !strcmp(argv[1], "--revoke"))
		return do_revoke(argv[2]);
	if (argc < 2 || argv[1][0] == '-')
		print_usage();

	pid = parse_ulong(argv[1], "PID", INT_MAX);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--ro"))
			flags |= REMOTE_MAPPING_TOKEN_READONLY;
		else if (!strcmp(argv[i], "--ttl") && i + 1 < argc)
			ttl_ms = parse_ulong(argv[++i], "MS", UINT_MAX);
		else if (!strcmp(argv[i], "--bind-pid") && i + 1 < argc)
			bind_pid = parse_ulong(argv[++i], "PID2", INT_MAX);
		else
			print_usage();
	}

	vm_fd = get_vm_fd(pid);
	if (vm_fd < 0)
		return EXIT_ERR;
	if (bind_pid) {
		intro_vm_fd = get_vm_fd(bind_pid);
		if (intro_vm_fd < 0)
			goto out_close_vm;
	}

	dev = open_dev();
	ret = rmap_token_grant(dev, vm_fd, intro_vm_fd, flags, ttl_ms, &token);
	if (ret) {
		fprintf(stderr, "rm-grant: grant: %s (%s)\n", rmap_errname(ret),
			rmap_strerror(RMAP_OP_TOKEN_GRANT, ret));
		rc = EXIT_IOCTL;
	} else {
		printf("%s\n", rmap_token_format(&token, hex));
		rmap_token_wipe(&token);
		rc = 0;
	}
	close(dev);
	if (intro_vm_fd >= 0)
		close(intro_vm_fd);
out_close_vm:
	close(vm_fd);
	return rc;
}
