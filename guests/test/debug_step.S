/*
 * A short sequence to single-step: step_sequence(spsr) enters step_first by
 * ERET with SPSR_EL1 = spsr (SS set: one instruction, then a software step
 * exception at each boundary). The MRS of an ID register traps to the
 * hypervisor (HCR_EL2.TID3), which emulates it: it must count as one step
 * like any other instruction.
 */
	.text
	.globl	step_sequence
	.globl	step_first
	.globl	step_end
step_sequence:
	adr	x1, step_first
	msr	elr_el1, x1
	msr	spsr_el1, x0
	mov	x0, #0
	isb
	eret
step_first:
	add	x0, x0, #1
	mrs	x2, id_aa64dfr0_el1
	add	x0, x0, #2
	add	x0, x0, #3
step_end:
	ret
