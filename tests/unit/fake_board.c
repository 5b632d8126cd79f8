/*
 * The arch's board calls (include/arch.h) for tests that do not link the
 * real arch's: interrupt lines are recorded in `fake`, the interrupt
 * specifier is a plain <line>, and the arch's device-tree part is one node
 * per vCPU.
 */
#include "fake_arch.h"
#include "core/vdt.h"
#include "core/vm.h"

void arch_vm_set_line(struct vm *vm, u32 line, bool level)
{
	fake.line_sets++;
	fake.line_vm = vm;
	fake.line = line;
	if (line < 64)
		fake.line_level[line] = level;
	if (fake.set_line_hook)
		fake.set_line_hook(vm, line, level);
}

u32 arch_dt_irq_cells(u32 line, u32 *cells)
{
	cells[0] = line;
	return 1;
}

void arch_guest_dt(struct vdt *dt, const struct vm *vm)
{
	fdtw_begin_node(dt->w, "cpus");
	for (u32 i = 0; i < vm->nvcpus; i++) {
		vdt_begin_node_at(dt, "cpu", ipa_init(i));
		fdtw_prop_u32(dt->w, "reg", i);
		fdtw_end_node(dt->w);
	}
	fdtw_end_node(dt->w);
}
