/*
 * SMCCC calls from guests (HVC, or SMC trapped by HCR_EL2.TSC): PSCI for
 * power control, the SMCCC architecture calls, and Bulkhead's own ABI
 * (include/hypercall.h). Anything else returns NOT_SUPPORTED, as SMCCC asks.
 */
#include "core/sched.h"
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
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
	case PSCI_CPU_OFF:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
		return true;
	default:
		return false;
	}
}

/* SMC32 calls pass 32-bit arguments: the upper halves are not the caller's. */
static u64 arg(const struct smccc_regs *r, u32 fid, u32 n)
{
	return (fid & SMCCC_64BIT) ? r->x[n] : (u32)r->x[n];
}

static s64 psci_cpu_on(struct vcpu *vcpu, u32 fid, struct smccc_regs *r)
{
	struct vm *vm = vcpu->vm;
	struct vcpu *target = vm_vcpu_by_mpidr(vm, arg(r, fid, 1));
	u64 entry = arg(r, fid, 2);
	s64 ret = PSCI_SUCCESS;

	if (!target)
		return PSCI_INVALID_PARAMETERS;
	if (!vm_can_start_at(vm, entry))
		return PSCI_INVALID_ADDRESS;
	spin_lock(&vm->psci_lock);
	if (target->state != VCPU_OFF || target->running) {
		ret = PSCI_ALREADY_ON;
	} else {
		arch_vcpu_reset(&target->arch, ipa_init(entry), arg(r, fid, 3), vcpu_mpidr(target->id));
		arch_vcpu_set_counter_offset(&target->arch, vm->counter_offset);
		sched_start(target);
	}
	spin_unlock(&vm->psci_lock);
	return ret;
}

static s64 psci_affinity_info(struct vcpu *vcpu, u32 fid, struct smccc_regs *r)
{
	struct vcpu *target = vm_vcpu_by_mpidr(vcpu->vm, arg(r, fid, 1));

	if (!target || arg(r, fid, 2) != 0)
		return PSCI_INVALID_PARAMETERS;
	/* OFF only once the vCPU has left its physical CPU: a caller may CPU_ON
	 * it the moment it reads OFF, and CPU_ON refuses a vCPU still running. */
	if (target->state == VCPU_OFF && !__atomic_load_n(&target->running, __ATOMIC_ACQUIRE))
		return 1;  /* OFF */
	return 0;          /* ON */
}

static enum vcpu_next handle_psci(struct vcpu *vcpu, u32 fid, struct smccc_regs *r)
{
	switch (fid) {
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
		r->x[0] = (u64)psci_cpu_on(vcpu, fid, r);
		break;
	case PSCI_CPU_OFF:
		sched_stop(vcpu);
		r->x[0] = (u64)(s64)PSCI_DENIED; /* only seen if the vCPU is started again */
		return VCPU_YIELD;
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
		r->x[0] = (u64)psci_affinity_info(vcpu, fid, r);
		break;
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
		r->x[0] = 0;
		return vcpu_exit(vcpu, VCPU_EXIT_POWEROFF, "PSCI SYSTEM_OFF");
	case PSCI_SYSTEM_RESET:
		r->x[0] = 0;
		return vcpu_exit(vcpu, VCPU_EXIT_REBOOT, "PSCI SYSTEM_RESET");
	default:
		r->x[0] = (u64)(s64)PSCI_NOT_SUPPORTED;
		break;
	}
	return VCPU_RESUME;
}

static enum vcpu_next handle_bulkhead(struct vcpu *vcpu, u32 fid, struct smccc_regs *r)
{
	switch (fid) {
	case BH_HC_NOP:
		r->x[0] = 0;
		break;
	case BH_HC_VERSION:
		r->x[0] = (BH_ABI_MAJOR << 16) | BH_ABI_MINOR;
		break;
	case BH_HC_CONSOLE_PUTC:
		console_guest_putc(&vcpu->vm->con, (char)(r->x[1] & 0xff));
		r->x[0] = 0;
		break;
	case BH_HC_PANIC:
		r->x[0] = 0;
		return vcpu_exit(vcpu, VCPU_EXIT_CRASH, "the guest reported a panic (code 0x%llx)",
				 (unsigned long long)r->x[1]);
	default:
		r->x[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		break;
	}
	return VCPU_RESUME;
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
		return handle_psci(vcpu, fid, r);
	case SMCCC_OWNER_VENDOR_HYP:
		return handle_bulkhead(vcpu, fid, r);
	default:
		r->x[0] = (u64)(s64)SMCCC_NOT_SUPPORTED;
		break;
	}
	return VCPU_RESUME;
}
