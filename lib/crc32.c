/*
 * CRC-32 (IEEE 802.3), computed a nibble at a time from a 16-entry table:
 * small enough to keep in rodata without a generation step, and fast enough
 * for what the hypervisor checksums (GPT headers and entry arrays, a few
 * KiB per disk at attach time).
 */
#include "types.h"
#include "lib/crc32.h"

/* CRC of each 4-bit value, reflected polynomial 0xEDB88320. */
static const u32 crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
	0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

u32 crc32_update(u32 crc, const void *data, size_t len)
{
	const u8 *p = data;

	/* The stored value is the final (inverted) one; undo that to go on. */
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
	}
	return ~crc;
}
