// SPDX-License-Identifier: GPL-2.0
/*
 * rm-vmcore (tools/vmcore) on a tiny VM made here: its ELF core and its
 * guest-physical file equal the VM's memory page by page, follow the VM's
 * writes, refuse what is not RAM, and leave no mapping behind.
 */
#define _GNU_SOURCE
#include <linux/elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rm_harness.h"
#include "tiny_vm.h"

#define FUSE_SUPER_MAGIC	0x65735546
#define SLOT1_GPA		0x200000UL	/* 2 MiB of RAM */
#define SLOT1_SIZE		0x200000UL
#define SLOT2_GPA		0x100000000UL	/* 1 MiB above 4 GiB */
#define SLOT2_SIZE		0x100000UL
#define ROM_GPA			0xfff00000UL	/* ROM: not in the core */
#define ROM_SIZE		0x10000UL
#define NOTE_GPA		(SLOT1_GPA + 0x5000)
#define STEXT			0xffffffff80200000UL	/* phys_base 0: SLOT1 */
#define CACHE_PAGES		"64"	/* far fewer than the VM's 1024 pages */

static const char vmcoreinfo[] =
	"OSRELEASE=vmcore-selftest\nPAGESIZE=4096\n"
	"SYMBOL(_stext)=ffffffff80200000\nNUMBER(phys_base)=0\n";

/* The VM: RAM at 0 (tiny_vm's), SLOT1, SLOT2, and a ROM. */
struct vc_vm {
	struct tiny_vm vm;
	__u8 *slot1, *slot2, *rom;
};

