/*
 * TEMPORARY wiring of the guest's GICv3 into a VM, until core's virtual
 * board table attaches it as the "gicv3" device kind (gicv3_kind.c) and
 * writes its node through the kind's dt_node: core/vm.c calls
 * arch_vm_attach()/arch_vm_detach() and core/guest_dt.c calls
 * arch_vm_dt_intc() (gicv3_dt.c) meanwhile. The distributor and the redistributors go on
 * the bus as two devices, as before the device model, so that an MMIO trap
 * reaches the model with no extra step.
 */
#include "core/log.h"
#include "core/mmio.h"
#include "core/vm.h"
#include "guest_gic.h"
#include "vgic.h"
#include "vgic_v3_regs.h"
#include "vgic_vm.h"

static bool gicd_read(void *ctx, u64 off, u32 size, u64 *value)
{
	return vgic_dist_read(&((struct vm *)ctx)->arch.vgic, off, size, value);
}

static bool gicd_write(void *ctx, u64 off, u32 size, u64 value)
{
	bool ok = vgic_dist_write(&((struct vm *)ctx)->arch.vgic, off, size, value);

	vgic_vm_changed(ctx);
	return ok;
}

static bool gicr_read(void *ctx, u64 off, u32 size, u64 *value)
{
	return vgic_redist_read(&((struct vm *)ctx)->arch.vgic, off, size, value);
}

static bool gicr_write(void *ctx, u64 off, u32 size, u64 value)
{
	bool ok = vgic_redist_write(&((struct vm *)ctx)->arch.vgic, off, size, value);

	vgic_vm_changed(ctx);
	return ok;
}

int arch_vm_attach(struct vm *vm)
{
	struct mmio_device dev;

	if (vgic_vm_alloc(vm)) {
		hv_err("vm '%s': no memory for its vGIC; VM not created", vm->cfg.name);
		return -1;
	}
	vgic_vm_reset(vm);
	dev = (struct mmio_device){ "gicd", GUEST_GICD_BASE, VGIC_DIST_SIZE, vm, gicd_read,
				    gicd_write };
	mmio_add(&vm->bus, &dev);
	dev = (struct mmio_device){ "gicr", GUEST_GICR_BASE, (u64)vm->nvcpus * VGIC_REDIST_STRIDE,
				    vm, gicr_read, gicr_write };
	mmio_add(&vm->bus, &dev);
	return 0;
}

void arch_vm_detach(struct vm *vm)
{
	vgic_vm_free(vm);
}
