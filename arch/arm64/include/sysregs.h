/*
 * Named accessors for AArch64 system registers: every register access in the
 * hypervisor goes through read_<reg>() / write_<reg>() so a grep finds it.
 */
#ifndef BULKHEAD_ARM64_SYSREGS_H
#define BULKHEAD_ARM64_SYSREGS_H

#include "types.h"

#define SYSREG_READ(reg)                                              \
	static inline u64 read_##reg(void)                            \
	{                                                             \
		u64 v;                                                \
		__asm__ volatile("mrs %0, " #reg : "=r"(v));          \
		return v;                                             \
	}
#define SYSREG_WRITE(reg)                                             \
	static inline void write_##reg(u64 v)                         \
	{                                                             \
		__asm__ volatile("msr " #reg ", %0" : : "r"(v));      \
	}
#define SYSREG_RW(reg) SYSREG_READ(reg) SYSREG_WRITE(reg)

SYSREG_READ(currentel)
SYSREG_READ(mpidr_el1)
SYSREG_READ(midr_el1)
SYSREG_READ(ctr_el0)
SYSREG_READ(id_aa64mmfr0_el1)
SYSREG_READ(id_aa64pfr0_el1)
SYSREG_READ(cntpct_el0)
SYSREG_READ(cntfrq_el0)
SYSREG_READ(esr_el2)
SYSREG_READ(far_el2)
SYSREG_READ(hpfar_el2)
SYSREG_RW(elr_el2)
SYSREG_RW(spsr_el2)
SYSREG_RW(tpidr_el2)
SYSREG_RW(vbar_el2)
SYSREG_RW(sctlr_el2)
SYSREG_RW(tcr_el2)
SYSREG_RW(mair_el2)
SYSREG_RW(ttbr0_el2)
SYSREG_RW(hcr_el2)
SYSREG_RW(vtcr_el2)
SYSREG_RW(vttbr_el2)
SYSREG_RW(cptr_el2)
SYSREG_RW(mdcr_el2)
SYSREG_RW(cnthctl_el2)
SYSREG_RW(cntvoff_el2)
SYSREG_RW(vpidr_el2)
SYSREG_RW(vmpidr_el2)

/* Guest (EL1) state that Bulkhead saves, restores or edits on injection. */
SYSREG_RW(sctlr_el1)
SYSREG_RW(ttbr0_el1)
SYSREG_RW(ttbr1_el1)
SYSREG_RW(tcr_el1)
SYSREG_RW(mair_el1)
SYSREG_RW(amair_el1)
SYSREG_RW(vbar_el1)
SYSREG_RW(contextidr_el1)
SYSREG_RW(tpidr_el1)
SYSREG_RW(tpidr_el0)
SYSREG_RW(tpidrro_el0)
SYSREG_RW(sp_el0)
SYSREG_RW(sp_el1)
SYSREG_RW(elr_el1)
SYSREG_RW(spsr_el1)
SYSREG_RW(esr_el1)
SYSREG_RW(far_el1)
SYSREG_RW(afsr0_el1)
SYSREG_RW(afsr1_el1)
SYSREG_RW(par_el1)
SYSREG_RW(cpacr_el1)
SYSREG_RW(csselr_el1)
SYSREG_RW(cntkctl_el1)

/* GICv3 CPU interface (ICC_*) and virtual interface control (ICH_*). Older
 * assemblers lack the names, so the generic S<op0>_<op1>_<Cn>_<Cm>_<op2> form
 * is used; the accessor name says which register it is. */
#define SYSREG_RW_ENC(name, enc)                                      \
	static inline u64 read_##name(void)                           \
	{                                                             \
		u64 v;                                                \
		__asm__ volatile("mrs %0, " enc : "=r"(v));           \
		return v;                                             \
	}                                                             \
	static inline void write_##name(u64 v)                        \
	{                                                             \
		__asm__ volatile("msr " enc ", %0" : : "r"(v));       \
	}

SYSREG_RW_ENC(icc_sre_el2, "S3_4_C12_C9_5")
SYSREG_RW_ENC(icc_pmr_el1, "S3_0_C4_C6_0")
SYSREG_RW_ENC(icc_bpr1_el1, "S3_0_C12_C12_3")
SYSREG_RW_ENC(icc_ctlr_el1, "S3_0_C12_C12_4")
SYSREG_RW_ENC(icc_igrpen1_el1, "S3_0_C12_C12_7")
SYSREG_RW_ENC(icc_iar1_el1, "S3_0_C12_C12_0")
SYSREG_RW_ENC(icc_eoir1_el1, "S3_0_C12_C12_1")
SYSREG_RW_ENC(icc_sgi1r_el1, "S3_0_C12_C11_5")
SYSREG_RW_ENC(ich_hcr_el2, "S3_4_C12_C11_0")
SYSREG_RW_ENC(ich_vtr_el2, "S3_4_C12_C11_1")
SYSREG_RW_ENC(ich_misr_el2, "S3_4_C12_C11_2")
SYSREG_RW_ENC(ich_eisr_el2, "S3_4_C12_C11_3")
SYSREG_RW_ENC(ich_elrsr_el2, "S3_4_C12_C11_5")
SYSREG_RW_ENC(ich_vmcr_el2, "S3_4_C12_C11_7")
/* SME's thread register: guest state on a CPU with SME, see vcpu.c. */
SYSREG_RW_ENC(tpidr2_el0, "S3_3_C13_C0_5")
SYSREG_RW_ENC(vdisr_el2, "S3_4_C12_C1_1")

/* Timers: the EL1 virtual and physical timers the guest owns, the EL2 physical timer Bulkhead keeps. */
SYSREG_RW(cntv_ctl_el0)
SYSREG_RW(cntv_cval_el0)
SYSREG_RW(cntp_ctl_el0)
SYSREG_RW(cntp_cval_el0)
SYSREG_RW(cnthp_ctl_el2)
SYSREG_RW(cnthp_cval_el2)
SYSREG_READ(cntvct_el0)

/* ID registers Bulkhead sanitizes for guests. */
SYSREG_READ(id_aa64pfr1_el1)
SYSREG_READ(id_aa64dfr0_el1)
SYSREG_READ(id_aa64dfr1_el1)
SYSREG_READ(id_aa64afr0_el1)
SYSREG_READ(id_aa64afr1_el1)
SYSREG_READ(id_aa64isar0_el1)
SYSREG_READ(id_aa64isar1_el1)
SYSREG_READ(id_aa64mmfr1_el1)
SYSREG_READ(id_aa64mmfr2_el1)
SYSREG_RW_ENC(id_aa64isar2_el1, "S3_0_C0_C6_2")
SYSREG_RW_ENC(id_aa64zfr0_el1, "S3_0_C0_C4_4")
SYSREG_RW_ENC(id_aa64smfr0_el1, "S3_0_C0_C4_5")
SYSREG_READ(id_pfr0_el1)
SYSREG_READ(id_pfr1_el1)
SYSREG_READ(id_dfr0_el1)
SYSREG_READ(id_afr0_el1)
SYSREG_READ(id_mmfr0_el1)
SYSREG_READ(id_mmfr1_el1)
SYSREG_READ(id_mmfr2_el1)
SYSREG_READ(id_mmfr3_el1)
SYSREG_READ(id_isar0_el1)
SYSREG_READ(id_isar1_el1)
SYSREG_READ(id_isar2_el1)
SYSREG_READ(id_isar3_el1)
SYSREG_READ(id_isar4_el1)
SYSREG_READ(id_isar5_el1)
SYSREG_READ(mvfr0_el1)
SYSREG_READ(mvfr1_el1)
SYSREG_READ(mvfr2_el1)

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void dsb_ish(void) { __asm__ volatile("dsb ish" ::: "memory"); }
static inline void dsb_ishst(void) { __asm__ volatile("dsb ishst" ::: "memory"); }
static inline void wfe(void) { __asm__ volatile("wfe" ::: "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
static inline void sev(void) { __asm__ volatile("sev" ::: "memory"); }

static inline void tlbi_alle2(void)
{
	__asm__ volatile("dsb ishst; tlbi alle2; dsb ish; isb" ::: "memory");
}

/* Stage-1+2 EL1 entries of the VMID currently in VTTBR_EL2, all CPUs. */
static inline void tlbi_vmalls12e1is(void)
{
	__asm__ volatile("dsb ishst; tlbi vmalls12e1is; dsb ish; isb" ::: "memory");
}

/*
 * A stage-2 entry for `ipa` of the VMID in VTTBR_EL2 was changed, on all
 * CPUs: the stage-2 entries by IPA, then every combined stage-1+2 entry of
 * the VMID (those are tagged by VA, which the IPA does not name), as the
 * Arm ARM's sequence for a stage-2 change has it.
 */
static inline void tlbi_ipas2e1is(u64 ipa)
{
	__asm__ volatile("dsb ishst; tlbi ipas2e1is, %0; dsb ish; tlbi vmalle1is; dsb ish; isb"
			 :: "r"(ipa >> 12) : "memory");
}

/* Every EL1&0 TLB entry of every VMID: stale entries from before boot. */
static inline void tlbi_alle1(void)
{
	__asm__ volatile("dsb ishst; tlbi alle1; dsb nsh; isb" ::: "memory");
}

static inline void ic_iallu(void)
{
	__asm__ volatile("ic iallu; dsb nsh; isb" ::: "memory");
}

#endif
