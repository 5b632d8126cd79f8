/* The virtio-net header's bytes and checks (devices/virtio/net_hdr.h). */
#include "devices/virtio/net_hdr.h"
#include "net/net_csum.h"

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

struct net_offload vnet_hdr_offload(const struct vnet_hdr *h)
{
	if (!(h->flags & VNET_HDR_F_NEEDS_CSUM))
		return (struct net_offload){ 0 };
	return (struct net_offload){ .flags = NET_OFFLOAD_NEEDS_CSUM, .csum_start = h->csum_start,
				     .csum_offset = h->csum_offset };
}
