/*
 * Guest traps: decode ESR_EL2 and hand the work to core/ (SMCCC calls, the
 * MMIO bus) or give the guest the exception real hardware would give.
 * Each handler returns what happens next (core/vcpu_next.h); the vector code
 * goes back into the guest on VCPU_RESUME (0) and otherwise returns it from
 * __guest_enter to arch_vcpu_run().
 */
#include "aarch32_cond.h"
#include "dabt.h"
#include "core/log.h"
#include "core/vm.h"
#include "core/vm_ram.h"
#include "esr.h"
#include "core/sched.h"
#include "inject.h"
#include "irq.h"
#include "percpu.h"
#include "smccc.h"
#include "trap_fast.h"
#include "sysreg_emul.h"
#include "sysregs.h"
#include "vdebug.h"
#include "vgic.h"
#include "vgic_lr.h"
#include "vtimer.h"
#include "vsve.h"

enum vcpu_next arm64_guest_irq(struct arch_regs *regs);
enum vcpu_next arm64_guest_unexpected(struct arch_regs *regs, u64 kind);

/* x0-x7 of the saved registers are the SMCCC register file, handled in place. */
static enum vcpu_next handle_smccc(struct vcpu *vcpu, struct arch_regs *regs)
{
	return smccc_handle(vcpu, (struct smccc_regs *)regs->x);
}

static void skip_instruction(struct arch_regs *regs, u64 esr)
{
	regs->elr += (esr & ESR_IL) ? 4 : 2;
	vdebug_step_done(regs);
}

/* A load or store to an IPA stage 2 does not map: emulate it or abort. */
static enum vcpu_next handle_data_abort(struct vcpu *vcpu, struct arch_regs *regs, u64 esr)
{
	if (!dabt_emulable(esr) || !dabt_emulate(vcpu, regs, esr))
		return arm64_dabt_refused(vcpu, regs, esr);
	skip_instruction(regs, esr);
	return VCPU_RESUME;
}

/*
 * A translation fault on the VM's RAM: a page it gave back (the balloon) or
 * one split out of a block an instant ago. True: it has a page there now (a
 * fresh zeroed one, or the one that arrived meanwhile) and the access runs
 * again. False: not RAM, or the pool has no page (counted): the caller
 * gives the external abort of memory that is not there.
 */
static bool ram_fault(struct vcpu *vcpu, u64 esr)
{
	struct vm *vm = vcpu->vm;

	if ((esr & FSC_TRANS_MASK) != FSC_TRANS)
		return false;
	switch (vm_ram_fill(vm, ipa_addr(dabt_ipa()))) {
	case VM_RAM_FILLED:
		__atomic_fetch_add(&vm->ram_faults_filled, 1, __ATOMIC_RELAXED);
		return true;
	case VM_RAM_WAS_BACKED:
		return true;
	case VM_RAM_NO_MEMORY:
		__atomic_fetch_add(&vm->ram_faults_refused, 1, __ATOMIC_RELAXED);
		return false;
	default:
		return false;
	}
}

/* Every data abort no device took ends here, from the fast path too: RAM
 * given back is filled first. */
enum vcpu_next arm64_dabt_refused(struct vcpu *vcpu, struct arch_regs *regs, u64 esr)
{
	bool write = esr & DABT_WNR;

	if (ram_fault(vcpu, esr))
		return VCPU_RESUME;

	/* No syndrome (e.g. a load pair), a fault during a stage-1 walk, or
	 * no device there: the guest sees an external abort. */
	vcpu->trap_count[TRAP_ABORT]++;
	hv_debug("vm '%s': %s of %u bytes at IPA 0x%llx (PC 0x%llx): external abort",
		 vcpu->vm->cfg.name, write ? "write" : "read", 1u << ((esr >> DABT_SAS_SHIFT) & 3),
		 (unsigned long long)ipa_addr(dabt_ipa()), (unsigned long long)regs->elr);
	return inject_external_abort(vcpu, regs, true, write, va_init(read_far_el2()));
}

/*
 * Traps of features the guest is not shown (SME, pointer authentication
 * keys), of AArch32 coprocessor and 128-bit register accesses Bulkhead does
 * not emulate, and of instructions nothing claims: a CPU without them would
 * raise UNDEFINED, so the guest gets that.
 */
static bool undefined_to_guest(u32 ec)
{
	switch (ec) {
	case EC_UNKNOWN:
	case EC_CP15_32:
	case EC_CP15_64:
	case EC_CP14_32:
	case EC_CP14_LS:
	case EC_CP14_64:
	case EC_PAUTH:
	case EC_SYSREG128:
	case EC_SME:
		return true;
	default:
		return false;
	}
}

/* The timers' lines were sampled just before (handle_wfx): one that rises
 * later wakes the vCPU by its deadline (vtimer_put). */
static bool wake_now(struct vcpu *vcpu)
{
	return vgic_has_pending(&vcpu->vm->arch.vgic, vcpu->id);
}

/* Wakes a CPU waiting in place may take before it hands the wait to the
 * scheduler (interrupts that are for nobody here: a device's, a stale kick). */
#define WAIT_WAKES_MAX 64

/*
 * WFI with nothing else for this CPU to do (sched_wait_begin): the CPU
 * sleeps with the vCPU still loaded - its timers live, their physical
 * interrupts enabled while their lines are low - and takes each interrupt
 * here. One for the vCPU goes into a list register (vtimer.c, the vGIC), or
 * into its model from another CPU, which then kicks this one; the vCPU
 * resumes at once, with no switch out and back in. Anything else for this
 * CPU ends the wait as a WFI always ended: the vCPU blocks (or, an
 * interrupt being there, leaves when asked to) and the CPU goes round its
 * loop.
 */
