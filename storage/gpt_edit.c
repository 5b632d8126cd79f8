/*
 * GPT editor: free space, and adding or removing a Bulkhead volume with
 * both copies rewritten in crash-safe order (see gpt_edit.h).
 *
 * The disk was checked by gpt_parse(); what is read here is a second read,
 * so the array's CRC is compared with what the parse checked, every entry's
 * range is checked again, and each header is re-read and compared before it
 * is rewritten.
 */
#include "types.h"
#include "lib/crc32.h"
#include "lib/string.h"
#include "storage/gpt.h"
#include "storage/gpt_edit.h"
#include "storage/gpt_layout.h"

static const u8 volume_type[16] = GPT_BULKHEAD_VOLUME_TYPE;
static const u8 unused_type[16];

/* The copies' shared layout: entries and entry size (checked alike at load). */
static u32 entry_count(const struct gpt_info *info)
{
	return info->primary.entries;
}

static u8 *entry_at(struct gpt_edit *e, const struct gpt_info *info, u32 i)
{
	return e->array + (u64)i * info->primary.entry_size;
}

static const u8 *entry_ro(const struct gpt_edit *e, const struct gpt_info *info, u32 i)
{
	return e->array + (u64)i * info->primary.entry_size;
}

static bool entry_used(const u8 *ent)
{
	return memcmp(ent + ENT_TYPE, unused_type, sizeof(unused_type)) != 0;
}

static u64 align_lbas(const struct gpt_disk *disk)
{
	return GPT_VOLUME_ALIGN / disk->sector_size;
}

bool gpt_name_ok(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++) {
		if (n >= GPT_NAME_MAX || name[n] <= 0x20 || name[n] > 0x7e)
			return false;
	}
	return n > 0;
}

int gpt_edit_load(const struct gpt_disk *disk, const struct gpt_info *info, struct gpt_edit *e,
		  const char **why)
{
	const struct gpt_copy *p = &info->primary, *b = &info->backup;
	u64 bytes;

	if (info->refused || !p->good || !b->good) {
		*why = "a GPT copy is bad (it is repaired at boot)";
		return -1;
	}
	if (p->entries != b->entries || p->entry_size != b->entry_size) {
		*why = "the two GPT copies differ in layout";
		return -1;
	}
	bytes = (u64)p->entries * p->entry_size;
	e->array_sectors = (u32)((bytes + disk->sector_size - 1) / disk->sector_size);
	for (u32 s = 0; s < e->array_sectors; s++) {
		if (disk->read(disk->ctx, p->entry_lba + s, e->array + (u64)s * disk->sector_size, 1)) {
			*why = "partition entries unreadable";
			return -1;
		}
	}
	if (crc32(e->array, bytes) != p->array_crc) {
		*why = "partition entries changed while read";
		return -1;
	}
	for (u32 i = 0; i < p->entries; i++) {
		const u8 *ent = entry_ro(e, info, i);

		if (entry_used(ent) && (get_le64(ent + ENT_FIRST) > get_le64(ent + ENT_LAST) ||
					get_le64(ent + ENT_FIRST) < p->first_usable ||
					get_le64(ent + ENT_LAST) > p->last_usable)) {
			*why = "partition entries changed while read";
			return -1;
		}
	}
	return 0;
}

/* Sorts the used entries' ranges into the scratch arrays of `info`
 * (insertion sort: at most 128). Returns how many. */
static u32 sorted_ranges(const struct gpt_info *info, const struct gpt_edit *e, u64 *first,
			 u64 *last)
{
	u32 n = 0;

	for (u32 i = 0; i < entry_count(info); i++) {
		const u8 *ent = entry_ro(e, info, i);
		u64 f, l;
		u32 j;

		if (!entry_used(ent))
			continue;
		f = get_le64(ent + ENT_FIRST);
		l = get_le64(ent + ENT_LAST);
		for (j = n; j > 0 && first[j - 1] > f; j--) {
			first[j] = first[j - 1];
			last[j] = last[j - 1];
		}
		first[j] = f;
		last[j] = l;
		n++;
	}
	return n;
}

