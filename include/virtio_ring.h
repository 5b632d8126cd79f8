/*
 * The split virtqueue's layout in memory (virtio 1.2 section 2.7), as every
 * side uses it: the device a guest's driver finds (devices/virtio/virtqueue.c)
 * and the drivers of the machine's own virtio devices (drivers/virtio_*.c).
 * All fields little-endian, as is every CPU Bulkhead runs on.
 *
 * The rings end in ring[size]: the size is the driver's choice, so the
 * structs stop at the array and VIRTQ_*_BYTES give a ring's whole extent.
 */
#ifndef BULKHEAD_VIRTIO_RING_H
#define BULKHEAD_VIRTIO_RING_H

#include "types.h"

#define VIRTQ_DESC_F_NEXT     1   /* the chain goes on at `next` */
#define VIRTQ_DESC_F_WRITE    2   /* the device writes the buffer (else reads it) */
#define VIRTQ_DESC_F_INDIRECT 4   /* the buffer is a table of descriptors */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

struct virtq_avail {
	u16 flags;
	u16 idx;
	u16 ring[];           /* then le16 used_event */
};

struct virtq_used_elem {
	u32 id;
	u32 len;
};

struct virtq_used {
	u16 flags;
	u16 idx;
	struct virtq_used_elem ring[];   /* then le16 avail_event */
};

/* The bytes each part of a queue of `n` entries takes, event fields included. */
#define VIRTQ_DESC_BYTES(n)  (sizeof(struct virtq_desc) * (n))
#define VIRTQ_AVAIL_BYTES(n) (sizeof(struct virtq_avail) + sizeof(u16) * (n) + sizeof(u16))
#define VIRTQ_USED_BYTES(n)  (sizeof(struct virtq_used) + sizeof(struct virtq_used_elem) * (n) + sizeof(u16))

_Static_assert(sizeof(struct virtq_desc) == 16, "descriptor layout");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "used element layout");
_Static_assert(sizeof(struct virtq_avail) == 4 && sizeof(struct virtq_used) == 4, "ring headers");

#endif
