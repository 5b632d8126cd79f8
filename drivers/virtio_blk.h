/* Bulkhead's driver for the machine's own virtio-blk disks (virtio-mmio v2). */
#ifndef BULKHEAD_DRIVERS_VIRTIO_BLK_H
#define BULKHEAD_DRIVERS_VIRTIO_BLK_H

#include "drivers/blk.h"

/* Probes every virtio-mmio slot the board describes and registers each
 * block device found (vda, vdb... in device-tree order). */
void virtio_blk_probe_all(void);

/* Probes one transport with registers at `base` and interrupt `irq` (the
 * arch's number): the registered disk, or NULL when the slot is empty, not
 * a block device, legacy, or fails to start (each but empty is logged). */
struct blk_disk *virtio_blk_probe(paddr_t base, u32 irq);

#endif
