/* Self-hosted debug for guests: lazily switched per vCPU (vdebug.c). */
#ifndef BULKHEAD_ARM64_VDEBUG_H
#define BULKHEAD_ARM64_VDEBUG_H

#include "arch_types.h"

struct vcpu;

#define SPSR_SS (1ull << 21)  /* PSTATE.SS: software step active-not-pending */

/*
 * The hypervisor completed a trapped instruction for the guest (emulated
 * and skipped it): a guest single-stepping it must take its step exception
 * on return, before the next instruction, as on the bare machine.
 */
static inline void vdebug_step_done(struct arch_regs *regs)
{
	regs->spsr &= ~SPSR_SS;
}

/* Before entering the guest: its debug registers, or a clean set. */
void vdebug_load(struct vcpu *vcpu);
/* After it left the CPU: what it wrote, if it used debug. */
void vdebug_put(struct vcpu *vcpu);
/* A trapped op0 == 2 register access (ESR_EL2 EC 0x18). False: UNDEFINED. */
bool vdebug_sysreg(struct vcpu *vcpu, struct arch_regs *regs, u64 esr);
/* ID_AA64DFR0_EL1 as guests see it: the CPU's breakpoints and watchpoints. */
u64 vdebug_dfr0(void);

#endif
