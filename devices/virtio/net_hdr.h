/*
 * The virtio-net header (virtio 1.2, 5.1.6) that leads every frame between
 * a guest's driver and its device, and the checksum a device completes for
 * a receiver that cannot: pure functions on bytes, shared by the device and
 * its tests.
 */
#ifndef BULKHEAD_DEVICES_VIRTIO_NET_HDR_H
#define BULKHEAD_DEVICES_VIRTIO_NET_HDR_H

#include "types.h"
#include "net/net_frame.h"
#include "virtio_net_hdr.h"

void vnet_hdr_parse(const u8 raw[VNET_HDR_LEN], struct vnet_hdr *h);
void vnet_hdr_build(const struct vnet_hdr *h, u8 raw[VNET_HDR_LEN]);
/* A transmitted header the device accepts for a frame of `len` bytes: no
 * flag but NEEDS_CSUM (DATA_VALID is meaningless on TX and ignored), and
 * with NEEDS_CSUM a checksum field inside the frame. GSO is checked apart. */
bool vnet_hdr_tx_ok(const struct vnet_hdr *h, u32 len);
/* The offload fields the switch carries for it. */
struct net_offload vnet_hdr_offload(const struct vnet_hdr *h);
/* A 16-bit checksum field at csum_start + csum_offset, after csum_start,
 * lies wholly within a frame of `len` bytes. */
bool vnet_csum_range_ok(u16 csum_start, u16 csum_offset, u32 len);
/* The Internet checksum (RFC 1071) of a ones'-complement sum of big-endian
 * 16-bit words: folded and inverted, as the field stores it. */
u16 vnet_csum_fold(u64 sum);

#endif
