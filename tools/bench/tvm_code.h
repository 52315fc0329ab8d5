/* SPDX-License-Identifier: GPL-2.0 */
/* Guest code of the bench's tiny VMs, assembled by hand: real or flat 32-bit mode. */
#ifndef RM_BENCH_TVM_CODE_H
#define RM_BENCH_TVM_CODE_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "tiny_vm.h"

struct code {
	uint8_t b[256];
	int n;
	/*
	 * Flat 32-bit protected mode (no paging, 4 GiB segments) instead of
	 * real mode: all of the guest-physical space is addressable.  In real
	 * mode the emitters add the operand- and address-size prefixes.
	 */
	bool pm32;
};

enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };

/* Empty @c, for code run in real mode or in flat 32-bit mode (@pm32). */
void code_start(struct code *c, bool pm32);
void emit(struct code *c, int n, ...);
void hlt(struct code *c);
/* mov reg, imm32 */
void mov32(struct code *c, int reg, uint32_t imm);
/* add reg, imm32 */
void add32(struct code *c, int reg, uint32_t imm);
/* cmp reg, imm32 */
void cmp32(struct code *c, int reg, uint32_t imm);
/* cmp a, b */
void cmp_reg(struct code *c, int a, int b);
/* mov reg, [base]; mov [base], reg (base: neither esp nor ebp) */
void load32(struct code *c, int reg, int base);
void store32(struct code *c, int base, int reg);
/* mov reg, [addr]; mov [addr], reg; dec dword [addr] */
void load_abs(struct code *c, int reg, uint32_t addr);
void store_abs(struct code *c, uint32_t addr, int reg);
void dec_abs(struct code *c, uint32_t addr);
/* dec reg */
void dec32(struct code *c, int reg);
/*
 * Flat mode only: copy ecx (> 0) blocks of 64 bytes from [esi] to [edi], four
 * movdqu loads and four stores a block (xmm0-xmm3); esi and edi end past
 * them, as after a rep movs, and ecx at 0.
 */
void sse_copy64(struct code *c);
/* out @port, al: a KVM_EXIT_IO to the VMM, which resumes after it. */
void out8(struct code *c, uint8_t port);
void vmmcall(struct code *c);
/* Hypercall @nr with its four arguments in ebx, ecx, edx, esi (KVM's ABI). */
void hypercall(struct code *c, uint32_t nr, uint32_t a0, uint32_t a1,
	       uint32_t a2, uint32_t a3);
/* test eax, eax; jnz (patched later); returns the offset to patch. */
int bail_if_error(struct code *c);
/* dec edi; jnz @top */
void loop_to(struct code *c, int top);
/* jnz / jmp @top, backwards */
void jnz_to(struct code *c, int top);
void jmp_to(struct code *c, int top);
/* Point the rel8 jump of bail_if_error() at the next instruction. */
void patch_to_here(struct code *c, int at);
/* jnz with a rel32 (flat mode only), patched by patch32_to_here(). */
int jnz_fwd32(struct code *c);
void patch32_to_here(struct code *c, int at);

/*
 * Put @c at TVM_CODE_GPA, the vCPU in its mode at its first instruction
 * with @regs: then KVM_RUN runs it.  0 or -errno.
 */
int code_load(struct tiny_vm *vm, const struct code *c,
	      struct kvm_regs *regs);
/* code_load() and KVM_RUN until hlt, then the registers in @regs. */
int run_code(struct tiny_vm *vm, const struct code *c, struct kvm_regs *regs);

#endif /* RM_BENCH_TVM_CODE_H */
