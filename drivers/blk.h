/*
 * The block driver interface: what a driver of one of the machine's own
 * disks (virtio-blk today; NVMe or SD later) offers the rest of Bulkhead,
 * and the registry of those disks.
 *
 * Requests are asynchronous: submit() queues one and returns; the driver
 * calls its `done` later, once, never from inside submit: from deferred
 * work, or, for a request with `irq_done` set, possibly from the disk's
 * interrupt handler (CPU 0, interrupts masked, maybe inside a guest's
 * trap), a few at a time and the rest from the work. Such a `done` must be
 * bounded and take only locks trap context may (a device's, a vGIC's, a
 * run queue's, a disk's queue lock; never one held across a wait), and
 * must not free a VM (vm_put_soon). Several may be in flight; they may
 * complete in any order. Buffers are in Bulkhead's own memory, named by
 * physical address, since the device reaches them by DMA.
 */
#ifndef BULKHEAD_DRIVERS_BLK_H
#define BULKHEAD_DRIVERS_BLK_H

#include "types.h"

#define BLK_MAX_DISKS 32
#define BLK_NAME_MAX 8

/* BLK_WRITE_ZEROES: count sectors from sector read as zeros after it; no buffer. */
enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH, BLK_WRITE_ZEROES };

/* How a request ended. */
enum blk_status {
	BLK_OK,
	BLK_IOERR,     /* the device failed it, or answered it in a way we cannot trust */
	BLK_UNSUPP,    /* the device does not do this operation */
};

/* Why submit() refused a request (it then never completes). */
#define BLK_SUBMIT_INVALID (-1)  /* out of range, empty, or not allowed on this disk */
#define BLK_SUBMIT_BUSY (-2)     /* the device's queue is full: submit again after a completion */
#define BLK_SUBMIT_BROKEN (-3)   /* the device misbehaved and was stopped */

struct blk_request {
	enum blk_op op;
	u64 sector;        /* first sector, in the disk's sector_size units */
	u32 count;         /* sectors (0 for a flush) */
	paddr_t buf;       /* count * sector_size bytes (none for a flush or write-zeroes) */
	void (*done)(struct blk_request *rq, enum blk_status status);
	void *ctx;         /* the submitter's */
	bool irq_done;     /* `done` may run in the interrupt handler (above) */
	/* the driver's while the request is in flight */
	enum blk_status status;
	struct blk_request *next;
};

struct blk_geometry {
	u32 sector_size;   /* the unit of sector and count */
	u64 sectors;
	u32 block_size;    /* the device's preferred I/O granularity in bytes (a hint) */
	bool read_only;    /* writes are refused */
	bool flush;        /* the device has a volatile cache that BLK_FLUSH writes out */
	u32 max_write_zeroes;  /* sectors one BLK_WRITE_ZEROES may cover; 0: not offered */
};

struct blk_disk;

struct blk_ops {
	/* 0 when queued (done follows), or a BLK_SUBMIT_* refusal. */
	int (*submit)(struct blk_disk *disk, struct blk_request *rq);
};

struct blk_disk {
	char name[BLK_NAME_MAX];
	struct blk_geometry geo;
	const struct blk_ops *ops;
	void *priv;        /* the driver's */
};

/* Adds a disk the driver has set up; its name is `prefix` and a letter in
 * the order disks with that prefix registered (vda, vdb...). -1 when full. */
int blk_register(struct blk_disk *disk, const char *prefix);
/* Takes back `disk` if it is the one registered last: for a probe that
 * fails after naming its disk, before anything else could look it up. */
void blk_unregister_last(struct blk_disk *disk);
u32 blk_disk_count(void);
struct blk_disk *blk_disk(u32 i);

/* Checks what every driver would (range, direction, flush and write-zeroes offered), then
 * hands the request to the driver. */
int blk_submit(struct blk_disk *disk, struct blk_request *rq);

/* Probes every disk driver over what the board describes (boot, CPU 0,
 * after the console and interrupts are up). */
void blk_probe_all(void);

#endif