static __u8 *vc_anon(size_t size)
{
	__u8 *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* 0 or -errno. */
static int vc_vm_create(struct vc_vm *v)
{
	struct { struct elf64_note nh; char name[12]; } note = {
		{ 11, sizeof(vmcoreinfo) - 1, 0 }, "VMCOREINFO",
	};
	int err;

	err = __tvm_create(&v->vm);
	if (err)
		return err;
	v->slot1 = vc_anon(SLOT1_SIZE);
	v->slot2 = vc_anon(SLOT2_SIZE);
	v->rom = vc_anon(ROM_SIZE);
	if (!v->slot1 || !v->slot2 || !v->rom)
		return -ENOMEM;
	/* Words that say where they are; tiny_vm's code pages stay. */
	pattern_fill(v->vm.ram + 0x10000, TVM_RAM_SIZE - 0x10000, 0x10000);
	pattern_fill(v->slot1, SLOT1_SIZE, SLOT1_GPA);
	pattern_fill(v->slot2, SLOT2_SIZE, SLOT2_GPA);
	memset(v->rom, 0xab, ROM_SIZE);
	memcpy(v->slot1 + (NOTE_GPA - SLOT1_GPA), &note, sizeof(note));
	memcpy(v->slot1 + (NOTE_GPA - SLOT1_GPA) + sizeof(note), vmcoreinfo,
	       sizeof(vmcoreinfo) - 1);
	err = __tvm_add_slot(&v->vm, 1, SLOT1_GPA, v->slot1, SLOT1_SIZE, 0);
	if (!err)
		err = __tvm_add_slot(&v->vm, 2, SLOT2_GPA, v->slot2,
				     SLOT2_SIZE, 0);
	if (!err)
		err = __tvm_add_slot(&v->vm, 3, ROM_GPA, v->rom, ROM_SIZE,
				     KVM_MEM_READONLY);
	return err;
}

/* The VMM's own copy of guest-physical @gpa, or NULL if not RAM. */
static __u8 *vc_vm_hva(struct vc_vm *v, __u64 gpa)
{
	if (gpa < TVM_RAM_SIZE)
		return v->vm.ram + gpa;
	if (gpa - SLOT1_GPA < SLOT1_SIZE)
		return v->slot1 + (gpa - SLOT1_GPA);
	if (gpa - SLOT2_GPA < SLOT2_SIZE)
		return v->slot2 + (gpa - SLOT2_GPA);
	return NULL;
}

/* rm-vmcore, beside this program's folder: tools/vmcore/rm-vmcore. */
static int vc_tool(char *path, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -errno;
	self[n] = '\0';
	snprintf(path, len, "%s/../../../vmcore/rm-vmcore", dirname(self));
	return access(path, X_OK) ? -errno : 0;
}

/* Why rm-vmcore cannot run here (a SKIP reason), or NULL. */
static const char *vc_unavailable(char *tool, size_t len)
{
	if (geteuid())
		return "needs root";
	if (access("/dev/kvm", R_OK | W_OK))
		return "no /dev/kvm";
	if (access(RM_DEV_PATH, R_OK | W_OK) || rm_counters_init())
		return "remote_mapping.ko not loaded";
	if (access("/dev/fuse", R_OK | W_OK))
		run_cmd("modprobe", "fuse", NULL);
	if (access("/dev/fuse", R_OK | W_OK))
		return "no /dev/fuse (fuse.ko)";
	if (vc_tool(tool, len))
		return "tools/vmcore/rm-vmcore not built (libfuse3-dev)";
	return NULL;
}

/* Start rm-vmcore on @pid's VM at @mnt: its pid, or -errno. */
static pid_t vc_mount(const char *tool, pid_t pid, const char *mnt,
		      const char *log)
{
	char pidstr[16];
	struct statfs fs;
	pid_t child;
	int i, fd;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	fflush(NULL);
	child = fork();
	if (child < 0)
		return -errno;
	if (!child) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		execl(tool, tool, "--pid", pidstr, "--cache-pages",
		      CACHE_PAGES, mnt, "-f", (char *)NULL);
		_exit(127);
	}
	/* Up once the mount point is a FUSE mount. */
	for (i = 0; i < 3000; i++) {
		if (!statfs(mnt, &fs) && fs.f_type == FUSE_SUPER_MAGIC)
			return child;
		if (waitpid(child, NULL, WNOHANG) == child)
			return -ECHILD;
		usleep(10000);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return -ETIMEDOUT;
}

/* Unmount and wait for rm-vmcore: its exit status, or -errno. */
static int vc_umount(const char *mnt, pid_t child)
{
	int i, status;

	if (umount2(mnt, 0) && errno != EINVAL)
		umount2(mnt, MNT_DETACH);
	for (i = 0; i < 2000; i++) {
		if (waitpid(child, &status, WNOHANG) == child)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		usleep(10000);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return -ETIMEDOUT;
}

static void vc_print_log(const char *log)
{
	char buf[2048];
	int n = read_file(log, buf, sizeof(buf));

	if (n > 0)
		fprintf(stderr, "# rm-vmcore said:\n%s", buf);
}

FIXTURE(vc)
{
	struct vc_vm v;
	char tool[PATH_MAX];
	char mnt[64], log[80], path[96];
	pid_t fs;
	long maps0;
	int core, mem;
};

FIXTURE_SETUP(vc)
{
	const char *why = vc_unavailable(self->tool, sizeof(self->tool));

	self->fs = -1;
	self->core = -1;
	self->mem = -1;
	if (why)
		RM_SETUP_SKIP("%s", why);
	ASSERT_EQ(0, vc_vm_create(&self->v));
	ASSERT_EQ(0, rm_read_counter(RM_MAP_COUNT, &self->maps0));
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/vmcore-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	snprintf(self->log, sizeof(self->log), "%s.log", self->mnt);
	self->fs = vc_mount(self->tool, getpid(), self->mnt, self->log);
	if (self->fs < 0)
		vc_print_log(self->log);
	ASSERT_LT(0, self->fs) TH_LOG("rm-vmcore did not mount: %s",
				      strerror(-self->fs));
	snprintf(self->path, sizeof(self->path), "%s/core", self->mnt);
	self->core = open(self->path, O_RDONLY | O_CLOEXEC);
	snprintf(self->path, sizeof(self->path), "%s/mem", self->mnt);
	self->mem = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->core);
	ASSERT_LE(0, self->mem);
}

FIXTURE_TEARDOWN(vc)
{
	long seen = -1;

	if (self->core >= 0)
		close(self->core);
	if (self->mem >= 0)
		close(self->mem);
	if (self->fs > 0) {
		EXPECT_EQ(0, vc_umount(self->mnt, self->fs));
		/* Exit leaves no mapping behind. */
		EXPECT_EQ(0, rm_wait_counter(RM_MAP_COUNT, self->maps0, 5000,
					     &seen))
			TH_LOG("map_count %ld after rm-vmcore exited, %ld before",
			       seen, self->maps0);
	}
	if (self->mnt[0]) {
		rmdir(self->mnt);
		unlink(self->log);
	}
}

/* The headers: kdump's shape, the RAM of the VM and nothing else. */
TEST_F(vc, elf_layout)
{
	static const __u64 ram[][2] = {
		{ 0, TVM_RAM_SIZE }, { SLOT1_GPA, SLOT1_SIZE },
		{ SLOT2_GPA, SLOT2_SIZE },
	};
	unsigned char hdr[4096];
	struct elf64_hdr *eh = (struct elf64_hdr *)hdr;
	struct elf64_phdr *ph;
	struct elf64_note *nh;
	int i, loads = 0, kernel = 0, notes = 0;
	__u64 slot1_off = 0;

	ASSERT_EQ(sizeof(hdr), pread(self->core, hdr, sizeof(hdr), 0));
	ASSERT_EQ(0, memcmp(eh->e_ident, ELFMAG, SELFMAG));
	EXPECT_EQ(ELFCLASS64, eh->e_ident[EI_CLASS]);
	EXPECT_EQ(ET_CORE, eh->e_type);
	EXPECT_EQ(EM_X86_64, eh->e_machine);
	ASSERT_GE(sizeof(hdr), eh->e_phoff + eh->e_phnum * sizeof(*ph));
	ph = (struct elf64_phdr *)(hdr + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++, ph++) {
		if (ph->p_type == PT_NOTE) {
			notes++;
			ASSERT_GE(sizeof(hdr), ph->p_offset + ph->p_filesz);
			nh = (struct elf64_note *)(hdr + ph->p_offset);
			EXPECT_EQ(11, nh->n_namesz);
			EXPECT_EQ(0, memcmp(nh + 1, "VMCOREINFO", 11));
			ASSERT_EQ(sizeof(vmcoreinfo) - 1, nh->n_descsz);
			EXPECT_EQ(0, memcmp((char *)(nh + 1) + 12, vmcoreinfo,
					    nh->n_descsz));
			continue;
		}
		ASSERT_EQ(PT_LOAD, ph->p_type);
		EXPECT_EQ(ph->p_filesz, ph->p_memsz);
		EXPECT_EQ(0, ph->p_offset % 4096);
		if (ph->p_vaddr) {
			/* The kernel image, where VMCOREINFO puts _stext. */
			kernel++;
			EXPECT_EQ(STEXT, ph->p_vaddr);
			EXPECT_EQ(SLOT1_GPA, ph->p_paddr);
			EXPECT_EQ(SLOT1_SIZE, ph->p_memsz);
			slot1_off = slot1_off ?: ph->p_offset;
			EXPECT_EQ(slot1_off, ph->p_offset);
			continue;
		}
		ASSERT_GT(3, loads);
		EXPECT_EQ(ram[loads][0], ph->p_paddr);
		EXPECT_EQ(ram[loads][1], ph->p_memsz);
		if (ph->p_paddr == SLOT1_GPA) {
			slot1_off = slot1_off ?: ph->p_offset;
			EXPECT_EQ(slot1_off, ph->p_offset);
		}
		loads++;
	}
	EXPECT_EQ(1, notes);
	EXPECT_EQ(1, kernel);
	EXPECT_EQ(3, loads);	/* the ROM is not RAM */
}

/*
 * Every page of the core equals the VM's page, read through 64 mapped
 * pages at most (the others are unmapped as the read goes on).
 */
TEST_F(vc, contents_equal_the_vm)
{
	unsigned char hdr[4096], page[4096];
	struct elf64_hdr *eh = (struct elf64_hdr *)hdr;
	struct elf64_phdr *ph;
	__u64 off, bad = 0, pages = 0;
	int i;

	ASSERT_EQ(sizeof(hdr), pread(self->core, hdr, sizeof(hdr), 0));
	ph = (struct elf64_phdr *)(hdr + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++, ph++) {
		if (ph->p_type != PT_LOAD || ph->p_vaddr)
			continue;
		for (off = 0; off < ph->p_filesz; off += sizeof(page)) {
			__u8 *ref = vc_vm_hva(&self->v, ph->p_paddr + off);

			ASSERT_NE(NULL, ref);
			ASSERT_EQ(sizeof(page), pread(self->core, page,
						      sizeof(page),
						      ph->p_offset + off))
				TH_LOG("core at gpa 0x%llx: %s",
				       (unsigned long long)(ph->p_paddr + off),
				       strerror(errno));
			bad += !!memcmp(page, ref, sizeof(page));
			pages++;
		}
	}
	EXPECT_EQ(0, bad) TH_LOG("%llu of %llu pages differ",
				 (unsigned long long)bad,
				 (unsigned long long)pages);
	EXPECT_EQ((TVM_RAM_SIZE + SLOT1_SIZE + SLOT2_SIZE) / 4096, pages);
	/* The guest-physical file: the same bytes at the gpa, across pages. */
	ASSERT_EQ(100, pread(self->mem, page, 100, SLOT2_GPA + 4090));
	EXPECT_EQ(0, memcmp(page, vc_vm_hva(&self->v, SLOT2_GPA + 4090), 100));
	ASSERT_EQ(sizeof(page), pread(self->mem, page, sizeof(page),
				      SLOT1_GPA + 0x1800));
	EXPECT_EQ(0, memcmp(page, self->v.slot1 + 0x1800, sizeof(page)));
}

/* A page read twice shows what the VM wrote in between: nothing is stale. */
TEST_F(vc, follows_the_vm)
{
	__u32 val, i;
	__u64 word;

	for (i = 1; i <= 4; i++) {
		/* The guest's own store (real mode: below 64 KiB). */
		tvm_guest_write32(&self->v.vm, 0x3000, 0x5a5a0000 + i);
		ASSERT_EQ(4, pread(self->mem, &val, 4, 0x3000));
		EXPECT_EQ(0x5a5a0000 + i, val);
		/* The VMM's store into a page the cache keeps mapped. */
		poke(self->v.slot2 + 0x8000, 0xc0ffee00 + i);
		ASSERT_EQ(8, pread(self->mem, &word, 8, SLOT2_GPA + 0x8000));
		EXPECT_EQ(0xc0ffee00 + i, word);
	}
}

/* What is not RAM: EIO in the guest-physical file; the end: EOF. */
TEST_F(vc, not_ram)
{
	char buf[64];
	struct stat st;
	int fd;

	errno = 0;
	EXPECT_EQ(-1, pread(self->mem, buf, sizeof(buf), TVM_RAM_SIZE));
	EXPECT_EQ(EIO, errno);	/* the hole below SLOT1 */
	errno = 0;
	EXPECT_EQ(-1, pread(self->mem, buf, sizeof(buf), ROM_GPA));
	EXPECT_EQ(EIO, errno);	/* ROM is not RAM */
	ASSERT_EQ(0, fstat(self->mem, &st));
	EXPECT_EQ(SLOT2_GPA + SLOT2_SIZE, st.st_size);
	EXPECT_EQ(0, pread(self->mem, buf, sizeof(buf), st.st_size));
	ASSERT_EQ(0, fstat(self->core, &st));
	EXPECT_EQ(0, pread(self->core, buf, sizeof(buf), st.st_size));
	/* Read-only. */
	snprintf(self->path, sizeof(self->path), "%s/mem", self->mnt);
	fd = open(self->path, O_RDWR);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EROFS, errno);
	if (fd >= 0)
		close(fd);
	/* After the errors, RAM reads still work. */
	EXPECT_EQ(8, pread(self->mem, buf, 8, SLOT1_GPA));
	EXPECT_EQ(SLOT1_GPA, peek(buf));
}

