/*
 * The driver side of a virtio-mmio (version 2) transport: named register
 * helpers and the generic part of device initialization.
 */
#include "virtio_mmio_regs.h"
#include "drivers/virtio_mmio_host.h"

/* Register offsets (virtio 1.2, 4.2.2) */
u32 vmmio_magic(const struct vmmio *t)
{
	return vmmio_read32(t, VMMIO_REG_MAGIC);
}

u32 vmmio_version(const struct vmmio *t)
{
	return vmmio_read32(t, VMMIO_REG_VERSION);
}

u32 vmmio_device_id(const struct vmmio *t)
{
	return vmmio_read32(t, VMMIO_REG_DEVICE_ID);
}

u64 vmmio_device_features(const struct vmmio *t)
{
	u64 lo, hi;

	vmmio_write32(t, VMMIO_REG_DEVICE_FEATURES_SEL, 0);
	lo = vmmio_read32(t, VMMIO_REG_DEVICE_FEATURES);
	vmmio_write32(t, VMMIO_REG_DEVICE_FEATURES_SEL, 1);
	hi = vmmio_read32(t, VMMIO_REG_DEVICE_FEATURES);
	return hi << 32 | lo;
}

void vmmio_set_driver_features(const struct vmmio *t, u64 features)
{
	vmmio_write32(t, VMMIO_REG_DRIVER_FEATURES_SEL, 0);
	vmmio_write32(t, VMMIO_REG_DRIVER_FEATURES, (u32)features);
	vmmio_write32(t, VMMIO_REG_DRIVER_FEATURES_SEL, 1);
	vmmio_write32(t, VMMIO_REG_DRIVER_FEATURES, (u32)(features >> 32));
}

u32 vmmio_status(const struct vmmio *t)
{
	return vmmio_read32(t, VMMIO_REG_STATUS);
}

void vmmio_set_status(const struct vmmio *t, u32 status)
{
	vmmio_write32(t, VMMIO_REG_STATUS, status);
}

/* Reads of Status a reset may take to show 0 (a device finishing what it
 * was doing); past that we go on, having asked. */
#define RESET_POLLS 1000

void vmmio_reset(const struct vmmio *t)
{
	vmmio_set_status(t, 0);
	for (int i = 0; i < RESET_POLLS && vmmio_status(t) != 0; i++)
		;
}

void vmmio_queue_select(const struct vmmio *t, u32 queue)
{
	vmmio_write32(t, VMMIO_REG_QUEUE_SEL, queue);
}

u32 vmmio_queue_num_max(const struct vmmio *t)
{
	return vmmio_read32(t, VMMIO_REG_QUEUE_NUM_MAX);
}

bool vmmio_queue_ready(const struct vmmio *t)
{
	return vmmio_read32(t, VMMIO_REG_QUEUE_READY) != 0;
}

static void write_pair(const struct vmmio *t, u32 low, u32 high, paddr_t pa)
{
	vmmio_write32(t, low, (u32)pa_addr(pa));
	vmmio_write32(t, high, (u32)(pa_addr(pa) >> 32));
}

void vmmio_queue_enable(const struct vmmio *t, u32 num, paddr_t desc, paddr_t driver,
			paddr_t device)
{
	vmmio_write32(t, VMMIO_REG_QUEUE_NUM, num);
	write_pair(t, VMMIO_REG_QUEUE_DESC_LOW, VMMIO_REG_QUEUE_DESC_HIGH, desc);
	write_pair(t, VMMIO_REG_QUEUE_DRIVER_LOW, VMMIO_REG_QUEUE_DRIVER_HIGH, driver);
	write_pair(t, VMMIO_REG_QUEUE_DEVICE_LOW, VMMIO_REG_QUEUE_DEVICE_HIGH, device);
	vmmio_write32(t, VMMIO_REG_QUEUE_READY, 1);
}

void vmmio_queue_notify(const struct vmmio *t, u32 queue)
{
	vmmio_write32(t, VMMIO_REG_QUEUE_NOTIFY, queue);
}

u32 vmmio_interrupt_status(const struct vmmio *t)
{
	return vmmio_read32(t, VMMIO_REG_INTERRUPT_STATUS);
}

void vmmio_interrupt_ack(const struct vmmio *t, u32 bits)
{
	vmmio_write32(t, VMMIO_REG_INTERRUPT_ACK, bits);
}

u32 vmmio_config_read32(const struct vmmio *t, u32 off)
{
	return vmmio_read32(t, VMMIO_REG_CONFIG + off);
}

u64 vmmio_config_read64(const struct vmmio *t, u32 off)
{
	u32 gen, lo, hi;

	/* a device changing the field between the two halves bumps the
	 * generation; a few tries, then the last reading is as good as any */
	for (int tries = 0; tries < 4; tries++) {
		gen = vmmio_read32(t, VMMIO_REG_CONFIG_GENERATION);
		lo = vmmio_config_read32(t, off);
		hi = vmmio_config_read32(t, off + 4);
		if (vmmio_read32(t, VMMIO_REG_CONFIG_GENERATION) == gen)
			break;
	}
	return (u64)hi << 32 | lo;
}

u64 vmmio_negotiate(const struct vmmio *t, u64 wanted)
{
	u64 features;

	vmmio_reset(t);
	vmmio_set_status(t, VIRTIO_STATUS_ACKNOWLEDGE);
	vmmio_set_status(t, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	features = vmmio_device_features(t) & wanted;
	if (!(features & VIRTIO_F_VERSION_1)) {
		vmmio_fail(t);
		return 0;
	}
	vmmio_set_driver_features(t, features);
	vmmio_set_status(t, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				    VIRTIO_STATUS_FEATURES_OK);
	/* the device clears FEATURES_OK when it cannot work with what we took */
	if (!(vmmio_status(t) & VIRTIO_STATUS_FEATURES_OK)) {
		vmmio_fail(t);
		return 0;
	}
	return features;
}

void vmmio_driver_ok(const struct vmmio *t)
{
	vmmio_set_status(t, vmmio_status(t) | VIRTIO_STATUS_DRIVER_OK);
}

void vmmio_fail(const struct vmmio *t)
{
	/* the reset drops any queue the device was given, so its memory can be
	 * reused; FAILED then says the driver gave up on it (3.1.1) */
	vmmio_reset(t);
	vmmio_set_status(t, VIRTIO_STATUS_FAILED);
}