static enum vcpu_next wait_in_place(struct vcpu *vcpu)
{
	enum vcpu_next next = VCPU_RESUME;
	bool woken = false;

	for (u32 n = 0; n < WAIT_WAKES_MAX && !woken; n++) {
		arm64_idle_wfi();
		next = arm64_handle_irqs(vcpu);
		/* Raised straight into a list register (its own timer), or into
		 * the model from another CPU, which marked it dirty or sent an
		 * SGI: the catch-up hands that to the list registers, where it is
		 * pending just as a scan of the model would find it. */
		if (vgic_lrs_behind(vcpu))
			vgic_catch_up(vcpu);
		woken = vcpu->arch.gic.lr_pending != 0;
		if (next != VCPU_RESUME || (!woken && !sched_wait_goes_on(vcpu)))
			break;
	}
	sched_wait_end(vcpu);
	if (!woken) {
		vgic_sync(vcpu);  /* as the WFI left them: the model holds it all */
		if (sched_block(vcpu, wake_now))
			return VCPU_YIELD;
	}
	if (vgic_lrs_behind(vcpu))
		vgic_catch_up(vcpu);
	else if (!vcpu->arch.gic.lr_used)
		vgic_fill(vcpu);
	return next;
}

/*
 * WFI blocks the vCPU until an interrupt is pending for it (or waits in
 * place, above). WFE only yields the CPU: the event a guest waits for (a
 * SEV from another vCPU, a lock release) is invisible to the hypervisor, so
 * blocking could deadlock.
 */
static enum vcpu_next handle_wfx(struct vcpu *vcpu, struct arch_regs *regs, u64 esr)
{
	skip_instruction(regs, esr);
	if (esr & 1)
		return sched_yield_cpu(vcpu) ? VCPU_YIELD : VCPU_RESUME;
	vtimer_sample_here(vcpu);
	vgic_sync(vcpu);  /* interrupts waiting in list registers count too */
	console_guest_idle(&vcpu->vm->con);  /* a prompt it printed goes out now */
	if (!wake_now(vcpu) && sched_wait_begin(vcpu))
		return wait_in_place(vcpu);
	if (sched_block(vcpu, wake_now))
		return VCPU_YIELD;
	vgic_fill(vcpu);
	return VCPU_RESUME;
}

/* Staying in the guest: if its interrupt state changed while we were out of
 * it, the list registers are refreshed first. */
enum vcpu_next arm64_back_to_guest(struct vcpu *vcpu, enum vcpu_next next)
{
	if (next != VCPU_RESUME)
		return next;
	if (vgic_lrs_behind(vcpu))
		vgic_catch_up(vcpu);
	return VCPU_RESUME;
}

static enum vcpu_next handle_sync(struct vcpu *vcpu, struct arch_regs *regs, u64 esr)
{
	switch (esr_ec(esr)) {
	case EC_WFX:
		vcpu->trap_count[TRAP_WFX]++;
		return handle_wfx(vcpu, regs, esr);
	case EC_HVC64:
		vcpu->trap_count[TRAP_HYPERCALL]++;
		return handle_smccc(vcpu, regs);
	case EC_SMC64:
		/* a trapped SMC returns to the SMC itself */
		vcpu->trap_count[TRAP_HYPERCALL]++;
		skip_instruction(regs, esr);
		return handle_smccc(vcpu, regs);
	case EC_DABT_LOW:
		return handle_data_abort(vcpu, regs, esr);
	case EC_IABT_LOW:
		if (ram_fault(vcpu, esr))
			return VCPU_RESUME;
		vcpu->trap_count[TRAP_ABORT]++;
		return inject_external_abort(vcpu, regs, false, false, va_init(read_far_el2()));
	case EC_SVE:
		vcpu->trap_count[TRAP_OTHER]++;
		return vsve_trap(vcpu, regs);
	case EC_SYSREG:
		vcpu->trap_count[TRAP_SYSREG]++;
		if (!sysreg_emulate(vcpu, regs, esr))
			return inject_undef(vcpu, regs);
		return VCPU_RESUME;
	default:
		break;
	}
	if (!undefined_to_guest(esr_ec(esr)))
		return vcpu_exit(vcpu, VCPU_EXIT_CRASH,
				 "unexpected exception class 0x%x (ESR 0x%llx) at 0x%llx", esr_ec(esr),
				 (unsigned long long)esr, (unsigned long long)regs->elr);
	vcpu->trap_count[TRAP_OTHER]++;
	if (aarch32_condition_passed(esr, regs->spsr))
		return inject_undef(vcpu, regs);
	/* a failed condition: the instruction does nothing */
	skip_instruction(regs, esr);
	regs->spsr = aarch32_it_advance(regs->spsr);
	return VCPU_RESUME;
}

enum vcpu_next arm64_guest_sync(struct arch_regs *regs)
{
	struct vcpu *vcpu = this_percpu()->vcpu;

	vcpu->traps++;
	return arm64_back_to_guest(vcpu, handle_sync(vcpu, regs, read_esr_el2()));
}

enum vcpu_next arm64_guest_irq(struct arch_regs *regs)
{
	struct vcpu *vcpu = this_percpu()->vcpu;

	vcpu->traps++;
	vcpu->trap_count[TRAP_IRQ]++;
	return arm64_back_to_guest(vcpu, arm64_handle_irqs(vcpu));
}

enum vcpu_next arm64_guest_unexpected(struct arch_regs *regs, u64 kind)
{
	struct vcpu *vcpu = this_percpu()->vcpu;

	return vcpu_exit(vcpu, VCPU_EXIT_CRASH, "%s from the guest at 0x%llx (ESR 0x%llx)",
			 kind == 3 ? "SError" : "FIQ", (unsigned long long)regs->elr,
			 (unsigned long long)read_esr_el2());
}
