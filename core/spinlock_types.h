/*
 * The spinlock's layout alone, for structures the arch defines (arch_types.h)
 * that hold a lock: core/spinlock.h, which has the operations, needs arch.h
 * and so cannot be included from there.
 */
#ifndef BULKHEAD_CORE_SPINLOCK_TYPES_H
#define BULKHEAD_CORE_SPINLOCK_TYPES_H

#include "types.h"

struct spinlock {
	u32 next;
	u32 owner;
};

#endif
