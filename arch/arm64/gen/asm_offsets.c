/*
 * Offsets of the C structures that assembly reads, computed by the compiler.
 * The Makefile compiles this file to assembly only (it is never linked) and
 * turns each "->NAME value" line into a #define of build/hv/include/
 * asm_offsets.h, so vectors.S and fpsimd.S follow the structures rather than
 * copies of their layout.
 */
#include "arch_types.h"
#include "core/hypercall_handle.h"
#include "core/vm.h"
#include "esr.h"
#include "hypercall.h"
#include "hv_frame.h"
#include "percpu.h"
#include "sysreg_emul.h"

#define OFFSET(name, type, field) \
	__asm__ volatile("\n->" #name " %0" : : "i"(__builtin_offsetof(type, field)))
#define CONST(name, value) \
	__asm__ volatile("\n->" #name " %0" : : "i"(value))
#define SIZE(name, type) \
	__asm__ volatile("\n->" #name " %0" : : "i"(sizeof(type)))

/* vectors.S makes the base of Bulkhead's calls with one mov (a 16-bit immediate, shifted) */
_Static_assert((BH_HC_BASE & 0xffffu) == 0, "BH_HC_BASE: only its upper 16 bits may be set");

void asm_offsets(void);

void asm_offsets(void)
{
	OFFSET(PERCPU_REGS, struct arm64_percpu, regs);
	OFFSET(PERCPU_VCPU, struct arm64_percpu, vcpu);
	OFFSET(PERCPU_EMERGENCY_SP, struct arm64_percpu, emergency_sp);

	OFFSET(VCPU_TRAPS, struct vcpu, traps);
	OFFSET(VCPU_TRAPS_HYPERCALL, struct vcpu, trap_count[TRAP_HYPERCALL]);
	OFFSET(VCPU_TRAPS_MMIO, struct vcpu, trap_count[TRAP_MMIO]);
	OFFSET(VCPU_VM, struct vcpu, vm);
	OFFSET(VCPU_IRQ_DIRTY, struct vcpu, irq_dirty);
	OFFSET(VM_BUS_NFIXED, struct vm, bus.nfixed);
	OFFSET(VM_BUS_FIXED, struct vm, bus.fixed);
	OFFSET(VM_BUS_FIXED_FRAME, struct vm, bus.fixed_frame);
	OFFSET(VM_BUS_NPOLLED, struct vm, bus.npolled);
	OFFSET(VM_BUS_POLLED, struct vm, bus.polled);
	OFFSET(VM_BUS_POLLED_FRAME, struct vm, bus.polled_frame);
	CONST(MMIO_FIXED_FRAME_SHIFT, MMIO_FIXED_FRAME_SHIFT);
	OFFSET(MMIO_FIXED_VALUE, struct mmio_fixed, value);
	SIZE(MMIO_FIXED_SIZE, struct mmio_fixed);
	CONST(HYPERCALL_FIXED_CALLS, HYPERCALL_FIXED);
	CONST(BH_HC_BASE_HI, BH_HC_BASE >> 16);
	CONST(ESR_EC_HVC64, EC_HVC64);
	CONST(ESR_EC_DABT_LOW, EC_DABT_LOW);
	CONST(ESR_EC_SYSREG, EC_SYSREG);
	CONST(ESR_ISS_SGI1R_HI, ISS_SGI1R_WRITE >> 16);
	CONST(ESR_ISS_SGI1R_LO, ISS_SGI1R_WRITE & 0xfc00);

	OFFSET(ARCH_REGS_X, struct arch_regs, x);
	OFFSET(ARCH_REGS_ELR, struct arch_regs, elr);
	OFFSET(ARCH_REGS_SPSR, struct arch_regs, spsr);

	OFFSET(FPSIMD_Q, struct arch_fpsimd, q);
	OFFSET(FPSIMD_FPSR, struct arch_fpsimd, fpsr);
	OFFSET(FPSIMD_FPCR, struct arch_fpsimd, fpcr);

	OFFSET(HV_FRAME_X, struct arm64_hv_frame, x);
	OFFSET(HV_FRAME_LR, struct arm64_hv_frame, lr);
	OFFSET(HV_FRAME_SP, struct arm64_hv_frame, sp);
	OFFSET(HV_FRAME_ELR, struct arm64_hv_frame, elr);
	OFFSET(HV_FRAME_SPSR, struct arm64_hv_frame, spsr);
	SIZE(HV_FRAME_SIZE, struct arm64_hv_frame);
	CONST(HV_KIND_STACK_OVERFLOW, HV_KIND_STACK_OVERFLOW);
}
