// SPDX-License-Identifier: GPL-2.0
/* Guest code of the bench's tiny VMs, assembled by hand: real or flat 32-bit mode. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bench.h"
#include "tvm_code.h"

#define X86_CR0_PE	BIT(0)
#define X86_CR0_MP	BIT(1)
#define X86_CR0_EM	BIT(2)
#define X86_CR0_TS	BIT(3)
#define X86_CR0_PG	BIT(31)
#define X86_CR4_OSFXSR		BIT(9)
#define X86_CR4_OSXMMEXCPT	BIT(10)

void code_start(struct code *c, bool pm32)
{
	c->n = 0;
	c->pm32 = pm32;
}

void emit(struct code *c, int n, ...)
{
	va_list ap;

	if (c->n + n > (int)sizeof(c->b))
		die("tiny VM code: more than %zu bytes", sizeof(c->b));
	va_start(ap, n);
	while (n--)
		c->b[c->n++] = va_arg(ap, int);
	va_end(ap);
}

/* The operand- and address-size prefixes that real mode needs. */
static void o32(struct code *c)
{
	if (!c->pm32)
		emit(c, 1, 0x66);
}

static void a32(struct code *c)
{
	if (!c->pm32)
		emit(c, 1, 0x67);
}

static void imm32(struct code *c, uint32_t v)
{
	emit(c, 4, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24);
}

void hlt(struct code *c)
{
	emit(c, 1, 0xf4);
}

void mov32(struct code *c, int reg, uint32_t imm)
{
	o32(c);
	emit(c, 1, 0xb8 + reg);
	imm32(c, imm);
}

void add32(struct code *c, int reg, uint32_t imm)
{
	o32(c);
	emit(c, 2, 0x81, 0xc0 + reg);
	imm32(c, imm);
}

void cmp32(struct code *c, int reg, uint32_t imm)
{
	o32(c);
	emit(c, 2, 0x81, 0xf8 + reg);
	imm32(c, imm);
}

void cmp_reg(struct code *c, int a, int b)
{
	o32(c);
	emit(c, 2, 0x39, 0xc0 | (b << 3) | a);
}

void load32(struct code *c, int reg, int base)
{
	o32(c);
	a32(c);
	emit(c, 2, 0x8b, (reg << 3) | base);
}

void store32(struct code *c, int base, int reg)
{
	o32(c);
	a32(c);
	emit(c, 2, 0x89, (reg << 3) | base);
}

/* modrm 00 reg 101: [disp32] with a 32-bit address size */
void load_abs(struct code *c, int reg, uint32_t addr)
{
	o32(c);
	a32(c);
	emit(c, 2, 0x8b, (reg << 3) | 5);
	imm32(c, addr);
}

void store_abs(struct code *c, uint32_t addr, int reg)
{
	o32(c);
	a32(c);
	emit(c, 2, 0x89, (reg << 3) | 5);
	imm32(c, addr);
}

void dec_abs(struct code *c, uint32_t addr)
{
	o32(c);
	a32(c);
	emit(c, 2, 0xff, (1 << 3) | 5);
	imm32(c, addr);
}

void dec32(struct code *c, int reg)
{
	o32(c);
	emit(c, 1, 0x48 + reg);
}

/* movdqu xmm@x, [@base + @disp] if @load, else movdqu [@base + @disp], xmm@x */
static void movdqu(struct code *c, bool load, int x, int base, uint8_t disp)
{
	uint8_t op = load ? 0x6f : 0x7f, modrm = (x << 3) | base;

	if (disp)
		emit(c, 5, 0xf3, 0x0f, op, 0x40 | modrm, disp);
	else
		emit(c, 4, 0xf3, 0x0f, op, modrm);
}

/*
 * Not rep movsd: TCG emulates a rep movs element by element (8.7 us per
 * 4 KiB in the nested guest, this loop 3.5-4.9 us), its SSE moves 16 bytes
 * at a time.
 */
void sse_copy64(struct code *c)
{
	int top = c->n, x;

	if (!c->pm32)
		die("tiny VM code: the SSE copy is for flat mode");
	for (x = 0; x < 4; x++)
		movdqu(c, true, x, ESI, 16 * x);
	for (x = 0; x < 4; x++)
		movdqu(c, false, x, EDI, 16 * x);
	emit(c, 6, 0x83, 0xc0 + ESI, 64, 0x83, 0xc0 + EDI, 64);
	dec32(c, ECX);
	jnz_to(c, top);
}

