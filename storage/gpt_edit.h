/*
 * Changing a pool disk's GPT: adding a Bulkhead volume in free space, or
 * removing one. Both copies are rewritten from the primary's entry array,
 * the backup first: its array, a flush, its header, a flush, then the
 * primary the same way. A crash at any point leaves at least one copy good
 * (the header that makes a copy say something new is written only after
 * the array it describes is stable), and the disk then reads either as
 * before the change or as after it.
 *
 * Only a disk whose two copies are both good and share one layout (entry
 * count and size) is changed: a damaged disk is repaired at boot first.
 * Zeroing the volume's space is the caller's (storage/pool_edit.c), before
 * the table hands the space out or after it lets go of it.
 */
#ifndef BULKHEAD_STORAGE_GPT_EDIT_H
#define BULKHEAD_STORAGE_GPT_EDIT_H

#include "types.h"
#include "storage/gpt.h"

/* About 20 KiB: allocate it statically, never on a hypervisor stack. */
struct gpt_edit {
	/* the primary's entry array in whole sectors (what lies past its last
	 * entry in the last sector is kept as it was) */
	u8 array[GPT_MAX_ARRAY + GPT_MAX_SECTOR];
	u32 array_sectors;
};

/* A new volume's name: 1-36 printable ASCII characters, no spaces (the
 * config's `disk` target rule). */
bool gpt_name_ok(const char *name);

/*
 * After gpt_parse() succeeded: checks both copies are good and alike, and
 * reads the primary's array into `e` (its CRC checked again). 0, or -1 with
 * `why` ("a GPT copy is bad", ...).
 */
int gpt_edit_load(const struct gpt_disk *disk, const struct gpt_info *info, struct gpt_edit *e,
		  const char **why);

/*
 * The first 1 MiB-aligned place of `sectors` sectors in the usable range
 * that no partition (of any type) touches: 0 with *first set, or -1. Either
 * way *largest is the largest 1 MiB-aligned free extent, in sectors.
 */
int gpt_edit_find_space(const struct gpt_disk *disk, const struct gpt_info *info,
			const struct gpt_edit *e, u64 sectors, u64 *first, u64 *largest);

/*
 * Adds volume `name` at [first, first + sectors) in the first unused entry,
 * with a partition GUID drawn from `seed` (unique on the disk, version 4
 * form), and rewrites both copies. Refused (-1, nothing written, `why` set)
 * for a bad or taken name, a misaligned or used range, or no free entry.
 */
int gpt_edit_add(const struct gpt_disk *disk, struct gpt_info *info, struct gpt_edit *e,
		 const char *name, u64 first, u64 sectors, u64 seed, const char **why);

/* Removes the volume in entry `index` (a gpt_volume's) and rewrites both
 * copies; -1 with `why` when that entry is not a Bulkhead volume. */
int gpt_edit_remove(const struct gpt_disk *disk, struct gpt_info *info, struct gpt_edit *e,
		    u32 index, const char **why);

#endif