/* The aligned extent inside [from, to] (inclusive LBAs): its length, and
 * its start in *start. 0 when none. from <= to + 1 < 2^64 here. */
static u64 aligned_gap(u64 from, u64 to, u64 align, u64 *start)
{
	u64 s = (from + align - 1) / align * align;
	u64 end = (to + 1) / align * align;  /* exclusive */

	*start = s;
	return end > s ? end - s : 0;
}

int gpt_edit_find_space(const struct gpt_disk *disk, const struct gpt_info *info,
			const struct gpt_edit *e, u64 sectors, u64 *first, u64 *largest)
{
	static u64 range_first[GPT_MAX_ENTRIES], range_last[GPT_MAX_ENTRIES];
	u64 align = align_lbas(disk), pos = info->primary.first_usable;
	u64 top = info->primary.last_usable, gap, start;
	u32 n = sorted_ranges(info, e, range_first, range_last);
	bool found = false;

	*largest = 0;
	/* the usable range ends before the disk's last LBA: no sum here wraps */
	for (u32 i = 0; i <= n; i++) {
		u64 to = i < n ? range_first[i] : top + 1;

		if (to > pos) {
			gap = aligned_gap(pos, to - 1, align, &start);
			if (gap > *largest)
				*largest = gap;
			if (!found && sectors && gap >= sectors) {
				*first = start;
				found = true;
			}
		}
		if (i < n && range_last[i] + 1 > pos)
			pos = range_last[i] + 1;
	}
	return found ? 0 : -1;
}

/* True when the ASCII `name` is the UTF-16LE name of entry `ent`. */
static bool name_is(const u8 *ent, const char *name)
{
	u32 i;

	for (i = 0; i < GPT_NAME_MAX && name[i]; i++) {
		if (ent[ENT_NAME + 2 * i] != (u8)name[i] || ent[ENT_NAME + 2 * i + 1] != 0)
			return false;
	}
	return i == GPT_NAME_MAX || (ent[ENT_NAME + 2 * i] == 0 && ent[ENT_NAME + 2 * i + 1] == 0);
}

