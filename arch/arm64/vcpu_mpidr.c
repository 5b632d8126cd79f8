/* How vCPUs are named to guests: their MPIDR affinity. */
#include "core/vm.h"
#include "vcpu_mpidr.h"

u64 vcpu_mpidr(u32 index)
{
	/* 16 vCPUs per cluster, as GICv3 SGI target lists address them */
	return (index % 16) | ((u64)(index / 16) << 8);
}

struct vcpu *vm_vcpu_by_mpidr(struct vm *vm, u64 mpidr)
{
	/* compare Aff3..Aff0 only: the other MPIDR bits are not part of the name */
	u64 affinity = mpidr & 0xff00ffffffull;

	for (u32 i = 0; i < vm->nvcpus; i++) {
		if (vcpu_mpidr(i) == affinity)
			return &vm->vcpus[i];
	}
	return NULL;
}
