/*
 * Entry of a vCPU started by PSCI CPU_ON: MMU off, x0 = context id. Each
 * secondary gets its own stack (by MPIDR Aff0), vCPU 0's vectors, and the
 * translation registers vCPU 0 left in smp_boot (cleaned to the point of
 * coherency, since they are read here with the caches off); then C.
 */

#define NR_SECONDARY_STACKS 3		/* Aff0 1..3; SMP_MAX_CPUS in gic.h is 4 */
#define STACK_SHIFT 14			/* 16 KiB each */

	.text
	.globl	secondary_entry
secondary_entry:
	mov	x19, x0
	mrs	x9, mpidr_el1
	and	x9, x9, #0xff
	cbz	x9, park		/* vCPU 0 never comes here */
	cmp	x9, #NR_SECONDARY_STACKS
	b.hi	park
	adrp	x10, secondary_stacks
	add	x10, x10, :lo12:secondary_stacks
	lsl	x9, x9, #STACK_SHIFT
	add	sp, x10, x9		/* top of slot Aff0 - 1 */

	adrp	x11, secondary_stage	/* progress, for vCPU 0's report */
	add	x11, x11, :lo12:secondary_stage
	mov	w12, #1
	str	w12, [x11]
	adrp	x10, vectors
	add	x10, x10, :lo12:vectors
	msr	vbar_el1, x10

	adrp	x10, smp_boot
	add	x10, x10, :lo12:smp_boot
	ldp	x1, x2, [x10]		/* MAIR, TCR */
	ldp	x3, x4, [x10, #16]	/* TTBR0, SCTLR */
	msr	mair_el1, x1
	msr	tcr_el1, x2
	msr	ttbr0_el1, x3
	isb
	tlbi	vmalle1
	dsb	nsh
	ic	iallu
	dsb	nsh
	isb
	msr	sctlr_el1, x4
	isb

	mov	w12, #2
	str	w12, [x11]
	mov	x0, x19
	bl	secondary_main
park:
	wfi
	b	park

	.section .bss.secondary_stacks, "aw", %nobits
	.balign	16
secondary_stacks:
	.space	NR_SECONDARY_STACKS << STACK_SHIFT
