/* Bulkhead's own use of the physical GICv3: its SGIs, PPIs and the CPU interface. */
#ifndef BULKHEAD_ARM64_GICV3_H
#define BULKHEAD_ARM64_GICV3_H

#include "types.h"

/* Software-generated interrupts Bulkhead sends between physical CPUs: a
 * kick to look at the run queue, and one that only brings a running vCPU's
 * new virtual interrupt in (arch_kick_cpu_irq), which costs no scheduling
 * pass on the IPI path. */
#define SGI_KICK 0
#define SGI_VIRQ 1
/* PPIs, as INTIDs (fixed by the Arm Base System Architecture for GICv3 systems;
 * arch_interrupts_init refuses a device tree that puts the timers elsewhere). */
#define PPI_MAINTENANCE 25
#define PPI_HYP_TIMER 26
#define PPI_VIRT_TIMER 27
#define PPI_PHYS_TIMER 30   /* the EL1 physical timer, which only guests use */
#define PPI_PMU 23          /* the PMU overflow, for the guest whose counters run (vpmu.c) */
#define INTID_FIRST_SPI 32   /* below: SGIs and PPIs, the arch's own */
#define INTID_SPURIOUS 1020

void gic_init_distributor(void);
/* Wakes this CPU's redistributor and enables its CPU interface. */
void gic_init_cpu(u64 mpidr);
/* Acknowledges the highest-priority pending interrupt (or returns >= 1020). */
/* Enables or disables one of this CPU's PPIs at its redistributor. */
void gic_ppi_enable(u32 intid, bool enable);
/* Routes a distributor interrupt (SPI) to the CPU with this MPIDR and enables it. */
void gic_route_spi_here(u32 intid, u64 mpidr);
u32 gic_ack(void);
void gic_eoi(u32 intid);
void gic_send_sgi(u64 target_mpidr, u32 sgi);
u32 gic_list_registers(void);
u64 gic_read_lr(u32 n);
void gic_write_lr(u32 n, u64 value);
/* The virtual CPU interface's active priority registers, per group (0, 1). */
u32 gic_active_priority_registers(void);
u64 gic_read_apr(u32 group, u32 n);
void gic_write_apr(u32 group, u32 n, u64 value);

#endif
