/*
 * Ticket spinlock. Waiters sleep in WFE and unlock sends SEV: under QEMU's
 * -icount all CPUs share one host thread, and a spinner that never sleeps
 * would starve the lock holder.
 */
#ifndef BULKHEAD_CORE_SPINLOCK_H
#define BULKHEAD_CORE_SPINLOCK_H

#include "arch.h"
#include "core/spinlock_types.h"

static inline void spin_lock(struct spinlock *l)
{
	u32 me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		arch_wait_event();
}

/* Takes the lock only if nobody holds it or waits for it; never waits. */
static inline bool spin_trylock(struct spinlock *l)
{
	u32 owner = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
	u32 expected = owner;

	return __atomic_compare_exchange_n(&l->next, &expected, owner + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
	arch_send_event();
}

#endif
