/* The virtio-net header's bytes and checks (devices/virtio/net_hdr.h). */
#include "devices/virtio/net_hdr.h"
#include "net/net_csum.h"
#include "net/net_gso.h"

/* The largest gso_size: an MTU-size frame after the smallest IP and TCP
 * headers (20 and 20). */
#define VNET_GSO_MSS_MAX (ETH_FRAME_MAX - ETH_HLEN - 20 - 20)

static u16 le16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static void put_le16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }

void vnet_hdr_parse(const u8 raw[VNET_HDR_LEN], struct vnet_hdr *h)
{
	*h = (struct vnet_hdr){
		.flags = raw[0], .gso_type = raw[1], .hdr_len = le16(raw + 2),
		.gso_size = le16(raw + 4), .csum_start = le16(raw + 6),
		.csum_offset = le16(raw + 8), .num_buffers = le16(raw + 10),
	};
}

void vnet_hdr_build(const struct vnet_hdr *h, u8 raw[VNET_HDR_LEN])
{
	raw[0] = h->flags;
	raw[1] = h->gso_type;
	put_le16(raw + 2, h->hdr_len);
	put_le16(raw + 4, h->gso_size);
	put_le16(raw + 6, h->csum_start);
	put_le16(raw + 8, h->csum_offset);
	put_le16(raw + 10, h->num_buffers);
}

bool vnet_hdr_tx_ok(const struct vnet_hdr *h, u32 len)
{
	if (h->flags & ~(VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID))
		return false;
	/* the checksum starts past the MAC header: one written into it (a
	 * receiver's copy completed for it) would change the addresses the
	 * switch checked */
	if (h->flags & VNET_HDR_F_NEEDS_CSUM)
		return h->csum_start >= ETH_HLEN && net_csum_field_ok(h->csum_start, h->csum_offset, len);
	return true;
}

bool vnet_hdr_gso_ok(const struct vnet_hdr *h, u32 len, bool tso4, bool tso6)
{
	bool type_ok = (h->gso_type == VNET_GSO_TCPV4 && tso4) ||
		       (h->gso_type == VNET_GSO_TCPV6 && tso6);

	if (!type_ok || !(h->flags & VNET_HDR_F_NEEDS_CSUM) || len > NET_GSO_FRAME_MAX)
		return false;
	if (h->gso_size < NET_GSO_MSS_MIN || h->gso_size > VNET_GSO_MSS_MAX)
		return false;
	/* at least the headers (5.1.6.2's SHOULD); the packet's decide the rest */
	return (u32)h->csum_start + h->csum_offset + 2 <= h->hdr_len && h->hdr_len <= len;
}

struct net_offload vnet_hdr_offload(const struct vnet_hdr *h)
{
	struct net_offload o = { 0 };

	if (!(h->flags & VNET_HDR_F_NEEDS_CSUM))
		return o;
	o = (struct net_offload){ .flags = NET_OFFLOAD_NEEDS_CSUM, .csum_start = h->csum_start,
				  .csum_offset = h->csum_offset };
	if (h->gso_type != VNET_GSO_NONE) {   /* vnet_hdr_gso_ok passed */
		o.gso_type = h->gso_type;
		o.gso_size = h->gso_size;
		o.hdr_len = h->hdr_len;
	}
	return o;
}
