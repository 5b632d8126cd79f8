/* How vCPUs are named to guests: their MPIDR affinity (VMPIDR_EL2). */
#ifndef BULKHEAD_ARM64_VCPU_MPIDR_H
#define BULKHEAD_ARM64_VCPU_MPIDR_H

#include "types.h"

struct vcpu;
struct vm;

/* vCPU `index`'s MPIDR affinity. */
u64 vcpu_mpidr(u32 index);
/* The vCPU with this MPIDR affinity, or NULL. */
struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, u64 mpidr);

#endif
