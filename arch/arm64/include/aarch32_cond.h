/* Conditions of trapped AArch32 instructions; see aarch32_cond.c. */
#ifndef BULKHEAD_ARM64_AARCH32_COND_H
#define BULKHEAD_ARM64_AARCH32_COND_H

#include "types.h"

/* False when the trapped instruction's condition failed: skip it. */
bool aarch32_condition_passed(u64 esr, u64 spsr);
/* SPSR with ITSTATE moved past one instruction of a T32 IT block. */
u64 aarch32_it_advance(u64 spsr);

#endif
