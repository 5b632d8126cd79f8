/*
 * The guest virtio-blk device's bounds on what it takes from Bulkhead for
 * one disk: guest requests in flight, and pieces on the volume, each with a
 * bounce buffer. A guest cannot make Bulkhead take more memory than this for
 * its disk. Here, not in blk.c, so the tests that count pieces and pages
 * count with the device's own figures.
 */
#ifndef BULKHEAD_DEVICES_VIRTIO_BLK_H
#define BULKHEAD_DEVICES_VIRTIO_BLK_H

#include "types.h"

#define VBLK_SLOTS 8              /* at most 32: started_mask */
/*
 * 8 x 64 KiB: a 1 MiB request is on the disk half at a time. The piece's
 * size is what sequential I/O pays for: each piece costs a submission, an
 * interrupt and a completion whatever its size, and `make bench` measured
 * sequential reads at 0.50 of native with 32 KiB pieces, 0.62-0.76 with
 * 64 KiB and 0.77 with 128 KiB (for twice the memory).
 */
#define VBLK_PIECES 8
#define VBLK_BOUNCE_PAGES 16
#define VBLK_BOUNCE_BYTES (VBLK_BOUNCE_PAGES * PAGE_SIZE)

#endif
