/* Bulkhead's driver for the machine's own virtio-net NIC (virtio-mmio v2). */
#ifndef BULKHEAD_DRIVERS_VIRTIO_NET_H
#define BULKHEAD_DRIVERS_VIRTIO_NET_H

#include "drivers/net.h"

/* Probes every virtio-mmio slot the board describes and registers each
 * network device found (eth0, eth1... in device-tree order). */
void virtio_net_probe_all(void);

/* Probes one transport with registers at `base` and interrupt `irq` (the
 * arch's number): the registered NIC, its receive ring full and the device
 * running, or NULL when the slot holds no virtio 1 network device or it
 * fails to start (logged). */
struct net_nic *virtio_net_probe(paddr_t base, u32 irq);

#endif