void out8(struct code *c, uint8_t port)
{
	emit(c, 2, 0xe6, port);
}

void vmmcall(struct code *c)
{
	emit(c, 3, 0x0f, 0x01, 0xd9);
}

void hypercall(struct code *c, uint32_t nr, uint32_t a0, uint32_t a1,
	       uint32_t a2, uint32_t a3)
{
	mov32(c, EAX, nr);
	mov32(c, EBX, a0);
	mov32(c, ECX, a1);
	mov32(c, EDX, a2);
	mov32(c, ESI, a3);
	vmmcall(c);
}

int bail_if_error(struct code *c)
{
	o32(c);
	emit(c, 4, 0x85, 0xc0, 0x75, 0x00);
	return c->n - 1;
}

/* A backward jump: rel8 if it fits, else rel32 (flat mode). */
static void jump_back(struct code *c, int top, uint8_t op8, uint8_t op32a,
		      int op32b)
{
	int rel = top - (c->n + 2);

	if (rel >= -128) {
		emit(c, 2, op8, (uint8_t)rel);
		return;
	}
	if (!c->pm32)
		die("tiny VM code: jump too far for real mode");
	if (op32b >= 0) {
		emit(c, 2, op32a, op32b);
		imm32(c, top - (c->n + 4));
	} else {
		emit(c, 1, op32a);
		imm32(c, top - (c->n + 4));
	}
}

void loop_to(struct code *c, int top)
{
	dec32(c, EDI);
	jnz_to(c, top);
}

void jnz_to(struct code *c, int top)
{
	jump_back(c, top, 0x75, 0x0f, 0x85);
}

void jmp_to(struct code *c, int top)
{
	jump_back(c, top, 0xeb, 0xe9, -1);
}

void patch_to_here(struct code *c, int at)
{
	c->b[at] = c->n - (at + 1);
}

int jnz_fwd32(struct code *c)
{
	if (!c->pm32)
		die("tiny VM code: rel32 jump in real mode");
	emit(c, 6, 0x0f, 0x85, 0, 0, 0, 0);
	return c->n - 4;
}

void patch32_to_here(struct code *c, int at)
{
	uint32_t rel = c->n - (at + 4);

	memcpy(c->b + at, &rel, 4);
}

int code_load(struct tiny_vm *vm, const struct code *c,
	      struct kvm_regs *regs)
{
	struct kvm_segment seg = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10,
		.type = 3, .present = 1, .dpl = 0, .db = 1, .s = 1, .g = 1,
	};
	struct kvm_sregs sregs;

	memcpy(vm->ram + TVM_CODE_GPA, c->b, c->n);
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs))
		return -errno;
	if (c->pm32) {
		/* Read/write data, then execute/read code, accessed. */
		sregs.ds = seg;
		sregs.es = seg;
		sregs.fs = seg;
		sregs.gs = seg;
		sregs.ss = seg;
		seg.type = 11;
		seg.selector = 0x8;
		sregs.cs = seg;
		/* SSE for sse_copy64(): no emulation, no lazy FPU trap. */
		sregs.cr0 |= X86_CR0_PE | X86_CR0_MP;
		sregs.cr0 &= ~(__u64)(X86_CR0_PG | X86_CR0_EM | X86_CR0_TS);
		sregs.cr4 |= X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	} else {
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		sregs.ds.base = 0;
		sregs.ds.selector = 0;
	}
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs))
		return -errno;
	regs->rip = TVM_CODE_GPA;
	regs->rflags = 2;
	return ioctl(vm->vcpu_fd, KVM_SET_REGS, regs) ? -errno : 0;
}

int run_code(struct tiny_vm *vm, const struct code *c, struct kvm_regs *regs)
{
	int err = code_load(vm, c, regs);

	if (err)
		return err;
	if (ioctl(vm->vcpu_fd, KVM_RUN, 0))
		return -errno;
	if (vm->run->exit_reason != KVM_EXIT_HLT)
		return -EIO;
	return ioctl(vm->vcpu_fd, KVM_GET_REGS, regs) ? -errno : 0;
}
