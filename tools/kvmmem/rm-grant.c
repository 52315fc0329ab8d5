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
 * name printed), 3 other errors.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <linux/remote_mapping.h>

#include "kvmmem_token.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd	438
#endif

#define DEV_PATH	"/dev/remote_mapping"
#define VM_FD_LINK	"anon_inode:kvm-vm"

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

static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

/* The lowest fd number of @pid that is a KVM VM, or -1. */
static int find_vm_fd(pid_t pid)
{
	char dir[64], path[PATH_MAX], link[64];
	int fd, best = -1, count = 0;
	struct dirent *de;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "rm-grant: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, VM_FD_LINK))
			continue;
		fd = atoi(de->d_name);
		if (best < 0 || fd < best)
			best = fd;
		count++;
	}
	closedir(d);
	if (best < 0)
		fprintf(stderr, "rm-grant: process %d has no KVM VM fd\n",
			(int)pid);
	else if (count > 1)
		fprintf(stderr, "rm-grant: process %d has %d VM fds, using fd %d\n",
			(int)pid, count, best);
	return best;
}

/* A copy, in this process, of the VM fd of @pid; -1 on error. */
static int get_vm_fd(pid_t pid)
{
	int pidfd, remote, fd;

	remote = find_vm_fd(pid);
	if (remote < 0)
		return -1;
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "rm-grant: pidfd_open(%d): %s\n", (int)pid,
			strerror(errno));
		return -1;
	}
	fd = syscall(SYS_pidfd_getfd, pidfd, remote, 0);
	if (fd < 0)
		fprintf(stderr, "rm-grant: pidfd_getfd(%d, %d): %s\n",
			(int)pid, remote, strerror(errno));
	close(pidfd);
	return fd;
}

static int open_dev(void)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "rm-grant: %s: %s\n", DEV_PATH, strerror(errno));
		exit(EXIT_ERR);
	}
	return fd;
}

static int do_revoke(const char *hex)
{
	struct remote_mapping_token_revoke req;
	int dev;

	memset(&req, 0, sizeof(req));
	if (kvmmem_token_parse(hex, req.token.token)) {
		fprintf(stderr, "rm-grant: TOKENHEX must be %d hex digits\n",
			KVMMEM_TOKEN_HEX_LEN);
		return EXIT_USAGE;
	}
	dev = open_dev();
	if (ioctl(dev, REMOTE_MAPPING_TOKEN_REVOKE, &req)) {
		fprintf(stderr, "rm-grant: revoke: %s (%s)\n",
			errno_name(errno), strerror(errno));
		close(dev);
		return EXIT_IOCTL;
	}
	close(dev);
	return 0;
}

int main(int argc, char **argv)
{
	struct remote_mapping_token_grant req;
	char hex[KVMMEM_TOKEN_HEX_LEN + 1];
	pid_t pid = 0, bind_pid = 0;
	int i, dev, rc = EXIT_ERR;

	if (argc == 3 && !strcmp(argv[1], "--revoke"))
		return do_revoke(argv[2]);
	if (argc < 2 || argv[1][0] == '-')
		print_usage();

	memset(&req, 0, sizeof(req));
	req.intro_vm_fd = -1;
	pid = parse_ulong(argv[1], "PID", INT_MAX);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--ro")) {
			req.flags |= REMOTE_MAPPING_TOKEN_READONLY;
		} else if (!strcmp(argv[i], "--ttl") && i + 1 < argc) {
			req.ttl_ms = parse_ulong(argv[++i], "MS", UINT_MAX);
		} else if (!strcmp(argv[i], "--bind-pid") && i + 1 < argc) {
			bind_pid = parse_ulong(argv[++i], "PID2", INT_MAX);
			req.flags |= REMOTE_MAPPING_TOKEN_BIND;
		} else {
			print_usage();
		}
	}

	req.vm_fd = get_vm_fd(pid);
	if (req.vm_fd < 0)
		return EXIT_ERR;
	if (bind_pid) {
		req.intro_vm_fd = get_vm_fd(bind_pid);
		if (req.intro_vm_fd < 0)
			goto out_close_vm;
	}

	dev = open_dev();
	if (ioctl(dev, REMOTE_MAPPING_TOKEN_GRANT, &req)) {
		fprintf(stderr, "rm-grant: grant: %s (%s)\n", errno_name(errno),
			strerror(errno));
		rc = EXIT_IOCTL;
	} else {
		kvmmem_token_format(req.token.token, hex);
		printf("%s\n", hex);
		rc = 0;
	}
	close(dev);
	if (req.intro_vm_fd >= 0)
		close(req.intro_vm_fd);
out_close_vm:
	close(req.vm_fd);
	return rc;
}
