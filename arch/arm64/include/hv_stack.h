/*
 * Every CPU's hypervisor stack sits in a slot of its own, aligned to the
 * slot's size: the lower half holds an emergency stack and, just below the
 * stack, a guard page the EL2 mapping leaves out; the upper half is the
 * stack. So SP's bit HV_STACK_SHIFT is 1 on the stack and 0 once it has run
 * into the guard page: vectors.S tells an overflow from any other fault by
 * that bit alone, without touching the stack that overflowed.
 */
#ifndef BULKHEAD_ARM64_HV_STACK_H
#define BULKHEAD_ARM64_HV_STACK_H

#define HV_STACK_SHIFT   14
#define HV_STACK_SIZE    (1 << HV_STACK_SHIFT)       /* 16 KiB */
#define HV_STACK_SLOT    (2 * HV_STACK_SIZE)
#define HV_GUARD_SIZE    4096
#define HV_EMERGENCY_SIZE (HV_STACK_SIZE - HV_GUARD_SIZE)

#ifndef __ASSEMBLY__
#include "types.h"

struct hv_stack_slot {
	u8 emergency[HV_EMERGENCY_SIZE];  /* the panic dump of an overflow runs here */
	u8 guard[HV_GUARD_SIZE];          /* unmapped at EL2 (mmu.c) */
	u8 stack[HV_STACK_SIZE];
};

/* Slot i is CPU i's; head.S starts CPU 0 at the top of slot 0. */
extern struct hv_stack_slot hv_stacks[];

static inline u64 hv_stack_top(u32 cpu)
{
	return (u64)(uintptr_t)(hv_stacks[cpu].stack + HV_STACK_SIZE);
}

static inline u64 hv_emergency_top(u32 cpu)
{
	return (u64)(uintptr_t)(hv_stacks[cpu].emergency + HV_EMERGENCY_SIZE);
}

static inline u64 hv_guard_page(u32 cpu)
{
	return (u64)(uintptr_t)hv_stacks[cpu].guard;
}
#endif

#endif
