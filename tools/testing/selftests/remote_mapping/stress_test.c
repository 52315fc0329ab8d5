// SPDX-License-Identifier: GPL-2.0
/* Many live mirrors, and threads mapping and unmapping concurrently. */
#define _GNU_SOURCE
#include <pthread.h>

#include "rm_harness.h"

#define SEED		0x51a5000000000000ULL
#define TAG		0x7a65000000000000ULL

#define MANY		4096
#define MANY_AREA	16384	/* target pages the mirrored ones are among */

/* The mirror of value number @i of TARGET_SCATTER. */
static char *many_mirror(char *base, size_t i)
{
	return base + (2 * i + 1) * page_size + (i % (page_size / 8)) * 8;
}

TEST_F_TIMEOUT(remote_mapping, many_mappings, 240)
{
	uintptr_t tbase, req;
	int lines, ret;
	char *ibase;
	size_t i;

	tbase = t_alloc(_metadata, &self->t, MANY_AREA);
	t_call(_metadata, &self->t, TARGET_SCATTER, tbase, MANY_AREA, MANY,
	       SEED);
	/* Every other page, so that each mirror is a VMA of its own. */
	ibase = anon_map(2 * MANY + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT_NE(NULL, ibase);
	lines = rm_maps_lines(_metadata);

	for (i = 0; i < MANY; i++) {
		req = scatter_addr(tbase, MANY_AREA, i) & ~(page_size - 1);
		ret = __rm_map(self->fd, req, ibase + (2 * i + 1) * page_size,
			       i & 1 ? self->t.pid : self->t.pidfd,
			       i & 1 ? REMOTE_MAPPING_TARGET_PID : 0);
		ASSERT_EQ(0, ret) {
			TH_LOG("REMOTE_MAPPING_MAP number %zu: %s", i,
			       strerror(-ret));
		}
	}
	rm_expect_maps(_metadata, self, MANY);
	ASSERT_EQ(lines + 2 * MANY, rm_maps_lines(_metadata));

	for (i = 0; i < MANY; i++) {
		ASSERT_EQ(SEED + i, must_read(_metadata,
					      many_mirror(ibase, i))) {
			TH_LOG("mirror %zu", i);
		}
	}
	/* Some stores through the mirrors reach the target. */
	for (i = 0; i < MANY; i += 61) {
		must_write(_metadata, many_mirror(ibase, i), TAG + i);
		ASSERT_EQ(TAG + i,
			  t_read(_metadata, &self->t,
				 scatter_addr(tbase, MANY_AREA, i)));
	}

	for (i = 0; i < MANY; i++)
		rm_unmap(_metadata, self->fd, ibase + (2 * i + 1) * page_size);
	ASSERT_EQ(lines, rm_maps_lines(_metadata));
	rm_expect_counters_back(_metadata, self);
}

#define CHURN_THREADS	8
#define CHURN_SLOTS	16
#define CHURN_OPS	1500
#define CHURN_MS	8000

struct churn {
	pthread_t thread;
	int fd;
	int target;
	unsigned int flags;
	uintptr_t tbase;
	char *ibase;
	unsigned int seed;
	__u64 deadline;
	unsigned long ops;
	unsigned long done;	/* maps and unmaps that returned 0 */
	unsigned long raced;	/* EAGAIN */
	int bad_ret;		/* first unexpected result, or 0 */
	bool bad_map;
	int bad_slot;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	bool map, ok;
	int slot, ret;
	unsigned int r;
	char *addr;

	for (c->ops = 0; c->ops < CHURN_OPS && now_ms() < c->deadline;
	     c->ops++) {
		r = rand_r(&c->seed);
		slot = r % CHURN_SLOTS;
		map = r & (1 << 16);
		addr = c->ibase + (2 * slot + 1) * page_size;
		if (map) {
			ret = __rm_map(c->fd, c->tbase + slot * page_size,
				       addr, c->target, c->flags);
			ok = !ret || ret == -EALREADY || ret == -EAGAIN;
		} else {
			ret = __rm_unmap(c->fd, addr);
			ok = !ret || ret == -ENOENT || ret == -EAGAIN;
		}
		if (!ok) {
			c->bad_ret = ret;
			c->bad_map = map;
			c->bad_slot = slot;
			break;
		}
		c->done += !ret;
		c->raced += ret == -EAGAIN;
	}
	return NULL;
}

TEST_F_TIMEOUT(remote_mapping, concurrent_map_unmap, 90)
{
	struct churn churn[CHURN_THREADS] = { 0 };
	unsigned long mapped = 0, ops = 0, raced = 0;
	struct churn *c;
	uintptr_t tbase;
	char *ibase, *addr;
	long map_count;
	__u64 val;
	int i, ret;

	tbase = t_alloc(_metadata, &self->t, CHURN_SLOTS);
	for (i = 0; i < CHURN_SLOTS; i++)
		t_write(_metadata, &self->t, tbase + i * page_size, SEED + i);
	ibase = anon_map(2 * CHURN_SLOTS + 1, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE);
	ASSERT_NE(NULL, ibase);

	for (i = 0; i < CHURN_THREADS; i++) {
		c = &churn[i];
		c->fd = self->fd;
		c->target = i & 1 ? self->t.pid : self->t.pidfd;
		c->flags = (i & 1 ? REMOTE_MAPPING_TARGET_PID : 0) |
			   (i & 2 ? REMOTE_MAPPING_READONLY : 0);
		c->tbase = tbase;
		c->ibase = ibase;
		c->seed = 0x9e3779b9U * (i + 1);
		c->deadline = now_ms() + CHURN_MS;
		ASSERT_EQ(0, pthread_create(&c->thread, NULL, churn_thread,
					    c));
	}
	for (i = 0; i < CHURN_THREADS; i++)
		ASSERT_EQ(0, pthread_join(churn[i].thread, NULL));

	for (i = 0; i < CHURN_THREADS; i++) {
		c = &churn[i];
		ASSERT_EQ(0, c->bad_ret) {
			TH_LOG("thread %d: %s of slot %d: %s", i,
			       c->bad_map ? "REMOTE_MAPPING_MAP" :
					    "REMOTE_MAPPING_UNMAP",
			       c->bad_slot, strerror(-c->bad_ret));
		}
		ops += c->ops;
		raced += c->raced;
	}
	TH_LOG("%lu ioctls, %lu EAGAIN", ops, raced);

	/* Each slot is a mirror of its target page or zeros. */
	ASSERT_EQ(0, rm_read_counter(RM_MAP_COUNT, &map_count));
	for (i = 0; i < CHURN_SLOTS; i++) {
		addr = ibase + (2 * i + 1) * page_size;
		val = must_read(_metadata, addr);
		ret = __rm_unmap(self->fd, addr);
		if (!ret) {
			mapped++;
			ASSERT_EQ(SEED + i, val) TH_LOG("slot %d", i);
		} else {
			ASSERT_EQ(-ENOENT, ret) {
				TH_LOG("REMOTE_MAPPING_UNMAP of slot %d: %s",
				       i, strerror(-ret));
			}
			ASSERT_EQ(0ULL, val) TH_LOG("slot %d", i);
		}
	}
	ASSERT_EQ(self->map0 + (long)mapped, map_count);
	rm_expect_counters_back(_metadata, self);
	rm_expect_counters_zero(_metadata);
	/* The target's pages are what they were. */
	for (i = 0; i < CHURN_SLOTS; i++)
		ASSERT_EQ(SEED + i, t_read(_metadata, &self->t,
					   tbase + i * page_size));
}

TEST_HARNESS_MAIN
