/*
 * Offsets of the C structures that assembly reads, computed by the compiler.
 * The Makefile compiles this file to assembly only (it is never linked) and
 * turns each "->NAME value" line into a #define of build/hv/include/
 * asm_offsets.h, so vectors.S and fpsimd.S follow the structures rather than
 * copies of their layout.
 */
#include "arch_types.h"
#include "hv_frame.h"
#include "percpu.h"

#define OFFSET(name, type, field) \
	__asm__ volatile("\n->" #name " %0" : : "i"(__builtin_offsetof(type, field)))
#define SIZE(name, type) \
	__asm__ volatile("\n->" #name " %0" : : "i"(sizeof(type)))

void asm_offsets(void);

void asm_offsets(void)
{
	OFFSET(PERCPU_REGS, struct arm64_percpu, regs);

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
}
