/*
 * The VM's side of its vGIC: a change the model reports (an input rose, the
 * guest reprogrammed a register) becomes a kick of the vCPU that should look
 * at its list registers again (core's vcpu_kick).
 */
#include "core/vm.h"
#include "lib/string.h"
#include "vcpu_mpidr.h"
#include "vgic.h"
#include "vgic_vm.h"

void vgic_vm_set_line(struct vm *vm, u32 vcpu, u32 intid, bool level)
{
	int target = vgic_set_line(&vm->arch.vgic, vcpu, intid, level);

	if (target >= 0 && (u32)target < vm->nvcpus)
		vcpu_kick(&vm->vcpus[target]);
}

/* A device line is an SPI: INTID 32 on. */
void arch_vm_set_line(struct vm *vm, u32 line, bool level)
{
	vgic_vm_set_line(vm, 0, VGIC_NR_PRIVATE + line, level);
}

void vgic_vm_changed(struct vm *vm)
{
	for (u32 i = 0; i < vm->nvcpus; i++) {
		if (vgic_has_pending(&vm->arch.vgic, i) || vm->vcpus[i].running)
			vcpu_kick(&vm->vcpus[i]);
	}
}

/* The per-vCPU state lives with the VM's devices (freed, scrubbed, with them). */
int vgic_vm_alloc(struct vm *vm)
{
	if (vm->arch.vgic_cpus)
		return 0;
	vm->arch.vgic_cpus = vm_dev_alloc(vm, vm->nvcpus * sizeof(struct vgic_cpu));
	return vm->arch.vgic_cpus ? 0 : -1;
}

/* The VM goes: its device memory is released next, the model forgets it. */
void vgic_vm_free(struct vm *vm)
{
	vm->arch.vgic_cpus = NULL;
	memset(&vm->arch.vgic, 0, sizeof(vm->arch.vgic));
}

void vgic_vm_reset(struct vm *vm)
{
	u64 mpidr[VGIC_MAX_VCPUS];

	for (u32 i = 0; i < vm->nvcpus; i++)
		mpidr[i] = vcpu_mpidr(i);
	vgic_init(&vm->arch.vgic, vm->arch.vgic_cpus, vm->nvcpus, mpidr);
}
