/*
 * Trapped system registers. The ID registers (HCR_EL2.TID3) are shown with
 * the features Bulkhead does not virtualize taken out, so a guest never
 * tries to use them: SVE, SME, MTE, pointer authentication, the PMU, SPE,
 * AMU, MPAM, trace, nested virtualization. Debug registers (op0 2) are
 * the guest's own, switched lazily (vdebug.c); PMU registers go to vpmu.c
 * (or, on a machine without a PMU guests can have, read as zero and ignore
 * writes). Set/way cache maintenance
 * (HCR_EL2.TSW) is made lazy, as KVM does: see set_way().
 * ICC_SGI1R_EL1 sends virtual SGIs to the VM's own vCPUs only. Everything
 * else that traps is UNDEFINED to the guest.
 */
#include "arch.h"
#include "core/sched.h"
#include "core/vm.h"
#include "percpu.h"
#include "esr.h"
#include "sysreg_emul.h"
#include "sysregs.h"
#include "vdebug.h"
#include "vgic.h"
#include "vpmu.h"
#include "vsve.h"

/* ISS of a trapped MSR/MRS/SYS: the register's encoding, Rt and direction. */
struct sysreg_access {
	u32 op0, op1, crn, crm, op2;
	u32 rt;
	bool read;
};

static struct sysreg_access decode(u64 esr)
{
	struct sysreg_access a = {
		.op0 = (esr >> 20) & 3,
		.op2 = (esr >> 17) & 7,
		.op1 = (esr >> 14) & 7,
		.crn = (esr >> 10) & 0xf,
		.rt = (esr >> 5) & 0x1f,
		.crm = (esr >> 1) & 0xf,
		.read = esr & 1,
	};

	return a;
}

static bool is(const struct sysreg_access *a, u32 op0, u32 op1, u32 crn, u32 crm, u32 op2)
{
	return a->op0 == op0 && a->op1 == op1 && a->crn == crn && a->crm == crm && a->op2 == op2;
}

static u64 clear_field(u64 v, u32 shift)
{
	return v & ~(0xfull << shift);
}

static u64 set_field(u64 v, u32 shift, u64 field)
{
	return clear_field(v, shift) | (field << shift);
}

static u64 sanitized_pfr0(void)
{
	u64 v = read_id_aa64pfr0_el1();

	v = clear_field(v, 8);   /* EL2: not offered to guests */
	v = clear_field(v, 12);  /* EL3 */
	v = clear_field(v, 32);  /* SVE */
	v = clear_field(v, 40);  /* MPAM */
	v = clear_field(v, 44);  /* AMU */
	v = clear_field(v, 52);  /* RME */
	return v;
}

static u64 sanitized_pfr1(void)
{
	/* keep BT and SSBS, which need nothing from the hypervisor */
	return read_id_aa64pfr1_el1() & 0xffull;
}

static u64 sanitized_dfr0(void)
{
	/* the CPU's breakpoints and watchpoints (vdebug.c), its PMUv3 or none; no SPE, trace */
	return set_field(vdebug_dfr0(), 8, vpmu_pmuver());
}

static u64 sanitized_isar1(void)
{
	u64 v = read_id_aa64isar1_el1();

	v = clear_field(v, 4);   /* APA */
	v = clear_field(v, 8);   /* API */
	v = clear_field(v, 24);  /* GPA */
	v = clear_field(v, 28);  /* GPI */
	return v;
}

static u64 sanitized_isar2(void)
{
	u64 v = read_id_aa64isar2_el1();

	v = clear_field(v, 8);   /* GPA3 */
	v = clear_field(v, 12);  /* APA3 */
	return v;
}

static u64 sanitized_mmfr0(void)
{
	u64 v = read_id_aa64mmfr0_el1();

	/* the guest's IPA space is 39 bits: report 40 at most */
	return (v & 0xf) > 2 ? set_field(v, 0, 2) : v;
}

static u64 sanitized_mmfr1(void)
{
	/* VH; LO: its registers trap (HCR_EL2.TLOR) and are UNDEFINED */
	return clear_field(clear_field(read_id_aa64mmfr1_el1(), 8), 16);
}

static u64 sanitized_mmfr2(void)
{
	return clear_field(read_id_aa64mmfr2_el1(), 24); /* NV */
}

