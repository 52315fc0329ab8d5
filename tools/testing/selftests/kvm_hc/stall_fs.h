/* SPDX-License-Identifier: GPL-2.0 */
/* A FUSE file system of one file whose reads wait until told to answer. */
#ifndef SELFTEST_STALL_FS_H
#define SELFTEST_STALL_FS_H

#include <pthread.h>
#include <stdint.h>

#define STALLFS_SIZE	0x10000UL	/* the file "f" */

struct stall_fs {
	int fd;			/* /dev/fuse */
	int up;
	int answer;		/* answer reads at once; under lock */
	int err;		/* first failed reply */
	unsigned long reads;	/* FUSE_READ requests seen; under lock */
	pthread_t thread;
	pthread_mutex_t lock;
	char dir[64];
	char file[80];
	struct {
		uint64_t unique;
		uint64_t off;
		uint32_t size;
	} held[64];		/* reads not answered yet; under lock */
	int nheld;
};

/* Mount at @dir (made if missing) and serve: 0 or -errno. */
int stall_fs_start(struct stall_fs *fs, const char *dir);
/* Answer the held reads, and every read from now on. */
void stall_fs_answer(struct stall_fs *fs);
void stall_fs_stop(struct stall_fs *fs);

#endif /* SELFTEST_STALL_FS_H */
