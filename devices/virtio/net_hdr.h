/*
 * The virtio-net header (include/virtio_net_hdr.h) as the guest's device
 * reads and writes it: pure functions on bytes, shared by the device and its
 * tests. The checksum it completes for a receiver that cannot is
 * net/net_csum.h's.
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
 * with NEEDS_CSUM a checksum field inside the frame. A GSO header must also
 * pass vnet_hdr_gso_ok. */
bool vnet_hdr_tx_ok(const struct vnet_hdr *h, u32 len);
/* A GSO header (gso_type not NONE) the device accepts for a frame of `len`
 * bytes: TCPv4 with `tso4` (HOST_TSO4 negotiated) or TCPv6 with `tso6`, no
 * ECN bit (HOST_ECN is not offered), NEEDS_CSUM, gso_size from
 * NET_GSO_MSS_MIN to what fits an MTU-size frame after the smallest
 * headers, hdr_len covering the checksum field and inside the frame, and
 * the frame at most NET_GSO_FRAME_MAX. The switch checks the packet's own
 * headers against these (net/net_gso.h). */
bool vnet_hdr_gso_ok(const struct vnet_hdr *h, u32 len, bool tso4, bool tso6);
/* The offload fields the switch carries for it. */
struct net_offload vnet_hdr_offload(const struct vnet_hdr *h);

#endif
