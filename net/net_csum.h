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

/* A 16-bit checksum field at csum_start + csum_offset, after csum_start,
 * lies wholly within a frame of `len` bytes. */
bool net_csum_field_ok(u16 csum_start, u16 csum_offset, u32 len);
/* net_csum_field_ok, and the summed part starts at or after the Ethernet
 * header. */
bool net_csum_offsets_ok(const struct net_offload *off, u32 len);

/* The Internet checksum (RFC 1071) of a ones'-complement sum of big-endian
 * 16-bit words: folded and inverted, as the field stores it. */
u16 net_csum_fold(u64 sum);
/* The ones' complement sum, unfolded, of `n` bytes as big-endian 16-bit
 * words (an odd last byte padded with zero): to add to, then fold. */
u64 net_csum_sum(const u8 *p, u32 n);

/* Completes the checksum of `frame` (len bytes) as `off` asks: the ones'
 * complement sum from csum_start to the end, stored big-endian at
 * csum_start + csum_offset. The offsets must be net_csum_offsets_ok(). */
void net_csum_complete(u8 *frame, u32 len, const struct net_offload *off);

#endif
