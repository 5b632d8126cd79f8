/*
 * A minimal virtio-blk driver over virtio-mmio (virtio 1.2, Version 2) for
 * the test guest's storage modes. The descriptor table and the available
 * ring are public: a mode that means to break the rules writes them itself,
 * and the driver gives it discovery, the init handshake, submission and a
 * wait bounded by the virtual counter.
 */
#ifndef GUEST_TEST_VBLK_H
#define GUEST_TEST_VBLK_H

#include "types.h"

#define VBLK_QSIZE 256            /* the ring we allocate: the queue's size at most */
#define VBLK_SECTOR 512

/* Descriptor flags (2.7.5) */
#define VD_NEXT     1
#define VD_WRITE    2
#define VD_INDIRECT 4

/* Feature bits */
#define VF_BLK_DISCARD 13
#define VF_BLK_WRITE_ZEROES 14
#define VF_INDIRECT  28
#define VF_VERSION_1 32

/* Device status (2.1) */
#define VS_ACKNOWLEDGE 1
#define VS_DRIVER      2
#define VS_DRIVER_OK   4
#define VS_FEATURES_OK 8
#define VS_NEEDS_RESET 64
#define VS_FAILED      128

/* InterruptStatus */
#define VINT_VRING  1
#define VINT_CONFIG 2

/* virtio-blk requests (5.2.6) */
#define VBLK_T_IN     0
#define VBLK_T_OUT    1
#define VBLK_T_FLUSH  4
#define VBLK_T_GET_ID 8
#define VBLK_T_DISCARD 11
#define VBLK_T_WRITE_ZEROES 13
#define VBLK_S_OK     0
#define VBLK_S_IOERR  1
#define VBLK_S_UNSUPP 2

struct vdesc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

struct vblk_hdr {
	u32 type;
	u32 reserved;
	u64 sector;
};

struct vblk_avail {
	u16 flags;
	u16 idx;
	u16 ring[VBLK_QSIZE];
	u16 used_event;
};

struct vblk_used {
	u16 flags;
	u16 idx;
	struct { u32 id, len; } ring[VBLK_QSIZE];
	u16 avail_event;
};

/* Where the queue lives, as told to the device (a mode may lie). */
struct vblk_ring {
	u32 size;
	u64 desc, avail, used;
};

struct vblk {
	u64 base;                 /* the transport's registers */
	u32 intid;
	u64 capacity;             /* 512-byte sectors */
	u32 queue_max;
	u64 offered;              /* the device's features */
	u16 qsize;                /* the size of the running queue */
	u16 avail_idx, used_idx;  /* the driver's copies */
};

/* The rings the driver sets up by default (page-aligned, in our RAM). */
extern struct vdesc vblk_desc[VBLK_QSIZE];
extern volatile struct vblk_avail vblk_avail;
extern volatile struct vblk_used vblk_used;
/* InterruptStatus bits the interrupt handler took since the last vblk_submit. */
extern volatile u32 vblk_int_seen;

/* The `nth` (from 0, device tree order) virtio,mmio node whose Version 2
 * device has `device_id`, its window mapped. NULL or what is missing. */
const char *vmmio_find(u32 device_id, u32 nth, u64 *base, u32 *intid);
/* The first virtio,mmio node with a block device: mapped, its SPI routed to
 * this vCPU through the GIC, IRQs on. NULL or what is missing. */
const char *vblk_probe(struct vblk *b);
/* Status 0, and the driver's copies back to zero. */
void vblk_reset(struct vblk *b);
/*
 * The handshake of 3.1.1 offering `features` (those the device has), a queue of
 * `ring` (NULL: the default rings at the largest size we have) and
 * DRIVER_OK. NULL when the device took everything; otherwise what it
 * refused (the device is left as it answered).
 */
const char *vblk_init(struct vblk *b, u64 features, const struct vblk_ring *ring);
u32 vblk_read_reg(const struct vblk *b, u32 reg);
void vblk_write_reg(const struct vblk *b, u32 reg, u32 value);
/* Puts `head` in the next available entry, publishes avail->idx += `step`
 * (1 for a well-behaved driver) and notifies. */
void vblk_submit(struct vblk *b, u16 head, u16 step);

enum vblk_answer { VA_USED, VA_NEEDS_RESET, VA_TIMEOUT };
/* Waits up to `ms` for a used entry or a configuration interrupt. VA_USED
 * fills *id and *len; VA_NEEDS_RESET when Status has the bit, with or
 * without the interrupt (*config_int tells which). */
enum vblk_answer vblk_wait(struct vblk *b, u64 ms, u32 *id, u32 *len, bool *config_int);
/*
 * A well-formed request through descriptors 0-2: `type` at `sector` with
 * `bytes` of data at `buf` (none for 0). The status byte, or -1 when the
 * device did not complete it within `ms`.
 */
int vblk_request(struct vblk *b, u32 type, u64 sector, void *buf, u32 bytes, u64 ms);

#endif
