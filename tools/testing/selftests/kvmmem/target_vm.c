// SPDX-License-Identifier: GPL-2.0
/*
 * target_vm.c - minimal KVM target VM for the kvmmem end-to-end tests (runs
 * in L1): a real-mode counter/mailbox loop, and map tokens for its own VM.
 *
 * Usage: target_vm [--no-tokens] [--start-wait SECONDS] INFO_FILE
 *
 * 2 MiB of RAM at gpa 0 (private anonymous memory, small pages), one vCPU
 * in 16-bit real mode running guest_code below: it increments the dword at COUNTER_GPA
 * forever and, whenever the dword at MAILBOX_GPA (request) differs from the
 * last one it saw, stores request + 1 at MAILBOX_GPA + 4 (answer).  The vCPU
 * thread runs at SCHED_IDLE so that the spinning guest does not slow down
 * the other VMs.  A second memory slot of 2 MiB at THP_GPA is a transparent
 * huge page (2 MiB aligned, MADV_HUGEPAGE) whose page N starts with the
 * text "tiny-thp page NNN"; the guest does not touch it.
 *
 * Once the counter runs, tokens for this VM are granted through
 * /dev/remote_mapping (unless --no-tokens) and INFO_FILE is written
 * atomically as shell assignments:
 *   TINY_PID, RAM_SIZE, COUNTER_GPA, MAILBOX_GPA, CODE_GPA, THP_GPA,
 *   THP_OK (1 if the THP slot is backed by a huge page),
 *   TOKEN_RW, TOKEN_RO, TOKEN_BOUND_OTHER (bound to a second, idle VM of
 *   this process), TOKEN_EXPIRED (ttl 1 ms), TOKEN_REVOKED (granted, then
 *   revoked), GRANT_ERROR (errno name if a grant failed, tokens left empty),
 *   SELFTEST (ok: the mailbox answered a request made through the RAM
 *   mapping), READY=1.
 *
 * Signals: SIGTERM/SIGINT exit.  SIGUSR1 destroys the VMs (stops the vCPU,
 * closes the vCPU and VM fds, munmaps the RAM) and keeps running; "DESTROYED"
 * is appended to INFO_FILE.  SIGUSR2 exits at once (the target process goes
 * away).  Exits by itself after LIFETIME_S in any case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kvm.h>
#include <linux/remote_mapping.h>

#include "../../../kvmmem/kvmmem_token.h"

#define RAM_SIZE	0x200000UL
#define COUNTER_GPA	0x1000UL
#define MAILBOX_GPA	0x2000UL
#define CODE_GPA	0x3000UL
#define THP_GPA		RAM_SIZE
#define THP_SIZE	0x200000UL
#define TSS_GPA		0xfffbd000UL	/* for VMX without unrestricted guest */
#define LIFETIME_S	1800
/* How long the counter may take to start: the vCPU runs at SCHED_IDLE. */
#define START_WAIT_S	60

/*
 * Real mode, cs = ds = 0 (as --32 of a .code16 source, then objdump):
 *	xorl	%esi, %esi		last request seen
 * 1:	incl	0x1000			counter
 *	decw	%cx
 *	jnz	2f
 *	hlt; nop			every 65536 rounds: exit to the VMM
 * 2:	movl	0x2000, %eax		request
 *	cmpl	%esi, %eax
 *	je	1b
 *	movl	%eax, %esi
 *	incl	%eax
 *	movl	%eax, 0x2004		answer
 *	jmp	1b
 *
 * The exits give L1 its vCPU back now and then: in the nested test VM,
 * TCG's SVM emulation sometimes never delivers L1's timer interrupt to a
 * guest that only loops, and L1 then stops for good (registers.txt of
 * such a run: EIP 0x3003, this loop, in real mode).  The exit is a HLT
 * (no in-kernel irqchip: KVM_EXIT_HLT), the exit every tiny_vm test takes:
 * an "out" there stopped L1 the same way (EIP 0x300b, at the out, with
 * TCG's emulation of the IOIO intercept in a real-mode L2).  The VMM then
 * sleeps a little, so that L2 spins for a fraction of the time only.
 */
