/*
 * The virtio-net header (virtio 1.2 section 5.1.6) that leads every frame
 * between a virtio-net driver and its device, as both sides use it: the
 * device a guest's driver finds (devices/virtio/net.c) and the driver of the
 * machine's own NIC (drivers/virtio_net.c). Fields little-endian; with
 * VERSION_1 num_buffers is always there.
 */
#ifndef BULKHEAD_VIRTIO_NET_HDR_H
#define BULKHEAD_VIRTIO_NET_HDR_H

#include "types.h"

#define VNET_HDR_LEN 12
#define VNET_HDR_F_NEEDS_CSUM 1
#define VNET_HDR_F_DATA_VALID 2
#define VNET_HDR_F_RSC_INFO 4
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3
#define VNET_GSO_TCPV6 4
#define VNET_GSO_ECN 0x80      /* with a TCP type: the segments carry ECN's CWR rule */

struct vnet_hdr {
	u8 flags;
	u8 gso_type;
	u16 hdr_len;
	u16 gso_size;
	u16 csum_start;
	u16 csum_offset;
	u16 num_buffers;
};

_Static_assert(sizeof(struct vnet_hdr) == VNET_HDR_LEN, "the virtio 1 header");

#endif
