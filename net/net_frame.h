/*
 * An Ethernet frame as a port hands it to the switch, and the frame as a
 * receiving port must see it.
 *
 * A sending device passes its TX buffers as they are (segments of memory the
 * hypervisor can read, already checked and mapped by that device): the switch
 * never gathers them into a buffer of its own. The frame's first bytes (the
 * MAC header and a VLAN tag) are read once into a snapshot the switch decides
 * on; every receiver gets its header from that snapshot and the rest straight
 * from the sender's segments. So a guest that rewrites its TX buffer while the
 * frame travels can change only its own payload, never the source MAC the
 * anti-spoofing check saw or the VLAN the switch chose.
 */
#ifndef BULKHEAD_NET_NET_FRAME_H
#define BULKHEAD_NET_NET_FRAME_H

#include "types.h"

#define ETH_ALEN 6
#define ETH_HLEN 14            /* destination, source, EtherType */
#define ETH_FRAME_MAX 1514     /* without FCS; each 802.1Q tag adds VLAN_HLEN */
#define VLAN_HLEN 4
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8    /* a service (outer) tag: QinQ */
#define ETH_P_QINQ_OLD 0x9100  /* the pre-standard outer tag some switches send */
#define VLAN_VID_MAX 4094      /* 4095 is reserved; 0 means "priority tag only" */
/* The IP and TCP headers a segment of a GSO frame repeats: IPv4's longest
 * (60) and TCP's (60); IPv6's fixed 40 fits too. */
#define NET_GSO_L34_MAX 120
/* A receiver's header: destination, source, one tag, EtherType, and for a
 * segment cut from a GSO frame its own IP and TCP headers. */
#define NET_HDR_MAX (ETH_HLEN + VLAN_HLEN + NET_GSO_L34_MAX)
/* A GSO frame (virtio-net's TSO): at most 64 KiB of IP packet (IPv4's total
 * length, IPv6's payload length) after its MAC header, a tag and IPv6's 40. */
#define NET_GSO_FRAME_MAX (ETH_HLEN + VLAN_HLEN + 40 + 65535)
/* A sender's chain may be long (a virtqueue allows 128 descriptors), and
 * each buffer of a frame's size may straddle two host pages of guest RAM. */
#define NET_FRAME_MAX_SEGS 256

struct net_seg {
	const void *data;
	u32 len;
};

/*
 * The virtio-net header's offload fields, carried from sender to receiver so
 * a checksum is computed at most once, by whoever finally needs it. The switch
 * does not interpret them, except that csum_start and hdr_len count from the
 * frame's first byte: when a tag is added or removed they move by 4 with it.
 * They come from a guest: a receiver that acts on them checks them.
 */
struct net_offload {
	u8 flags;              /* virtio's NEEDS_CSUM (1), DATA_VALID (2) */
	u8 gso_type;           /* virtio's: NET_GSO_NONE, _TCPV4, _TCPV6 */
	u16 hdr_len;           /* a GSO frame's MAC, IP and TCP headers */
	u16 gso_size;          /* a GSO frame's TCP payload per segment */
	u16 csum_start;
	u16 csum_offset;
};
#define NET_OFFLOAD_NEEDS_CSUM 1
#define NET_GSO_NONE 0
#define NET_GSO_TCPV4 1
#define NET_GSO_TCPV6 4

struct net_frame {
	const struct net_seg *segs;
	u32 nsegs;             /* <= NET_FRAME_MAX_SEGS */
	u32 len;               /* the sum of the segments' lengths */
	struct net_offload offload;
};

/*
 * What a receiving port's deliver() copies: `hdr` (hdr_len bytes, from the
 * switch's snapshot), then the sender's frame from byte `body_off` on, `len`
 * bytes in all (a segment of a GSO frame stops before the frame's end).
 * `offload` is adjusted for the tag change.
 */
struct net_delivery {
	const struct net_frame *frame;
	u8 hdr[NET_HDR_MAX];
	u32 hdr_len;
	u32 body_off;
	u32 len;
	u16 vlan;              /* the frame's VLAN in the switch (0: untagged) */
	struct net_offload offload;
};

/* Copies bytes [off, off + n) of the frame as sent into `dst`; returns how
 * many were there to copy (fewer at the end of the frame). */
u32 net_frame_read(const struct net_frame *f, u32 off, void *dst, u32 n);

/* The longest run of the delivered frame that is contiguous in memory at
 * byte `off`: sets *data and returns its length (0 at or past the end). A
 * receiver copies run after run into its buffers, so each byte is copied once. */
u32 net_delivery_piece(const struct net_delivery *d, u32 off, const u8 **data);

/* Copies bytes [off, off + n) of the delivered frame into `dst`; returns how
 * many were there to copy. */
u32 net_delivery_copy(const struct net_delivery *d, u32 off, void *dst, u32 n);

/* The sum of a frame's segment lengths, or false when it has too many
 * segments, a NULL segment or a sum that disagrees with f->len. */
bool net_frame_well_formed(const struct net_frame *f);

static inline bool eth_is_multicast(const u8 *mac) { return mac[0] & 1; }
static inline u64 eth_mac_to_u64(const u8 *mac)
{
	u64 v = 0;

	for (u32 i = 0; i < ETH_ALEN; i++)
		v = (v << 8) | mac[i];
	return v;
}
static inline void eth_u64_to_mac(u64 v, u8 *mac)
{
	for (u32 i = ETH_ALEN; i-- > 0; v >>= 8)
		mac[i] = (u8)v;
}
static inline u16 get_be16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }
static inline void put_be16(u8 *p, u16 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }

#endif
