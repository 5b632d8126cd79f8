/*
 * The two halves of a guest's synchronous trap (vectors.S).
 *
 * The fast half runs with only what C may clobber saved (x0-x19 and x30 in
 * the vCPU's struct arch_regs); x20-x29 are still the guest's, in the CPU
 * (C code preserves them), and so are its PC and PSTATE, in ELR_EL2 and
 * SPSR_EL2. It returns a value of enum vcpu_next once it has done the trap,
 * or one of the values below before it has done anything. On anything but
 * VCPU_RESUME the vector saves the rest of the guest's registers and calls
 * arm64_guest_sync_slow() with it. Traps of a class with no fast path
 * (vectors.S knows: HVC and data aborts have one) go straight to
 * arm64_guest_sync() with everything saved.
 */
#ifndef BULKHEAD_ARM64_TRAP_FAST_H
#define BULKHEAD_ARM64_TRAP_FAST_H

#include "arch_types.h"
#include "core/vcpu_next.h"

struct vcpu;

#define TRAP_FAST_SLOW    0x100  /* not done: the full path does it from the start */
#define TRAP_FAST_REFUSED 0x101  /* a data abort no device took: the abort is injected */

u32 arm64_guest_sync_fast(struct arch_regs *regs);
enum vcpu_next arm64_guest_sync_slow(struct arch_regs *regs, u32 fast);

/* traps.c, the full path: every register saved in regs; counts the trap. */
enum vcpu_next arm64_guest_sync(struct arch_regs *regs);
enum vcpu_next arm64_dabt_refused(struct vcpu *vcpu, struct arch_regs *regs, u64 esr);
/* Before going back into the guest: its interrupt state, if it changed. */
enum vcpu_next arm64_back_to_guest(struct vcpu *vcpu, enum vcpu_next next);

#endif
