/*
 * The arm64 part of the board, from the device tree: the GICv3, the
 * architected timer's interrupts and how to reach the PSCI firmware.
 * Embedded in core's struct platform as `.arch` (arch_types.h).
 */
#ifndef BULKHEAD_ARM64_PLATFORM_ARM_H
#define BULKHEAD_ARM64_PLATFORM_ARM_H

#include "types.h"

struct fdt;

enum psci_conduit { PSCI_CONDUIT_NONE, PSCI_CONDUIT_SMC, PSCI_CONDUIT_HVC };

struct arch_platform {
	enum psci_conduit psci;
	u64 gicd_base, gicd_size;
	u64 gicr_base, gicr_size;
	u32 gic_version;          /* 0: the tree names no GIC Bulkhead can drive */
	u32 timer_ppi_hyp;        /* EL2 physical timer PPI, as an INTID */
	u32 timer_ppi_virt;
	u32 pmu_ppi;              /* the arm,armv8-pmuv3 node's PPI, as an INTID; 0: none */
};

/* Fills `a` from the tree; 0 (what the tree lacks stays 0). */
int arch_platform_parse(struct arch_platform *a, const struct fdt *fdt);

/* The INTID of a device interrupt written in the GIC binding (<type number
 * flags>), or 0 when it is not an SPI. */
u32 gic_dt_spi_intid(const u32 *cells, u32 ncells);

#endif
