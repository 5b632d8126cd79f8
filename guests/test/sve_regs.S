/*
 * All SVE registers from and to memory, for the sve-keep mode (the guest's C
 * is built without FP/SIMD, so only these touch them). The layout, in units
 * of the vector length VL (a predicate is VL / 8 bytes): Z0-Z31, P0-P15,
 * then FFR.
 */
	.arch_extension sve
	.text

.macro preds_base
	addvl	x1, x0, #16
	addvl	x1, x1, #16
.endm

	.globl sve_vl
sve_vl:				/* the vector length in bytes */
	rdvl	x0, #1
	ret

	.globl sve_load_all
sve_load_all:			/* x0 = the area */
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ldr	z\n, [x0, #\n, mul vl]
	.endr
	preds_base
	ldr	p0, [x1, #16, mul vl]
	wrffr	p0.b
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	ldr	p\n, [x1, #\n, mul vl]
	.endr
	ret

	.globl sve_store_all
sve_store_all:			/* x0 = the area; P0 is put back as it was */
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	str	z\n, [x0, #\n, mul vl]
	.endr
	preds_base
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	str	p\n, [x1, #\n, mul vl]
	.endr
	rdffr	p0.b
	str	p0, [x1, #16, mul vl]
	ldr	p0, [x1, #0, mul vl]
	ret

