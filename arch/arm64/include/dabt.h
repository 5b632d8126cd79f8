/*
 * A guest's load or store to an IPA stage 2 does not map, done on its VM's
 * MMIO bus. Shared by the trap fast path (trap_fast.c) and the full one
 * (traps.c), which differ only in where the guest's PC lives meanwhile.
 */
#ifndef BULKHEAD_ARM64_DABT_H
#define BULKHEAD_ARM64_DABT_H

#include "arch_types.h"
#include "esr.h"

struct vcpu;

/* A syndrome Bulkhead can emulate: ISV set (not a load pair, say) and not
 * a fault on a stage-1 table walk. */
static inline bool dabt_emulable(u64 esr)
{
	return (esr & DABT_ISV) && !(esr & DABT_S1PTW);
}

/* The general register the access reads or writes (31: xzr). */
static inline u32 dabt_reg(u64 esr)
{
	return (esr >> DABT_SRT_SHIFT) & 0x1f;
}

/* The fault's IPA: HPFAR_EL2.FIPA holds IPA[47:12] at bit 4, FAR the page offset. */
ipaddr_t dabt_ipa(void);

/*
 * Does the access (dabt_emulable must hold): a store takes its value from
 * regs->x[], a load puts its result there, extended as the syndrome says.
 * False: no device took it, and nothing changed. The instruction is not
 * skipped: the caller moves the PC on.
 */
bool dabt_emulate(struct vcpu *vcpu, struct arch_regs *regs, u64 esr);

#endif
