/* Counting bits, without libgcc (the hypervisor links none). */
#ifndef BULKHEAD_LIB_BITS_H
#define BULKHEAD_LIB_BITS_H

#include "types.h"

/* How many bits of `x` are set: one step per set bit, for the small masks
 * of interrupts and list registers it is used on. */
static inline u32 bits_set(u32 x)
{
	u32 n = 0;

	for (; x; x &= x - 1)
		n++;
	return n;
}

#endif