/* Killed, rm-vmcore leaves no mapping either (its mm goes). */
TEST_F(vc, killed_leaves_nothing)
{
	long seen = -1;
	__u64 word;

	ASSERT_EQ(8, pread(self->mem, &word, 8, SLOT1_GPA));
	ASSERT_EQ(0, rm_read_counter(RM_MAP_COUNT, &seen));
	EXPECT_LT(self->maps0, seen);	/* pages are mapped, not copied */
	ASSERT_EQ(0, kill(self->fs, SIGKILL));
	ASSERT_EQ(self->fs, waitpid(self->fs, NULL, 0));
	self->fs = -1;
	EXPECT_EQ(0, rm_wait_counter(RM_MAP_COUNT, self->maps0, 5000, &seen))
		TH_LOG("map_count %ld, %ld before", seen, self->maps0);
	close(self->core);
	close(self->mem);
	self->core = -1;
	self->mem = -1;
	umount2(self->mnt, MNT_DETACH);
}

/*
 * The VM's process exits while mounted: reads fail (or read zeros, where a
 * mapping was kept), rm-vmcore keeps serving, and unmounts cleanly.
 */
TEST(target_exits)
{
	char tool[PATH_MAX], mnt[64] = "/tmp/vmcore-test.XXXXXX", log[80];
	char path[96], buf[4096], stats[512];
	const char *why = vc_unavailable(tool, sizeof(tool));
	int ready[2], core, status;
	long maps0, seen = -1;
	pid_t vmm, fs;
	ssize_t n;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, rm_read_counter(RM_MAP_COUNT, &maps0));
	ASSERT_EQ(0, pipe(ready));
	vmm = fork();
	ASSERT_LE(0, vmm);
	if (!vmm) {
		struct vc_vm v;

		close(ready[0]);
		if (vc_vm_create(&v))
			_exit(1);
		if (write(ready[1], "1", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], buf, 1));
	close(ready[0]);
	ASSERT_NE(NULL, mkdtemp(mnt));
	snprintf(log, sizeof(log), "%s.log", mnt);
	fs = vc_mount(tool, vmm, mnt, log);
	if (fs < 0)
		vc_print_log(log);
	ASSERT_LT(0, fs);
	snprintf(path, sizeof(path), "%s/core", mnt);
	core = open(path, O_RDONLY);
	ASSERT_LE(0, core);
	ASSERT_EQ(sizeof(buf), pread(core, buf, sizeof(buf), 0));

	kill(vmm, SIGKILL);
	ASSERT_EQ(vmm, waitpid(vmm, &status, 0));
	/* The whole core: each read fails or reads zeros; none crashes. */
	for (off_t off = 4096; (n = pread(core, buf, sizeof(buf), off)) != 0;
	     off += sizeof(buf))
		EXPECT_TRUE(n > 0 ? is_zero(buf, n) : errno == EIO);
	close(core);
	/* Still serving. */
	snprintf(path, sizeof(path), "%s/stats", mnt);
	EXPECT_LT(0, read_file(path, stats, sizeof(stats)));
	EXPECT_EQ(0, kill(fs, 0));
	EXPECT_EQ(0, vc_umount(mnt, fs));
	EXPECT_EQ(0, rm_wait_counter(RM_MAP_COUNT, maps0, 5000, &seen))
		TH_LOG("map_count %ld, %ld before", seen, maps0);
	rmdir(mnt);
	unlink(log);
}

