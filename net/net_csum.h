/*
 * Finishing a partial checksum: a frame marked NEEDS_CSUM (virtio-net's
 * offload) carries the pseudo-header's sum at csum_start + csum_offset, and
 * whoever hands it to something that cannot take the offload (a NIC without
 * CSUM, a guest without GUEST_CSUM) completes it there.
 */
#ifndef BULKHEAD_NET_NET_CSUM_H
#define BULKHEAD_NET_NET_CSUM_H

#include "types.h"
#include "net/net_frame.h"

/* True when the offload's checksum field lies inside a frame of `len` bytes
 * (and starts at or after the Ethernet header). */
bool net_csum_offsets_ok(const struct net_offload *off, u32 len);

/* Completes the checksum of `frame` (len bytes) as `off` asks: the ones'
 * complement sum from csum_start to the end, stored big-endian at
 * csum_start + csum_offset. The offsets must be net_csum_offsets_ok(). */
void net_csum_complete(u8 *frame, u32 len, const struct net_offload *off);

#endif
