// SPDX-License-Identifier: GPL-2.0
/*
 * no-thp.c - run a command with transparent huge pages off for it and its
 * children (PR_SET_THP_DISABLE), for a target VM's QEMU on a stock kvm.ko
 * that cannot map tail pages (Documentation/kvm-hook.rst, "Huge pages").
 *
 * Usage: no-thp COMMAND [ARGS...]
 * Unlike "echo never > /sys/kernel/mm/transparent_hugepage/enabled" this
 * leaves every other process, the introspector VM too, its THPs; QEMU's
 * MADV_HUGEPAGE on guest RAM does not override the flag.  Exit status: 127
 * when COMMAND cannot be run, 126 when the flag cannot be set, else
 * COMMAND's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: no-thp COMMAND [ARGS...]\n");
		return 126;
	}
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
		fprintf(stderr, "no-thp: PR_SET_THP_DISABLE: %s\n", strerror(errno));
		return 126;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "no-thp: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
