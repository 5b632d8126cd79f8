/*
 * The GICv3 register front end of the vGIC: the distributor frame and one
 * redistributor (RD_base and SGI_base frames) per vCPU, over the model of
 * vgic.h.
 */
#ifndef BULKHEAD_ARM64_VGIC_V3_REGS_H
#define BULKHEAD_ARM64_VGIC_V3_REGS_H

#include "types.h"

struct vgic;

#define VGIC_DIST_SIZE 0x10000          /* GICD frame */
#define VGIC_REDIST_STRIDE 0x20000      /* RD_base + SGI_base per vCPU */

/* MMIO handlers; `offset` is from the frame base. Accesses the GIC
 * architecture does not allow (bad size or alignment) return false. */
/* Distributor offsets whose 32-bit read is a constant (struct vdev_ops.fixed_regs). */
#define VGIC_DIST_FIXED_REGS 4
extern const u16 vgic_dist_fixed_regs[VGIC_DIST_FIXED_REGS];
bool vgic_dist_read(struct vgic *g, u64 offset, u32 size, u64 *value);
bool vgic_dist_write(struct vgic *g, u64 offset, u32 size, u64 value);
/* `offset` is from the start of the redistributor region (vCPU = offset / stride). */
bool vgic_redist_read(struct vgic *g, u64 offset, u32 size, u64 *value);
bool vgic_redist_write(struct vgic *g, u64 offset, u32 size, u64 value);

#endif