static const unsigned char guest_code[] = {
	0x66, 0x31, 0xf6,			/* 0x00 xor %esi,%esi */
	0x66, 0xff, 0x06, 0x00, 0x10,		/* 0x03 incl 0x1000 */
	0x49,					/* 0x08 dec %cx */
	0x75, 0x02,				/* 0x09 jne 0x0d */
	0xf4, 0x90,				/* 0x0b hlt; nop */
	0x66, 0xa1, 0x00, 0x20,			/* 0x0d mov 0x2000,%eax */
	0x66, 0x39, 0xf0,			/* 0x11 cmp %esi,%eax */
	0x74, 0xed,				/* 0x14 je 0x03 */
	0x66, 0x89, 0xc6,			/* 0x16 mov %eax,%esi */
	0x66, 0x40,				/* 0x19 inc %eax */
	0x66, 0xa3, 0x04, 0x20,			/* 0x1b mov %eax,0x2004 */
	0xeb, 0xe2,				/* 0x1f jmp 0x03 */
};

struct target_vm {
	int kvm_fd;
	int vm_fd;
	int other_vm_fd;	/* idle VM, for TOKEN_BOUND_OTHER */
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	unsigned char *ram;
	unsigned char *thp;	/* THP_SIZE, THP_SIZE aligned */
	pthread_t vcpu_thread;
	int stop;		/* __atomic accesses */
	int dead;
};

static const char *info_path;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "target_vm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static unsigned int load32(const unsigned char *p)
{
	return __atomic_load_n((const unsigned int *)p, __ATOMIC_ACQUIRE);
}

static void store32(unsigned char *p, unsigned int v)
{
	__atomic_store_n((unsigned int *)p, v, __ATOMIC_RELEASE);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void kick_handler(int sig)
{
	(void)sig;
}

static void *vcpu_loop(void *arg)
{
	struct sched_param sp = { .sched_priority = 0 };
	struct target_vm *vm = arg;
	sigset_t set;

	sched_setscheduler(0, SCHED_IDLE, &sp);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!__atomic_load_n(&vm->stop, __ATOMIC_ACQUIRE)) {
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN: %s", strerror(errno));
		}
		switch (vm->run->exit_reason) {
		case KVM_EXIT_INTR:
			continue;
		case KVM_EXIT_HLT:	/* the loop's exit: let L1 run */
			usleep(200);
			continue;
		default:
			die("unexpected exit reason %u",
			    vm->run->exit_reason);
		}
	}
	return NULL;
}

/* THP_SIZE of memory, THP_SIZE aligned, filled: a huge page if possible. */
static unsigned char *thp_alloc(void)
{
	unsigned char *p, *aligned;
	unsigned long i;

	p = mmap(NULL, 2 * THP_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	aligned = (unsigned char *)(((unsigned long)p + THP_SIZE - 1) &
				    ~(THP_SIZE - 1));
	if (aligned > p)
		munmap(p, aligned - p);
	munmap(aligned + THP_SIZE, p + THP_SIZE - aligned);
	madvise(aligned, THP_SIZE, MADV_HUGEPAGE);
	for (i = 0; i < THP_SIZE / 4096; i++)
		snprintf((char *)aligned + i * 4096, 32, "tiny-thp page %03lu", i);
	return aligned;
}

/* 1 if the THP slot is one huge page (AnonHugePages in smaps). */
static int thp_backed(struct target_vm *vm)
{
	unsigned long start = 0, end, kb;
	char line[256];
	int found = 0;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			found = start == (unsigned long)vm->thp;
			continue;
		}
		if (found && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) {
			fclose(f);
			return kb * 1024 >= THP_SIZE;
		}
	}
	fclose(f);
	return 0;
}

