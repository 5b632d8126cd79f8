/*
 * The arm64 nodes of a guest's device tree: its CPUs (named by MPIDR, started
 * with PSCI), PSCI over HVC, the architected timer and the PMU; and device
 * interrupts as the GICv3 binding writes them.
 */
#include "core/vdt.h"
#include "core/vm.h"
#include "guest_gic.h"
#include "lib/fmt.h"
#include "vcpu_mpidr.h"
#include "vpmu.h"

/* Interrupt specifiers: <type number flags> as the GICv3 binding has them. */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_LEVEL_HIGH 4

u32 arch_dt_irq_cells(u32 line, u32 *cells)
{
	cells[0] = GIC_SPI;
	cells[1] = line;
	cells[2] = IRQ_LEVEL_HIGH;
	return 3;
}

static void write_cpus(struct fdt_writer *w, const struct vm *vm)
{
	char name[32];

	fdtw_begin_node(w, "cpus");
	fdtw_prop_u32(w, "#address-cells", 1);
	fdtw_prop_u32(w, "#size-cells", 0);
	for (u32 i = 0; i < vm->nvcpus; i++) {
		fmt_snprintf(name, sizeof(name), "cpu@%x", i);
		fdtw_begin_node(w, name);
		fdtw_prop_string(w, "device_type", "cpu");
		fdtw_prop_string(w, "compatible", "arm,armv8");
		fdtw_prop_u32(w, "reg", (u32)vcpu_mpidr(i));
		fdtw_prop_string(w, "enable-method", "psci");
		fdtw_end_node(w);
	}
	fdtw_end_node(w);
}

static void write_psci(struct fdt_writer *w)
{
	static const char *const compat[] = { "arm,psci-1.0", "arm,psci-0.2", "arm,psci" };

	fdtw_begin_node(w, "psci");
	fdtw_prop_strings(w, "compatible", compat, 3);
	fdtw_prop_string(w, "method", "hvc");
	fdtw_end_node(w);
}

/* The architected timer's PPIs: secure and non-secure physical, virtual, hypervisor. */
static void write_timer(struct fdt_writer *w)
{
	static const u32 ppis[4] = { 13, GUEST_PPI_PTIMER - 16, GUEST_PPI_VTIMER - 16, 10 };
	u32 cells[12];

	/* GICv3 bindings carry no CPU mask in the flags */
	for (u32 i = 0; i < 4; i++) {
		cells[i * 3] = GIC_PPI;
		cells[i * 3 + 1] = ppis[i];
		cells[i * 3 + 2] = IRQ_LEVEL_HIGH;
	}
	fdtw_begin_node(w, "timer");
	fdtw_prop_string(w, "compatible", "arm,armv8-timer");
	fdtw_prop_cells(w, "interrupts", cells, 12);
	fdtw_prop_empty(w, "always-on");
	fdtw_end_node(w);
}

void arch_guest_dt(struct vdt *dt, const struct vm *vm)
{
	write_cpus(dt->w, vm);
	write_psci(dt->w);
	write_timer(dt->w);
	vpmu_write_dt(dt->w);
}
