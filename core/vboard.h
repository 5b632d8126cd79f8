/*
 * A VM's virtual board: one table listing every device the VM sees (its
 * kind, guest-physical window, interrupt line and which config item it
 * realizes), built from the VM's config. The same table creates the devices
 * and puts them on the VM's MMIO bus, writes their device-tree nodes and
 * prints the boot map; nothing else in core/ knows which devices exist.
 */
#ifndef BULKHEAD_CORE_VBOARD_H
#define BULKHEAD_CORE_VBOARD_H

#include "core/vdev.h"

struct vm;
struct vdt;

/* The board's own devices and all 32 virtio-mmio slots. */
#define VBOARD_MAX_DEVICES 40

/* Sized for the devices the VM's config asks for: a VM's small objects share
 * a page (its device arena), and most VMs have a handful of devices. */
struct vboard {
	u32 count;
	u32 capacity;          /* at most VBOARD_MAX_DEVICES */
	struct vdev dev[];     /* by base address */
};

/* Fills vm->board from vm->cfg: every kind that is part of every VM, at its
 * standard place. 0, or -1 with the reason in `why` (nothing is kept). */
int vboard_build(struct vm *vm, const char **why);
/* Adds a device of `kind` at `base` (`size` bytes, interrupt `line`, -1:
 * none) to vm->board, keeping the table in address order. 0, or -1 with the
 * reason in `why` when the table is full or the window is outside the guest's
 * device region or overlaps another entry's. */
int vboard_add(struct vm *vm, const struct vdev_kind *kind, ipaddr_t base, u64 size, int line,
	       u32 instance, const char **why);
/* Creates each device of the table and puts it on vm->bus. */
int vboard_attach(struct vm *vm, const char **why);
/* The VM restarts: each device back to its power-on state. */
void vboard_reset(struct vm *vm);
/* The VM is being destroyed: each device unplugs from the world outside it. */
void vboard_unplug(struct vm *vm);
/* The VM goes: each device lets go of what it holds outside the VM. */
void vboard_destroy(struct vm *vm);
/* Each device's node(s) in the guest's device tree. */
void vboard_dt(struct vm *vm, struct vdt *dt);
/* "KIND@0xBASE, ..." for every device, for the boot map. */
void vboard_describe(const struct vm *vm, char *buf, u32 size);

#endif
