/* What vectors.S saves when Bulkhead itself takes an exception (hv_panic.c prints it). */
#ifndef BULKHEAD_ARM64_HV_FRAME_H
#define BULKHEAD_ARM64_HV_FRAME_H

#include "types.h"

/* Built on the stack by vectors.S's hv_exception (offsets: asm_offsets.h). */
struct arm64_hv_frame {
	u64 x[30];
	u64 lr;
	u64 sp;    /* stored with lr by one stp: keep them adjacent */
	u64 elr;
	u64 spsr;  /* stored with elr by one stp: keep them adjacent */
};

/* arm64_hv_exception's kind beyond the vector's eight: vectors.S found the
 * stack run into its guard page. */
#define HV_KIND_STACK_OVERFLOW 8

void arm64_hv_exception(struct arm64_hv_frame *f, u64 kind);

#endif
