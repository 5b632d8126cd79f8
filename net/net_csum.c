/* Completing a frame's partial checksum (RFC 1071 ones' complement sum). */
#include "net/net_csum.h"

bool net_csum_field_ok(u16 csum_start, u16 csum_offset, u32 len)
{
	u32 field = (u32)csum_start + csum_offset;

	return csum_start < len && field + 2 <= len;
}

bool net_csum_offsets_ok(const struct net_offload *off, u32 len)
{
	return off->csum_start >= ETH_HLEN && net_csum_field_ok(off->csum_start, off->csum_offset, len);
}

u16 net_csum_fold(u64 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

u64 net_csum_sum(const u8 *p, u32 n)
{
	u64 sum = 0;
	u32 i;

	for (i = 0; i + 1 < n; i += 2)
		sum += get_be16(p + i);
	if (i < n)
		sum += (u32)p[i] << 8;  /* an odd last byte, padded with zero */
	return sum;
}

void net_csum_complete(u8 *frame, u32 len, const struct net_offload *off)
{
	u32 field = (u32)off->csum_start + off->csum_offset;
	u16 csum = net_csum_fold(net_csum_sum(frame + off->csum_start, len - off->csum_start));

	/* 0 and 0xffff are the same number; UDP reserves 0 for "no checksum" */
	put_be16(frame + field, csum ? csum : 0xffff);
}
