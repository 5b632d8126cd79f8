/*
 * The guest's GICv3 in its device tree, as QEMU virt describes it: the
 * distributor and one redistributor region covering every vCPU's frames,
 * with the maintenance interrupt Linux's KVM code would look for.
 */
#include "core/vdt.h"
#include "core/vm.h"
#include "gicv3_dt.h"
#include "guest_gic.h"
#include "lib/fmt.h"
#include "vgic_v3_regs.h"

#define GIC_PPI 1
#define IRQ_LEVEL_HIGH 4
#define PPI_MAINTENANCE_DT 9    /* INTID 25, numbered from 16 */

void gicv3_dt_node(struct vdt *dt, const struct vm *vm, u32 phandle)
{
	struct fdt_writer *w = dt->w;
	u32 reg[8] = {
		0, (u32)GUEST_GICD_BASE, 0, VGIC_DIST_SIZE,
		0, (u32)GUEST_GICR_BASE, 0, vm->nvcpus * VGIC_REDIST_STRIDE,
	};
	u32 maint[3] = { GIC_PPI, PPI_MAINTENANCE_DT, IRQ_LEVEL_HIGH };
	char name[32];

	fmt_snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)GUEST_GICD_BASE);
	fdtw_begin_node(w, name);
	fdtw_prop_string(w, "compatible", "arm,gic-v3");
	fdtw_prop_u32(w, "#interrupt-cells", 3);
	fdtw_prop_empty(w, "interrupt-controller");
	fdtw_prop_u32(w, "#redistributor-regions", 1);
	fdtw_prop_cells(w, "reg", reg, 8);
	fdtw_prop_cells(w, "interrupts", maint, 3);
	fdtw_prop_u32(w, "phandle", phandle);
	fdtw_end_node(w);
}