/* REMOTE_MAPPING_VM_SLOTS, which rm-vmcore --pid reads the layout with. */
TEST(vm_slots_ioctl)
{
	struct remote_mapping_vm_slot sl[8];
	struct remote_mapping_vm_slots req;
	char tool[PATH_MAX];
	const char *why = vc_unavailable(tool, sizeof(tool));
	struct vc_vm v;
	int dev, null;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, vc_vm_create(&v));
	dev = open(RM_DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);

	/* Too small: E2BIG, and how many there are. */
	memset(&req, 0, sizeof(req));
	req.vm_fd = v.vm.vm_fd;
	req.count = 1;
	req.slots = (uintptr_t)sl;
	EXPECT_EQ(-1, ioctl(dev, REMOTE_MAPPING_VM_SLOTS, &req));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(4, req.count);

	req.count = 8;
	ASSERT_EQ(4, ioctl(dev, REMOTE_MAPPING_VM_SLOTS, &req));
	EXPECT_EQ(4, req.count);
	EXPECT_EQ(0, sl[0].gpa);
	EXPECT_EQ(TVM_RAM_SIZE, sl[0].size);
	EXPECT_EQ((uintptr_t)v.vm.ram, sl[0].hva);
	EXPECT_EQ(SLOT1_GPA, sl[1].gpa);
	EXPECT_EQ((uintptr_t)v.slot1, sl[1].hva);
	EXPECT_EQ(ROM_GPA, sl[2].gpa);
	EXPECT_EQ(REMOTE_MAPPING_SLOT_READONLY, sl[2].flags);
	EXPECT_EQ(SLOT2_GPA, sl[3].gpa);
	EXPECT_EQ(SLOT2_SIZE, sl[3].size);
	EXPECT_EQ(0, sl[3].flags);

	/* Not a VM; a reserved field. */
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	req.vm_fd = null;
	EXPECT_EQ(-1, ioctl(dev, REMOTE_MAPPING_VM_SLOTS, &req));
	EXPECT_EQ(EBADF, errno);
	req.vm_fd = v.vm.vm_fd;
	req.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(dev, REMOTE_MAPPING_VM_SLOTS, &req));
	EXPECT_EQ(EINVAL, errno);
	close(null);
	close(dev);
}

