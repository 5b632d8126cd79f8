/*
 * The MMIO bus of one VM: the guest-physical windows of its emulated devices
 * (core/vdev.h). A guest access that stage 2 does not map lands here; a
 * window with no device gets the external abort that real hardware gives.
 */
#ifndef BULKHEAD_CORE_MMIO_H
#define BULKHEAD_CORE_MMIO_H

#include "types.h"

struct vdev;

/* Every virtio-mmio slot of QEMU's virt (32) and the board's own devices. */
#define MMIO_MAX_DEVICES 48

struct mmio_bus {
	struct vdev *dev[MMIO_MAX_DEVICES];   /* by base address */
	u32 count;
	/* The device the last access found: a guest polling one register (a
	 * UART's flags) finds it at once. Any CPU may replace it at any time. */
	struct vdev *last;
};

/* Puts the device's window on the bus; -1 when the bus is full or the window
 * is empty, wraps, or overlaps another device's. */
int mmio_register(struct mmio_bus *bus, struct vdev *d);
/* The device whose window holds all of [addr, addr + size), or NULL. */
struct vdev *mmio_find(const struct mmio_bus *bus, ipaddr_t addr, u32 size);
/* Returns false when no device accepts the access. */
bool mmio_access(struct mmio_bus *bus, ipaddr_t addr, u32 size, bool write, u64 *value);

#endif
