/*
 * A guest's virtio-blk driver for unit tests of the guest's device
 * (devices/virtio/blk.c): the VM, its device on an MMIO bus, RAM in a host
 * buffer holding the rings at fixed offsets, and the driver's register
 * accesses and chain offers. The test brings the volume behind the device.
 */
#ifndef BULKHEAD_TESTS_VIRTIO_BLK_GUEST_H
#define BULKHEAD_TESTS_VIRTIO_BLK_GUEST_H

#include "core/mmio.h"
#include "core/vm.h"
#include "storage/volume.h"

#define BASE 0x0a000000ull
#define LINE 16
#define RAM_BASE 0x40000000ull
#define RAM_SIZE (2 * MiB)
#define QSIZE 16
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define HDRS  0x4000          /* request headers, 16 bytes each */
#define STATS 0x6000          /* status bytes */
#define DATA  0x10000         /* data buffers */

#define STATUS 0x070
#define QUEUE_SEL 0x030
#define QUEUE_NUM 0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define DEV_FEATURES 0x010
#define DEV_FEATURES_SEL 0x014
#define DRV_FEATURES 0x020
#define DRV_FEATURES_SEL 0x024
#define CONFIG 0x100

#define F_SEG_MAX (1ull << 2)
#define F_RO (1ull << 5)
#define F_BLK_SIZE (1ull << 6)
#define F_FLUSH (1ull << 9)
#define F_DISCARD (1ull << 13)
#define F_WRITE_ZEROES (1ull << 14)
#define F_VERSION_1 (1ull << 32)

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define UNTOUCHED 0xee        /* a status byte the device has not written */

extern struct vm vm;
extern struct vdev dev;
extern struct mmio_bus bus;
extern u8 *ram;

/* Bulkhead's pages (`hv_pages` of them), the VM with one disk on `vol`, its
 * device created and set up by the guest's driver; guest_blk_free() undoes it. */
/* The pages the device's creation took from hv_pages (its memory report). */
extern u64 guest_blk_create_pages;
void guest_blk_create(struct volume *vol, bool read_only, u32 hv_pages);
void guest_blk_free(void);

u32 rd(u64 off);
void wr(u64 off, u32 value);
u64 device_features(void);
void driver_init(void);

struct seg {
	u64 off;       /* into RAM */
	u32 len;
	bool writes;   /* the device writes it */
};

/* Offers a chain of `n` segments, notifies and runs CPU 0's work; its head's id. */
u16 offer(const struct seg *s, u32 n);
/* The same, without running any work: what the notification's trap did. */
u16 offer_only(const struct seg *s, u32 n);
/* Makes the chain available, notifying only if `notify`; runs no work. */
u16 offer_chain(const struct seg *s, u32 n, bool notify);
/* Header `h` (0..) at HDRS + 16h; status byte `h` at STATS + h, preset UNTOUCHED. */
struct seg header(u32 h, u32 type, u64 sector);
struct seg status(u32 h);
/* A read or write of `len` bytes at `sector` into DATA + data_off. */
u16 rw(u32 h, u32 type, u64 sector, u64 data_off, u32 len);
u16 used_idx(void);
/* Used ring entry `i`: the chain's id and the bytes written. */
void used(u16 i, u32 *id, u32 *len);

#endif
