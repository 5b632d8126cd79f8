/*
 * SMCCC calls. Inline so the benchmark loop measures the trap and nothing
 * else. x4-x17 are clobbered because SMCCC 1.0 callees may corrupt them.
 */
#ifndef GUEST_TEST_SMCCC_H
#define GUEST_TEST_SMCCC_H

#include "types.h"

#define SMCCC_CLOBBERS "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", \
	"x13", "x14", "x15", "x16", "x17", "memory"

#define SMCCC_CALL(insn, fid, a1, a2, a3) ({				\
	register u64 r0 asm("x0") = (fid);				\
	register u64 r1 asm("x1") = (a1);				\
	register u64 r2 asm("x2") = (a2);				\
	register u64 r3 asm("x3") = (a3);				\
	asm volatile(insn : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)	\
		     : : SMCCC_CLOBBERS);				\
	r0;								\
})

static inline u64 smccc_hvc(u64 fid, u64 a1, u64 a2, u64 a3)
{
	return SMCCC_CALL("hvc #0", fid, a1, a2, a3);
}

static inline u64 smccc_smc(u64 fid, u64 a1, u64 a2, u64 a3)
{
	return SMCCC_CALL("smc #0", fid, a1, a2, a3);
}

/*
 * An SMC followed by an instruction that sets *next: a trapping hypervisor
 * must resume exactly after the SMC, and *next tells whether it skipped more.
 * (Resuming at the SMC itself would loop forever; nothing can detect that.)
 */
static inline u64 smccc_smc_checked(u64 fid, bool *next)
{
	register u64 r0 asm("x0") = fid;
	register u64 r1 asm("x1") = 0;
	register u64 r2 asm("x2") = 0;
	register u64 r3 asm("x3") = 0;
	u64 mark = 0;

	asm volatile("smc #0\n\tmov %4, #1"
		     : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(mark)
		     : : SMCCC_CLOBBERS);
	*next = mark == 1;
	return r0;
}

#endif
