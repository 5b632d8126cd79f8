/*
 * The target of debug-fault's no-pad kind (debug_fault.c): a function whose
 * landing pad is its first instruction only. A call to the second lands on
 * no pad, which FEAT_BTI refuses on Bulkhead's guarded text; a CPU without
 * it runs on and returns 1.
 */
#include "asm_macros.h"

	.text
	.globl arm64_bti_padded
arm64_bti_padded:
	bti_c
	.globl arm64_bti_past_pad
arm64_bti_past_pad:
	mov	x0, #1
	ret
