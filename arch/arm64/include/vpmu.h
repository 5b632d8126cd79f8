/* Each vCPU's PMUv3 (vpmu.c): the CPU's counters, switched per vCPU. */
#ifndef BULKHEAD_ARM64_VPMU_H
#define BULKHEAD_ARM64_VPMU_H

#include "types.h"

struct vcpu;
struct fdt_writer;

/* The guests' PMU overflow interrupt, the PPI the Base System Architecture
 * gives the PMU (and QEMU virt uses); also the physical one Bulkhead takes. */
#define GUEST_PPI_PMU 23

/* This CPU's MDCR_EL2 PMU controls (every access traps, all counters are
 * EL1's, none counts at EL2); the PMU is left stopped and quiet. */
u64 vpmu_cpu_init(void);
/* PMUVer guests see in ID_AA64DFR0_EL1: 0 when they get no PMU. */
u64 vpmu_pmuver(void);
/* A trapped MSR/MRS (op0 3) of a PMU register: true when it is one. */
bool vpmu_is_pmu_reg(u32 op1, u32 crn, u32 crm);
/* Emulates it for the running vCPU; false: UNDEFINED to the guest. */
bool vpmu_access(struct vcpu *vcpu, u32 op1, u32 crn, u32 crm, u32 op2, bool read, u64 *val);
/* Switching: the vCPU's counters run only while it is on the CPU. */
void vpmu_load(struct vcpu *vcpu);
void vpmu_put(struct vcpu *vcpu);
/* The physical PMU interrupt fired (vcpu: the one running, or NULL). */
void vpmu_overflow(struct vcpu *vcpu);
/* The guest's arm,armv8-pmuv3 node, when it has a PMU. */
void vpmu_write_dt(struct fdt_writer *w);

#endif
