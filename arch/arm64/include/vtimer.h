/* The guest's EL1 virtual timer: it runs in hardware while its vCPU is on the CPU. */
#ifndef BULKHEAD_ARM64_VTIMER_H
#define BULKHEAD_ARM64_VTIMER_H

#include "types.h"

struct vcpu;

/* `warm`: the CPU's timer offset and compare still hold this vCPU's values. */
void vtimer_load(struct vcpu *vcpu, bool warm);
/* Saves and stops the timer; sets vcpu->wake_at to when it would fire. */
void vtimer_put(struct vcpu *vcpu);
/* The physical timer interrupt fired while the vCPU ran. */
void vtimer_fired(struct vcpu *vcpu);
/* The guest deactivated the virtual timer interrupt. */
void vtimer_deactivated(struct vcpu *vcpu);
/* The timer's output level as the guest programmed it. */
bool vtimer_asserted(void);

#endif
