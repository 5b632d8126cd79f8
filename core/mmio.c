/* A VM's MMIO bus: a short array of device windows in address order. */
#include "core/mmio.h"
#include "core/vdev.h"

static bool overlaps(const struct vdev *a, const struct vdev *b)
{
	u64 a0 = ipa_addr(a->base), b0 = ipa_addr(b->base);

	return a0 < b0 + b->size && b0 < a0 + a->size;
}

/* The device's constant registers, read once through its own read function
 * so that the table cannot disagree with it; those beyond the table's room,
 * outside the first one's 64 KiB frame, or refused stay on the ordinary path. */
static void add_fixed(struct mmio_bus *bus, struct vdev *d)
{
	if (!d->ops)
		return;
	for (u32 i = 0; i < d->ops->nfixed_regs && bus->nfixed < MMIO_FIXED_MAX; i++) {
		u64 off = d->ops->fixed_regs[i], value = 0;
		u64 ipa = ipa_addr(d->base) + off;

		if ((off & 3) || off + 4 > d->size || !d->ops->read(d, off, 4, &value))
			continue;
		if (bus->nfixed && ipa >> MMIO_FIXED_FRAME_SHIFT != bus->fixed_frame)
			continue;
		bus->fixed_frame = ipa >> MMIO_FIXED_FRAME_SHIFT;
		bus->fixed[bus->nfixed++] = (struct mmio_fixed){
			.ipa = ipa_addr(d->base) + off,
			.value = (u32)value,
		};
	}
}

/* Whether `d` has the bus's polled slot, claiming it when nobody has. */
static bool polled_owner(struct vdev *d)
{
	const struct vdev *none = NULL;

	if (!d->bus)
		return false;
	return __atomic_compare_exchange_n(&d->bus->polled_owner, &none, d, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) || none == d;
}

bool mmio_polled_publish(struct vdev *d, ipaddr_t ipa, u32 value)
{
	struct mmio_bus *bus = d->bus;

	if (!polled_owner(d))
		return false;
	if (bus->polled.ipa != ipa_addr(ipa)) {
		/* the address changes only here (once, as a device polls one
		 * register), withdrawn and fenced so no load pairs it with
		 * another's value */
		__atomic_store_n(&bus->npolled, 0, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		bus->polled.ipa = ipa_addr(ipa);
		bus->polled_frame = ipa_addr(ipa) >> MMIO_FIXED_FRAME_SHIFT;
	}
	/* one word: a load sees the old value or this one */
	__atomic_store_n(&bus->polled.value, value, __ATOMIC_RELEASE);
	__atomic_store_n(&bus->npolled, 1, __ATOMIC_RELEASE);
	return true;
}

void mmio_polled_withdraw(struct vdev *d)
{
	if (d->bus && __atomic_load_n(&d->bus->polled_owner, __ATOMIC_ACQUIRE) == d)
		__atomic_store_n(&d->bus->npolled, 0, __ATOMIC_RELEASE);
}

int mmio_register(struct mmio_bus *bus, struct vdev *d)
{
	u32 at = 0;

	if (bus->count == MMIO_MAX_DEVICES || !d->size || !range_ok(ipa_addr(d->base), d->size))
		return -1;
	for (u32 i = 0; i < bus->count; i++) {
		if (overlaps(bus->dev[i], d))
			return -1;
		if (ipa_addr(bus->dev[i]->base) < ipa_addr(d->base))
			at = i + 1;
	}
	for (u32 i = bus->count; i > at; i--)
		bus->dev[i] = bus->dev[i - 1];
	bus->dev[at] = d;
	bus->count++;
	d->bus = bus;
	add_fixed(bus, d);
	return 0;
}

struct vdev *mmio_find(const struct mmio_bus *bus, ipaddr_t addr, u32 size)
{
	for (u32 i = 0; i < bus->count; i++) {
		if (mmio_holds(bus->dev[i], ipa_addr(addr), size))
			return bus->dev[i];
	}
	return NULL;
}

bool mmio_access_lookup(struct mmio_bus *bus, ipaddr_t addr, u32 size, bool write, u64 *value)
{
	struct vdev *d = mmio_find(bus, addr, size);

	if (!d)
		return false;
	__atomic_store_n(&bus->last, d, __ATOMIC_RELAXED);
	return mmio_call(d, addr, write, value, size);
}
