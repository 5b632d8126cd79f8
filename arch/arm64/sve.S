/*
 * Saving and loading a vCPU's SVE registers (vsve.c decides when). They run
 * at EL2 with CPTR_EL2.TZ clear and ZCR_EL2 set for the vCPU's VM, so the
 * vector length here is the largest the VM may use: a guest's ZCR_EL1 only
 * shortens it, and its whole state fits the VM's save area at any length.
 *
 * The save area, addressed in units of the vector length (VL bytes; a
 * predicate is VL / 8 bytes):
 *   Z0-Z31   32 * VL
 *   P0-P15   16 * VL / 8
 *   FFR      VL / 8
 * FPSR and FPCR stay in struct arch_fpsimd (fpsimd.S), whose V registers are
 * the low 128 bits of these Z registers.
 */
#include "asm_macros.h"
	.arch_extension sve
	.text

/* x1 = where P0 goes: 32 vector lengths past x0 (ADDVL takes at most 31). */
.macro preds_base
	addvl	x1, x0, #16
	addvl	x1, x1, #16
.endm

	.globl sve_save
sve_save:			/* x0 = save area */
	bti_c
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	str	z\n, [x0, #\n, mul vl]
	.endr
	preds_base
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	str	p\n, [x1, #\n, mul vl]
	.endr
	rdffr	p0.b			/* P0 is saved: free to carry FFR */
	str	p0, [x1, #16, mul vl]
	ldr	p0, [x1, #0, mul vl]	/* the guest's P0 back: the CPU may go on running it */
	ret

	.globl sve_load
sve_load:			/* x0 = save area */
	bti_c
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ldr	z\n, [x0, #\n, mul vl]
	.endr
	preds_base
	ldr	p0, [x1, #16, mul vl]	/* FFR first, through P0 */
	wrffr	p0.b
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	ldr	p\n, [x1, #\n, mul vl]
	.endr
	ret

	.globl sve_vl_bytes
sve_vl_bytes:			/* the vector length at EL2 now, in bytes */
	bti_c
	rdvl	x0, #1
	ret
