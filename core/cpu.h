/* Physical CPUs as core/ sees them. */
#ifndef BULKHEAD_CORE_CPU_H
#define BULKHEAD_CORE_CPU_H

#include "types.h"
#include "core/platform.h"
#include "core/spinlock.h"

struct vcpu;

struct cpu {
	u32 index;
	u64 hwid;                 /* the firmware's name for it: its DT cpu node's reg */
	bool online;
	struct spinlock rq_lock;  /* guards the run queue and its vCPUs' state */
	struct vcpu *rq_head;
	u32 nr_vcpus;
	struct vcpu *current;     /* running now, or NULL */
	struct vcpu *last;        /* ran last: equals take turns after it */
	u64 slice_end;
	bool slice_capped;        /* the slice ends where the VM's cap budget does */
	u64 min_vtime;            /* vtime the queue's runnable vCPUs have reached */
	bool preempt;             /* a woken vCPU is owed the CPU: end the slice */
	bool reserved;            /* a pinned vCPU owns this CPU */
	bool waiting_in_place;    /* its vCPU waits for an interrupt without leaving: idle */
	bool help_wanted;         /* kicked to take a vCPU waiting on a busy CPU */
};

extern struct cpu cpus[MAX_CPUS];

/* Per-CPU loop: run the next runnable vCPU, handle its exits, sleep when idle. */
void cpu_run_loop(void) __attribute__((noreturn));
void core_boot(paddr_t dtb, paddr_t image_base, u64 image_mem_size);
void core_secondary(u32 cpu);
/* Prints why Bulkhead cannot run here (if the board has a console) and powers off. */
void core_refuse_boot(paddr_t dtb, const char *why) __attribute__((noreturn));

#endif
