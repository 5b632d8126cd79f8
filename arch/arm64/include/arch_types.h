/*
 * AArch64 state that arch-neutral code embeds by value (core/ knows the size of
 * these structures but never looks inside them).
 */
#ifndef BULKHEAD_ARM64_ARCH_TYPES_H
#define BULKHEAD_ARM64_ARCH_TYPES_H

#include "types.h"
#include "core/spinlock_types.h"
#include "platform_arm.h"
#include "vdebug_state.h"
#include "vgic.h"

/* Saved on every trap by vectors.S, which gets the offsets from the
 * generated asm_offsets.h and checks the order its register pairs need. */
struct arch_regs {
	u64 x[31];
	u64 elr;
	u64 spsr; /* right after elr: one stp/ldp moves both */
};

/* Guest EL1 system registers: saved whenever the vCPU leaves its CPU, loaded
 * again only when the CPU's registers may hold something else (vcpu.c). */
struct arch_sysregs {
	u64 sctlr_el1, ttbr0_el1, ttbr1_el1, tcr_el1, mair_el1, amair_el1;
	u64 vbar_el1, contextidr_el1, tpidr_el1, tpidr_el0, tpidrro_el0, tpidr2_el0;
	u64 sp_el0, sp_el1, elr_el1, spsr_el1, esr_el1, far_el1;
	u64 afsr0_el1, afsr1_el1, par_el1, cpacr_el1, csselr_el1, cntkctl_el1;
	u64 vmpidr_el2;
	u64 vdisr_el2;  /* the guest's DISR_EL1 (HCR_EL2.AMO), on a CPU with RAS */
};

/* FP/SIMD registers, saved and loaded like the EL1 system registers. */
struct arch_fpsimd {
	u64 q[64];  /* v0-v31, 128 bits each */
	u64 fpsr;
	u64 fpcr;
};

/* The vCPU's SVE state (vsve.c): its Z, P and FFR registers live in the
 * VM's save area (struct arch_vm), in use from its first SVE instruction. */
struct arch_sve_vcpu {
	u64 zcr_el1;
	bool live;   /* SVE is on for it (no trap), its state is the save area's */
};

/* The guest's EL1 timers (vtimer.c), as saved while its vCPU is off the CPU. */
enum gtimer { GTIMER_VIRT, GTIMER_PHYS, GTIMERS };
struct arch_gtimer {
	u64 ctl;
	u64 cval;
	u8 line;     /* the output level the vGIC was last given: 0 unknown, 1 low, 2 high */
};

/* The vCPU's PMU (vpmu.c), as saved while it is off the CPU. */
struct arch_pmu {
	u64 pmcr, cnten, inten, ovs, selr, userenr, ccntr, ccfiltr;
	u64 evcntr[31], evtyper[31];
	bool used;   /* accessed since reset: switched on every entry and exit */
	u8 line;     /* the overflow level the vGIC was last given: 0 unknown, 1 low, 2 high */
};

/* The last fault given to the guest, to tell a handler that makes progress
 * from one that can never get past it (inject.c). */
struct arch_fault_streak {
	u64 pc, esr, far;
	u64 digest;   /* of the general registers and PSTATE */
	u32 count;    /* faults in a row that found the guest as the last one left it */
};

/* The vCPU's side of the GIC virtual CPU interface. */
struct arch_vgic_cpu {
	u64 vmcr;
	u64 apr[2][4];   /* ICH_AP0R<n>_EL2, ICH_AP1R<n>_EL2 */
	u32 lr_used;     /* bit n: ICH_LR<n>_EL2 holds an interrupt of this vCPU */
	u32 lr_pending;  /* of those, the ones handed over pending (a WFI ends for them) */
	/* SGIs sent to this vCPU since its list registers were last filled
	 * (sysreg_send_sgi): taken in on the way into the guest without a
	 * scan of the model (vgic_catch_up). Set by any CPU, atomically. */
	u32 sgi_new;
	u32 lr_intid[16];
};

struct arch_vcpu {
	struct arch_regs regs;
	struct arch_sysregs sys;
	struct arch_fpsimd fp;
	struct arch_sve_vcpu sve;
	struct arch_gtimer timer[GTIMERS];
	struct arch_pmu pmu;
	struct arch_vgic_cpu gic;
	struct arch_fault_streak faults;
	struct arch_debug dbg;
	/* Set/way maintenance seen: its writes to SCTLR_EL1 and the other
	 * HCR_EL2.TVM registers trap, so that a cache or MMU toggle flushes
	 * the VM (sysreg_emul.c). */
	bool sw_tvm;
	/* 1 + the CPU whose registers were last loaded from this state (sys,
	 * fp, VTTBR, the timers' compare values); 0: none. Zeroed by
	 * arch_vcpu_reset, so a reset vCPU is always loaded in full. */
	u32 loaded_on;
};

/* The VM's arch part: its vGIC and the lock PSCI CPU_ON takes. */
struct arch_vm {
	struct vgic vgic;
	/* the model's per-vCPU state: pages of its own, as a vCPU reset
	 * (PSCI CPU_ON zeroes struct arch_vcpu) must leave it alone */
	struct vgic_cpu *vgic_cpus;
	struct spinlock psci_lock;   /* serializes CPU_ON */
	/* SVE: the vector length in 128-bit units (0: SVE hidden), and each
	 * vCPU's register save area, made with the VM (vsve.c) */
	u32 sve_vq;
	u8 *sve_area;
};

/* The most vCPUs a VM may have: as many as the vGIC serves. */
#define ARCH_VM_MAX_VCPUS VGIC_MAX_VCPUS

/* What a CPU's hardware id (its DT cpu node's reg, core's cpu.hwid) is. */
#define ARCH_CPU_HWID_NAME "MPIDR"

struct arch_stage2 {
	paddr_t root; /* level-1 table of the guest's IPA space */
	u16 vmid;
};

#endif
