// SPDX-License-Identifier: GPL-2.0
/*
 * rmmod of remote_mapping.ko while an introspector's vCPU issues map
 * hypercalls: delete_module() either fails (the module is in use) or
 * succeeds with nothing of the module left in the VM's process, and the
 * module loads again and serves maps.  A hypercall in flight when the
 * refcount was 0 used to go on making mirrors with the module's code
 * while it was being unloaded (security review issue 15, item 2).
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <time.h>

#include "kselftest_harness.h"
#include "hc_race.h"

#define MODULE_NAME	"remote_mapping"
#define RUN_SECONDS	45
#define WANT_UNLOADS	8

/*
 * The remote_mapping.ko vm-run loaded ($VM_REPO/$VM_MODULES), else the
 * one built in this checkout; 0 or -1.
 */
static int module_path(char *path, size_t len)
{
	const char *repo = getenv("VM_REPO"), *mods = getenv("VM_MODULES");
	char exe[PATH_MAX], list[1024], *tok, *save;
	ssize_t n;

	if (repo && mods && strlen(mods) < sizeof(list)) {
		strcpy(list, mods);
		for (tok = strtok_r(list, " ", &save); tok;
		     tok = strtok_r(NULL, " ", &save)) {
			if (strcmp(basename(tok), MODULE_NAME ".ko"))
				continue;
			snprintf(path, len, "%s%s%s", tok[0] == '/' ? "" : repo,
				 tok[0] == '/' ? "" : "/", tok);
			if (!access(path, R_OK))
				return 0;
		}
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	snprintf(path, len, "%s/../../../../host/" MODULE_NAME ".ko",
		 dirname(exe));
	return access(path, R_OK) ? -1 : 0;
}

static long module_refcnt(void)
{
	char buf[32];

	if (hr_read_file("/sys/module/" MODULE_NAME "/refcnt", buf,
			 sizeof(buf)))
		return -1;
	return atol(buf);
}

static int load_module(const char *path)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* Nothing shared: a fixture only for a timeout longer than the run. */
FIXTURE(race) {
};

FIXTURE_SETUP(race)
{
}

FIXTURE_TEARDOWN(race)
{
}

TEST_F_TIMEOUT(race, rmmod_during_map_hypercalls, RUN_SECONDS + 60)
{
	unsigned long unloads = 0, busy = 0, maps_before, maps_ok = 0;
	struct remote_mapping_token tok;
	struct tiny_vm intro, target;
	struct hr_locker locker;
	char path[PATH_MAX];
	struct hr_loop loop;
	double end;
	int ret;

	if (geteuid())
		SKIP(return, "needs root (delete_module, finit_module)");
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no /dev/kvm");
	if (!hr_hooked())
		SKIP(return, "remote_mapping has no KVM hook (patched kvm.ko not loaded)");
	if (module_path(path, sizeof(path)))
		SKIP(return, "cannot find remote_mapping.ko to load it again");
	if (module_refcnt() != 0)
		SKIP(return, "remote_mapping is in use (refcnt %ld)",
		     module_refcnt());

	tvm_create(&intro);
	tvm_create(&target);
	*(__u32 *)(target.ram + HR_REQ_GPA) = 0x600dcafe;
	ASSERT_EQ(0, hr_grant(target.vm_fd, &tok));
	ASSERT_EQ(0, hr_locker_start(&locker));
	ASSERT_EQ(0, hr_loop_start(&loop, &intro, 60000));
	hr_loop_set_token(&loop, &tok);

	end = hr_now_s() + RUN_SECONDS;
	while (unloads < WANT_UNLOADS && hr_now_s() < end) {
		/* Race with maps that the module serves. */
		if (HR_READ(loop.ok) == maps_ok) {
			usleep(1000);
			continue;
		}
		if (syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK)) {
			/* In use: EAGAIN (EWOULDBLOCK), or EBUSY. */
			ASSERT_TRUE(errno == EAGAIN || errno == EBUSY)
				TH_LOG("delete_module: %s", strerror(errno));
			busy++;
			usleep(200);
			continue;
		}
		unloads++;
		/* Nothing of the module is left in this process. */
		ASSERT_NE(0, access("/sys/module/" MODULE_NAME, F_OK));
		EXPECT_EQ(0, hr_mirror_vmas())
			TH_LOG("a mirror was made while the module went away");
		maps_before = HR_READ(loop.calls);
		/* Let the vCPU find the hypercalls unserved. */
		while (HR_READ(loop.calls) < maps_before + 2)
			usleep(1000);
		ret = load_module(path);
		ASSERT_EQ(0, ret) TH_LOG("loading %s again: %s", path,
					 strerror(-ret));
		ASSERT_TRUE(hr_hooked());
		ASSERT_EQ(0, hr_grant(target.vm_fd, &tok));
		maps_ok = HR_READ(loop.ok);
		hr_loop_set_token(&loop, &tok);
	}
	hr_loop_stop(&loop);
	hr_locker_stop(&locker);
	ksft_print_msg("%lu unloads, %lu refused\n", unloads, busy);
	ksft_print_msg("%lu maps: %lu mapped, %lu unserved, %lu EPERM, %lu other\n",
		       loop.calls, loop.ok, loop.enosys, loop.eperm,
		       loop.other);
	/* The test's process ends with _exit(). */
	fflush(stdout);
	EXPECT_EQ(0, loop.unmap_err);
	EXPECT_EQ(0, loop.other) TH_LOG("last unexpected result %ld",
					loop.last_other);
	EXPECT_LT(0, loop.ok);
	EXPECT_LT(0, unloads) TH_LOG("the module never unloaded");

	/* The module loaded last serves maps. */
	ASSERT_EQ(0, hr_grant(target.vm_fd, &tok));
	memcpy(intro.ram + HR_TOKEN_GPA, &tok, sizeof(tok));
	ASSERT_EQ(0, tvm_hypercall(&intro, KVM_HC_MEM_MAP, HR_TOKEN_GPA,
				   HR_REQ_GPA, HR_MAP_GPA, 0));
	EXPECT_EQ(0x600dcafe, tvm_guest_read32(&intro, HR_MAP_GPA));
	EXPECT_EQ(0, tvm_hypercall(&intro, KVM_HC_MEM_UNMAP, HR_MAP_GPA, 0,
				   0, 0));
	tvm_destroy(&intro);
	tvm_destroy(&target);
}

TEST_HARNESS_MAIN
