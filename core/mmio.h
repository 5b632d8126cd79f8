/*
 * The MMIO bus of one VM: the guest-physical windows of its emulated devices
 * (core/vdev.h). A guest access that stage 2 does not map lands here; a
 * window with no device gets the external abort that real hardware gives.
 */
#ifndef BULKHEAD_CORE_MMIO_H
#define BULKHEAD_CORE_MMIO_H

#include "types.h"
#include "core/vdev.h"

struct vdev;

/* Every virtio-mmio slot of QEMU's virt (32) and the board's own devices. */
#define MMIO_MAX_DEVICES 48

/*
 * A 32-bit register whose read always gives the same value and changes
 * nothing (an ID register, a TYPER): the trap vector answers a load from
 * it without entering C (vectors.S, mmio_fixed_read). The value comes from
 * the device's own read function when the device goes on the bus, before
 * any vCPU runs, and the table never changes after that.
 */
#define MMIO_FIXED_MAX 8
/* All of them lie in one 64 KiB frame, which a trap elsewhere (a UART's
 * flags) checks first: it pays a few instructions, not a walk. */
#define MMIO_FIXED_FRAME_SHIFT 16

struct mmio_fixed {
	u64 ipa;            /* 4-aligned */
	u32 value;
	u32 unused;
};

struct mmio_bus {
	struct vdev *dev[MMIO_MAX_DEVICES];   /* by base address */
	u32 count;
	u32 nfixed;
	u64 fixed_frame;    /* their IPA >> MMIO_FIXED_FRAME_SHIFT (while nfixed > 0) */
	struct mmio_fixed fixed[MMIO_FIXED_MAX];
	/* The polled register (mmio_polled_publish): answered like a fixed one
	 * while npolled is 1, from its own frame. */
	u32 npolled;
	u64 polled_frame;
	struct mmio_fixed polled;
	const struct vdev *polled_owner;   /* the first device to publish: the only one */
	/* The device the last access found: a guest polling one register (a
	 * UART's flags) finds it at once. Any CPU may replace it at any time. */
	struct vdev *last;
};

/*
 * One register a guest polls in a loop whose value changes now and then (a
 * UART's flags while nothing is sent or received): while published, the
 * trap vector answers a 32-bit load from it as it answers a fixed register,
 * without entering C. The device publishes a value only in a state where a
 * read has no side effect, and withdraws it, under its own lock, before
 * anything it published stops being true; a load racing the change sees
 * the value from just before it, as it would on hardware. One device per bus
 * has the slot (the first to publish; false for any other), so the owner's
 * lock is the slot's.
 */
bool mmio_polled_publish(struct vdev *d, ipaddr_t ipa, u32 value);
void mmio_polled_withdraw(struct vdev *d);

/* Puts the device's window on the bus; -1 when the bus is full or the window
 * is empty, wraps, or overlaps another device's. */
int mmio_register(struct mmio_bus *bus, struct vdev *d);
/* The device whose window holds all of [addr, addr + size), or NULL. */
struct vdev *mmio_find(const struct mmio_bus *bus, ipaddr_t addr, u32 size);
/* Whether the device's window holds all of [a, a + size). */
static inline bool mmio_holds(const struct vdev *d, u64 a, u32 size)
{
	u64 off = a - ipa_addr(d->base);

	return a >= ipa_addr(d->base) && off < d->size && size <= d->size - off;
}

static inline bool mmio_call(struct vdev *d, ipaddr_t addr, bool write, u64 *value, u32 size)
{
	u64 off = ipa_addr(addr) - ipa_addr(d->base);

	if (write)
		return d->ops->write(d, off, size, *value);
	return d->ops->read(d, off, size, value);
}

/* mmio_access() when the last device found does not hold the access. */
bool mmio_access_lookup(struct mmio_bus *bus, ipaddr_t addr, u32 size, bool write, u64 *value);

/* Returns false when no device accepts the access. Inline: a trap's hot
 * path, and a guest polling one register finds the same device again. */
static inline bool mmio_access(struct mmio_bus *bus, ipaddr_t addr, u32 size, bool write,
			       u64 *value)
{
	struct vdev *d = __atomic_load_n(&bus->last, __ATOMIC_RELAXED);

	if (!d || !mmio_holds(d, ipa_addr(addr), size))
		return mmio_access_lookup(bus, addr, size, write, value);
	return mmio_call(d, addr, write, value, size);
}

#endif
