/* A vCPU's self-hosted debug registers while it is off the CPU (vdebug.c). */
#ifndef BULKHEAD_ARM64_VDEBUG_STATE_H
#define BULKHEAD_ARM64_VDEBUG_STATE_H

#include "types.h"

#define VDEBUG_MAX_PAIRS 16

/*
 * All zero is the reset state (arch_vcpu_reset zeroes it): debug not used
 * yet, so its registers trap; OS lock locked, as after a cold reset.
 */
struct arch_debug {
	bool used;         /* touched a debug register: owns the real ones while it runs */
	bool os_unlocked;  /* OSLSR_EL1.OSLK clear */
	u32 loaded_on;     /* 1 + the CPU whose registers hold this state; 0: none */
	u64 mdscr, mdccint, osdlr;
	u64 bvr[VDEBUG_MAX_PAIRS], bcr[VDEBUG_MAX_PAIRS];
	u64 wvr[VDEBUG_MAX_PAIRS], wcr[VDEBUG_MAX_PAIRS];
};

#endif
