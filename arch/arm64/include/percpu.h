/* Per-CPU state of the arm64 port; TPIDR_EL2 points at this CPU's entry. */
#ifndef BULKHEAD_ARM64_PERCPU_H
#define BULKHEAD_ARM64_PERCPU_H

#include "types.h"
#include "arch_types.h"
#include "core/platform.h"

struct vcpu;

struct arm64_percpu {
	struct arch_regs *regs;  /* vectors.S loads it (PERCPU_REGS, asm_offsets.h) */
	struct vcpu *vcpu;
	/* The vCPU whose state was last loaded into this CPU's registers (the
	 * running one, or the last to run), NULL: none. Only compared, never
	 * followed: it may name a vCPU that was since freed. */
	const struct vcpu *loaded;
	/* Counter ticks outside the idle WFI (arch_idle) from the first one on,
	 * and when the CPU last woke from it (0: idle now, or never yet) */
	u64 busy_ticks;
	u64 awake_since;
	u32 index;
	u32 ppi_masked;
	/* The top of this CPU's emergency stack, until a stack overflow takes
	 * it (vectors.S, hv_stack.h); 16-aligned: vectors.S reaches it through SP */
	u64 emergency_sp __attribute__((aligned(16)));  /* PPIs (bit = INTID) vtimer.c disabled at this CPU's redistributor */
};

extern struct arm64_percpu arm64_percpu[MAX_CPUS];
extern u64 secondary_stack_tops[MAX_CPUS];

static inline struct arm64_percpu *this_percpu(void)
{
	struct arm64_percpu *p;

	__asm__ volatile("mrs %0, tpidr_el2" : "=r"(p));
	return p;
}

/* EL2 controls every CPU sets up the same way (vectors, traps, stage 2). */
void arm64_cpu_init(u32 index);
/* ID_AA64MMFR0_EL1.PARange, at most 48 bits: the PS field of TCR_EL2 and VTCR_EL2. */
u64 pa_range_field(void);
void arm64_mmu_enable(void);
int psci_fw_cpu_on(u64 mpidr, u64 entry, u64 context);
void psci_fw_system_off(void);
u32 psci_fw_version(void);

/* HCR_EL2.TVM on or off on this CPU (for the vCPU about to run, or running). */
void arm64_hcr_tvm(bool on);

#endif