static void vm_create(struct target_vm *vm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = RAM_SIZE,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int mmap_size;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		die("/dev/kvm: %s", strerror(errno));
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	vm->other_vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->other_vm_fd < 0)
		die("KVM_CREATE_VM (second): %s", strerror(errno));
	/* Needed by VMX without unrestricted guest, harmless elsewhere. */
	ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, TSS_GPA);

	vm->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->ram == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	madvise(vm->ram, RAM_SIZE, MADV_NOHUGEPAGE);
	memcpy(vm->ram + CODE_GPA, guest_code, sizeof(guest_code));
	region.userspace_addr = (unsigned long)vm->ram;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

	vm->thp = thp_alloc();
	region.slot = 1;
	region.guest_phys_addr = THP_GPA;
	region.memory_size = THP_SIZE;
	region.userspace_addr = (unsigned long)vm->thp;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION (THP): %s", strerror(errno));

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		die("KVM_CREATE_VCPU: %s", strerror(errno));
	mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = mmap_size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS: %s", strerror(errno));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS: %s", strerror(errno));
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 0x2;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS: %s", strerror(errno));
}

static void vm_start(struct target_vm *vm)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigaction(SIGRTMIN, &sa, NULL);
	if (pthread_create(&vm->vcpu_thread, NULL, vcpu_loop, vm))
		die("pthread_create failed");
}

/* Stop the vCPU, close every KVM fd, unmap the RAM. */
static void vm_destroy(struct target_vm *vm)
{
	if (vm->dead)
		return;
	__atomic_store_n(&vm->stop, 1, __ATOMIC_RELEASE);
	vm->run->immediate_exit = 1;
	pthread_kill(vm->vcpu_thread, SIGRTMIN);
	pthread_join(vm->vcpu_thread, NULL);
	munmap(vm->run, vm->run_size);
	close(vm->vcpu_fd);
	close(vm->other_vm_fd);
	close(vm->vm_fd);
	close(vm->kvm_fd);
	munmap(vm->ram, RAM_SIZE);
	munmap(vm->thp, THP_SIZE);
	vm->dead = 1;
}

/* Wait until the guest counter moves; then check the mailbox round trip. */
static const char *vm_selftest(struct target_vm *vm, unsigned int wait_s)
{
	long long deadline = now_ms() + wait_s * 1000LL;
	unsigned int c0 = load32(vm->ram + COUNTER_GPA);
	unsigned int req = 0x1000;

	while (load32(vm->ram + COUNTER_GPA) == c0) {
		if (now_ms() > deadline)
			return "counter-stuck";
		usleep(1000);
	}
	store32(vm->ram + MAILBOX_GPA, req);
	while (load32(vm->ram + MAILBOX_GPA + 4) != req + 1) {
		if (now_ms() > deadline)
			return "mailbox-stuck";
		usleep(1000);
	}
	/*
	 * Leave the mailbox as the introspector expects to find it: request
	 * 0 (answered with 1 by the guest), answer 0.
	 */
	store32(vm->ram + MAILBOX_GPA, 0);
	while (load32(vm->ram + MAILBOX_GPA + 4) != 1) {
		if (now_ms() > deadline)
			return "mailbox-stuck";
		usleep(1000);
	}
	store32(vm->ram + MAILBOX_GPA + 4, 0);
	return "ok";
}

/* Grant one token; on error return the errno name, else NULL. */
static const char *grant(int dev, int vm_fd, int bind_fd, unsigned int flags,
			 unsigned int ttl_ms, char *hex)
{
	struct remote_mapping_token_grant req;

	memset(&req, 0, sizeof(req));
	req.vm_fd = vm_fd;
	req.intro_vm_fd = bind_fd;
	req.flags = flags | (bind_fd >= 0 ? REMOTE_MAPPING_TOKEN_BIND : 0);
	req.ttl_ms = ttl_ms;
	hex[0] = '\0';
	if (ioctl(dev, REMOTE_MAPPING_TOKEN_GRANT, &req))
		return strerrorname_np(errno) ?: "E?";
	kvmmem_token_format(req.token.token, hex);
	return NULL;
}

