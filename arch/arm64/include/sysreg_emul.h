/* Guest system-register accesses that trap to EL2 (EC 0x18). */
#ifndef BULKHEAD_ARM64_SYSREG_EMUL_H
#define BULKHEAD_ARM64_SYSREG_EMUL_H

#include "arch_types.h"

struct vcpu;

/* Emulates the access; returns false when the guest must get UNDEFINED. */
bool sysreg_emulate(struct vcpu *vcpu, struct arch_regs *regs, u64 esr);

#endif
