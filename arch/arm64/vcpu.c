/* vCPU state: reset values, switching EL1 state, and the run call. */
#include "arch.h"
#include "core/vm.h"
#include "percpu.h"
#include "sysregs.h"
#include "vdebug.h"
#include "vcpu_mpidr.h"
#include "vgic_lr.h"
#include "vpmu.h"
#include "vsve.h"
#include "vtimer.h"

void fpsimd_save(struct arch_fpsimd *fp);
void fpsimd_restore(const struct arch_fpsimd *fp);

enum vcpu_next __guest_enter(void);
u64 arm64_vttbr(const struct arch_stage2 *s2);

#define SPSR_EL1H 0x5ull
#define SPSR_DAIF (0xfull << 6)
/* SCTLR_EL1 RES1 bits with the MMU and caches off, as the boot protocol wants. */
#define SCTLR_EL1_RESET 0x30d00800ull

void arch_vcpu_reset(struct arch_vcpu *v, ipaddr_t entry, u64 x0, u32 index)
{
	*v = (struct arch_vcpu){ 0 };
	v->regs.x[0] = x0;
	v->regs.elr = ipa_addr(entry);
	v->regs.spsr = SPSR_EL1H | SPSR_DAIF;
	v->sys.sctlr_el1 = SCTLR_EL1_RESET;
	v->sys.vmpidr_el2 = vcpu_mpidr(index);
}

/* Guests read the machine's counter (CNTVOFF_EL2 is 0, see vtimer.c): the
 * VM's start time stays core's, for its log, and changes nothing here. */
void arch_vcpu_set_counter_offset(struct arch_vcpu *v, u64 offset)
{
	(void)v;
	(void)offset;
}

/*
 * SME is hidden from guests and its instructions trap (CPTR_EL2.TSM), but
 * TPIDR2_EL0 stays reachable from EL1 on a CPU that has SME (only fine-grained
 * traps, which not every such CPU offers, cover it). Switched per vCPU, it is
 * a scratch register that carries nothing from one VM to another.
 */
static bool cpu_has_tpidr2(void)
{
	return (read_id_aa64pfr1_el1() >> 24) & 0xf;  /* ID_AA64PFR1_EL1.SME */
}

/*
 * With HCR_EL2.AMO set (SErrors come to EL2), the guest's DISR_EL1 is
 * VDISR_EL2: a register the guest writes at will, that no EL1 switch
 * covers. Switched per vCPU, it carries nothing from one VM to another.
 */
static bool cpu_has_ras(void)
{
	return (read_id_aa64pfr0_el1() >> 28) & 0xf;  /* ID_AA64PFR0_EL1.RAS */
}

static void load_sysregs(const struct arch_sysregs *s)
{
	write_sctlr_el1(s->sctlr_el1);
	write_ttbr0_el1(s->ttbr0_el1);
	write_ttbr1_el1(s->ttbr1_el1);
	write_tcr_el1(s->tcr_el1);
	write_mair_el1(s->mair_el1);
	write_amair_el1(s->amair_el1);
	write_vbar_el1(s->vbar_el1);
	write_contextidr_el1(s->contextidr_el1);
	write_tpidr_el1(s->tpidr_el1);
	write_tpidr_el0(s->tpidr_el0);
	write_tpidrro_el0(s->tpidrro_el0);
	if (cpu_has_tpidr2())
		write_tpidr2_el0(s->tpidr2_el0);
	if (cpu_has_ras())
		write_vdisr_el2(s->vdisr_el2);
	write_sp_el0(s->sp_el0);
	write_sp_el1(s->sp_el1);
	write_elr_el1(s->elr_el1);
	write_spsr_el1(s->spsr_el1);
	write_esr_el1(s->esr_el1);
	write_far_el1(s->far_el1);
	write_afsr0_el1(s->afsr0_el1);
	write_afsr1_el1(s->afsr1_el1);
	write_par_el1(s->par_el1);
	write_cpacr_el1(s->cpacr_el1);
	write_csselr_el1(s->csselr_el1);
	write_cntkctl_el1(s->cntkctl_el1);
	write_vmpidr_el2(s->vmpidr_el2);
}

