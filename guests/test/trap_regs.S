/*
 * void trap_regs_run(u64 id0, u64 out[32]): every general register given a
 * value of its own (x28 = id0, the address of the PL011's PeriphID0, which
 * reads 0x11), then the traps the hypervisor takes by different paths:
 *   a Bulkhead NOP hypercall (answered in its exception vector),
 *   SMCCC_VERSION (its C fast path),
 *   a load of PeriphID0 into w7 (the fast path's MMIO) and into w25 (a
 *   register the fast path has not saved: the full path),
 * and x0-x30 as they are after that go to out[0..30], the NOP's result to
 * out[31], for the C side to check.
 */
	.text
	.globl	trap_regs_run
trap_regs_run:
	stp	x29, x30, [sp, #-112]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	str	x1, [sp, #96]
	mov	x28, x0
	.irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,29,30
	mov	x\n, #(0x1000 + \n)
	.endr
	movz	w0, #0xc600, lsl #16	/* BH_HC_NOP */
	hvc	#0
	stp	x0, x1, [sp, #-16]!	/* the NOP's result, checked below */
	movz	w0, #0x8000, lsl #16	/* SMCCC_VERSION */
	hvc	#0
	ldr	w7, [x28]
	ldr	w25, [x28]
	stp	x0, x1, [sp, #-16]!	/* SMCCC_VERSION's x0, and x1 */
	ldr	x0, [sp, #32 + 96]	/* out */
	.irp n, 2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	str	x\n, [x0, #8 * \n]
	.endr
	ldp	x1, x2, [sp]
	stp	x1, x2, [x0]
	ldr	x1, [sp, #16]
	str	x1, [x0, #8 * 31]	/* the NOP's result */
	add	sp, sp, #32
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #112
	ret
