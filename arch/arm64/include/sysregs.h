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
