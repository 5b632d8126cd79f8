/* Assembly helpers shared by arch/arm64 .S files. */
#ifndef BULKHEAD_ASM_MACROS_H
#define BULKHEAD_ASM_MACROS_H

/* PC-relative address of a symbol anywhere within +-4 GiB. */
.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm

#endif
