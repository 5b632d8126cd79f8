/* The guest's EL1 timers (virtual and physical): they run in hardware while
 * the vCPU is on the CPU; their outputs are level lines into the vGIC. */
#ifndef BULKHEAD_ARM64_VTIMER_H
#define BULKHEAD_ARM64_VTIMER_H

#include "arch_types.h"

struct vcpu;

/* `warm`: the CPU's timer compare registers still hold this vCPU's values. */
void vtimer_load(struct vcpu *vcpu, bool warm);
/* Saves and stops the timers; sets vcpu->wake_at to when one would raise its line. */
void vtimer_put(struct vcpu *vcpu);
/* Timer t's physical interrupt fired while the vCPU ran. */
void vtimer_fired(struct vcpu *vcpu, enum gtimer t);
/* The guest deactivated interrupt `intid` (a timer's PPI or not). */
void vtimer_deactivated(struct vcpu *vcpu, u32 intid);
/* The running vCPU's timer lines from the live registers, into the vGIC. */
void vtimer_sample_here(struct vcpu *vcpu);
/* Any vCPU of the VM: live if it runs here, from its saved timers if it is
 * off its CPU; one running elsewhere keeps the level it last gave. */
void vtimer_sample(struct vcpu *vcpu);

#endif
