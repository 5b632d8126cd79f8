/*
 * Cutting a GSO frame (virtio-net's TSO: one TCP packet of up to 64 KiB
 * with its gso_size) into the MTU-size segments a receiver without TSO
 * takes, as a NIC's TSO engine would: each segment repeats the IP and TCP
 * headers with its own IPv4 total length, id and header checksum (IPv6
 * payload length), TCP sequence number and flags (FIN and PSH only on the
 * last, CWR only on the first), and its TCP checksum left partial (the
 * pseudo-header's sum in the field, NEEDS_CSUM), for the receiver's path to
 * complete or pass on as it already does for any partial checksum.
 *
 * The headers are checked and copied once from the sender's frame: a guest
 * rewriting its buffer meanwhile changes only its own payload.
 */
#ifndef BULKHEAD_NET_NET_GSO_H
#define BULKHEAD_NET_NET_GSO_H

#include "types.h"
#include "net/net_frame.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define IPPROTO_TCP_NUM 6
#define TCP_CSUM_OFFSET 16     /* the checksum field in the TCP header */
/* The smallest gso_size taken: below TCP's own minimum MSS (88), so a
 * frame never turns into more than 1024 segments. */
#define NET_GSO_MSS_MIN 64

struct net_gso {
	u8 type;               /* NET_GSO_TCPV4 or NET_GSO_TCPV6 */
	u16 mss;               /* TCP payload per segment */
	u32 l3_off;            /* the IP header's offset in the frame as sent */
	u32 l3_len;            /* the IP header's length */
	u32 l4_len;            /* the TCP header's length */
	u32 payload;           /* TCP payload bytes after the headers, > 0 */
	u32 nsegs;
	u8 hdr[NET_GSO_L34_MAX]; /* the IP and TCP headers, copied once */
};

/* Checks a GSO frame whose IP header starts at `l3_off`, after an EtherType
 * `type`, against its offload fields (`off`, offsets from the frame's first
 * byte) and copies its headers into `g`: false when it is not one TCP packet
 * of the offload's type with NEEDS_CSUM on its TCP checksum, a segment
 * would be over ETH_FRAME_MAX (plus the tag in l3_off), gso_size is below
 * NET_GSO_MSS_MIN, or the IP packet is over 64 KiB. */
bool net_gso_parse(const struct net_frame *f, const struct net_offload *off, u32 l3_off,
		   u16 type, struct net_gso *g);

/* Segment `k` (< g->nsegs): writes its IP and TCP headers (l3_len + l4_len
 * bytes) to `out` and returns its payload length; its payload is the
 * frame's bytes from net_gso_payload_off(g, k) on. */
u32 net_gso_segment(const struct net_gso *g, u32 k, u8 *out);
u32 net_gso_payload_off(const struct net_gso *g, u32 k);

/* The bytes the segments take on the wire, their MAC headers included. */
u64 net_gso_wire_len(const struct net_gso *g);

#endif
