/*
 * The fast path of a guest's synchronous trap (trap_fast.h): the traps
 * that need none of x20-x29 and leave the vCPU on its CPU, done with the
 * guest's PC still in ELR_EL2. Those are most of a guest's traps by count:
 * hypercalls other than PSCI (which may stop, start or reset vCPUs) and
 * emulated device accesses and SGI sends (ICC_SGI1R_EL1) whose register is
 * x0-x19, x30 or xzr. Everything
 * else - WFI, system registers, faults to inject, SMC, a data abort with no
 * syndrome - goes to the full path in traps.c untouched.
 */
#include "core/vm.h"
#include "dabt.h"
#include "esr.h"
#include "percpu.h"
#include "smccc.h"
#include "sysreg_emul.h"
#include "sysregs.h"
#include "trap_fast.h"
#include "vgic_lr.h"
#include "vdebug.h"

/* A register the fast path has saved: x0-x19, x30, or xzr. */
static bool reg_saved(u32 r)
{
	return r <= 19 || r >= 30;
}

/* Past the emulated instruction, and a step in progress taken (vdebug_step_done). */
static void skip_instruction(u64 esr)
{
	u64 spsr = read_spsr_el2();

	write_elr_el2(read_elr_el2() + ((esr & ESR_IL) ? 4 : 2));
	if (spsr & SPSR_SS)
		write_spsr_el2(spsr & ~SPSR_SS);
}

static u32 data_abort(struct vcpu *vcpu, struct arch_regs *regs, u64 esr)
{
	if (!dabt_emulable(esr) || !reg_saved(dabt_reg(esr)))
		return TRAP_FAST_SLOW;
	vcpu->traps++;
	if (!dabt_emulate(vcpu, regs, esr))
		return TRAP_FAST_REFUSED;
	skip_instruction(esr);
	return VCPU_RESUME;
}

/* MSR ICC_SGI1R_EL1 from a saved register: the IPI's send, as
 * sysreg_emulate() does it, without the rest of the state. */
static u32 send_sgi(struct vcpu *vcpu, struct arch_regs *regs, u64 esr)
{
	u32 rt = (esr & ISS_SYSREG_RT_MASK) >> 5;

	if ((esr & ESR_ISS_MASK & ~(u64)ISS_SYSREG_RT_MASK) != ISS_SGI1R_WRITE || !reg_saved(rt))
		return TRAP_FAST_SLOW;
	vcpu->traps++;
	vcpu->trap_count[TRAP_SYSREG]++;
	sysreg_send_sgi(vcpu, rt == 31 ? 0 : regs->x[rt]);
	skip_instruction(esr);
	return VCPU_RESUME;
}

u32 arm64_guest_sync_fast(struct arch_regs *regs)
{
	struct vcpu *vcpu = this_percpu()->vcpu;
	u64 esr = read_esr_el2();
	u32 next;

	switch (esr_ec(esr)) {
	case EC_HVC64:
		if (!smccc_leaves_vcpus_alone((u32)regs->x[0]))
			return TRAP_FAST_SLOW;
		vcpu->traps++;
		vcpu->trap_count[TRAP_HYPERCALL]++;
		next = smccc_handle(vcpu, (struct smccc_regs *)regs->x);
		break;
	case EC_DABT_LOW:
		next = data_abort(vcpu, regs, esr);
		break;
	case EC_SYSREG:
		next = send_sgi(vcpu, regs, esr);
		break;
	default:
		return TRAP_FAST_SLOW;
	}
	/* as arm64_back_to_guest(), without a call on the way */
	if (next == VCPU_RESUME && vgic_lrs_behind(vcpu))
		vgic_catch_up(vcpu);
	return next;
}

enum vcpu_next arm64_guest_sync_slow(struct arch_regs *regs, u32 fast)
{
	struct vcpu *vcpu = this_percpu()->vcpu;

	switch (fast) {
	case TRAP_FAST_SLOW:
		return arm64_guest_sync(regs);
	case TRAP_FAST_REFUSED:
		return arm64_back_to_guest(vcpu, arm64_dabt_refused(vcpu, regs, read_esr_el2()));
	default:
		return (enum vcpu_next)fast;  /* the fast path did the trap and leaves */
	}
}
