/* PSCI calls from guests (the SMCCC standard service owner). */
#ifndef BULKHEAD_ARM64_PSCI_GUEST_H
#define BULKHEAD_ARM64_PSCI_GUEST_H

#include "smccc.h"

/* Handles PSCI function `fid`; the result goes in r->x[0]. */
enum vcpu_next psci_guest_call(struct vcpu *vcpu, u32 fid, struct smccc_regs *r);

#endif
