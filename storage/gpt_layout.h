/*
 * The on-disk layout of a GPT (UEFI 2.x, tables 5-5 and 5-6) and its
 * little-endian fields, shared by the reader (gpt.c) and the editor
 * (gpt_edit.c). Fields are read byte by byte: sector buffers have no
 * alignment the layout could rely on, and the hypervisor checks alignment.
 */
#ifndef BULKHEAD_STORAGE_GPT_LAYOUT_H
#define BULKHEAD_STORAGE_GPT_LAYOUT_H

#include "types.h"

/* Header layout (UEFI 2.x table 5-5), offsets in bytes. */
#define HDR_SIGNATURE		0
#define HDR_REVISION		8
#define HDR_SIZE		12
#define HDR_CRC			16
#define HDR_MY_LBA		24
#define HDR_ALTERNATE_LBA	32
#define HDR_FIRST_USABLE	40
#define HDR_LAST_USABLE		48
#define HDR_DISK_GUID		56
#define HDR_ENTRY_LBA		72
#define HDR_ENTRIES		80
#define HDR_ENTRY_SIZE		84
#define HDR_ARRAY_CRC		88
#define HDR_MIN_SIZE		92

#define GPT_REVISION_1_0	0x00010000u

/* Partition entry layout (table 5-6). */
#define ENT_TYPE	0
#define ENT_GUID	16
#define ENT_FIRST	32
#define ENT_LAST	40
#define ENT_NAME	56
#define ENT_MIN_SIZE	128


static inline u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static inline u64 get_le64(const u8 *p)
{
	return (u64)get_le32(p) | (u64)get_le32(p + 4) << 32;
}

static inline void put_le32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

static inline void put_le64(u8 *p, u64 v)
{
	put_le32(p, (u32)v);
	put_le32(p + 4, (u32)(v >> 32));
}

#endif