static u64 mix64(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A version 4 (random) GUID from `seed`, unused by any entry on the disk. */
static bool unique_guid(const struct gpt_info *info, const struct gpt_edit *e, u64 seed, u8 *guid)
{
	for (u32 attempt = 0; attempt < 16; attempt++) {
		u64 a = mix64(&seed), b = mix64(&seed);
		bool taken = false;

		put_le64(guid, a);
		put_le64(guid + 8, b);
		guid[7] = (u8)((guid[7] & 0x0f) | 0x40);  /* version 4, little-endian field */
		guid[8] = (u8)((guid[8] & 0x3f) | 0x80);  /* RFC 4122 variant */
		for (u32 i = 0; i < entry_count(info) && !taken; i++) {
			const u8 *ent = entry_ro(e, info, i);

			taken = entry_used(ent) && memcmp(ent + ENT_GUID, guid, 16) == 0;
		}
		if (!taken)
			return true;
	}
	return false;
}

static int flush(const struct gpt_disk *disk)
{
	return disk->flush ? disk->flush(disk->ctx) : 0;
}

/*
 * One copy: its header is re-read and compared with what the parse
 * checked (before anything of the copy is written); then its array,
 * flushed; then the header with the new array CRC, flushed.
 */
static int write_copy(const struct gpt_disk *disk, struct gpt_info *info, struct gpt_edit *e,
		      struct gpt_copy *c, u32 crc)
{
	u8 *h = info->sector;
	u32 size;

	if (disk->read(disk->ctx, c->header_lba, h, 1))
		return -1;
	size = get_le32(h + HDR_SIZE);
	if (size < HDR_MIN_SIZE || size > disk->sector_size ||
	    gpt_header_crc(h, size) != get_le32(h + HDR_CRC) ||
	    get_le64(h + HDR_MY_LBA) != c->header_lba ||
	    get_le64(h + HDR_ENTRY_LBA) != c->entry_lba ||
	    get_le64(h + HDR_FIRST_USABLE) != c->first_usable ||
	    get_le64(h + HDR_LAST_USABLE) != c->last_usable ||
	    get_le32(h + HDR_ENTRIES) != c->entries ||
	    get_le32(h + HDR_ENTRY_SIZE) != c->entry_size ||
	    get_le32(h + HDR_ARRAY_CRC) != c->array_crc)
		return -1;
	put_le32(h + HDR_ARRAY_CRC, crc);
	put_le32(h + HDR_CRC, gpt_header_crc(h, size));
	if (disk->write(disk->ctx, c->entry_lba, e->array, e->array_sectors) || flush(disk) ||
	    disk->write(disk->ctx, c->header_lba, h, 1) || flush(disk))
		return -1;
	c->array_crc = crc;
	return 0;
}

/* The backup first: until its header is stable the primary is untouched. */
static int commit(const struct gpt_disk *disk, struct gpt_info *info, struct gpt_edit *e,
		  const char **why)
{
	u32 crc = crc32(e->array, (u64)info->primary.entries * info->primary.entry_size);

	if (!disk->write) {
		*why = "the disk is read-only";
		return -1;
	}
	if (write_copy(disk, info, e, &info->backup, crc) ||
	    write_copy(disk, info, e, &info->primary, crc)) {
		*why = "writing the GPT failed (at least one copy is still good)";
		return -1;
	}
	return 0;
}

/* The range is aligned, inside the usable range and touches no partition. */
static bool range_free(const struct gpt_disk *disk, const struct gpt_info *info,
		       const struct gpt_edit *e, u64 first, u64 sectors)
{
	u64 align = align_lbas(disk), last;

	if (!sectors || first % align || sectors % align || first < info->primary.first_usable ||
	    first > info->primary.last_usable || sectors - 1 > info->primary.last_usable - first)
		return false;
	last = first + sectors - 1;
	for (u32 i = 0; i < entry_count(info); i++) {
		const u8 *ent = entry_ro(e, info, i);

		if (entry_used(ent) && first <= get_le64(ent + ENT_LAST) &&
		    get_le64(ent + ENT_FIRST) <= last)
			return false;
	}
	return true;
}

int gpt_edit_add(const struct gpt_disk *disk, struct gpt_info *info, struct gpt_edit *e,
		 const char *name, u64 first, u64 sectors, u64 seed, const char **why)
{
	u32 slot = entry_count(info);
	u8 guid[16], *ent;

	if (!gpt_name_ok(name)) {
		*why = "bad volume name (1-36 printable ASCII characters, no spaces)";
		return -1;
	}
	for (u32 i = 0; i < entry_count(info); i++) {
		const u8 *each = entry_ro(e, info, i);

		if (memcmp(each + ENT_TYPE, volume_type, sizeof(volume_type)) == 0 &&
		    name_is(each, name)) {
			*why = "a volume of that name exists";
			return -1;
		}
		if (slot == entry_count(info) && !entry_used(each))
			slot = i;
	}
	if (!range_free(disk, info, e, first, sectors)) {
		*why = "the space is not free and aligned";
		return -1;
	}
	if (slot == entry_count(info) || !unique_guid(info, e, seed, guid)) {
		*why = "no free partition entry";
		return -1;
	}
	ent = entry_at(e, info, slot);
	memset(ent, 0, info->primary.entry_size);
	memcpy(ent + ENT_TYPE, volume_type, sizeof(volume_type));
	memcpy(ent + ENT_GUID, guid, sizeof(guid));
	put_le64(ent + ENT_FIRST, first);
	put_le64(ent + ENT_LAST, first + sectors - 1);
	for (u32 i = 0; name[i]; i++)
		ent[ENT_NAME + 2 * i] = (u8)name[i];
	return commit(disk, info, e, why);
}

int gpt_edit_remove(const struct gpt_disk *disk, struct gpt_info *info, struct gpt_edit *e,
		    u32 index, const char **why)
{
	u8 *ent;

	if (index >= entry_count(info) ||
	    memcmp(entry_at(e, info, index) + ENT_TYPE, volume_type, sizeof(volume_type)) != 0) {
		*why = "no such volume entry";
		return -1;
	}
	ent = entry_at(e, info, index);
	memset(ent, 0, info->primary.entry_size);
	return commit(disk, info, e, why);
}
