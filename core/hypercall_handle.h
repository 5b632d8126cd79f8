/* Bulkhead's own hypercalls (include/hypercall.h), whatever calling convention brought them. */
#ifndef BULKHEAD_CORE_HYPERCALL_HANDLE_H
#define BULKHEAD_CORE_HYPERCALL_HANDLE_H

#include "types.h"
#include "core/vcpu_next.h"

struct vcpu;

/* Call number `call` (BH_CALL_*) with its arguments `args[0..5]`: puts the
 * result for the caller's first result register in `*result`
 * (BH_NOT_SUPPORTED for an unknown call) and returns what the vCPU does
 * next (PANIC ends the VM). */
enum vcpu_next hypercall_handle(struct vcpu *vcpu, u32 call, const u64 *args, u64 *result);

/*
 * Calls 0 .. HYPERCALL_FIXED - 1 (NOP and VERSION) always return the same
 * result and do nothing else: hypercall_fixed_result[call]. An arch may
 * answer them from this table without calling hypercall_handle (arm64 does
 * so in its exception vector, before saving the guest's registers).
 */
#define HYPERCALL_FIXED 2
extern const u64 hypercall_fixed_result[HYPERCALL_FIXED];

#endif
