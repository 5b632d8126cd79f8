/*
 * Where UEFI starts the image (the PE entry point, efi_header.S): x0 = image
 * handle, x1 = system table, MMU and caches on, EL2 (or EL1 on firmware that
 * keeps EL2 to itself). efi_main() does the firmware's part; then the MMU
 * and data cache go off, as the Linux boot protocol that primary_entry
 * expects requires, and the normal boot path runs with x0 = the device tree.
 */
#include "asm_macros.h"

#define SCTLR_M		(1 << 0)
#define SCTLR_C		(1 << 2)
#define CURRENTEL_EL2	(2 << 2)
#define EFI_LOAD_ERROR	0x8000000000000001

	.text
	.globl efi_entry
efi_entry:
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	adr_l	x2, _start
	bl	efi_main		/* the DTB, or 0 if boot services are still ours */
	cbz	x0, 9f
	mov	x19, x0
	/* the image and DTB are clean to PoC; nothing after this needs the stack */
	mrs	x1, CurrentEL
	cmp	x1, #CURRENTEL_EL2
	b.ne	1f
	mrs	x1, sctlr_el2
	bic	x1, x1, #SCTLR_M
	bic	x1, x1, #SCTLR_C
	msr	sctlr_el2, x1
	b	2f
	/* at EL1 primary_entry only prints why it cannot run: same protocol */
1:	mrs	x1, sctlr_el1
	bic	x1, x1, #SCTLR_M
	bic	x1, x1, #SCTLR_C
	msr	sctlr_el1, x1
2:	isb
	bl	dcache_clean_invalidate_all
	ic	iallu
	dsb	nsh
	isb
	mov	x0, x19
	b	primary_entry

	/* the firmware still runs: hand it the error (efi_main said why) */
9:	ldr	x0, =EFI_LOAD_ERROR
	ldp	x29, x30, [sp], #16
	ret

/*
 * Clean and invalidate every data and unified cache level up to the Level of
 * Coherence, by set/way. UEFI ran with caches on: a dirty line it left, or
 * one fetched by speculation, could otherwise be written back later over
 * what the boot path writes with the MMU off (page tables, bitmaps, the
 * relocated image), or be read instead of it once the MMU is on again.
 * Caches are off by now, so nothing allocates behind the walk. This CPU is
 * the only one running. Uses x0-x15 and no stack.
 */
dcache_clean_invalidate_all:
	dsb	sy
	mrs	x0, clidr_el1
	ubfx	x1, x0, #24, #3		/* LoC */
	mrs	x9, id_aa64mmfr2_el1
	ubfx	x9, x9, #20, #4		/* CCIDX: CCSIDR_EL1 in its 64-bit layout */
	mov	x10, #0			/* cache level, from 0 */
3:	cmp	x10, x1
	b.ge	8f
	add	x3, x10, x10, lsl #1
	lsr	x4, x0, x3
	and	x4, x4, #7		/* Ctype<n>: 2 and up hold data */
	cmp	x4, #2
	b.lt	7f
	lsl	x5, x10, #1		/* CSSELR_EL1 and DC CISW: level in bits [3:1] */
	msr	csselr_el1, x5
	isb
	mrs	x6, ccsidr_el1
	and	x7, x6, #7
	add	x7, x7, #4		/* log2 of the line size in bytes */
	cbz	x9, 4f
	ubfx	x8, x6, #3, #21		/* ways - 1 */
	ubfx	x6, x6, #32, #24	/* sets - 1 */
	b	5f
4:	ubfx	x8, x6, #3, #10
	ubfx	x6, x6, #13, #15
5:	clz	w11, w8			/* the way field's shift: 32 - log2(ways) */
	mov	x12, x8			/* way, counting down */
6:	mov	x13, x6			/* set, counting down */
9:	lsl	x14, x12, x11
	lsl	x15, x13, x7
	orr	x14, x14, x15
	orr	x14, x14, x5
	dc	cisw, x14
	subs	x13, x13, #1
	b.ge	9b
	subs	x12, x12, #1
	b.ge	6b
7:	add	x10, x10, #1
	b	3b
8:	dsb	sy
	isb
	ret
