/*
 * What happens after a trap. Every trap handler returns one of these instead
 * of setting a flag on the vCPU, and arch_vcpu_run() returns the one that made
 * the vCPU leave the guest, for the run loop to act on.
 */
#ifndef BULKHEAD_CORE_VCPU_NEXT_H
#define BULKHEAD_CORE_VCPU_NEXT_H

#include "types.h"

enum vcpu_next {
	VCPU_RESUME = 0,     /* back into the guest; 0 so the vector code tests it in one instruction */
	VCPU_YIELD,          /* the CPU goes back to the scheduler: blocked in WFI, WFE
			      * with others waiting, preempted or kicked, PSCI CPU_OFF */
	VCPU_EXIT_POWEROFF,  /* the VM ends and its on_* action applies; vcpu->exit_why says why */
	VCPU_EXIT_REBOOT,
	VCPU_EXIT_CRASH,
};

static inline bool vcpu_next_is_exit(enum vcpu_next next)
{
	return next >= VCPU_EXIT_POWEROFF;
}

/*
 * The result of a trap that did two things: an exit wins over a yield (a
 * yield must never hide a crash or a power-off), a yield over resuming, and
 * of two exits the first.
 */
static inline enum vcpu_next vcpu_next_then(enum vcpu_next first, enum vcpu_next second)
{
	if (vcpu_next_is_exit(first) || second == VCPU_RESUME)
		return first;
	return second;
}

#endif
