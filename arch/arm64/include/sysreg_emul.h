/* Guest system-register accesses that trap to EL2 (EC 0x18). */
#ifndef BULKHEAD_ARM64_SYSREG_EMUL_H
#define BULKHEAD_ARM64_SYSREG_EMUL_H

#include "arch_types.h"

struct vcpu;

/* Emulates the access; returns false when the guest must get UNDEFINED. */
bool sysreg_emulate(struct vcpu *vcpu, struct arch_regs *regs, u64 esr);
/* A write of `value` to ICC_SGI1R_EL1: the virtual SGIs it names, sent and
 * their targets kicked (also the trap fast path's, trap_fast.c). */
void sysreg_send_sgi(struct vcpu *vcpu, u64 value);
/* ESR_EL2.ISS of an MSR ICC_SGI1R_EL1 (Op0 3, Op1 0, CRn 12, CRm 11, Op2 5,
 * a write) with its Rt field (bits 9:5) clear. */
#define ISS_SGI1R_WRITE 0x3a3016u
#define ISS_SYSREG_RT_MASK (0x1fu << 5)

#endif
