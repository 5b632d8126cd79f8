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

void net_csum_complete(u8 *frame, u32 len, const struct net_offload *off)
{
	u32 field = (u32)off->csum_start + off->csum_offset;
	u64 sum = 0;
	u16 csum;
	u32 i;

	for (i = off->csum_start; i + 1 < len; i += 2)
		sum += get_be16(frame + i);
	if (i < len)
		sum += (u32)frame[i] << 8;  /* an odd last byte, padded with zero */
	csum = net_csum_fold(sum);
	/* 0 and 0xffff are the same number; UDP reserves 0 for "no checksum" */
	put_be16(frame + field, csum ? csum : 0xffff);
}
