/*
 * Exceptions Bulkhead gives to a guest: what real hardware would have raised
 * at EL1 (undefined instruction, synchronous external abort). A guest that
 * can never make progress is reported as a crash instead of looping: one
 * that faults while already in its own exception vectors, and one whose
 * handler keeps returning to the faulting instruction (the same PC faulting
 * many times in a row, each soon after the last).
 */
#include "core/vm.h"
#include "esr.h"
#include "inject.h"
#include "sysregs.h"

#define SPSR_MODE_MASK 0xfull
#define SPSR_EL1H 0x5ull
#define SPSR_EL1T 0x4ull
#define SPSR_AARCH32 (1ull << 4)
#define SPSR_DAIF (0xfull << 6)

#define VECTOR_CUR_SP0  0x000
#define VECTOR_CUR_SPX  0x200
#define VECTOR_LOW_A64  0x400
#define VECTOR_LOW_A32  0x600
#define VECTOR_TABLE_SIZE 0x800

/* 1000 faults at one PC, each within 1 ms of the one before, is a loop: a
 * guest that retries on purpose (a user program run again and again that
 * faults at the same place) takes far longer between faults. */
#define FAULT_LOOP_COUNT 1000
#define FAULT_LOOP_GAP_PER_SECOND 1000

static u64 vector_offset(u64 spsr)
{
	if (spsr & SPSR_AARCH32)
		return VECTOR_LOW_A32;
	switch (spsr & SPSR_MODE_MASK) {
	case SPSR_EL1T: return VECTOR_CUR_SP0;
	case SPSR_EL1H: return VECTOR_CUR_SPX;
	default: return VECTOR_LOW_A64;
	}
}

static bool from_el1(u64 spsr)
{
	u64 mode = spsr & SPSR_MODE_MASK;

	return !(spsr & SPSR_AARCH32) && (mode == SPSR_EL1T || mode == SPSR_EL1H);
}

/* True when this fault continues a run of the same fault at the same PC. */
static bool fault_loop(struct vcpu *vcpu, u64 pc)
{
	u64 now = arch_counter_read();

	if (pc != vcpu->fault_pc || now - vcpu->fault_at > arch_counter_freq() / FAULT_LOOP_GAP_PER_SECOND)
		vcpu->fault_streak = 0;
	vcpu->fault_pc = pc;
	vcpu->fault_at = now;
	return ++vcpu->fault_streak >= FAULT_LOOP_COUNT;
}

static enum vcpu_next inject_sync(struct vcpu *vcpu, struct arch_regs *regs, u64 esr, u64 far,
			bool set_far)
{
	u64 vbar = read_vbar_el1();

	if (fault_loop(vcpu, regs->elr))
		return vcpu_exit(vcpu, VCPU_EXIT_CRASH,
				 "stuck in a fault loop: %u faults in a row at 0x%llx (ESR 0x%llx, "
				 "FAR 0x%llx)", FAULT_LOOP_COUNT, (unsigned long long)regs->elr,
				 (unsigned long long)esr, (unsigned long long)far);
	if (regs->elr - vbar < VECTOR_TABLE_SIZE && from_el1(regs->spsr))
		return vcpu_exit(vcpu, VCPU_EXIT_CRASH,
				 "fault inside its own exception vectors at 0x%llx (ESR 0x%llx, FAR 0x%llx)",
				 (unsigned long long)regs->elr, (unsigned long long)esr,
				 (unsigned long long)far);
	write_elr_el1(regs->elr);
	write_spsr_el1(regs->spsr);
	write_esr_el1(esr);
	if (set_far)
		write_far_el1(far);
	regs->elr = vbar + vector_offset(regs->spsr);
	regs->spsr = SPSR_EL1H | SPSR_DAIF;
	return VCPU_RESUME;
}

enum vcpu_next inject_undef(struct vcpu *vcpu, struct arch_regs *regs)
{
	return inject_sync(vcpu, regs, ESR_IL | ((u64)EC_UNKNOWN << ESR_EC_SHIFT), 0, false);
}

enum vcpu_next inject_external_abort(struct vcpu *vcpu, struct arch_regs *regs, bool data,
				     bool write, vaddr_t far)
{
	bool same_el = from_el1(regs->spsr);
	u64 ec;
	u64 esr;

	if (data)
		ec = same_el ? EC_DABT_CUR : EC_DABT_LOW;
	else
		ec = same_el ? EC_IABT_CUR : EC_IABT_LOW;
	esr = (ec << ESR_EC_SHIFT) | ESR_IL | FSC_SEA;
	if (data && write)
		esr |= DABT_WNR;
	return inject_sync(vcpu, regs, esr, va_addr(far), true);
}
