/*
 * Host stand-ins for the state arch-neutral code embeds by value (see
 * arch/arm64/include/arch_types.h for the real ones). core/ never looks inside
 * these; the fake arch (tests/unit/fake_arch.c) and the tests do.
 */
#ifndef BULKHEAD_FAKE_ARCH_TYPES_H
#define BULKHEAD_FAKE_ARCH_TYPES_H

#include "types.h"
#include "core/spinlock_types.h"

struct arch_regs {
	u64 x[31];
	u64 pc;      /* where the vCPU resumes */
	u64 pstate;
};

struct arch_sysregs {
	u32 index;   /* which vCPU of its VM arch_vcpu_reset made it */
};

struct arch_vcpu {
	struct arch_regs regs;
	struct arch_sysregs sys;
	u32 resets;  /* arch_vcpu_reset calls since the structure was zeroed */
	u64 counter_offset;
};

/* The VM's arch part: the lock arm64's guest PSCI takes (tests link it);
 * the fake's device lines are recorded in `fake` (tests/unit/fake_board.c). */
struct arch_vm {
	struct spinlock psci_lock;
};

#define ARCH_VM_MAX_VCPUS 64

#define ARCH_CPU_HWID_NAME "hwid"

/* The arch's part of the board: the fake only counts that it was read. */
struct arch_platform {
	u32 parses;
};

struct arch_stage2 {
	paddr_t root;   /* a host page standing in for the root table */
	u16 vmid;
	u32 maps;       /* arch_stage2_map calls that succeeded */
	u64 mapped;     /* bytes they mapped, less those arch_stage2_unmap took out */
};

#endif
