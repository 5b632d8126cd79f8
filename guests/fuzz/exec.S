/*
 * Runs one op with every register set from a known image, and saves every
 * register after it: fuzz_exec(in, out, code). The op runs at EL1t (SP_EL0)
 * so that SP, too, can hold a random value while exceptions still get a
 * good stack (SP_EL1). It is entered by ERET, which also sets NZCV, and
 * returns to fuzz_back through the branch that follows it in its slot;
 * nothing of the caller's is live in between.
 */
#define R_SP	248
#define R_NZCV	256
#define R_DAIF	264
#define R_FPCR	272
#define R_FPSR	280
#define R_V	288
#define R_BACK	800

	.text
	.globl	fuzz_exec
fuzz_exec:
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	msr	tpidrro_el0, x1		/* where fuzz_back stores: no register is free there */
	msr	elr_el1, x2
	ldr	x3, [x0, #R_NZCV]
	ldr	x4, [x0, #R_DAIF]
	orr	x3, x3, x4
	orr	x3, x3, #4		/* EL1t */
	msr	spsr_el1, x3
	ldr	x3, [x0, #R_FPCR]
	msr	fpcr, x3
	ldr	x3, [x0, #R_FPSR]
	msr	fpsr, x3
	add	x3, x0, #R_V
	ldp	q0, q1, [x3], #32
	ldp	q2, q3, [x3], #32
	ldp	q4, q5, [x3], #32
	ldp	q6, q7, [x3], #32
	ldp	q8, q9, [x3], #32
	ldp	q10, q11, [x3], #32
	ldp	q12, q13, [x3], #32
	ldp	q14, q15, [x3], #32
	ldp	q16, q17, [x3], #32
	ldp	q18, q19, [x3], #32
	ldp	q20, q21, [x3], #32
	ldp	q22, q23, [x3], #32
	ldp	q24, q25, [x3], #32
	ldp	q26, q27, [x3], #32
	ldp	q28, q29, [x3], #32
	ldp	q30, q31, [x3], #32
	ldr	x3, [x0, #R_SP]
	msr	sp_el0, x3
	ldp	x2, x3, [x0, #16]
	ldp	x4, x5, [x0, #32]
	ldp	x6, x7, [x0, #48]
	ldp	x8, x9, [x0, #64]
	ldp	x10, x11, [x0, #80]
	ldp	x12, x13, [x0, #96]
	ldp	x14, x15, [x0, #112]
	ldp	x16, x17, [x0, #128]
	ldp	x18, x19, [x0, #144]
	ldp	x20, x21, [x0, #160]
	ldp	x22, x23, [x0, #176]
	ldp	x24, x25, [x0, #192]
	ldp	x26, x27, [x0, #208]
	ldp	x28, x29, [x0, #224]
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0]
	eret

.macro	save_back way
	msr	tpidr_el1, x0
	mrs	x0, tpidrro_el0
	str	x1, [x0, #8]
	stp	x2, x3, [x0, #16]
	stp	x4, x5, [x0, #32]
	stp	x6, x7, [x0, #48]
	stp	x8, x9, [x0, #64]
	stp	x10, x11, [x0, #80]
	stp	x12, x13, [x0, #96]
	stp	x14, x15, [x0, #112]
	stp	x16, x17, [x0, #128]
	stp	x18, x19, [x0, #144]
	stp	x20, x21, [x0, #160]
	stp	x22, x23, [x0, #176]
	stp	x24, x25, [x0, #192]
	stp	x26, x27, [x0, #208]
	stp	x28, x29, [x0, #224]
	str	x30, [x0, #240]
	mrs	x1, tpidr_el1
	str	x1, [x0]
	mov	x1, sp
	str	x1, [x0, #R_SP]
	mrs	x1, nzcv
	str	x1, [x0, #R_NZCV]
	mrs	x1, daif
	str	x1, [x0, #R_DAIF]
	mrs	x1, fpcr
	str	x1, [x0, #R_FPCR]
	mrs	x1, fpsr
	str	x1, [x0, #R_FPSR]
	add	x1, x0, #R_V
	stp	q0, q1, [x1], #32
	stp	q2, q3, [x1], #32
	stp	q4, q5, [x1], #32
	stp	q6, q7, [x1], #32
	stp	q8, q9, [x1], #32
	stp	q10, q11, [x1], #32
	stp	q12, q13, [x1], #32
	stp	q14, q15, [x1], #32
	stp	q16, q17, [x1], #32
	stp	q18, q19, [x1], #32
	stp	q20, q21, [x1], #32
	stp	q22, q23, [x1], #32
	stp	q24, q25, [x1], #32
	stp	q26, q27, [x1], #32
	stp	q28, q29, [x1], #32
	stp	q30, q31, [x1], #32
	mov	x1, #\way
	str	x1, [x0, #R_BACK]
.endm

/*
 * Two ways back from an op, taken by alternate ops (run.c): each says which
 * in `back`, so an op that came back the other way ran a stale copy of the
 * previous op's slot, not what its slot holds now.
 */
	.globl	fuzz_back
	.globl	fuzz_back_odd
fuzz_back:
	save_back 0
	b	1f
fuzz_back_odd:
	save_back 1
1:
	msr	spsel, #1
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	ret
