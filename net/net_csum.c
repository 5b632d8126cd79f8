/* Completing a frame's partial checksum (RFC 1071 ones' complement sum). */
#include "net/net_csum.h"

bool net_csum_offsets_ok(const struct net_offload *off, u32 len)
{
	u32 field = (u32)off->csum_start + off->csum_offset;

	return off->csum_start >= ETH_HLEN && field + 2 <= len;
}

void net_csum_complete(u8 *frame, u32 len, const struct net_offload *off)
{
	u32 field = (u32)off->csum_start + off->csum_offset;
	u64 sum = 0;
	u32 i;

	for (i = off->csum_start; i + 1 < len; i += 2)
		sum += get_be16(frame + i);
	if (i < len)
		sum += (u32)frame[i] << 8;  /* an odd last byte, padded with zero */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	/* 0 and 0xffff are the same number; UDP reserves 0 for "no checksum" */
	put_be16(frame + field, sum ? (u16)sum : 0xffff);
}