/*
 * Without -f, rm-vmcore returns once mounted and serves from a child: the
 * devices it opened belong to that child (they are bound to their opener).
 */
TEST(background)
{
	char tool[PATH_MAX], mnt[64] = "/tmp/vmcore-test.XXXXXX", pidstr[16];
	char path[96];
	const char *why = vc_unavailable(tool, sizeof(tool));
	long maps0, seen = -1;
	struct statfs fs;
	struct vc_vm v;
	__u64 word = 0;
	int fd, status;
	pid_t p;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, vc_vm_create(&v));
	ASSERT_EQ(0, rm_read_counter(RM_MAP_COUNT, &maps0));
	ASSERT_NE(NULL, mkdtemp(mnt));
	snprintf(pidstr, sizeof(pidstr), "%d", getpid());
	fflush(NULL);
	p = fork();
	ASSERT_LE(0, p);
	if (!p) {
		execl(tool, tool, "--pid", pidstr, mnt, (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(p, waitpid(p, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* Mounted when it returned. */
	ASSERT_EQ(0, statfs(mnt, &fs));
	EXPECT_EQ(FUSE_SUPER_MAGIC, fs.f_type);
	snprintf(path, sizeof(path), "%s/mem", mnt);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(8, pread(fd, &word, 8, SLOT2_GPA + 0x3000));
	EXPECT_EQ(SLOT2_GPA + 0x3000 / 8, word);	/* pattern_fill() */
	close(fd);
	EXPECT_EQ(0, umount2(mnt, 0));
	EXPECT_EQ(0, rm_wait_counter(RM_MAP_COUNT, maps0, 5000, &seen))
		TH_LOG("map_count %ld, %ld before", seen, maps0);
	rmdir(mnt);
}

TEST_HARNESS_MAIN
