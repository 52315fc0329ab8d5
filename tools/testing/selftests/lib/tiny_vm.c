// SPDX-License-Identifier: GPL-2.0
/* Minimal KVM VMs in real mode that issue hypercalls and touch memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tiny_vm.h"

static void tvm_die(const char *what)
{
	fprintf(stderr, "tiny_vm: %s failed: %s\n", what, strerror(errno));
	exit(1);
}

/* ioctl() that cannot fail in a working test: on failure, name it and die. */
#define tvm_ioctl(fd, cmd, arg) __tvm_ioctl(fd, cmd, #cmd, arg)

static void __tvm_ioctl(int fd, unsigned long cmd, const char *name,
			void *arg)
{
	if (ioctl(fd, cmd, arg))
		tvm_die(name);
}

int __tvm_add_slot(struct tiny_vm *vm, int slot, __u64 gpa, void *hva,
		   __u64 size, __u32 flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

/* A PROT_NONE page on each side of a tiny VM's RAM. */
#define TVM_GUARD	4096UL

int __tvm_create(struct tiny_vm *vm)
{
	int kvm, size, err;
	__u8 *guard;

	memset(vm, 0, sizeof(*vm));
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -errno;
	vm->vm_fd = ioctl(kvm, KVM_CREATE_VM, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	close(kvm);
	if (vm->vm_fd < 0 || size <= 0)
		return -errno;

	/*
	 * Private anonymous, like QEMU's guest RAM, between two PROT_NONE
	 * guard pages: a VMA of its own, never merged with its neighbours
	 * into one where THPs fit (1 MiB is less than one), so small pages
	 * whatever THP's setting.  A stock kvm.ko before 6.13 cannot alias
	 * THP tail pages (the ftrace hook refuses them); the tests that want
	 * a THP make their own.
	 */
	guard = mmap(NULL, TVM_RAM_SIZE + 2 * TVM_GUARD, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED)
		return -errno;
	vm->ram = mmap(guard + TVM_GUARD, TVM_RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (vm->ram == MAP_FAILED)
		return -errno;
	err = __tvm_add_slot(vm, 0, 0, vm->ram, TVM_RAM_SIZE, 0);
	if (err)
		return err;

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return -errno;
	vm->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		return -errno;
	vm->run_size = size;
	return 0;
}

void tvm_create(struct tiny_vm *vm)
{
	int err = __tvm_create(vm);

	if (err) {
		errno = -err;
		tvm_die("creating a VM (/dev/kvm)");
	}
}

void tvm_destroy(struct tiny_vm *vm)
{
	/* The mapping holds the vCPU's file, and so the VM. */
	munmap(vm->run, vm->run_size);
	close(vm->vcpu_fd);
	close(vm->vm_fd);
	munmap(vm->ram - TVM_GUARD, TVM_RAM_SIZE + 2 * TVM_GUARD);
}

/*
 * Real mode at cs:ip = 0:0 with the given registers, until hlt: 0; the
 * -errno of a failed KVM_RUN; or the exit reason of another exit (such as
 * KVM_EXIT_MMIO for a store KVM cannot make).
 */
static int __tvm_run_code(struct tiny_vm *vm, const __u8 *code, size_t len,
			  struct kvm_regs *regs)
{
	struct kvm_sregs sregs;

	memcpy(vm->ram + TVM_CODE_GPA, code, len);
	tvm_ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	tvm_ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs);
	regs->rip = TVM_CODE_GPA;
	regs->rflags = 2;
	tvm_ioctl(vm->vcpu_fd, KVM_SET_REGS, regs);
	if (ioctl(vm->vcpu_fd, KVM_RUN, 0))
		return -errno;
	if (vm->run->exit_reason != KVM_EXIT_HLT)
		return vm->run->exit_reason;
	tvm_ioctl(vm->vcpu_fd, KVM_GET_REGS, regs);
	return 0;
}

static struct kvm_regs tvm_run_code(struct tiny_vm *vm, const __u8 *code,
				    size_t len, const struct kvm_regs *in)
{
	struct kvm_regs regs = *in;
	int err = __tvm_run_code(vm, code, len, &regs);

	if (err > 0) {
		fprintf(stderr, "tiny_vm: exit reason %d, not hlt\n", err);
		exit(1);
	}
	if (err) {
		errno = -err;
		tvm_die("KVM_RUN");
	}
	return regs;
}

__s32 tvm_hypercall(struct tiny_vm *vm, __u32 nr, __u32 a0,
		    __u32 a1, __u32 a2, __u32 a3)
{
	/* vmmcall; hlt (KVM rewrites it to vmcall on Intel) */
	static const __u8 code[] = { 0x0f, 0x01, 0xd9, 0xf4 };
	struct kvm_regs regs = {
		.rax = nr, .rbx = a0, .rcx = a1, .rdx = a2, .rsi = a3,
	};

	regs = tvm_run_code(vm, code, sizeof(code), &regs);
	return (__s32)regs.rax;
}

int __tvm_guest_read32(struct tiny_vm *vm, __u32 gpa, __u32 *val)
{
	/* mov eax, [gpa]; hlt */
	__u8 code[] = { 0x66, 0xa1, gpa & 0xff, (gpa >> 8) & 0xff, 0xf4 };
	struct kvm_regs regs = { 0 };
	int err;

	err = __tvm_run_code(vm, code, sizeof(code), &regs);
	if (!err)
		*val = (__u32)regs.rax;
	return err;
}

__u32 tvm_guest_read32(struct tiny_vm *vm, __u32 gpa)
{
	__u32 val = 0;
	int err = __tvm_guest_read32(vm, gpa, &val);

	if (err > 0) {
		fprintf(stderr, "tiny_vm: load: exit reason %d, not hlt\n",
			err);
		exit(1);
	}
	if (err) {
		errno = -err;
		tvm_die("KVM_RUN (guest load)");
	}
	return val;
}

int __tvm_guest_write32(struct tiny_vm *vm, __u32 gpa, __u32 val)
{
	/* mov [gpa], eax; hlt */
	__u8 code[] = { 0x66, 0xa3, gpa & 0xff, (gpa >> 8) & 0xff, 0xf4 };
	struct kvm_regs regs = { .rax = val };

	return __tvm_run_code(vm, code, sizeof(code), &regs);
}

void tvm_guest_write32(struct tiny_vm *vm, __u32 gpa, __u32 val)
{
	int err = __tvm_guest_write32(vm, gpa, val);

	if (err > 0) {
		fprintf(stderr, "tiny_vm: store: exit reason %d, not hlt\n",
			err);
		exit(1);
	}
	if (err) {
		errno = -err;
		tvm_die("KVM_RUN (guest store)");
	}
}

static const char *const tvm_hook_names[] = {
	[TVM_HOOK_ABSENT] = "absent",
	[TVM_HOOK_NONE] = "none",
	[TVM_HOOK_PATCH] = "patch",
	[TVM_HOOK_FTRACE] = "ftrace",
};

enum tvm_hook tvm_kvm_hook(void)
{
	char buf[16] = "";
	enum tvm_hook h;
	ssize_t n;
	int fd;

	fd = open("/sys/kernel/debug/remote_mapping/kvm_hook", O_RDONLY);
	if (fd < 0)
		return TVM_HOOK_ABSENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return TVM_HOOK_ABSENT;
	buf[strcspn(buf, "\n")] = '\0';
	for (h = TVM_HOOK_NONE; h <= TVM_HOOK_FTRACE; h++)
		if (!strcmp(buf, tvm_hook_names[h]))
			return h;
	return TVM_HOOK_ABSENT;
}

const char *tvm_hook_name(enum tvm_hook hook)
{
	return hook <= TVM_HOOK_FTRACE ? tvm_hook_names[hook] : "?";
}

bool tvm_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma, mi;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}
