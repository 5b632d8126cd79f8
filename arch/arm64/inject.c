/*
 * Exceptions Bulkhead gives to a guest: what real hardware would have raised
 * at EL1 (undefined instruction, synchronous external abort), with ESR_EL1,
 * FAR_EL1, ELR_EL1, SPSR_EL1, the new PSTATE and the vector offset as the
 * Arm ARM gives them, wherever the faulting code sits (vector slots and code
 * past the table included: guests put handlers there).
 *
 * A guest that can never make progress is reported as a crash instead of
 * looping, judged by what its handler did, never by where the fault is: the
 * fault comes back at the same PC with the guest's own ELR_EL1 still
 * pointing there (the last exception it took came from that instruction and
 * it went back to it, or never left the vector at all), with the same
 * syndrome, address and registers. A handler that skips the instruction, or
 * changes what it loads, is making progress however often it runs.
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
#define SPSR_SSBS (1ull << 12)
#define SPSR_PAN (1ull << 22)
#define SPSR_A32_DIT (1ull << 21)
#define SPSR_DIT (1ull << 24)
#define SPSR_TCO (1ull << 25)

#define SCTLR_SPAN (1ull << 23)
#define SCTLR_DSSBS (1ull << 44)

#define VECTOR_CUR_SP0  0x000
#define VECTOR_CUR_SPX  0x200
#define VECTOR_LOW_A64  0x400
#define VECTOR_LOW_A32  0x600

/* A guest's exception vector whose own first instruction faults never runs
 * anything: a few rounds prove it (another vCPU could still mend its stage-1
 * tables, so not the first). A handler that runs and returns to the same
 * faulting instruction in the same state might count its tries in memory,
 * so it gets far longer before it is called stuck. */
#define VECTOR_LOOP_COUNT 64
#define RETRY_LOOP_COUNT 10000

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

static u64 id_field(u64 reg, u32 shift)
{
	return (reg >> shift) & 0xf;
}

/* PSTATE on taking an exception to EL1 in AArch64 (Arm ARM, "PSTATE on
 * exception entry"): EL1h, DAIF masked; SS, IL, UAO, BTYPE cleared; PAN set
 * when SCTLR_EL1.SPAN is 0; DIT kept; SSBS from SCTLR_EL1.DSSBS; TCO set.
 * The features are the CPU's own, which is what the hardware would do. */
static u64 entry_pstate(u64 old)
{
	u64 sctlr = read_sctlr_el1();
	u64 pfr1 = read_id_aa64pfr1_el1();
	u64 pstate = SPSR_EL1H | SPSR_DAIF;

	if (id_field(read_id_aa64mmfr1_el1(), 20))   /* FEAT_PAN */
		pstate |= (old & SPSR_PAN) | (sctlr & SCTLR_SPAN ? 0 : SPSR_PAN);
	if (old & ((old & SPSR_AARCH32) ? SPSR_A32_DIT : SPSR_DIT))
		pstate |= SPSR_DIT;
	if (id_field(pfr1, 4) && (sctlr & SCTLR_DSSBS))  /* FEAT_SSBS */
		pstate |= SPSR_SSBS;
	if (id_field(pfr1, 8))   /* FEAT_MTE */
		pstate |= SPSR_TCO;
	return pstate;
}

/* A cheap summary of the general registers: the same at two faults means
 * the handler gave the code back unchanged. */
static u64 regs_digest(const struct arch_regs *regs)
{
	u64 d = regs->spsr;

	for (u32 i = 0; i < 31; i++)
		d = (d << 7 | d >> 57) ^ regs->x[i];
	return d;
}

/* Counts faults that find the guest exactly where and as the last one left
 * it; true once there is no doubt it cannot get out. */
static bool no_progress(struct arch_vcpu *v, const struct arch_regs *regs, u64 esr, u64 far,
			u64 target, bool *at_vector)
{
	struct arch_fault_streak *f = &v->faults;
	u64 digest = regs_digest(regs);
	bool again = read_elr_el1() == regs->elr && f->pc == regs->elr && f->esr == esr &&
		     f->far == far && f->digest == digest;

	f->count = again ? f->count + 1 : 0;
	f->pc = regs->elr;
	f->esr = esr;
	f->far = far;
	f->digest = digest;
	*at_vector = regs->elr == target;
	return f->count >= (*at_vector ? VECTOR_LOOP_COUNT : RETRY_LOOP_COUNT);
}

static enum vcpu_next inject_sync(struct vcpu *vcpu, struct arch_regs *regs, u64 esr, u64 far,
			bool set_far)
{
	u64 target = read_vbar_el1() + vector_offset(regs->spsr);
	bool at_vector;

	if (no_progress(&vcpu->arch, regs, esr, far, target, &at_vector)) {
		if (at_vector)
			return vcpu_exit(vcpu, VCPU_EXIT_CRASH,
					 "cannot take exceptions: its vector at 0x%llx faults itself "
					 "(ESR 0x%llx, FAR 0x%llx)", (unsigned long long)target,
					 (unsigned long long)esr, (unsigned long long)far);
		return vcpu_exit(vcpu, VCPU_EXIT_CRASH,
				 "stuck in a fault loop: its handler returned to the faulting "
				 "instruction at 0x%llx unchanged %u times (ESR 0x%llx, FAR 0x%llx)",
				 (unsigned long long)regs->elr, RETRY_LOOP_COUNT,
				 (unsigned long long)esr, (unsigned long long)far);
	}
	write_elr_el1(regs->elr);
	write_spsr_el1(regs->spsr);
	write_esr_el1(esr);
	if (set_far)
		write_far_el1(far);
	regs->elr = target;
	regs->spsr = entry_pstate(regs->spsr);
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
