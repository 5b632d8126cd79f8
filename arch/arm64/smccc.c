/*
 * SMCCC calls from guests (HVC, or SMC trapped by HCR_EL2.TSC), sorted by
 * owner: the SMCCC architecture calls here, PSCI (psci_guest.c) and
 * Bulkhead's own ABI (core's hypercall_handle). Anything else returns
 * NOT_SUPPORTED, as SMCCC asks.
 */
#include "core/hypercall_handle.h"
#include "hypercall.h"
#include "psci_guest.h"
#include "smccc.h"

#define SMCCC_VERSION_1_1 0x10001u

static void handle_arch(u32 fid, struct smccc_regs *r)
{
	switch (fid) {
	case SMCCC_VERSION:
		r->x[0] = SMCCC_VERSION_1_1;
		break;
	case SMCCC_ARCH_FEATURES:
		/* only the mandatory calls exist: no workaround calls are offered */
		r->x[0] = (u32)r->x[1] == SMCCC_VERSION ? 0 : (u64)(s64)SMCCC_NOT_SUPPORTED;
		break;
	default:
		r->x[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		break;
	}
}

/*
 * Bulkhead's calls are the 64-bit fast calls from BH_HC_BASE on: the call
 * number is the offset from there. Any other function ID of the owner (a
 * 32-bit form, a number past the last call) is an offset core knows no call
 * for, so it answers NOT_SUPPORTED (-1, as SMCCC's).
 */
static enum vcpu_next handle_bulkhead(struct vcpu *vcpu, u32 fid, struct smccc_regs *r)
{
	_Static_assert(BH_NOT_SUPPORTED == SMCCC_NOT_SUPPORTED, "one unknown-call value");
	return hypercall_handle(vcpu, fid - BH_HC_BASE, &r->x[1], &r->x[0]);
}

enum vcpu_next smccc_handle(struct vcpu *vcpu, struct smccc_regs *r)
{
	u32 fid = (u32)r->x[0];  /* SMC32 and SMC64 function IDs are 32 bits */
	u32 owner = (fid >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK;

	if (!(fid & SMCCC_FAST_CALL)) {
		r->x[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		return VCPU_RESUME;
	}
	switch (owner) {
	case SMCCC_OWNER_ARCH:
		handle_arch(fid, r);
		break;
	case SMCCC_OWNER_STANDARD:
		return psci_guest_call(vcpu, fid, r);
	case SMCCC_OWNER_VENDOR_HYP:
		return handle_bulkhead(vcpu, fid, r);
	default:
		r->x[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		break;
	}
	return VCPU_RESUME;
}
