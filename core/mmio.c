/* A VM's MMIO bus: a short list of emulated devices, searched linearly. */
#include "core/mmio.h"

int mmio_add(struct mmio_bus *bus, const struct mmio_device *dev)
{
	if (bus->count == MMIO_MAX_DEVICES || !range_ok(dev->base, dev->size))
		return -1;
	for (u32 i = 0; i < bus->count; i++) {
		const struct mmio_device *d = &bus->dev[i];

		if (dev->base < d->base + d->size && d->base < dev->base + dev->size)
			return -1;
	}
	bus->dev[bus->count++] = *dev;
	return 0;
}

const struct mmio_device *mmio_find(const struct mmio_bus *bus, u64 addr, u32 size)
{
	for (u32 i = 0; i < bus->count; i++) {
		const struct mmio_device *d = &bus->dev[i];

		if (addr >= d->base && addr - d->base < d->size && size <= d->size - (addr - d->base))
			return d;
	}
	return NULL;
}

bool mmio_access(struct mmio_bus *bus, u64 addr, u32 size, bool write, u64 *value)
{
	const struct mmio_device *d = mmio_find(bus, addr, size);

	if (!d)
		return false;
	if (write)
		return d->write(d->ctx, addr - d->base, size, *value);
	return d->read(d->ctx, addr - d->base, size, value);
}