static void write_info(struct target_vm *vm, int tokens, const char *selftest)
{
	char rw[80] = "", ro[80] = "", other[80] = "", expired[80] = "";
	char revoked[80] = "", tmp[4096];
	const char *err = NULL, *e;
	FILE *f;
	int dev;

	if (tokens) {
		dev = open("/dev/remote_mapping", O_RDWR | O_CLOEXEC);
		if (dev < 0) {
			err = strerrorname_np(errno);
		} else {
			e = grant(dev, vm->vm_fd, -1, 0, 0, rw);
			err = err ?: e;
			e = grant(dev, vm->vm_fd, -1,
				  REMOTE_MAPPING_TOKEN_READONLY, 0, ro);
			err = err ?: e;
			e = grant(dev, vm->vm_fd, vm->other_vm_fd, 0, 0, other);
			err = err ?: e;
			e = grant(dev, vm->vm_fd, -1, 0, 1, expired);
			err = err ?: e;
			e = grant(dev, vm->vm_fd, -1, 0, 0, revoked);
			err = err ?: e;
			if (!e) {
				struct remote_mapping_token_revoke rv;

				memset(&rv, 0, sizeof(rv));
				kvmmem_token_parse(revoked, rv.token.token);
				if (ioctl(dev, REMOTE_MAPPING_TOKEN_REVOKE, &rv))
					err = err ?: strerrorname_np(errno);
			}
			close(dev);
		}
	}

	snprintf(tmp, sizeof(tmp), "%s.tmp", info_path);
	f = fopen(tmp, "w");
	if (!f)
		die("%s: %s", tmp, strerror(errno));
	fprintf(f, "TINY_PID=%d\nRAM_SIZE=0x%lx\nCOUNTER_GPA=0x%lx\n"
		"MAILBOX_GPA=0x%lx\nCODE_GPA=0x%lx\nTHP_GPA=0x%lx\nTHP_OK=%d\n",
		(int)getpid(), RAM_SIZE, COUNTER_GPA, MAILBOX_GPA, CODE_GPA,
		THP_GPA, thp_backed(vm));
	fprintf(f, "TOKEN_RW=%s\nTOKEN_RO=%s\nTOKEN_BOUND_OTHER=%s\n"
		"TOKEN_EXPIRED=%s\nTOKEN_REVOKED=%s\nGRANT_ERROR=%s\n",
		rw, ro, other, expired, revoked, err ?: "");
	fprintf(f, "SELFTEST=%s\nREADY=1\n", selftest);
	if (fclose(f))
		die("%s: %s", tmp, strerror(errno));
	if (rename(tmp, info_path))
		die("rename %s: %s", tmp, strerror(errno));
}

static void append_info(const char *line)
{
	FILE *f = fopen(info_path, "a");

	if (f) {
		fprintf(f, "%s\n", line);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	struct target_vm vm = { .kvm_fd = -1 };
	const char *selftest;
	unsigned int wait_s = START_WAIT_S;
	int tokens = 1, sig, i;
	sigset_t set;

	for (i = 1; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--no-tokens"))
			tokens = 0;
		else if (!strcmp(argv[i], "--start-wait") && i + 2 < argc)
			wait_s = strtoul(argv[++i], NULL, 0);
		else
			break;
	}
	if (i != argc - 1 || !wait_s) {
		fprintf(stderr,
			"usage: target_vm [--no-tokens] [--start-wait SECONDS] INFO_FILE\n");
		return 1;
	}
	info_path = argv[i];

	/* Only the main thread takes these, in sigwait(). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGRTMIN);

	vm_create(&vm);
	vm_start(&vm);
	selftest = vm_selftest(&vm, wait_s);
	write_info(&vm, tokens, selftest);
	fprintf(stderr, "target_vm: pid %d running, selftest %s\n",
		(int)getpid(), selftest);
	alarm(LIFETIME_S);

	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		switch (sig) {
		case SIGUSR1:
			vm_destroy(&vm);
			append_info("DESTROYED=1");
			fprintf(stderr, "target_vm: VM destroyed\n");
			break;
		case SIGUSR2:
			_exit(0);
		case SIGALRM:
			fprintf(stderr, "target_vm: lifetime over\n");
			return 1;
		default:
			vm_destroy(&vm);
			return 0;
		}
	}
}
