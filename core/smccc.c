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

static void handle_psci(struct vcpu *vcpu, struct smccc_call *c)
{
	switch (c->fid) {
	case PSCI_VERSION:
		c->ret[0] = PSCI_VERSION_1_1;
		break;
	case PSCI_FEATURES:
		c->ret[0] = psci_function_known((u32)c->arg[0]) ? 0 : (u64)(s64)PSCI_NOT_SUPPORTED;
		break;
	case PSCI_MIGRATE_INFO_TYPE:
		c->ret[0] = PSCI_MIGRATE_NONE;
		break;
	case PSCI_SYSTEM_OFF:
		vcpu_request_exit(vcpu, VCPU_EXIT_POWEROFF, "PSCI SYSTEM_OFF");
		c->ret[0] = 0;
		break;
	case PSCI_SYSTEM_RESET:
		vcpu_request_exit(vcpu, VCPU_EXIT_REBOOT, "PSCI SYSTEM_RESET");
		c->ret[0] = 0;
		break;
	default:
		c->ret[0] = (u64)(s64)PSCI_NOT_SUPPORTED;
		break;
	}
}

static void handle_bulkhead(struct vcpu *vcpu, struct smccc_call *c)
{
	switch (c->fid) {
	case BH_HC_NOP:
		c->ret[0] = 0;
		break;
	case BH_HC_VERSION:
		c->ret[0] = (BH_ABI_MAJOR << 16) | BH_ABI_MINOR;
		break;
	case BH_HC_CONSOLE_PUTC:
		console_guest_putc(vcpu->vm->cfg.name, &vcpu->vm->out, (char)(c->arg[0] & 0xff));
		c->ret[0] = 0;
		break;
	default:
		c->ret[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		break;
	}
}

static void handle_arch(struct smccc_call *c)
{
	switch (c->fid) {
	case SMCCC_VERSION:
		c->ret[0] = SMCCC_VERSION_1_1;
		break;
	case SMCCC_ARCH_FEATURES:
		/* only the mandatory calls exist: no workaround calls are offered */
		c->ret[0] = (u32)c->arg[0] == SMCCC_VERSION ? 0 : (u64)(s64)SMCCC_NOT_SUPPORTED;
		break;
	default:
		c->ret[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		break;
	}
}

void smccc_handle(struct vcpu *vcpu, struct smccc_call *c)
{
	u32 owner = (u32)(c->fid >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK;

	/* unused result registers keep their values, as SMCCC 1.1 allows */
	c->ret[1] = c->arg[0];
	c->ret[2] = c->arg[1];
	c->ret[3] = c->arg[2];
	if (!(c->fid & SMCCC_FAST_CALL)) {
		c->ret[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		return;
	}
	switch (owner) {
	case SMCCC_OWNER_ARCH:
		handle_arch(c);
		break;
	case SMCCC_OWNER_STANDARD:
		handle_psci(vcpu, c);
		break;
	case SMCCC_OWNER_VENDOR_HYP:
		handle_bulkhead(vcpu, c);
		break;
	default:
		c->ret[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		break;
	}
}
