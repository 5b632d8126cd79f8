/*
 * Emulated devices: what a VM's MMIO bus, its virtual board table and its
 * device tree know of a device. A device kind lives in one file (devices/,
 * or arch/ for the interrupt controller) and registers itself with
 * VDEV_KIND_SECTION; core/ names no kind. The board table (core/vboard.h)
 * says which kinds a VM gets and where; attaching one calls its create().
 *
 * What runs where: read/write run in the trapping vCPU's context (trap
 * context: no sleeping, no waiting for another VM, no lock that a vCPU of
 * another VM can hold for long). Work that may take time goes on a work
 * queue (core/workqueue.h). reset/destroy/dt_node run from the VM's
 * lifecycle with no vCPU of the VM on a CPU.
 */
#ifndef BULKHEAD_CORE_VDEV_H
#define BULKHEAD_CORE_VDEV_H

#include "types.h"
#include "core/irq_line.h"

struct vm;
struct mmio_bus;
struct vdev;
struct vdt;

struct vdev_ops {
	/* An access at `offset` from the device's base. Return false to refuse
	 * it: the guest then gets the external abort real hardware gives. */
	bool (*read)(struct vdev *d, u64 offset, u32 size, u64 *value);
	bool (*write)(struct vdev *d, u64 offset, u32 size, u64 value);
	/* The VM restarts: back to the power-on state (NULL: nothing to do). */
	void (*reset)(struct vdev *d);
	/* The VM is being destroyed (no vCPU runs; its memory stays until its
	 * last reference goes): cut the device's links to the world outside
	 * the VM, such as a switch port whose frames hold a VM reference
	 * (NULL: none). Runs once, before destroy. */
	void (*unplug)(struct vdev *d);
	/* The VM goes away: release what create() took beyond `priv` (NULL: nothing). */
	void (*destroy)(struct vdev *d);
	/* Its node(s) in the guest's device tree (NULL: none). */
	void (*dt_node)(struct vdev *d, struct vdt *dt);
	/* Offsets of 32-bit registers whose read always returns the same value
	 * and has no effect (IDs, TYPER): answered from a table without a call
	 * (core/mmio.h, struct mmio_fixed). Only true constants belong here. */
	const u16 *fixed_regs;
	u32 nfixed_regs;
};

struct vdev {
	const struct vdev_ops *ops;
	const struct vdev_kind *kind;
	struct vm *vm;
	struct mmio_bus *bus;   /* the bus it is on (mmio_register), NULL before */
	ipaddr_t base;          /* guest-physical window */
	u64 size;
	struct irq_line irq;    /* its interrupt output (irq_line_none() when it has none) */
	u32 instance;           /* which of the VM's config items of its kind it is (disk N,
				 * vif N): the kind's options; 0 for the board's own devices */
	void *priv;             /* the kind's state, from vm_dev_alloc() */
};

/*
 * A device kind. `base`, `size` and `line` are its place on the standard
 * board (QEMU virt's layout, so guests built for virt find it); a board
 * entry may put it elsewhere. The window is `size` + `size_per_vcpu` for
 * each of the VM's vCPUs (an interrupt controller's per-vCPU frames).
 */
struct vdev_kind {
	const char *name;
	ipaddr_t base;
	u64 size;
	u64 size_per_vcpu;
	int line;               /* device interrupt line (arch_vm_set_line), -1: none */
	bool every_vm;          /* part of every VM's board */
	/* For a kind the VM's config asks for (disks, network interfaces): how
	 * many instances the config gives `vm` (NULL: none). Instance i sits
	 * i windows of `size` above `base` with line `line` + i, as QEMU virt
	 * numbers its virtio-mmio slots. */
	u32 (*config_count)(const struct vm *vm);
	/* Sets d->ops and d->priv (allocated with vm_dev_alloc()) for the board
	 * entry `d`, whose vm, base, size, irq and instance are filled in
	 * already. 0, or -1 with the reason in `why`. */
	int (*create)(struct vdev *d, const char **why);
};

/* Every kind linked into the image, in the `vdev_kinds` section. */
#define VDEV_KIND_SECTION __attribute__((used, section("vdev_kinds"), aligned(8)))

/* The registered kinds: kind `i`, or NULL past the last. */
const struct vdev_kind *vdev_kind_at(u32 i);
const struct vdev_kind *vdev_kind_by_name(const char *name);

#endif
