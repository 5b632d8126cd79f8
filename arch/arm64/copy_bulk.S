/*
 * arch_copy_bulk(dst, src, len): memcpy for the disk's data, 64 bytes an
 * instruction with Advanced SIMD LD1/ST1 of four registers. Under -icount
 * every instruction of a copy is a nanosecond of the guest's I/O time, and
 * the C memcpy (LDP/STP of x registers) needs four times as many.
 *
 * Why this is safe at EL2 although Bulkhead is built -mgeneral-regs-only:
 *  - CPTR_EL2.TFP is clear (cpu.c), so EL2 may use FP/SIMD.
 *  - The V registers may hold a guest's live state: a vCPU re-entered
 *    "warm" is not given its saved FP/SIMD back (vcpu.c still_loaded), and
 *    a trap handled inside __guest_enter runs with the guest's registers
 *    still in the CPU. So every V register used here is saved on the stack
 *    first and restored before returning; an interrupt handler that copies
 *    in the middle of a copy saves and restores them in turn.
 *  - With SVE, writing a V register zeroes the rest of its Z register. When
 *    CPTR_EL2.TZ is clear the CPU's Z registers may hold a guest's SVE state
 *    (vsve.c), so the whole of z0-z7 is saved instead, at EL2's vector
 *    length, which is the longest that guest may use (at most 2 KiB of
 *    stack). Without SVE, TZ is RES1 and reads as 1.
 *  - LD1/ST1 and LDP/STP of Q registers do no arithmetic: FPSR and FPCR are
 *    neither read nor written.
 *  - Alignment: with SCTLR_EL2.A set, an access is checked against the size
 *    of its data elements; the elements here are bytes (.16b), so no
 *    address can fault, even if alignment checking is turned on. Both
 *    buffers are Normal memory (guest RAM, bounce buffers), where unaligned
 *    accesses are allowed; Device memory never comes here.
 *  - Only non-overlapping buffers, like memcpy: the last 64 bytes are
 *    copied as one block ending at the end, which may copy again bytes
 *    already copied (the same values, since src is not written).
 *
 * Below BULK_MIN bytes the save and restore would cost more than they win:
 * those copies are memcpy's.
 */
#include "asm_macros.h"
	.arch_extension fp
	.arch_extension simd
	.arch_extension sve

#define BULK_MIN 256
#define CPTR_TZ_BIT 8

	.text
	.globl arch_copy_bulk
	.type arch_copy_bulk, %function
arch_copy_bulk:			/* x0 = dst, x1 = src, x2 = len */
	bti_c
	cmp	x2, #BULK_MIN
	b.lo	memcpy
	mrs	x5, cptr_el2
	tbz	x5, #CPTR_TZ_BIT, copy_keep_z
	stp	q0, q1, [sp, #-128]!
	stp	q2, q3, [sp, #32]
	stp	q4, q5, [sp, #64]
	stp	q6, q7, [sp, #96]
	mov	x6, x30
	bl	copy_loop
	mov	x30, x6
	ldp	q2, q3, [sp, #32]
	ldp	q4, q5, [sp, #64]
	ldp	q6, q7, [sp, #96]
	ldp	q0, q1, [sp], #128
	ret

copy_keep_z:
	addvl	sp, sp, #-8
	.irp n, 0,1,2,3,4,5,6,7
	str	z\n, [sp, #\n, mul vl]
	.endr
	mov	x6, x30
	bl	copy_loop
	mov	x30, x6
	.irp n, 0,1,2,3,4,5,6,7
	ldr	z\n, [sp, #\n, mul vl]
	.endr
	addvl	sp, sp, #8
	ret
	.size arch_copy_bulk, . - arch_copy_bulk

/* The copy itself (len >= 256): uses x0-x4 and v0-v7, saves nothing. */
	.type copy_loop, %function
copy_loop:
	add	x3, x1, x2		/* end of src */
	add	x4, x0, x2		/* end of dst */
	sub	x2, x2, #256		/* len >= 256: at least one pass */
1:	ld1	{v0.16b-v3.16b}, [x1], #64
	ld1	{v4.16b-v7.16b}, [x1], #64
	st1	{v0.16b-v3.16b}, [x0], #64
	st1	{v4.16b-v7.16b}, [x0], #64
	ld1	{v0.16b-v3.16b}, [x1], #64
	ld1	{v4.16b-v7.16b}, [x1], #64
	st1	{v0.16b-v3.16b}, [x0], #64
	st1	{v4.16b-v7.16b}, [x0], #64
	subs	x2, x2, #256
	b.hs	1b
	adds	x2, x2, #256 - 64	/* what is left (0-255), less one block */
	b.lo	3f
2:	ld1	{v0.16b-v3.16b}, [x1], #64
	st1	{v0.16b-v3.16b}, [x0], #64
	subs	x2, x2, #64
	b.hs	2b
3:	/* 0-63 bytes left: the last 64 of the buffer, ending where it ends. */
	sub	x3, x3, #64
	sub	x4, x4, #64
	ld1	{v0.16b-v3.16b}, [x3]
	st1	{v0.16b-v3.16b}, [x4]
	ret
	.size copy_loop, . - copy_loop