static void save_sysregs(struct arch_sysregs *s)
{
	s->sctlr_el1 = read_sctlr_el1();
	s->ttbr0_el1 = read_ttbr0_el1();
	s->ttbr1_el1 = read_ttbr1_el1();
	s->tcr_el1 = read_tcr_el1();
	s->mair_el1 = read_mair_el1();
	s->amair_el1 = read_amair_el1();
	s->vbar_el1 = read_vbar_el1();
	s->contextidr_el1 = read_contextidr_el1();
	s->tpidr_el1 = read_tpidr_el1();
	s->tpidr_el0 = read_tpidr_el0();
	s->tpidrro_el0 = read_tpidrro_el0();
	if (cpu_has_tpidr2())
		s->tpidr2_el0 = read_tpidr2_el0();
	if (cpu_has_ras())
		s->vdisr_el2 = read_vdisr_el2();
	s->sp_el0 = read_sp_el0();
	s->sp_el1 = read_sp_el1();
	s->elr_el1 = read_elr_el1();
	s->spsr_el1 = read_spsr_el1();
	s->esr_el1 = read_esr_el1();
	s->far_el1 = read_far_el1();
	s->afsr0_el1 = read_afsr0_el1();
	s->afsr1_el1 = read_afsr1_el1();
	s->par_el1 = read_par_el1();
	s->cpacr_el1 = read_cpacr_el1();
	s->csselr_el1 = read_csselr_el1();
	s->cntkctl_el1 = read_cntkctl_el1();
	s->vmpidr_el2 = read_vmpidr_el2();
}

/*
 * True when this CPU's EL1 registers, FP/SIMD, VTTBR and the timers'
 * compare values still hold exactly what the vCPU saved when it last left: it was
 * the last vCPU loaded here and has not been loaded anywhere else since
 * (loaded_on), and nothing rewrote its saved state (arch_vcpu_reset clears
 * loaded_on). Bulkhead itself never uses
 * these registers, and a vCPU freed and made again at the same address is
 * reset before it runs. Its state is still saved on every exit, because
 * another CPU may take it (an idle CPU steals waiting work) or vcpu-pin may
 * move it, and they load from memory.
 */
static bool still_loaded(const struct arm64_percpu *p, const struct vcpu *vcpu)
{
	return p->loaded == vcpu && vcpu->arch.loaded_on == p->index + 1;
}

static void load_state(struct arm64_percpu *p, struct vcpu *vcpu)
{
	load_sysregs(&vcpu->arch.sys);
	fpsimd_restore(&vcpu->arch.fp);
	vsve_load(vcpu);
	write_vttbr_el2(arm64_vttbr(&vcpu->vm->s2));
	isb();
	p->loaded = vcpu;
	vcpu->arch.loaded_on = p->index + 1;
}

/*
 * Traps the guest can be given back are handled inside __guest_enter without
 * returning here; it returns the first handler result other than VCPU_RESUME.
 * The vGIC's interface state goes back to the model on every exit, so it is
 * always loaded again.
 */
enum vcpu_next arch_vcpu_run(struct vcpu *vcpu)
{
	struct arm64_percpu *p = this_percpu();
	bool warm = still_loaded(p, vcpu);
	enum vcpu_next next;

	p->vcpu = vcpu;
	p->regs = &vcpu->arch.regs;
	if (!warm)
		load_state(p, vcpu);
	vtimer_load(vcpu, warm);
	vgic_load(vcpu);
	vpmu_load(vcpu);
	vdebug_load(vcpu);
	arm64_hcr_tvm(vcpu->arch.sw_tvm);
	next = __guest_enter();
	vdebug_put(vcpu);
	vgic_put(vcpu);
	vpmu_put(vcpu);
	vtimer_put(vcpu);
	vsve_save(vcpu);
	fpsimd_save(&vcpu->arch.fp);
	save_sysregs(&vcpu->arch.sys);
	p->vcpu = NULL;
	p->regs = NULL;
	return next;
}
