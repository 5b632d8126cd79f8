/*
 * The driver side of a virtio-mmio transport (virtio 1.2, 4.2.2: version 2
 * registers only): one named helper per register, and the steps of device
 * initialization (3.1) a driver shares with every other virtio driver.
 */
#ifndef BULKHEAD_DRIVERS_VIRTIO_MMIO_HOST_H
#define BULKHEAD_DRIVERS_VIRTIO_MMIO_HOST_H

#include "types.h"

#define VIRTIO_MMIO_MAGIC 0x74726976u  /* "virt", little-endian */

/* Device status bits (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

#define VIRTIO_F_VERSION_1 (1ull << 32)

/* InterruptStatus bits */
#define VIRTIO_INT_USED_BUFFER 1u
#define VIRTIO_INT_CONFIG 2u

struct vmmio {
	paddr_t base;    /* the transport's registers (mapped at EL2 as device memory) */
};

/* The accesses everything below goes through (virtio_mmio_io.c; the
 * unit tests put a fake device behind them). */
u32 vmmio_read32(const struct vmmio *t, u32 off);
void vmmio_write32(const struct vmmio *t, u32 off, u32 value);
/* Narrow reads, for device-specific configuration fields of 8 and 16 bits
 * (4.2.2.2: each field is read at its own width). */
u8 vmmio_read8(const struct vmmio *t, u32 off);
u16 vmmio_read16(const struct vmmio *t, u32 off);

u32 vmmio_magic(const struct vmmio *t);
u32 vmmio_version(const struct vmmio *t);
u32 vmmio_device_id(const struct vmmio *t);
u64 vmmio_device_features(const struct vmmio *t);
void vmmio_set_driver_features(const struct vmmio *t, u64 features);
u32 vmmio_status(const struct vmmio *t);
void vmmio_set_status(const struct vmmio *t, u32 status);
/* Writes 0 to Status: the device drops its queues and stops using memory. */
void vmmio_reset(const struct vmmio *t);
void vmmio_queue_select(const struct vmmio *t, u32 queue);
u32 vmmio_queue_num_max(const struct vmmio *t);
bool vmmio_queue_ready(const struct vmmio *t);
/* Sets the selected queue's size and its three areas, then marks it ready. */
void vmmio_queue_enable(const struct vmmio *t, u32 num, paddr_t desc, paddr_t driver,
			paddr_t device);
void vmmio_queue_notify(const struct vmmio *t, u32 queue);
u32 vmmio_interrupt_status(const struct vmmio *t);
void vmmio_interrupt_ack(const struct vmmio *t, u32 bits);
/* Device-specific configuration: 32- and 64-bit fields at `off`; the 64-bit
 * read retries until ConfigGeneration says both halves belong together. */
u32 vmmio_config_read32(const struct vmmio *t, u32 off);
u64 vmmio_config_read64(const struct vmmio *t, u32 off);

/*
 * Initialization up to the device-specific setup (3.1.1 steps 1-6): reset,
 * ACKNOWLEDGE, DRIVER, the features both sides have among `wanted` (which
 * must hold VERSION_1), FEATURES_OK read back. Returns the negotiated
 * features, or 0 (device marked FAILED) when it refuses them.
 */
u64 vmmio_negotiate(const struct vmmio *t, u64 wanted);
/* The last step: the driver is ready (DRIVER_OK). */
void vmmio_driver_ok(const struct vmmio *t);
/* Something went wrong during setup: the device is reset (it forgets any
 * queue it was given, whose memory the driver may then give back) and its
 * Status left at FAILED (3.1.1: the driver has given up on it). */
void vmmio_fail(const struct vmmio *t);

#endif
