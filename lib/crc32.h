/*
 * CRC-32 as IEEE 802.3, zlib and the UEFI GPT use it: reflected polynomial
 * 0xEDB88320, initial value and final XOR 0xFFFFFFFF.
 *
 * Incremental: crc32_update(0, a) then crc32_update(that, b) equals
 * crc32_update(0, a followed by b), so a caller can checksum data it reads
 * in pieces (a GPT entry array, sector by sector) without buffering it.
 */
#ifndef BULKHEAD_LIB_CRC32_H
#define BULKHEAD_LIB_CRC32_H

#include "types.h"

/* `crc` is the value returned for the data before (0 to start). */
u32 crc32_update(u32 crc, const void *data, size_t len);

static inline u32 crc32(const void *data, size_t len)
{
	return crc32_update(0, data, len);
}

#endif
