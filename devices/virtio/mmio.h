/*
 * The virtio-mmio transport (virtio 1.2 section 4.2, the "modern" register
 * layout, Version 2): the register window a guest's virtio driver finds in
 * its device tree, feature negotiation, queue set-up, notifications and the
 * interrupt, for any virtio device type. A device type (virtio-blk, -net,
 * balloon) is one file that describes itself with a struct virtio_device_ops
 * and calls virtio_mmio_create() from its kind's create().
 *
 * What runs where: register accesses run in trap context and only record
 * state; a notification is handed to the device's notify(), which queues
 * deferred work (core/workqueue.h). The back end's work pops chains,
 * copies data through core/guest_mem.h and pushes completions with the
 * functions below; they take the transport's lock for a short, bounded time
 * and never wait for anything else.
 */
#ifndef BULKHEAD_DEVICES_VIRTIO_MMIO_H
#define BULKHEAD_DEVICES_VIRTIO_MMIO_H

#include "types.h"
#include "core/irq_line.h"
#include "core/spinlock.h"
#include "core/vdev.h"
#include "devices/virtio/virtqueue.h"

/* Feature bits of the transport and rings (the device types' are 0-23 and 50-63). */
#define VIRTIO_F_VERSION_1 32

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

/* InterruptStatus bits. */
#define VIRTIO_MMIO_INT_VRING  1   /* a used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG 2   /* a configuration change notification */

/* The window QEMU's virt gives each transport, registers then config space. */
#define VIRTIO_MMIO_SIZE 0x200
#define VIRTIO_MMIO_CONFIG 0x100
#define VIRTIO_MMIO_MAX_QUEUES 64

struct virtio_mmio;

/* What a virtio device type tells the transport. `dev` is the state the
 * type passed to virtio_mmio_create(). */
struct virtio_device_ops {
	u32 device_id;          /* virtio device ID (2: block, 1: network, 5: balloon) */
	u64 features;           /* its own feature bits; the transport adds VERSION_1,
				 * RING_INDIRECT_DESC and RING_EVENT_IDX, and drops any
				 * other of the reserved bits 24-49 */
	u32 num_queues;         /* 1 .. VIRTIO_MMIO_MAX_QUEUES */
	u16 queue_max;          /* largest queue size it takes: a power of 2 */
	u32 config_size;        /* bytes of config space (at most the window's rest) */
	/*
	 * The driver reads or writes its config space: `size` is 1, 2, 4 or 8,
	 * `offset` is aligned to it and the access lies within config_size.
	 * False refuses it (the guest gets an abort). NULL: reads as zero,
	 * writes ignored. Trap context, transport lock held: record, don't act.
	 */
	bool (*config_read)(void *dev, u32 offset, u32 size, u64 *value);
	bool (*config_write)(void *dev, u32 offset, u32 size, u64 value);
	/* The driver made buffers available on queue `queue`, which is ready:
	 * queue work that pops them. Trap context, no transport lock held. */
	void (*notify)(void *dev, u32 queue);
	/* The device is reset (the driver wrote 0 to Status, or the VM restarts):
	 * forget what is in flight (completions of chains popped before are
	 * dropped anyway). No transport lock held. NULL: nothing to do. */
	void (*reset)(void *dev);
	/* The VM is being destroyed: leave the world outside it (a switch
	 * port). NULL: nothing. */
	void (*unplug)(void *dev);
	/* The VM goes away: give back what the type took beyond its state in
	 * the device arena (pages of its own). NULL: nothing. */
	void (*destroy)(void *dev);
};

struct virtio_mmio {
	struct vdev *vdev;
	const struct virtio_device_ops *ops;
	void *dev;
	struct spinlock lock;     /* the registers and the queues */
	u64 device_features;
	u64 driver_features;
	u32 device_features_sel;
	u32 driver_features_sel;
	u32 queue_sel;
	u32 status;
	u32 int_status;
	u32 config_generation;
	bool line_high;           /* what the interrupt line was last set to */
	struct virtq queue[];     /* ops->num_queues of them */
};

/*
 * Makes board entry `d` (vm, base, size, irq filled in) a virtio-mmio
 * transport for the device type `ops` with state `dev`: allocated with
 * vm_dev_alloc, d->ops and d->priv set, in its reset state. NULL when out of
 * memory or `ops` does not describe a device the transport can carry.
 */
struct virtio_mmio *virtio_mmio_create(struct vdev *d, const struct virtio_device_ops *ops, void *dev);
/* This instance offers fewer of its type's feature bits (a config choice):
 * called right after virtio_mmio_create(), before any driver reads them. */
void virtio_mmio_withhold_features(struct virtio_mmio *t, u64 features);

/* The back end's side (deferred work, any CPU). */

/* The next chain of queue `queue` (see virtq_pop). A malformed chain sets
 * DEVICE_NEEDS_RESET and raises a configuration change interrupt; the queue
 * then gives nothing until the driver resets the device. Before DRIVER_OK,
 * or on a queue that is not ready: VIRTQ_EMPTY. */
enum virtq_pop_result virtio_mmio_pop(struct virtio_mmio *t, u32 queue, struct virtq_seg *seg,
				      u32 max, struct virtq_chain *chain);
/* Completes a chain with `written` bytes written and raises the interrupt if
 * the driver wants one. A chain from before a reset is dropped. */
/* virtq_avail_count of `queue` (0 before DRIVER_OK). */
u32 virtio_mmio_avail(struct virtio_mmio *t, u32 queue);
void virtio_mmio_push(struct virtio_mmio *t, u32 queue, const struct virtq_chain *chain, u64 written);
/* Completes n chains of `queue` at once (virtq_push_many) and raises the
 * interrupt if the driver wants one. False when they were not handed over
 * (stale, or the ring broke). */
bool virtio_mmio_push_many(struct virtio_mmio *t, u32 queue, const struct virtq_chain *chain,
			   const u64 *written, u32 n);
/* The device changed its config space: a new ConfigGeneration and, once the
 * driver is running, a configuration change interrupt. */
void virtio_mmio_config_changed(struct virtio_mmio *t);
/* The device status register as the driver sees it. */
u32 virtio_mmio_status(struct virtio_mmio *t);
/* The features the driver accepted (0 until FEATURES_OK). */
u64 virtio_mmio_features(struct virtio_mmio *t);

#endif
