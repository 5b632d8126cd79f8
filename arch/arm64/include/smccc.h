/* SMCCC calls from guests: PSCI, SMCCC architecture calls, Bulkhead hypercalls. */
#ifndef BULKHEAD_ARM64_SMCCC_H
#define BULKHEAD_ARM64_SMCCC_H

#include "types.h"
#include "hypercall.h"
#include "core/vcpu_next.h"

struct vcpu;

/*
 * The calling vCPU's x0-x7, handled in place: the function ID in w0 and
 * arguments in x1-x6 on entry, results in x0-x3 on return. Registers a call
 * defines no result for keep their values, as SMCCC 1.1 allows.
 */
struct smccc_regs {
	u64 x[8];
};

/* Handles one call; always produces a result (NOT_SUPPORTED when unknown).
 * Returns what the vCPU does next: CPU_OFF yields, SYSTEM_OFF / SYSTEM_RESET
 * and Bulkhead's PANIC call end the VM, everything else resumes the guest. */
enum vcpu_next smccc_handle(struct vcpu *vcpu, struct smccc_regs *r);

/* Calls that neither stop, start nor reset a vCPU (all but PSCI's): they
 * may be made from the trap's fast path, before x20-x29 are saved. */
static inline bool smccc_leaves_vcpus_alone(u32 fid)
{
	return ((fid >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK) != SMCCC_OWNER_STANDARD;
}

/* Argument `n` of call `fid`: SMC32 calls pass 32-bit arguments, the upper
 * halves are not the caller's. */
static inline u64 smccc_arg(const struct smccc_regs *r, u32 fid, u32 n)
{
	return (fid & SMCCC_64BIT) ? r->x[n] : (u32)r->x[n];
}

#endif
