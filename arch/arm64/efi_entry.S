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
	ic	iallu
	dsb	nsh
	isb
	mov	x0, x19
	b	primary_entry

	/* the firmware still runs: hand it the error (efi_main said why) */
9:	ldr	x0, =EFI_LOAD_ERROR
	ldp	x29, x30, [sp], #16
	ret
