/* SMCCC calls from guests: PSCI, SMCCC architecture calls, Bulkhead hypercalls. */
#ifndef BULKHEAD_CORE_SMCCC_H
#define BULKHEAD_CORE_SMCCC_H

#include "types.h"

struct vcpu;

struct smccc_call {
	u64 fid;
	u64 arg[6];   /* x1..x6 */
	u64 ret[4];   /* x0..x3 on return */
};

/* Handles one call; always produces a result (NOT_SUPPORTED when unknown). */
void smccc_handle(struct vcpu *vcpu, struct smccc_call *call);

#endif