/* ID register space: op0 3, op1 0, CRn 0, CRm 1-7. Unallocated ones read as zero. */
static u64 id_register(u32 crm, u32 op2)
{
	switch (crm << 3 | op2) {
	case 1 << 3 | 0: return read_id_pfr0_el1();
	case 1 << 3 | 1: return read_id_pfr1_el1();
	case 1 << 3 | 2: return read_id_dfr0_el1() & ~0xf000000ull; /* no AArch32 PMU */
	case 1 << 3 | 3: return read_id_afr0_el1();
	case 1 << 3 | 4: return read_id_mmfr0_el1();
	case 1 << 3 | 5: return read_id_mmfr1_el1();
	case 1 << 3 | 6: return read_id_mmfr2_el1();
	case 1 << 3 | 7: return read_id_mmfr3_el1();
	case 2 << 3 | 0: return read_id_isar0_el1();
	case 2 << 3 | 1: return read_id_isar1_el1();
	case 2 << 3 | 2: return read_id_isar2_el1();
	case 2 << 3 | 3: return read_id_isar3_el1();
	case 2 << 3 | 4: return read_id_isar4_el1();
	case 2 << 3 | 5: return read_id_isar5_el1();
	case 3 << 3 | 0: return read_mvfr0_el1();
	case 3 << 3 | 1: return read_mvfr1_el1();
	case 3 << 3 | 2: return read_mvfr2_el1();
	case 4 << 3 | 0: return sanitized_pfr0();
	case 4 << 3 | 1: return sanitized_pfr1();
	case 5 << 3 | 0: return sanitized_dfr0();
	case 6 << 3 | 0: return read_id_aa64isar0_el1();
	case 6 << 3 | 1: return sanitized_isar1();
	case 6 << 3 | 2: return sanitized_isar2();
	case 7 << 3 | 0: return sanitized_mmfr0();
	case 7 << 3 | 1: return sanitized_mmfr1();
	case 7 << 3 | 2: return sanitized_mmfr2();
	default: return 0;  /* ZFR0, SMFR0, DFR1, AFRx and reserved encodings */
	}
}

static bool is_id_register(const struct sysreg_access *a)
{
	return a->op0 == 3 && a->op1 == 0 && a->crn == 0 && a->crm >= 1 && a->crm <= 7;
}

/* PMU registers: present, but nothing behind them. */
static bool is_pmu(const struct sysreg_access *a)
{
	if (a->op0 == 3 && a->crn == 9 && a->crm >= 12 && (a->op1 == 0 || a->op1 == 3))
		return true;  /* PMCR, PMCNTEN*, PMINTEN*, PMU counters ... */
	return a->op0 == 3 && a->op1 == 3 && a->crn == 14 && a->crm >= 8;  /* PMEV* */
}

static bool is_set_way(const struct sysreg_access *a)
{
	return a->op0 == 1 && a->op1 == 0 && a->crn == 7 && a->op2 == 2 &&
	       (a->crm == 6 || a->crm == 10 || a->crm == 14);
}

static int clean_run(void *ctx, ipaddr_t ipa, paddr_t pa, u64 size)
{
	(void)ctx;
	(void)ipa;
	arch_clean_invalidate_dcache_range(pa_to_ptr(pa), size);
	return 0;
}

/* Bytes cleaned per step of a flush: a fraction of a slice under TCG. */
#define FLUSH_STEP (2 * MiB)

/* The flush task: the VM's RAM cleaned and invalidated by address, a step
 * at a time in the vCPU's own slices (core/sched.h, sched_set_task). */
static enum vcpu_next flush_step(struct vcpu *vcpu)
{
	if (!guest_ram_step(&vcpu->vm->ram, &vcpu->task_pos, FLUSH_STEP, clean_run, NULL))
		return VCPU_YIELD;
	return VCPU_RESUME;
}

/*
 * Set/way operations only make sense to a guest around turning its caches
 * or MMU on or off (by address nothing else can be done then), and by
 * set/way they cannot be done right for a VM anyway: other CPUs' caches,
 * and the hypervisor's own lines, are in the same sets. As KVM does, the
 * first one flushes the VM by address and starts trapping the guest's
 * SCTLR_EL1 writes (HCR_EL2.TVM); the rest do nothing more, and the flush
 * is done again when the guest turns its caches or MMU on or off. A flush
 * of a big VM is long (72 ms for 1 GiB under TCG): it is the vCPU's task,
 * done in its own slices, never inside this trap.
 */
static void set_way(struct vcpu *vcpu)
{
	if (vcpu->arch.sw_tvm)
		return;
	vcpu->arch.sw_tvm = true;
	arm64_hcr_tvm(true);
	sched_set_task(vcpu, flush_step);
}

#define SCTLR_M (1ull << 0)
#define SCTLR_C (1ull << 2)

/* A trapped SCTLR_EL1 write: a toggle of the caches or MMU flushes the VM;
 * caches and MMU both on again, the trap is no longer needed. */
