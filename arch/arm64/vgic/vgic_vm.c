/*
 * The VM's side of its vGIC: a change the model reports (an input rose, the
 * guest reprogrammed a register) becomes a kick of the vCPU that should look
 * at its list registers again (core's vcpu_kick).
 */
#include "core/page_alloc.h"
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

static u64 cpu_state_pages(u32 nvcpus)
{
	return align_up(nvcpus * sizeof(struct vgic_cpu), PAGE_SIZE) / PAGE_SIZE;
}

int vgic_vm_alloc(struct vm *vm)
{
	paddr_t pa;

	if (vm->arch.vgic_cpus)
		return 0;
	pa = page_alloc(&hv_pages, cpu_state_pages(vm->nvcpus), PAGE_SIZE);
	if (!pa_addr(pa))
		return -1;
	vm->arch.vgic_cpus = pa_to_ptr(pa);
	return 0;
}

void vgic_vm_free(struct vm *vm)
{
	if (!vm->arch.vgic_cpus)
		return;
	page_free(&hv_pages, ptr_to_pa(vm->arch.vgic_cpus), cpu_state_pages(vm->nvcpus));
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
