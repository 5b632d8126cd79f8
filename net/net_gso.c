/* Segmenting a GSO TCP frame in software (net/net_gso.h). */
#include "net/net_gso.h"
#include "net/net_csum.h"
#include "lib/string.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80
#define IPV4_MF_OFFSET 0x3fff  /* more-fragments and the fragment offset */

static u32 get_be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }

static void put_be32(u8 *p, u32 v)
{
	put_be16(p, (u16)(v >> 16));
	put_be16(p + 2, (u16)v);
}

/* The IP header's length, or 0 when it is not the one the type names. */
static u32 ip_header_len(const struct net_gso *g, u16 ethertype, u32 avail)
{
	const u8 *ip = g->hdr;

	if (g->type == NET_GSO_TCPV4 && ethertype == ETH_P_IPV4 && avail >= 20) {
		u32 ihl = (ip[0] & 0xf) * 4u;

		if (ip[0] >> 4 != 4 || ihl < 20 || ip[9] != IPPROTO_TCP_NUM ||
		    (get_be16(ip + 6) & IPV4_MF_OFFSET))
			return 0;
		return ihl;
	}
	/* IPv6 with TCP right after the fixed header: no extension headers */
	if (g->type == NET_GSO_TCPV6 && ethertype == ETH_P_IPV6 && avail >= 40)
		return ip[0] >> 4 == 6 && ip[6] == IPPROTO_TCP_NUM ? 40 : 0;
	return 0;
}

static bool sizes_ok(const struct net_gso *g)
{
	u32 headers = g->l3_len + g->l4_len;

	if (g->mss < NET_GSO_MSS_MIN || !g->payload)
		return false;
	/* each segment fits an MTU-size frame (a tag may come on top) */
	if (ETH_HLEN + headers + g->mss > ETH_FRAME_MAX)
		return false;
	/* IPv4's total length and IPv6's payload length are 16 bits */
	return (g->type == NET_GSO_TCPV4 ? headers : g->l4_len) + g->payload <= 0xffff;
}

bool net_gso_parse(const struct net_frame *f, const struct net_offload *off, u32 l3_off,
		   u16 type, struct net_gso *g)
{
	u32 avail, doff;

	if (f->len <= l3_off || !(off->flags & NET_OFFLOAD_NEEDS_CSUM))
		return false;
	g->type = off->gso_type;
	g->mss = off->gso_size;
	g->l3_off = l3_off;
	avail = net_frame_read(f, l3_off, g->hdr, f->len - l3_off < NET_GSO_L34_MAX ?
			       f->len - l3_off : NET_GSO_L34_MAX);
	g->l3_len = ip_header_len(g, type, avail);
	if (!g->l3_len || g->l3_len + 20 > avail)
		return false;
	doff = (g->hdr[g->l3_len + 12] >> 4) * 4u;
	if (doff < 20 || g->l3_len + doff > avail)
		return false;
	g->l4_len = doff;
	/* the partial checksum the guest asked for is the TCP one */
	if (off->csum_start != l3_off + g->l3_len || off->csum_offset != TCP_CSUM_OFFSET)
		return false;
	g->payload = f->len - l3_off - g->l3_len - g->l4_len;
	if (!sizes_ok(g))
		return false;
	g->nsegs = (g->payload + g->mss - 1) / g->mss;
	return true;
}

u32 net_gso_payload_off(const struct net_gso *g, u32 k)
{
	return g->l3_off + g->l3_len + g->l4_len + k * g->mss;
}

u64 net_gso_wire_len(const struct net_gso *g)
{
	return (u64)g->nsegs * (g->l3_off + g->l3_len + g->l4_len) + g->payload;
}

/* The pseudo-header's sum for a TCP segment of `tcp_len` bytes. */
static u64 pseudo_sum(const struct net_gso *g, u32 tcp_len)
{
	if (g->type == NET_GSO_TCPV4)
		return net_csum_sum(g->hdr + 12, 8) + IPPROTO_TCP_NUM + tcp_len;
	return net_csum_sum(g->hdr + 8, 32) + IPPROTO_TCP_NUM + (tcp_len >> 16) + (tcp_len & 0xffff);
}

u32 net_gso_segment(const struct net_gso *g, u32 k, u8 *out)
{
	u32 plen = k + 1 < g->nsegs ? g->mss : g->payload - k * g->mss;
	u32 tcp_len = g->l4_len + plen;
	u8 *ip = out, *tcp = out + g->l3_len;
	u8 flags;

	memcpy(out, g->hdr, g->l3_len + g->l4_len);
	if (g->type == NET_GSO_TCPV4) {
		put_be16(ip + 2, (u16)(g->l3_len + tcp_len));
		put_be16(ip + 4, (u16)(get_be16(g->hdr + 4) + k));
		put_be16(ip + 10, 0);
		put_be16(ip + 10, net_csum_fold(net_csum_sum(ip, g->l3_len)));
	} else {
		put_be16(ip + 4, (u16)tcp_len);
	}
	put_be32(tcp + 4, get_be32(g->hdr + g->l3_len + 4) + k * g->mss);
	flags = tcp[13];
	if (k + 1 < g->nsegs)
		flags &= (u8)~(TCP_FIN | TCP_PSH);
	if (k)
		flags &= (u8)~TCP_CWR;
	tcp[13] = flags;
	/* partial: the pseudo-header's sum, folded, not inverted */
	put_be16(tcp + TCP_CSUM_OFFSET, (u16)~net_csum_fold(pseudo_sum(g, tcp_len)));
	return plen;
}
