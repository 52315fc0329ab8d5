// SPDX-License-Identifier: GPL-2.0
/*
 * A FUSE file system of one file whose reads are held unanswered until
 * told: a target page whose fault waits for a daemon that does not answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fuse.h>

#include "stall_fs.h"

#define SFS_FILE_INO	2
#define SFS_BUF		0x100000	/* >= FUSE_MIN_READ_BUFFER */
#define SFS_HELD_MAX	64

static void sfs_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->nlink = 1;
	if (ino == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
	} else {
		a->mode = S_IFREG | 0644;
		a->size = STALLFS_SIZE;
		a->blocks = STALLFS_SIZE / 512;
	}
}

static void sfs_reply(struct stall_fs *fs, uint64_t unique, int error,
		      const void *data, size_t len)
{
	struct fuse_out_header h = {
		.len = sizeof(h) + (error ? 0 : len),
		.error = error,
		.unique = unique,
	};
	char buf[sizeof(h) + 4096];

	if (len > sizeof(buf) - sizeof(h))
		len = sizeof(buf) - sizeof(h);
	memcpy(buf, &h, sizeof(h));
	if (!error && len)
		memcpy(buf + sizeof(h), data, len);
	if (write(fs->fd, buf, h.len) < 0 && errno != ENOENT)
		fs->err = errno;
}

/* Answer a read: the file's bytes are the low byte of their offset + 1. */
static void sfs_answer_read(struct stall_fs *fs, uint64_t unique,
			    uint64_t off, uint32_t size)
{
	char data[4096];
	uint32_t i;

	if (size > sizeof(data))
		size = sizeof(data);
	for (i = 0; i < size; i++)
		data[i] = (char)(off + i + 1);
	sfs_reply(fs, unique, 0, data, off >= STALLFS_SIZE ? 0 : size);
}

static void sfs_release_held(struct stall_fs *fs)
{
	int i;

	for (i = 0; i < fs->nheld; i++)
		sfs_answer_read(fs, fs->held[i].unique, fs->held[i].off,
				fs->held[i].size);
	fs->nheld = 0;
}

static void *sfs_serve(void *arg)
{
	struct stall_fs *fs = arg;
	char *buf = malloc(SFS_BUF);
	struct fuse_in_header *in = (void *)buf;
	void *body = buf + sizeof(*in);
	ssize_t n;

	while (buf) {
		n = read(fs->fd, buf, SFS_BUF);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < (ssize_t)sizeof(*in))
			break;	/* unmounted */
		pthread_mutex_lock(&fs->lock);
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_out o = {
				.major = FUSE_KERNEL_VERSION,
				.minor = 26,
				.max_write = 4096,
				.max_readahead = 0,
			};

			sfs_reply(fs, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out o = { .nodeid = SFS_FILE_INO };

			if (strcmp(body, "f")) {
				sfs_reply(fs, in->unique, -ENOENT, NULL, 0);
				break;
			}
			sfs_attr(&o.attr, SFS_FILE_INO);
			sfs_reply(fs, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o = { 0 };

			sfs_attr(&o.attr, in->nodeid);
			sfs_reply(fs, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			struct fuse_open_out o = { 0 };

			sfs_reply(fs, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ: {
			struct fuse_read_in *r = body;

			fs->reads++;
			if (fs->answer || fs->nheld == SFS_HELD_MAX) {
				sfs_answer_read(fs, in->unique, r->offset,
						r->size);
				break;
			}
			fs->held[fs->nheld].unique = in->unique;
			fs->held[fs->nheld].off = r->offset;
			fs->held[fs->nheld++].size = r->size;
			break;
		}
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;	/* no reply */
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
			sfs_reply(fs, in->unique, 0, NULL, 0);
			break;
		default:
			sfs_reply(fs, in->unique, -ENOSYS, NULL, 0);
			break;
		}
		pthread_mutex_unlock(&fs->lock);
	}
	free(buf);
	return NULL;
}

int stall_fs_start(struct stall_fs *fs, const char *dir)
{
	char opts[128];
	int err;

	memset(fs, 0, sizeof(*fs));
	pthread_mutex_init(&fs->lock, NULL);
	snprintf(fs->dir, sizeof(fs->dir), "%s", dir);
	snprintf(fs->file, sizeof(fs->file), "%s/f", dir);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	fs->fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fs->fd < 0 && errno == ENOENT &&
	    !system("modprobe fuse 2>/dev/null"))
		fs->fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fs->fd < 0)
		return -errno;
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fs->fd);
	if (mount("stallfs", dir, "fuse.stallfs", MS_NODEV | MS_NOSUID,
		  opts)) {
		err = -errno;
		close(fs->fd);
		return err;
	}
	err = pthread_create(&fs->thread, NULL, sfs_serve, fs);
	if (err) {
		umount2(dir, MNT_DETACH);
		close(fs->fd);
		return -err;
	}
	fs->up = 1;
	return 0;
}

void stall_fs_answer(struct stall_fs *fs)
{
	pthread_mutex_lock(&fs->lock);
	fs->answer = 1;
	sfs_release_held(fs);
	pthread_mutex_unlock(&fs->lock);
}

void stall_fs_stop(struct stall_fs *fs)
{
	if (!fs->up)
		return;
	stall_fs_answer(fs);
	umount2(fs->dir, MNT_DETACH);
	/* The unmount ends the daemon's read with ENODEV. */
	pthread_join(fs->thread, NULL);
	close(fs->fd);
	fs->up = 0;
}
