/*
 * The per-CPU loop. Each CPU runs the one vCPU assigned to it (static
 * partitioning); with nothing assigned it sleeps until an event.
 */
#include "arch.h"
#include "core/cpu.h"
#include "core/vm.h"

void cpu_run_loop(void)
{
	struct cpu *self = &cpus[arch_cpu_index()];

	for (;;) {
		struct vcpu *vcpu = __atomic_load_n(&self->vcpu, __ATOMIC_ACQUIRE);

		if (!vcpu || vcpu->state != VCPU_RUNNABLE) {
			arch_wait_event();
			continue;
		}
		arch_vcpu_run(vcpu);
		vm_handle_exit(vcpu);
	}
}
