/*
 * Builds GPT disk images in memory for the GPT tests: a protective MBR, the
 * primary copy (header at LBA 1, 128 entries from LBA 2) and the backup
 * (entries, then the header in the last LBA), as partitioning tools lay
 * them out. Tests then damage what they want and fix CRCs where the damage
 * must get past them. Sectors are img_sector_size bytes (512 unless a test
 * sets 4096).
 */
#ifndef BULKHEAD_TESTS_GPT_IMAGE_H
#define BULKHEAD_TESTS_GPT_IMAGE_H

#include <string.h>

#include "types.h"
#include "lib/crc32.h"

#define IMG_ENTRIES 128u

static u32 img_sector_size = 512;

static inline u64 img_array_sectors(void)
{
	return IMG_ENTRIES * 128u / img_sector_size;
}

struct img_part {
	const u8 *type;
	u64 first, last;
	const char *name;
};

static inline void img_le32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

static inline void img_le64(u8 *p, u64 v)
{
	img_le32(p, (u32)v);
	img_le32(p + 4, (u32)(v >> 32));
}

static inline u8 *img_sector(u8 *disk, u64 lba)
{
	return disk + lba * img_sector_size;
}

/* Recomputes a header's CRC (of its 92 bytes, the field zeroed). */
static inline void img_fix_header_crc(u8 *hdr)
{
	img_le32(hdr + 16, 0);
	img_le32(hdr + 16, crc32(hdr, 92));
}

/* Recomputes the array CRC of the copy whose header is at `hdr_lba`. */
static inline void img_fix_array_crc(u8 *disk, u64 hdr_lba)
{
	u8 *hdr = img_sector(disk, hdr_lba);
	u64 entry_lba = 0;

	for (int i = 7; i >= 0; i--)
		entry_lba = entry_lba << 8 | hdr[72 + i];
	img_le32(hdr + 88, crc32(img_sector(disk, entry_lba), IMG_ENTRIES * 128));
	img_fix_header_crc(hdr);
}

static inline void img_header(u8 *disk, u64 sectors, u64 my, u64 other, u64 entry_lba)
{
	u8 *h = img_sector(disk, my);

	memcpy(h, "EFI PART", 8);
	img_le32(h + 8, 0x00010000);
	img_le32(h + 12, 92);
	img_le64(h + 24, my);
	img_le64(h + 32, other);
	img_le64(h + 40, 2 + img_array_sectors());
	img_le64(h + 48, sectors - 2 - img_array_sectors());
	for (int i = 0; i < 16; i++)
		h[56 + i] = (u8)(0xa0 + i);	/* the disk's GUID */
	img_le64(h + 72, entry_lba);
	img_le32(h + 80, IMG_ENTRIES);
	img_le32(h + 84, 128);
	img_fix_array_crc(disk, my);
}

/* A whole valid GPT on a disk of `sectors` 512-byte sectors (the tables'
 * sectors are cleared first; the rest is left as it was). */
static inline void img_build(u8 *disk, u64 sectors, const struct img_part *parts, u32 n)
{
	u8 *mbr = img_sector(disk, 0);
	u8 *array = img_sector(disk, 2);

	memset(disk, 0, (2 + img_array_sectors()) * img_sector_size);
	memset(img_sector(disk, sectors - 1 - img_array_sectors()), 0,
	       (1 + img_array_sectors()) * img_sector_size);

	/* protective MBR: one partition of type 0xee covering the disk */
	mbr[446 + 4] = 0xee;
	img_le32(mbr + 446 + 8, 1);
	img_le32(mbr + 446 + 12, sectors - 1 > 0xffffffffu ? 0xffffffffu : (u32)(sectors - 1));
	mbr[510] = 0x55;
	mbr[511] = 0xaa;	/* at 510 whatever the sector size */
	for (u32 i = 0; i < n; i++) {
		u8 *e = array + i * 128;

		memcpy(e, parts[i].type, 16);
		for (int b = 0; b < 16; b++)
			e[16 + b] = (u8)(i * 16 + b + 1);	/* unique GUID */
		img_le64(e + 32, parts[i].first);
		img_le64(e + 40, parts[i].last);
		for (u32 c = 0; parts[i].name[c] && c < 36; c++)
			e[56 + 2 * c] = (u8)parts[i].name[c];
	}
	memcpy(img_sector(disk, sectors - 1 - img_array_sectors()), array,
	       img_array_sectors() * img_sector_size);
	img_header(disk, sectors, 1, sectors - 1, 2);
	img_header(disk, sectors, sectors - 1, 1, sectors - 1 - img_array_sectors());
}

#endif
