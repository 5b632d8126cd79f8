/*
 * A guest's virtio driver for unit tests of a device on the virtio-mmio
 * transport, with any number of queues: the VM, its device on an MMIO bus,
 * RAM in a host buffer with each queue's rings at a fixed place, the
 * driver's register accesses, chain offers and used-ring reads. (The
 * virtio-blk tests' tests/unit/virtio_blk_guest.c is the one-queue,
 * one-VM special case of this.)
 */
#ifndef BULKHEAD_TESTS_VIRTIO_GUEST_H
#define BULKHEAD_TESTS_VIRTIO_GUEST_H

#include "core/mmio.h"
#include "core/vm.h"

#define VG_RAM_BASE 0x40000000ull
#define VG_RAM_SIZE (512 * KiB)
#define VG_QSIZE 32
#define VG_MAX_QUEUES 4
#define VG_RINGS(q) (0x1000 + 0x4000 * (u64)(q))   /* desc, avail +0x1000, used +0x2000 */
#define VG_BUFS 0x20000                            /* buffers from here on */

struct vg_queue {
	u16 next_desc;
	u16 seen_used;           /* used entries the test has taken */
};

struct vguest {
	struct vm vm;
	struct gram_chunk ram_chunks[GRAM_CHUNKS(VG_RAM_SIZE)];
	struct vdev dev;
	struct mmio_bus bus;
	u8 *ram;
	u32 nqueues;
	struct vg_queue q[VG_MAX_QUEUES];
};

struct vg_seg {
	u64 off;                 /* into RAM */
	u32 len;
	bool writes;             /* the device writes it */
};

/* The VM's RAM and config (name, and what `prepare` puts in vm.cfg) before
 * the device of kind `kind`, instance 0, at `base` with `line` is created:
 * 0, or create()'s -1 with `why` set. */
void vg_init(struct vguest *g, const char *name);
int vg_create(struct vguest *g, const char *kind, u64 base, u32 line, const char **why);
void vg_free(struct vguest *g);

u32 vg_rd(struct vguest *g, u64 off);
void vg_wr(struct vguest *g, u64 off, u32 value);
bool vg_config_rd(struct vguest *g, u64 off, u32 size, u64 *v);
u64 vg_device_features(struct vguest *g);
/* The driver's start-up with `features` (of the device's), every queue set
 * up; the status afterwards. */
u32 vg_driver_init(struct vguest *g, u64 features, u32 nqueues);
/* Offers a chain on queue q; notify: write QueueNotify (runs no work). */
u16 vg_offer(struct vguest *g, u32 q, const struct vg_seg *s, u32 n, bool notify);
/* Used entries of queue q not yet taken; take the next one. */
u16 vg_used_pending(struct vguest *g, u32 q);
bool vg_take_used(struct vguest *g, u32 q, u32 *id, u32 *len);
/* The driver's avail flags word (NO_INTERRUPT) for queue q. */
void vg_avail_flags(struct vguest *g, u32 q, u16 flags);

#endif
