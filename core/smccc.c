/*
 * SMCCC calls from guests (HVC, or SMC trapped by HCR_EL2.TSC): PSCI for
 * power control, the SMCCC architecture calls, and Bulkhead's own ABI
 * (include/hypercall.h). Anything else returns NOT_SUPPORTED, as SMCCC asks.
 */
#include "core/smccc.h"
#include "core/vm.h"
#include "hypercall.h"

#define PSCI_VERSION_1_1 0x10001u
#define SMCCC_VERSION_1_1 0x10001u
#define PSCI_MIGRATE_NONE 2 /* no Trusted OS to migrate */

static bool psci_function_known(u32 fid)
{
	switch (fid) {
	case SMCCC_VERSION:  /* how callers discover SMCCC 1.1 */
	case PSCI_VERSION:
	case PSCI_FEATURES:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
		return true;
	default:
		return false;
	}
}

static void handle_psci(struct vcpu *vcpu, u32 fid, struct smccc_regs *r)
{
	switch (fid) {
	case PSCI_VERSION:
		r->x[0] = PSCI_VERSION_1_1;
		break;
	case PSCI_FEATURES:
		r->x[0] = psci_function_known((u32)r->x[1]) ? 0 : (u64)(s64)PSCI_NOT_SUPPORTED;
		break;
	case PSCI_MIGRATE_INFO_TYPE:
		r->x[0] = PSCI_MIGRATE_NONE;
		break;
	case PSCI_SYSTEM_OFF:
		vcpu_request_exit(vcpu, VCPU_EXIT_POWEROFF, "PSCI SYSTEM_OFF");
		r->x[0] = 0;
		break;
	case PSCI_SYSTEM_RESET:
		vcpu_request_exit(vcpu, VCPU_EXIT_REBOOT, "PSCI SYSTEM_RESET");
		r->x[0] = 0;
		break;
	default:
		r->x[0] = (u64)(s64)PSCI_NOT_SUPPORTED;
		break;
	}
}

static void handle_bulkhead(struct vcpu *vcpu, u32 fid, struct smccc_regs *r)
{
	switch (fid) {
	case BH_HC_NOP:
		r->x[0] = 0;
		break;
	case BH_HC_VERSION:
		r->x[0] = (BH_ABI_MAJOR << 16) | BH_ABI_MINOR;
		break;
	case BH_HC_CONSOLE_PUTC:
		console_guest_putc(vcpu->vm->cfg.name, &vcpu->vm->out, (char)(r->x[1] & 0xff));
		r->x[0] = 0;
		break;
	default:
		r->x[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		break;
	}
}

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

void smccc_handle(struct vcpu *vcpu, struct smccc_regs *r)
{
	u32 fid = (u32)r->x[0];  /* SMC32 and SMC64 function IDs are 32 bits */
	u32 owner = (fid >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK;

	if (!(fid & SMCCC_FAST_CALL)) {
		r->x[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		return;
	}
	switch (owner) {
	case SMCCC_OWNER_ARCH:
		handle_arch(fid, r);
		break;
	case SMCCC_OWNER_STANDARD:
		handle_psci(vcpu, fid, r);
		break;
	case SMCCC_OWNER_VENDOR_HYP:
		handle_bulkhead(vcpu, fid, r);
		break;
	default:
		r->x[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		break;
	}
}
