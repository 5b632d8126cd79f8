/*
 * The VM's device tree: the root, its memory and /chosen are written here;
 * the CPUs, firmware interface and timer by the arch (arch_guest_dt); every
 * device of its board by the device itself (core/vboard.h). Only what the
 * VM really has is described.
 */
#include "core/guest_dt.h"
#include "core/page_alloc.h"
#include "core/vdt.h"
#include "core/vm.h"
#include "lib/fdt.h"

static void write_memory(struct vdt *dt, const struct vm *vm)
{
	vdt_begin_node_at(dt, "memory", ipa_init(vm->ram.base));
	fdtw_prop_string(dt->w, "device_type", "memory");
	vdt_reg(dt, ipa_init(vm->ram.base), vm->ram.size);
	fdtw_end_node(dt->w);
}

static void write_chosen(struct vdt *dt, const struct vm *vm, const struct boot_layout *b)
{
	fdtw_begin_node(dt->w, "chosen");
	fdtw_prop_string(dt->w, "bootargs", vm->cfg.extra);
	if (dt->stdout_path[0])
		fdtw_prop_string(dt->w, "stdout-path", dt->stdout_path);
	if (ipa_addr(b->initrd_start)) {
		fdtw_prop_u64(dt->w, "linux,initrd-start", ipa_addr(b->initrd_start));
		fdtw_prop_u64(dt->w, "linux,initrd-end", ipa_addr(b->initrd_end));
	}
	fdtw_end_node(dt->w);
}

int guest_dt_build(struct vm *vm, const struct boot_layout *b, void *buf, u32 cap)
{
	struct fdt_writer w;
	struct vdt dt = { .w = &w, .vm = vm, .intc_phandle = VDT_PHANDLE_INTC,
			  .next_phandle = VDT_PHANDLE_INTC + 1 };
	paddr_t scratch = page_alloc(&hv_pages, 1, PAGE_SIZE);
	int size;

	if (!pa_addr(scratch))
		return -1;
	fdtw_init(&w, buf, cap, pa_to_ptr(scratch), PAGE_SIZE);
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "#address-cells", 2);
	fdtw_prop_u32(&w, "#size-cells", 2);
	fdtw_prop_string(&w, "compatible", "linux,dummy-virt");
	fdtw_prop_string(&w, "model", "Bulkhead virtual machine");
	fdtw_prop_u32(&w, "interrupt-parent", VDT_PHANDLE_INTC);
	write_memory(&dt, vm);
	arch_guest_dt(&dt, vm);
	vboard_dt(vm, &dt);
	write_chosen(&dt, vm, b);
	fdtw_end_node(&w);
	size = fdtw_finish(&w);
	page_free(&hv_pages, scratch, 1);
	return size;
}
