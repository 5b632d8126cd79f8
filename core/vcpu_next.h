/*
 * What happens after a trap. Every trap handler returns one of these instead
 * of setting a flag on the vCPU, and arch_vcpu_run() returns the one that made
 * the vCPU leave the guest, for the run loop to act on. A handler returns as
 * soon as it has decided to leave, so nothing later in the same trap can turn
 * an exit into a yield or a resume.
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

#endif
