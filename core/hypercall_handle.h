/* Bulkhead's own hypercalls (include/hypercall.h), whatever calling convention brought them. */
#ifndef BULKHEAD_CORE_HYPERCALL_HANDLE_H
#define BULKHEAD_CORE_HYPERCALL_HANDLE_H

#include "types.h"

struct vcpu;

/* Call number `call` (BH_CALL_*) with its arguments `args[0..5]`; returns
 * the result for the caller's first result register (BH_NOT_SUPPORTED for
 * an unknown call). */
u64 hypercall_handle(struct vcpu *vcpu, u32 call, const u64 *args);

#endif
