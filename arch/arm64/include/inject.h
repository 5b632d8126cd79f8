/* Synchronous exceptions injected into a guest's EL1. */
#ifndef BULKHEAD_ARM64_INJECT_H
#define BULKHEAD_ARM64_INJECT_H

#include "arch_types.h"

struct vcpu;

void inject_undef(struct vcpu *vcpu, struct arch_regs *regs);
void inject_external_abort(struct vcpu *vcpu, struct arch_regs *regs, bool data, bool write,
			   u64 far);

#endif
