/*
 * A split virtqueue (virtio 1.2 section 2.7) as the device side sees it:
 * the driver's descriptor table and available ring, the device's used ring,
 * all in guest RAM and reached only through core/guest_mem.h. Everything
 * the guest wrote is checked before use; a chain that breaks the rules makes
 * the queue stop (until the device is reset) and is reported as malformed,
 * so that the transport can ask the driver for a reset.
 *
 * Not locked: the transport (devices/virtio/mmio.h) serializes the calls.
 * Nothing here waits; a pop reads at most VIRTQ_MAX_SEGS + 1 descriptors.
 */
#ifndef BULKHEAD_DEVICES_VIRTIO_VIRTQUEUE_H
#define BULKHEAD_DEVICES_VIRTIO_VIRTQUEUE_H

#include "types.h"

struct vm;

/* The largest queue size virtio allows. */
#define VIRTQ_MAX_SIZE 32768
/* The most segments a chain may have, an indirect table's included: what a
 * device back end copies at once (virtio-blk advertises seg_max below it). */
#define VIRTQ_MAX_SEGS 128

/* Feature bits the queue itself implements (the transport offers them). */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX     29

/* One buffer of a chain: guest-physical, checked to be inside the VM's RAM
 * when popped (copy through guest_mem, which checks again). */
struct virtq_seg {
	ipaddr_t addr;
	u32 len;
	bool device_writes;   /* false: the device reads it */
};

/* A popped chain: what the back end needs to complete it. */
struct virtq_chain {
	u16 head;             /* its id in the used ring */
	u32 nsegs;            /* segments filled in */
	u32 nread;            /* the first nread are device-readable, the rest writable */
	u64 write_bytes;      /* the writable segments' total: the most `written` may be */
	u32 gen;              /* the queue's setup it came from (see virtq_push) */
	bool more;            /* the driver had made another available after it: pop again */
};

struct virtq {
	struct vm *vm;
	/* what the driver set up (the transport checks it in virtq_enable) */
	u16 size;             /* entries, a power of 2 */
	ipaddr_t desc;        /* descriptor table, 16-byte aligned */
	ipaddr_t avail;       /* driver area: the available ring, 2-byte aligned */
	ipaddr_t used;        /* device area: the used ring, 4-byte aligned */
	bool indirect;        /* VIRTIO_F_RING_INDIRECT_DESC negotiated */
	bool event_idx;       /* VIRTIO_F_RING_EVENT_IDX negotiated */
	/* the device's side */
	bool ready;           /* enabled and not broken */
	bool broken;          /* a malformed chain was seen: stopped until reset */
	u16 next_avail;       /* the next available ring entry to take */
	u16 used_idx;         /* the next used ring entry to fill (and used->idx) */
	u16 signalled_used;   /* used_idx when the driver was last considered for a notification */
	u32 gen;              /* bumped by every enable and reset: stale completions are dropped */
};

enum virtq_pop_result {
	VIRTQ_EMPTY,          /* nothing available (or the queue is not running) */
	VIRTQ_CHAIN,          /* `chain` and the segments are filled in */
	VIRTQ_MALFORMED,      /* the driver broke the rules: the queue stopped (reported once) */
};

/* Back to the state of a queue the driver has not set up; keeps `vm`. */
void virtq_reset(struct virtq *q);
/*
 * Starts the queue with the size and ring addresses in `q`, checked: the
 * size a power of 2 and at most `max_size`, each ring aligned and all of it
 * inside the VM's RAM. False (the queue stays stopped) otherwise.
 */
bool virtq_enable(struct virtq *q, u16 max_size);
/* Stops the queue without touching guest memory (the driver's QueueReady = 0). */
void virtq_disable(struct virtq *q);
/* The layout checks of virtq_enable, for the transport. */
bool virtq_layout_ok(const struct virtq *q, u16 max_size);

/*
 * Takes the next available chain: its segments go to seg[0 .. max), the
 * device-readable ones first as the spec requires. `max` is at most
 * VIRTQ_MAX_SEGS; a chain with more is malformed (the device advertised
 * less). With EVENT_IDX, publishes avail_event so the driver notifies again
 * once it adds past what was taken; an empty queue re-checks after
 * publishing, so a buffer added meanwhile is not missed.
 */
enum virtq_pop_result virtq_pop(struct virtq *q, struct virtq_seg *seg, u32 max,
				struct virtq_chain *chain);
/*
 * Returns a chain to the driver with `written` bytes written to its
 * writable segments (clamped to what they hold). False when the chain is
 * stale (the queue was reset or set up again since it was popped) or the
 * used ring is no longer RAM (the queue then stops): nothing is written.
 */
/* Chains the driver has made available and the device not taken yet, as
 * its index says now (0 on a fault): a hint for a device that needs many
 * at once, never trusted for more. */
u32 virtq_avail_count(struct virtq *q);
bool virtq_push(struct virtq *q, const struct virtq_chain *chain, u64 written);
/* Returns n chains (n <= the queue's size) with one update of the used
 * index, so the driver sees all of them or none (a frame spread over
 * several buffers). False, with nothing handed over, when any is stale. */
bool virtq_push_many(struct virtq *q, const struct virtq_chain *chain, const u64 *written, u32 n);
/*
 * Whether the driver wants a used-buffer notification for what was pushed
 * since the last call: avail->flags' NO_INTERRUPT, or used_event with
 * EVENT_IDX (2.7.7, 2.7.10). Call after a batch of pushes.
 */
bool virtq_notify_needed(struct virtq *q);

#endif