static void sctlr_write(struct vcpu *vcpu, u64 value)
{
	u64 old = read_sctlr_el1();

	write_sctlr_el1(value);
	if ((old ^ value) & (SCTLR_M | SCTLR_C))
		sched_set_task(vcpu, flush_step);
	if ((value & (SCTLR_M | SCTLR_C)) == (SCTLR_M | SCTLR_C)) {
		vcpu->arch.sw_tvm = false;
		arm64_hcr_tvm(false);
	}
}

/* Writes HCR_EL2.TVM traps while set/way is being watched: done for the
 * guest, on the vCPU's own registers (loaded now). */
static bool tvm_write(struct vcpu *vcpu, const struct sysreg_access *a, u64 v)
{
	if (a->read || a->op0 != 3 || a->op1 != 0)
		return false;
	if (is(a, 3, 0, 1, 0, 0))
		sctlr_write(vcpu, v);
	else if (is(a, 3, 0, 2, 0, 0))
		write_ttbr0_el1(v);
	else if (is(a, 3, 0, 2, 0, 1))
		write_ttbr1_el1(v);
	else if (is(a, 3, 0, 2, 0, 2))
		write_tcr_el1(v);
	else if (is(a, 3, 0, 5, 1, 0))
		write_afsr0_el1(v);
	else if (is(a, 3, 0, 5, 1, 1))
		write_afsr1_el1(v);
	else if (is(a, 3, 0, 5, 2, 0))
		write_esr_el1(v);
	else if (is(a, 3, 0, 6, 0, 0))
		write_far_el1(v);
	else if (is(a, 3, 0, 10, 2, 0))
		write_mair_el1(v);
	else if (is(a, 3, 0, 10, 3, 0))
		write_amair_el1(v);
	else if (is(a, 3, 0, 13, 0, 1))
		write_contextidr_el1(v);
	else
		return false;
	return true;
}

/* The model first (vgic_send_sgi), then each target's sgi_new, which tells
 * it what to take in on its way into the guest, then its notification. */
void sysreg_send_sgi(struct vcpu *vcpu, u64 value)
{
	struct vm *vm = vcpu->vm;
	u32 sgi = 1u << ((value >> 24) & 0xf);
	u64 kick = 0;

	vgic_send_sgi(&vm->arch.vgic, vcpu->id, value, &kick);
	for (; kick; kick &= kick - 1) {
		u32 i = (u32)__builtin_ctzll(kick);

		if (i >= vm->nvcpus)
			break;
		__atomic_fetch_or(&vm->vcpus[i].arch.gic.sgi_new, sgi, __ATOMIC_RELEASE);
		vcpu_notify(&vm->vcpus[i]);
	}
}

static u64 get_rt(const struct arch_regs *regs, u32 rt)
{
	return rt == 31 ? 0 : regs->x[rt];
}

static void set_rt(struct arch_regs *regs, u32 rt, u64 v)
{
	if (rt != 31)
		regs->x[rt] = v;
}

bool sysreg_emulate(struct vcpu *vcpu, struct arch_regs *regs, u64 esr)
{
	struct sysreg_access a = decode(esr);

	if (a.op0 == 2)
		return vdebug_sysreg(vcpu, regs, esr);
	if (is_id_register(&a)) {
		if (!a.read)
			return false;
		/* SVE goes back in for a VM that has it */
		set_rt(regs, a.rt, vsve_id_register(vcpu->vm, a.crm, a.op2,
						    id_register(a.crm, a.op2)));
	} else if (a.op0 == 3 && vpmu_is_pmu_reg(a.op1, a.crn, a.crm) && vpmu_pmuver()) {
		u64 v = get_rt(regs, a.rt);

		if (!vpmu_access(vcpu, a.op1, a.crn, a.crm, a.op2, a.read, &v))
			return false;
		if (a.read)
			set_rt(regs, a.rt, v);
	} else if (is_pmu(&a)) {
		if (a.read)
			set_rt(regs, a.rt, 0);
	} else if (is_set_way(&a)) {
		set_way(vcpu);
	} else if (vcpu->arch.sw_tvm && tvm_write(vcpu, &a, get_rt(regs, a.rt))) {
		/* done */
	} else if (is(&a, 3, 0, 12, 11, 5) && !a.read) {
		sysreg_send_sgi(vcpu, get_rt(regs, a.rt));  /* ICC_SGI1R_EL1 */
	} else if ((is(&a, 3, 0, 12, 11, 6) || is(&a, 3, 0, 12, 11, 7)) && !a.read) {
		/* ICC_ASGI1R_EL1, ICC_SGI0R_EL1: other security state or group 0: no target */
	} else {
		return false;
	}
	regs->elr += 4;
	vdebug_step_done(regs);
	return true;
}
