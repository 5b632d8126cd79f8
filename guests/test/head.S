/*
 * Image header and entry. The header is the Linux arm64 one so that any
 * loader that boots Linux boots this guest too; the entry code gets from
 * "MMU off, anywhere in RAM" to C with relocations applied, bss zeroed,
 * a stack and vectors.
 */

	.section .head.text, "ax"
	.globl	_start
_start:
	b	entry			/* code0 */
	.long	0			/* code1 */
	.quad	0x80000			/* text_offset */
	/*
	 * image_size, text to end of stack. As two 32-bit halves because
	 * a 64-bit absolute value would become a dynamic relocation, and
	 * the header is read before anything is relocated.
	 */
	.long	_image_size_lo, _image_size_hi
	.quad	0xa			/* LE, 4K pages, any 2 MiB-aligned base */
	.quad	0, 0, 0
	.ascii	"ARM\x64"
	.long	0

	.text
entry:
	/* Before anything else: this value is the boot-time benchmark. */
	mrs	x19, cntpct_el0
	mov	x20, x0			/* DTB address */
	mov	x21, #0			/* 1: we were started at EL2 */
	/* x1-x3 as the loader left them: the boot protocol says zero. */
	mov	x22, x1
	mov	x23, x2
	mov	x24, x3

	mrs	x9, CurrentEL
	cmp	x9, #(2 << 2)
	b.ne	el1_entry
	/*
	 * No hypervisor under us (QEMU with virtualization=on): carry on at
	 * EL1 so that the code under test is the same as in a VM.
	 */
	mov	x9, #(1 << 31)		/* HCR_EL2.RW, and no traps or stage 2 */
	msr	hcr_el2, x9
	mov	x9, #3			/* EL1PCTEN | EL1PCEN: counters at EL1 */
	msr	cnthctl_el2, x9
	msr	cntvoff_el2, xzr
	mov	x9, #0x33ff		/* CPTR_EL2 RES1 bits, no traps */
	msr	cptr_el2, x9
	mov	x9, #0x3c5		/* EL1h, DAIF masked */
	msr	spsr_el2, x9
	adr	x9, el1_entry
	msr	elr_el2, x9
	mov	x21, #1
	eret

el1_entry:
	/* Linked at 0: every absolute pointer needs the load address added. */
	adrp	x9, _start
	add	x9, x9, :lo12:_start
	adrp	x10, __rela_start
	add	x10, x10, :lo12:__rela_start
	adrp	x11, __rela_end
	add	x11, x11, :lo12:__rela_end
1:	cmp	x10, x11
	b.hs	2f
	ldp	x12, x13, [x10], #16	/* r_offset, r_info */
	ldr	x14, [x10], #8		/* r_addend */
	cmp	w13, #1027		/* R_AARCH64_RELATIVE; the link allows no other */
	b.ne	1b
	add	x14, x14, x9
	str	x14, [x12, x9]
	b	1b

2:	adrp	x9, __bss_start
	add	x9, x9, :lo12:__bss_start
	adrp	x10, __bss_end
	add	x10, x10, :lo12:__bss_end
3:	cmp	x9, x10
	b.hs	4f
	stp	xzr, xzr, [x9], #16
	b	3b

4:	adrp	x9, entry_regs		/* bss is clear now: keep x0-x3 there */
	add	x9, x9, :lo12:entry_regs
	stp	x20, x22, [x9]
	stp	x23, x24, [x9, #16]

	adrp	x9, __stack_top
	add	x9, x9, :lo12:__stack_top
	mov	sp, x9
	adrp	x9, vectors
	add	x9, x9, :lo12:vectors
	msr	vbar_el1, x9
	isb

	mov	x0, x20
	mov	x1, x19
	mov	x2, x21
	bl	guest_main
5:	wfi
	b	5b
