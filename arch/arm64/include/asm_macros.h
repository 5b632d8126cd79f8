/* Assembly helpers shared by arch/arm64 .S files. */
#ifndef BULKHEAD_ASM_MACROS_H
#define BULKHEAD_ASM_MACROS_H

/* PC-relative address of a symbol anywhere within +-4 GiB. */
.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm

/* BTI c: a landing pad for an indirect call (FEAT_BTI guards Bulkhead's text,
 * mmu.c); in the HINT space, so a no-op on CPUs without BTI. */
.macro bti_c
	hint	#34
.endm

#endif
