/*
 * PSCI for guests: power control of a VM's own vCPUs (CPU_ON, CPU_OFF,
 * AFFINITY_INFO, named by MPIDR) and of the VM (SYSTEM_OFF, SYSTEM_RESET).
 */
#include "core/sched.h"
#include "core/vm.h"
#include "hypercall.h"
#include "psci_guest.h"
#include "vcpu_mpidr.h"

#define PSCI_VERSION_1_1 0x10001u
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

static s64 psci_cpu_on(struct vcpu *vcpu, u32 fid, struct smccc_regs *r)
{
	struct vm *vm = vcpu->vm;
	struct vcpu *target = vm_vcpu_by_mpidr(vm, smccc_arg(r, fid, 1));
	u64 entry = smccc_arg(r, fid, 2);
	s64 ret = PSCI_SUCCESS;

	if (!target)
		return PSCI_INVALID_PARAMETERS;
	if (!vm_can_start_at(vm, entry))
		return PSCI_INVALID_ADDRESS;
	spin_lock(&vm->arch.psci_lock);
	if (target->state != VCPU_OFF || target->running) {
		ret = PSCI_ALREADY_ON;
	} else {
		arch_vcpu_reset(&target->arch, ipa_init(entry), smccc_arg(r, fid, 3), target->id);
		arch_vcpu_set_counter_offset(&target->arch, vm->counter_offset);
		sched_start(target);
	}
	spin_unlock(&vm->arch.psci_lock);
	return ret;
}

static s64 psci_affinity_info(struct vcpu *vcpu, u32 fid, struct smccc_regs *r)
{
	struct vcpu *target = vm_vcpu_by_mpidr(vcpu->vm, smccc_arg(r, fid, 1));

	if (!target || smccc_arg(r, fid, 2) != 0)
		return PSCI_INVALID_PARAMETERS;
	/* OFF only once the vCPU has left its physical CPU: a caller may CPU_ON
	 * it the moment it reads OFF, and CPU_ON refuses a vCPU still running. */
	if (target->state == VCPU_OFF && !__atomic_load_n(&target->running, __ATOMIC_ACQUIRE))
		return 1;  /* OFF */
	return 0;          /* ON */
}

enum vcpu_next psci_guest_call(struct vcpu *vcpu, u32 fid, struct smccc_regs *r)
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
