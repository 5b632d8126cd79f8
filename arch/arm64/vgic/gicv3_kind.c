/*
 * The guest's GICv3 as a device kind on every VM's board: one window holding
 * the distributor frame (at +0) and, from +0xa0000, one redistributor per
 * vCPU, as on QEMU virt. Accesses between the two frames, where virt has
 * the ITS and nothing is emulated, are refused (the guest gets an abort).
 * The model lives in the VM's arch part (vm->arch.vgic).
 */
#include "core/vdev.h"
#include "core/vdt.h"
#include "core/vm.h"
#include "gicv3_dt.h"
#include "guest_gic.h"
#include "vgic.h"
#include "vgic_v3_regs.h"
#include "vgic_vm.h"
#include "vtimer.h"

#define REDIST_OFFSET (GUEST_GICR_BASE - GUEST_GICD_BASE)

/* A redistributor shows its vCPU's timer PPIs as the timers' outputs are
 * now (pending while high, not once masked or disabled), and enabling one
 * delivers only a live interrupt: the lines are sampled first. */
static void sample_timers(struct vm *vm, u64 offset)
{
	u64 v = (offset - REDIST_OFFSET) / VGIC_REDIST_STRIDE;

	if (v < vm->nvcpus)
		vtimer_sample(&vm->vcpus[v]);
}

static bool gicv3_read(struct vdev *d, u64 offset, u32 size, u64 *value)
{
	struct vgic *g = &d->vm->arch.vgic;

	if (offset < VGIC_DIST_SIZE)
		return vgic_dist_read(g, offset, size, value);
	if (offset >= REDIST_OFFSET) {
		sample_timers(d->vm, offset);
		return vgic_redist_read(g, offset - REDIST_OFFSET, size, value);
	}
	return false;
}

static bool gicv3_write(struct vdev *d, u64 offset, u32 size, u64 value)
{
	struct vgic *g = &d->vm->arch.vgic;
	bool ok;

	if (offset < VGIC_DIST_SIZE)
		ok = vgic_dist_write(g, offset, size, value);
	else if (offset >= REDIST_OFFSET) {
		sample_timers(d->vm, offset);
		ok = vgic_redist_write(g, offset - REDIST_OFFSET, size, value);
	}
	else
		return false;
	vgic_vm_changed(d->vm);
	return ok;
}

static void gicv3_reset(struct vdev *d)
{
	vgic_reset(&d->vm->arch.vgic);
}

static void gicv3_destroy(struct vdev *d)
{
	vgic_vm_free(d->vm);
}

static void gicv3_dt(struct vdev *d, struct vdt *dt)
{
	gicv3_dt_node(dt, d->vm, VDT_PHANDLE_INTC);
}

static const struct vdev_ops gicv3_ops = {
	.read = gicv3_read,
	.write = gicv3_write,
	.reset = gicv3_reset,
	.destroy = gicv3_destroy,
	.dt_node = gicv3_dt,
	.fixed_regs = vgic_dist_fixed_regs,   /* the distributor sits at offset 0 */
	.nfixed_regs = VGIC_DIST_FIXED_REGS,
};

static int gicv3_create(struct vdev *d, const char **why)
{
	if (d->vm->nvcpus > VGIC_MAX_VCPUS) {
		*why = "the GICv3 model serves at most 64 vCPUs";
		return -1;
	}
	if (vgic_vm_alloc(d->vm)) {
		*why = "no memory for the vGIC's per-vCPU state";
		return -1;
	}
	vgic_vm_reset(d->vm);
	d->ops = &gicv3_ops;
	return 0;
}

static const struct vdev_kind gicv3_kind = {
	.name = "gicv3",
	.base = { GUEST_GICD_BASE },
	.size = REDIST_OFFSET,
	.size_per_vcpu = VGIC_REDIST_STRIDE,
	.line = -1,
	.every_vm = true,
	.create = gicv3_create,
};

static const struct vdev_kind *const gicv3_kind_entry VDEV_KIND_SECTION = &gicv3_kind;
