/*
 * The GUID partition table of a pool disk (UEFI 2.x, section 5.3).
 *
 * Bulkhead keeps its volumes as GPT partitions of its own type on the pool
 * disks. The disk is untrusted (an image from anywhere, or a disk someone
 * else wrote), so gpt_parse() checks both copies of the table completely
 * before believing a single LBA in them, and refuses the disk, with a
 * reason, rather than guess. It reads through a callback and writes nothing;
 * gpt_repair_primary() only rebuilds a bad primary copy from a good backup,
 * and storage/gpt_edit.h adds and removes volumes.
 *
 * Sectors are 512 bytes today; the sector size is a field of the disk so
 * 4096-byte disks need no new arithmetic, only callers that set it.
 */
#ifndef BULKHEAD_STORAGE_GPT_H
#define BULKHEAD_STORAGE_GPT_H

#include "types.h"

/*
 * The partition type of a Bulkhead volume: 34f1ff85-d473-45ec-9812-6981efcf85a8,
 * a random (version 4) GUID generated once for Bulkhead. As stored on disk the
 * first three fields are little-endian. tools/pool.py uses the same value.
 */
#define GPT_BULKHEAD_VOLUME_TYPE { \
	0x85, 0xff, 0xf1, 0x34, 0x73, 0xd4, 0xec, 0x45, \
	0x98, 0x12, 0x69, 0x81, 0xef, 0xcf, 0x85, 0xa8 }

/*
 * The partition type of a VM definition (`bulkhead pool add-vm`): one VM's
 * config, kernel, ramdisk and firmware as a one-VM package (core/package.h),
 * the partition named by the VM: 3d947d5d-d1f3-4758-8061-dc030d51a8e9,
 * another random GUID of Bulkhead's own. storage/pool_vms.c reads them.
 */
#define GPT_BULKHEAD_VM_DEF_TYPE { \
	0x5d, 0x7d, 0x94, 0x3d, 0xf3, 0xd1, 0x58, 0x47, \
	0x80, 0x61, 0xdc, 0x03, 0x0d, 0x51, 0xa8, 0xe9 }
/* VM definitions listed per disk; more are skipped by the scan's reader. */
#define GPT_MAX_VM_DEFS 16

#define GPT_MAX_SECTOR	4096
/* More entries than sgdisk's default of 128 only make a hostile table slower. */
#define GPT_MAX_ENTRIES	128
/* The entry array is at most this big whatever the entry size. */
#define GPT_MAX_ARRAY	(GPT_MAX_ENTRIES * 128)
#define GPT_NAME_MAX	36
/* Volumes start and end on 1 MiB boundaries (as partitioning tools align). */
#define GPT_VOLUME_ALIGN (1024 * 1024)

/* Return 0 when `count` sectors from `lba` were read into / written from buf. */
typedef int (*gpt_read_fn)(void *ctx, u64 lba, void *buf, u32 count);
typedef int (*gpt_write_fn)(void *ctx, u64 lba, const void *buf, u32 count);
/* Return 0 when every write before it is on stable storage. */
typedef int (*gpt_flush_fn)(void *ctx);

struct gpt_disk {
	gpt_read_fn read;
	gpt_write_fn write;	/* NULL for a disk we may not write */
	void *ctx;
	u64 sectors;		/* the disk's size */
	u32 sector_size;	/* 512 or 4096 */
	gpt_flush_fn flush;	/* NULL when a write is stable once it returns */
};

/* What one copy's header says, once it has been checked. */
struct gpt_copy {
	bool good;
	const char *why;	/* when not good */
	u64 header_lba;
	u64 entry_lba;
	u64 first_usable;
	u64 last_usable;
	u32 entries;
	u32 entry_size;
	u32 array_crc;
};

struct gpt_volume {
	char name[GPT_NAME_MAX + 1];
	u32 index;		/* its entry in the array, from 0 */
	u64 first_lba;
	u64 sectors;
};

/* About 15 KiB: allocate it (a VM's arena, a static), never on a hypervisor stack. */
struct gpt_info {
	struct gpt_copy primary;
	struct gpt_copy backup;
	bool refused;
	bool protective_mbr;	/* LBA 0 holds an MBR with a GPT-protective (0xEE) entry */
	char why[96];		/* why the disk was refused */
	u32 nvolumes;
	struct gpt_volume volumes[GPT_MAX_ENTRIES];
	/* VM definitions, checked as volumes are (range, 1 MiB alignment, a
	 * name unique among volumes and definitions); past GPT_MAX_VM_DEFS
	 * they are counted in vm_defs_skipped */
	u32 nvm_defs;
	u32 vm_defs_skipped;
	struct gpt_volume vm_defs[GPT_MAX_VM_DEFS];
	/* scratch: one sector, and the used entries' ranges of the copy being checked */
	u8 sector[GPT_MAX_SECTOR];
	u64 range_first[GPT_MAX_ENTRIES];
	u64 range_last[GPT_MAX_ENTRIES];
};

/*
 * Checks both copies and, from the primary (the backup when the primary is
 * bad), lists the Bulkhead volumes. Returns 0, or -1 with info->refused set
 * and info->why saying why: both copies bad, or a volume (or VM definition)
 * that is misaligned, badly named or named twice. Other partition types are
 * ignored.
 */
int gpt_parse(const struct gpt_disk *disk, struct gpt_info *info);

/*
 * After gpt_parse() refused a disk: true when neither place holds a GPT
 * signature and LBA 0 holds no protective MBR, so the disk was never a pool
 * (rather than a damaged one). The
 * scan and the host's pool check (tools/gpt_check.c) both say so, not "refused".
 */
bool gpt_no_table(const struct gpt_info *info);

/*
 * After gpt_parse() found the primary bad and the backup good: writes a
 * primary copy built from the backup (its entry array at LBA 2, then the
 * header, so a crash part-way leaves the primary still bad and the backup
 * still good). The header is written only if the array copied and the
 * backup header read again are what gpt_parse() checked. Returns 0, or -1
 * when there is nothing to repair, no write callback, the backup's array
 * does not fit at LBA 2 (before its first usable LBA, off its own array),
 * the backup changed, or a read or write fails.
 */
int gpt_repair_primary(const struct gpt_disk *disk, struct gpt_info *info);

/* CRC of a header of `size` bytes as if its CRC field were zero (gpt_edit.c). */
u32 gpt_header_crc(const u8 *hdr, u32 size);

#endif
