/*
 * The MMIO bus of one VM: guest-physical ranges mapped to emulated devices.
 * A guest access that stage 2 does not map lands here; a range with no
 * device gets the external abort that real hardware gives.
 */
#ifndef BULKHEAD_CORE_MMIO_H
#define BULKHEAD_CORE_MMIO_H

#include "types.h"

#define MMIO_MAX_DEVICES 16

struct mmio_device {
	const char *name;
	u64 base;
	u64 size;
	void *ctx;
	/* Return false to refuse the access (the guest then gets an abort). */
	bool (*read)(void *ctx, u64 offset, u32 size, u64 *value);
	bool (*write)(void *ctx, u64 offset, u32 size, u64 value);
};

struct mmio_bus {
	struct mmio_device dev[MMIO_MAX_DEVICES];
	u32 count;
};

int mmio_add(struct mmio_bus *bus, const struct mmio_device *dev);
const struct mmio_device *mmio_find(const struct mmio_bus *bus, u64 addr, u32 size);
/* Returns false when no device accepts the access. */
bool mmio_access(struct mmio_bus *bus, u64 addr, u32 size, bool write, u64 *value);

#endif
