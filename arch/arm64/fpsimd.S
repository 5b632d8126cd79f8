/*
 * Saving and restoring a vCPU's FP/SIMD registers. Bulkhead itself never
 * touches them (it is built with -mgeneral-regs-only): they are saved when a
 * vCPU leaves its CPU and restored only when the CPU's registers may hold
 * something else (arch_vcpu_run). The layout of struct arch_fpsimd comes from
 * asm_offsets.h.
 */
#include "asm_macros.h"
#include "asm_offsets.h"

.if FPSIMD_Q != 0
.error "struct arch_fpsimd: q[] must come first (v0-v31 are stored at 16 * n)"
.endif

	.arch_extension fp
	.arch_extension simd
	.text
	.globl fpsimd_save
fpsimd_save:			/* x0 = struct arch_fpsimd * */
	bti_c
	stp	q0, q1, [x0, #0x000]
	stp	q2, q3, [x0, #0x020]
	stp	q4, q5, [x0, #0x040]
	stp	q6, q7, [x0, #0x060]
	stp	q8, q9, [x0, #0x080]
	stp	q10, q11, [x0, #0x0a0]
	stp	q12, q13, [x0, #0x0c0]
	stp	q14, q15, [x0, #0x0e0]
	stp	q16, q17, [x0, #0x100]
	stp	q18, q19, [x0, #0x120]
	stp	q20, q21, [x0, #0x140]
	stp	q22, q23, [x0, #0x160]
	stp	q24, q25, [x0, #0x180]
	stp	q26, q27, [x0, #0x1a0]
	stp	q28, q29, [x0, #0x1c0]
	stp	q30, q31, [x0, #0x1e0]
	mrs	x1, fpsr
	mrs	x2, fpcr
	str	x1, [x0, #FPSIMD_FPSR]
	str	x2, [x0, #FPSIMD_FPCR]
	ret

	.globl fpsimd_restore
fpsimd_restore:			/* x0 = struct arch_fpsimd * */
	bti_c
	ldp	q0, q1, [x0, #0x000]
	ldp	q2, q3, [x0, #0x020]
	ldp	q4, q5, [x0, #0x040]
	ldp	q6, q7, [x0, #0x060]
	ldp	q8, q9, [x0, #0x080]
	ldp	q10, q11, [x0, #0x0a0]
	ldp	q12, q13, [x0, #0x0c0]
	ldp	q14, q15, [x0, #0x0e0]
	ldp	q16, q17, [x0, #0x100]
	ldp	q18, q19, [x0, #0x120]
	ldp	q20, q21, [x0, #0x140]
	ldp	q22, q23, [x0, #0x160]
	ldp	q24, q25, [x0, #0x180]
	ldp	q26, q27, [x0, #0x1a0]
	ldp	q28, q29, [x0, #0x1c0]
	ldp	q30, q31, [x0, #0x1e0]
	ldr	x1, [x0, #FPSIMD_FPSR]
	ldr	x2, [x0, #FPSIMD_FPCR]
	msr	fpsr, x1
	msr	fpcr, x2
	ret
