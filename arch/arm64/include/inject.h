/* Synchronous exceptions injected into a guest's EL1. */
#ifndef BULKHEAD_ARM64_INJECT_H
#define BULKHEAD_ARM64_INJECT_H

#include "arch_types.h"
#include "core/vcpu_next.h"

struct vcpu;

/* Both return VCPU_RESUME, or a crash when the guest could never get past
 * the fault: its handler keeps returning to the faulting instruction in the
 * same state, or its vector itself faults (inject.c says how it is told). */
enum vcpu_next inject_undef(struct vcpu *vcpu, struct arch_regs *regs);
enum vcpu_next inject_external_abort(struct vcpu *vcpu, struct arch_regs *regs, bool data,
				     bool write, vaddr_t far);

#endif
