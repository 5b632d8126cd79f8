/*
 * The guest's interrupt controller on the virtual board, where QEMU virt has
 * it (so guests built for virt find it), and the PPIs of the guest's timers.
 * Guest-physical addresses, not the host board's.
 */
#ifndef BULKHEAD_ARM64_GUEST_GIC_H
#define BULKHEAD_ARM64_GUEST_GIC_H

#define GUEST_GICD_BASE   0x08000000ull
#define GUEST_GICR_BASE   0x080a0000ull     /* one redistributor per vCPU from here */
#define GUEST_PPI_VTIMER  27
#define GUEST_PPI_PTIMER  30

#endif
