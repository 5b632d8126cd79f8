/* Physical CPUs as core/ sees them. */
#ifndef BULKHEAD_CORE_CPU_H
#define BULKHEAD_CORE_CPU_H

#include "types.h"
#include "core/platform.h"

struct vcpu;

struct cpu {
	u32 index;
	u64 mpidr;
	bool online;
	struct vcpu *vcpu;   /* the vCPU this CPU runs (one per CPU for now) */
};

extern struct cpu cpus[MAX_CPUS];

/* Per-CPU loop: run the assigned vCPU, handle its exits, sleep when idle. */
void cpu_run_loop(void) __attribute__((noreturn));
void core_boot(paddr_t dtb, paddr_t image_base, u64 image_mem_size);
void core_secondary(u32 cpu);
/* Prints why Bulkhead cannot run here (if the board has a console) and powers off. */
void core_refuse_boot(paddr_t dtb, const char *why) __attribute__((noreturn));

#endif
