/*
 * A guest's load or store to an IPA stage 2 does not map, done on its VM's
 * MMIO bus. Shared by the trap fast path (trap_fast.c) and the full one
 * (traps.c), which differ only in where the guest's PC lives meanwhile.
 */
#ifndef BULKHEAD_ARM64_DABT_H
#define BULKHEAD_ARM64_DABT_H

#include "arch_types.h"
#include "core/mmio.h"
#include "core/vm.h"
#include "esr.h"

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

static inline u64 dabt_sign_extend(u64 v, u32 bits)
{
	u64 m = 1ull << (bits - 1);

	return (v ^ m) - m;
}

/*
 * Does the access (dabt_emulable must hold): a store takes its value from
 * regs->x[], a load puts its result there, extended as the syndrome says.
 * False: no device took it. The instruction is not skipped: the caller
 * moves the PC on. Inline: it is most of the trap fast path's work.
 */
static inline bool dabt_emulate(struct vcpu *vcpu, struct arch_regs *regs, u64 esr)
{
	u32 size = 1u << ((esr >> DABT_SAS_SHIFT) & 3);
	u32 srt = dabt_reg(esr);
	bool write = esr & DABT_WNR;
	u64 value = 0;

	if (write && srt != 31)
		value = regs->x[srt] & (size == 8 ? ~0ull : (1ull << (size * 8)) - 1);
	if (!mmio_access(&vcpu->vm->bus, dabt_ipa(), size, write, &value))
		return false;
	vcpu->trap_count[TRAP_MMIO]++;
	if (!write && srt != 31) {
		if ((esr & DABT_SSE) && size < 8)
			value = dabt_sign_extend(value, size * 8);
		if (!(esr & DABT_SF))
			value &= 0xffffffffull;
		regs->x[srt] = value;
	}
	return true;
}

#endif
