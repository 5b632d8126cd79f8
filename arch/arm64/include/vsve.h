/* SVE for guests (vsve.c): lazy per-vCPU Z/P/FFR/ZCR_EL1 switching. */
#ifndef BULKHEAD_ARM64_VSVE_H
#define BULKHEAD_ARM64_VSVE_H

#include "types.h"
#include "core/vcpu_next.h"

struct vcpu;
struct vm;
struct arch_regs;

/* This CPU's longest vector length, measured once as it starts. */
void vsve_cpu_init(u32 index);
/* The vCPU is being loaded on this CPU (after its FP/SIMD registers): its
 * SVE state too if it uses SVE, the SVE trap otherwise. */
void vsve_load(struct vcpu *vcpu);
/* The vCPU leaves its CPU (before its FP/SIMD registers are saved). */
void vsve_save(struct vcpu *vcpu);
/* An SVE instruction or ZCR_EL1 access trapped (EC 0x19). */
enum vcpu_next vsve_trap(struct vcpu *vcpu, struct arch_regs *regs);
/* ID register (op0 3, op1 0, CRn 0, `crm`, `op2`) as the VM sees it, from
 * `value`, the view without SVE. */
u64 vsve_id_register(const struct vm *vm, u32 crm, u32 op2, u64 value);

#endif
