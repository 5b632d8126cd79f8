/*
 * Entry point. The image starts with a Linux arm64 Image header so that QEMU
 * -kernel, U-Boot booti and UEFI loaders start it the way they start Linux
 * or Xen: x0 holds the physical address of the device tree. UEFI enters at
 * efi_entry instead (efi_entry.S), which ends by branching to primary_entry.
 */
#include "asm_macros.h"
#include "hv_stack.h"

	.section .text.head, "ax"
	.globl _start
_start:
	/*
	 * code0: an instruction whose first bytes are "MZ", the DOS magic EFI
	 * loaders look for (ccmp only sets flags; x0 still holds the DTB).
	 */
	ccmp	x18, #0, #0xd, pl
	b	primary_entry		/* code1 */
	.quad	0			/* text_offset: any 2 MiB-aligned base */
	.quad	0			/* image_size: set after linking (tools/set-image-size) */
	.quad	0xa			/* flags: LE, 4K pages, place anywhere */
	.quad	0, 0, 0			/* res2..res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	pe_header - _start	/* res5: offset of the PE header (efi_header.S) */

	/* code goes after the PE headers' page (linker.ld) */
	.text
	.globl primary_entry
primary_entry:
	msr	daifset, #0xf
	mov	x19, x0			/* DTB */
	adr_l	x20, _start		/* where the loader put us */
	bl	apply_relocations
	adr_l	x1, __bss_start
	adr_l	x2, __bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:	adr_l	x1, hv_stacks	/* CPU 0's slot: its stack is the upper half */
	add	x1, x1, #HV_STACK_SLOT
	mov	sp, x1
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x19
	bl	arm64_cfi_boot		/* key and canary, before any function that uses them */
	mov	x0, x19
	mov	x1, x20
	bl	boot_main
3:	wfe
	b	3b

/*
 * We are linked at 0; every absolute pointer in data needs the load base
 * (x20) added to the link-time value the linker left in it. Their offsets
 * are packed as in ELF's RELR (tools/pack-relocs): an even word is the
 * offset of one such pointer; an odd word's bits 1-63 stand for the 63
 * words after the last one covered. Applied once per boot: a second pass
 * would add the base twice.
 */
apply_relocations:
	adr_l	x1, __relr_start
	adr_l	x2, __relr_end
	mov	x3, x20			/* where the next bitmap starts */
1:	cmp	x1, x2
	b.hs	5f
	ldr	x4, [x1], #8
	tbnz	x4, #0, 2f
	add	x5, x20, x4		/* an offset */
	ldr	x6, [x5]
	add	x6, x6, x20
	str	x6, [x5], #8
	mov	x3, x5
	b	1b
2:	lsr	x4, x4, #1		/* a bitmap: bit 0 is the word at x3 */
	mov	x5, x3
3:	cbz	x4, 4f
	tbz	x4, #0, 6f
	ldr	x6, [x5]
	add	x6, x6, x20
	str	x6, [x5]
6:	lsr	x4, x4, #1
	add	x5, x5, #8
	b	3b
4:	add	x3, x3, #(63 * 8)
	b	1b
5:	ret

/*
 * Secondary CPUs arrive here from PSCI CPU_ON, at EL2 with the MMU off and
 * x0 = their logical CPU index (the PSCI context id).
 */
	.globl secondary_entry
secondary_entry:
	msr	daifset, #0xf
	adr_l	x1, secondary_stack_tops
	ldr	x2, [x1, x0, lsl #3]
	mov	sp, x2
	mov	x29, xzr
	mov	x30, xzr
	mov	x19, x0
	bl	arm64_cfi_cpu_init	/* this CPU's key, before any signed return */
	mov	x0, x19
	bl	secondary_main
1:	wfe
	b	1b

