/*
 * The arch's part of a guest's device tree and of its interrupt wiring:
 * CPUs named by MPIDR, PSCI over HVC, the GICv3 and the architected timer.
 * Device lines are SPIs.
 */
#include "arch.h"
#include "core/guest_layout.h"
#include "core/vdt.h"
#include "core/vm.h"

/* Interrupt specifiers: <type number flags> as the GICv3 binding has them. */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_LEVEL_HIGH 4
#define SPI_BASE 32

void arch_vm_set_line(struct vm *vm, u32 line, bool level)
{
	vm_set_irq_line(vm, 0, SPI_BASE + line, level);
}

u32 arch_dt_irq_cells(u32 line, u32 *cells)
{
	cells[0] = GIC_SPI;
	cells[1] = line;
	cells[2] = IRQ_LEVEL_HIGH;
	return 3;
}

static void write_cpus(struct vdt *dt, const struct vm *vm)
{
	fdtw_begin_node(dt->w, "cpus");
	fdtw_prop_u32(dt->w, "#address-cells", 1);
	fdtw_prop_u32(dt->w, "#size-cells", 0);
	for (u32 i = 0; i < vm->nvcpus; i++) {
		vdt_begin_node_at(dt, "cpu", ipa_init(i));
		fdtw_prop_string(dt->w, "device_type", "cpu");
		fdtw_prop_string(dt->w, "compatible", "arm,armv8");
		fdtw_prop_u32(dt->w, "reg", (u32)vcpu_mpidr(i));
		fdtw_prop_string(dt->w, "enable-method", "psci");
		fdtw_end_node(dt->w);
	}
	fdtw_end_node(dt->w);
}

static void write_psci(struct vdt *dt)
{
	static const char *const compat[] = { "arm,psci-1.0", "arm,psci-0.2", "arm,psci" };

	fdtw_begin_node(dt->w, "psci");
	fdtw_prop_strings(dt->w, "compatible", compat, 3);
	fdtw_prop_string(dt->w, "method", "hvc");
	fdtw_end_node(dt->w);
}

static void write_gic(struct vdt *dt, const struct vm *vm)
{
	u32 reg[8] = {
		0, (u32)GUEST_GICD_BASE, 0, VGIC_DIST_SIZE,
		0, (u32)GUEST_GICR_BASE, 0, vm->nvcpus * VGIC_REDIST_STRIDE,
	};
	u32 maint[3] = { GIC_PPI, 9, IRQ_LEVEL_HIGH };

	vdt_begin_node_at(dt, "intc", ipa_init(GUEST_GICD_BASE));
	fdtw_prop_string(dt->w, "compatible", "arm,gic-v3");
	fdtw_prop_u32(dt->w, "#interrupt-cells", 3);
	fdtw_prop_empty(dt->w, "interrupt-controller");
	fdtw_prop_u32(dt->w, "#redistributor-regions", 1);
	fdtw_prop_cells(dt->w, "reg", reg, 8);
	fdtw_prop_cells(dt->w, "interrupts", maint, 3);
	fdtw_prop_u32(dt->w, "phandle", dt->intc_phandle);
	fdtw_end_node(dt->w);
}

/* The architected timer's PPIs: secure and non-secure physical, virtual, hypervisor. */
static void write_timer(struct vdt *dt)
{
	static const u32 ppis[4] = { 13, 14, 11, 10 };
	u32 cells[12];

	/* GICv3 bindings carry no CPU mask in the flags */
	for (u32 i = 0; i < 4; i++) {
		cells[i * 3] = GIC_PPI;
		cells[i * 3 + 1] = ppis[i];
		cells[i * 3 + 2] = IRQ_LEVEL_HIGH;
	}
	fdtw_begin_node(dt->w, "timer");
	fdtw_prop_string(dt->w, "compatible", "arm,armv8-timer");
	fdtw_prop_cells(dt->w, "interrupts", cells, 12);
	fdtw_prop_empty(dt->w, "always-on");
	fdtw_end_node(dt->w);
}

void arch_guest_dt(struct vdt *dt, const struct vm *vm)
{
	write_cpus(dt, vm);
	write_psci(dt);
	write_gic(dt, vm);
	write_timer(dt);
}
