/*
 * void trap_regs_fixed_run(u64 addr, u64 out[32][32]): the hypervisor's
 * vector answers a 32-bit load of a constant register (GICD_IIDR at `addr`)
 * itself and puts the value in the load's target register. For each target
 * n (x0-x30, and wzr as 31): every register x0-x30 given 0x2000 + its
 * number, the base register (x28, or x27 when n is 28) given `addr`, one
 * `ldr wN, [base]`, and then x0-x30 as they are go to out[n][0..30].
 */

/* One target: `dst` the load's register, `b` the base register's number. */
.macro one dst, b
	.irp m, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	mov	x\m, #(0x2000 + \m)
	.endr
	ldr	x\b, [sp, #96]
	ldr	\dst, [x\b]
	sub	sp, sp, #256
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	ldr	x0, [sp, #256 + 104]	/* out's row */
	mov	x1, #0
1:	ldr	x2, [sp, x1]
	str	x2, [x0, x1]
	add	x1, x1, #8
	cmp	x1, #248
	b.ne	1b
	add	x0, x0, #256
	str	x0, [sp, #256 + 104]
	add	sp, sp, #256
.endm

	.text
	.globl	trap_regs_fixed_run
trap_regs_fixed_run:
	stp	x29, x30, [sp, #-112]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	stp	x0, x1, [sp, #96]	/* addr, and out's row (moved on by each) */
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27
	one	w\n, 28
	.endr
	one	w28, 27
	one	w29, 28
	one	w30, 28
	one	wzr, 28
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #112
	ret
