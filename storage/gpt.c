/*
 * GPT reader: checks a disk's two table copies and lists Bulkhead's volumes.
 *
 * Everything read from the disk is hostile. Each header field is checked
 * against the disk's size before it is used as an LBA, and every sum of
 * LBAs is done only after checking it cannot wrap. Fields are read byte by
 * byte: the sector buffer has no alignment the on-disk layout could rely on
 * and the hypervisor runs with strict alignment checking.
 */
#include "types.h"
#include "lib/string.h"
#include "lib/fmt.h"
#include "lib/crc32.h"
#include "storage/gpt.h"
#include "storage/gpt_layout.h"

static const u8 signature[8] = { 'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T' };
static const u8 volume_type[16] = GPT_BULKHEAD_VOLUME_TYPE;
static const u8 vm_def_type[16] = GPT_BULKHEAD_VM_DEF_TYPE;
static const u8 unused_type[16];

u32 gpt_header_crc(const u8 *hdr, u32 size)
{
	static const u8 zero[4];
	u32 crc = crc32_update(0, hdr, HDR_CRC);

	crc = crc32_update(crc, zero, sizeof(zero));
	return crc32_update(crc, hdr + HDR_CRC + 4, size - HDR_CRC - 4);
}

static bool is_pow2(u32 v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* True when [a, a+an) and [b, b+bn) share a sector; no sum may wrap. */
static bool overlaps(u64 a, u64 an, u64 b, u64 bn)
{
	return an != 0 && bn != 0 && a < b + bn && b < a + an;
}

/* A copy bad for this reason alone is no table at all, not a damaged one. */
static const char no_signature[] = "no GPT signature";

/*
 * Checks the header at `lba` (the copy's own place) against the disk and
 * fills `c`; returns false with c->why set when it cannot be trusted. The
 * header's sector is left in info->sector.
 */
static bool check_header(const struct gpt_disk *disk, struct gpt_info *info, u64 lba,
			 u64 other_lba, struct gpt_copy *c)
{
	const u8 *h = info->sector;
	u64 sectors = disk->sectors;
	u32 size;
	u64 array_bytes, nsec;

	if (disk->read(disk->ctx, lba, info->sector, 1) != 0) {
		c->why = "header unreadable";
		return false;
	}
	if (memcmp(h + HDR_SIGNATURE, signature, sizeof(signature)) != 0) {
		c->why = no_signature;
		return false;
	}
	if (get_le32(h + HDR_REVISION) != GPT_REVISION_1_0) {
		c->why = "unknown GPT revision";
		return false;
	}
	size = get_le32(h + HDR_SIZE);
	if (size < HDR_MIN_SIZE || size > disk->sector_size) {
		c->why = "bad header size";
		return false;
	}
	if (gpt_header_crc(h, size) != get_le32(h + HDR_CRC)) {
		c->why = "header CRC mismatch";
		return false;
	}
	c->header_lba = get_le64(h + HDR_MY_LBA);
	if (c->header_lba != lba || get_le64(h + HDR_ALTERNATE_LBA) != other_lba) {
		c->why = "header LBAs do not match the disk's size";
		return false;
	}
	c->first_usable = get_le64(h + HDR_FIRST_USABLE);
	c->last_usable = get_le64(h + HDR_LAST_USABLE);
	/* LBA 0 (the protective MBR), 1 and the last LBA are the headers' own */
	if (c->first_usable < 2 || c->first_usable > c->last_usable ||
	    c->last_usable > sectors - 2) {
		c->why = "usable range outside the disk";
		return false;
	}
	c->entries = get_le32(h + HDR_ENTRIES);
	c->entry_size = get_le32(h + HDR_ENTRY_SIZE);
	/* 128 times a power of two (the spec); no larger than a sector, so no
	 * entry straddles two */
	if (c->entry_size < ENT_MIN_SIZE || !is_pow2(c->entry_size) ||
	    c->entry_size > disk->sector_size) {
		c->why = "bad partition entry size";
		return false;
	}
	array_bytes = (u64)c->entries * c->entry_size;
	if (c->entries > GPT_MAX_ENTRIES || array_bytes > GPT_MAX_ARRAY) {
		c->why = "too many partition entries";
		return false;
	}
	nsec = (array_bytes + disk->sector_size - 1) / disk->sector_size;
	c->entry_lba = get_le64(h + HDR_ENTRY_LBA);
	/* the array lies inside the disk, off the MBR and both headers, and
	 * outside the usable range (checked before any sum that could wrap) */
	if (c->entry_lba < 2 || c->entry_lba > sectors - 1 ||
	    nsec > sectors - 1 - c->entry_lba ||
	    overlaps(c->entry_lba, nsec, c->first_usable,
		     c->last_usable - c->first_usable + 1)) {
		c->why = "partition entry array misplaced";
		return false;
	}
	c->array_crc = get_le32(h + HDR_ARRAY_CRC);
	return true;
}

/* Checks one entry of a copy; records its range when it is in use. */
static bool check_entry(struct gpt_info *info, struct gpt_copy *c, const u8 *e, u32 *used)
{
	u64 first, last;

	if (memcmp(e + ENT_TYPE, unused_type, sizeof(unused_type)) == 0)
		return true;
	first = get_le64(e + ENT_FIRST);
	last = get_le64(e + ENT_LAST);
	if (first > last) {
		c->why = "a partition ends before it starts";
		return false;
	}
	if (first < c->first_usable || last > c->last_usable) {
		c->why = "a partition lies outside the usable range";
		return false;
	}
	for (u32 i = 0; i < *used; i++) {
		if (first <= info->range_last[i] && info->range_first[i] <= last) {
			c->why = "two partitions overlap";
			return false;
		}
	}
	info->range_first[*used] = first;
	info->range_last[*used] = last;
	(*used)++;
	return true;
}

/* Reads a copy's entry array sector by sector: its CRC, then each entry. */
static bool check_array(const struct gpt_disk *disk, struct gpt_info *info, struct gpt_copy *c)
{
	u64 bytes = (u64)c->entries * c->entry_size;
	u32 per_sector = disk->sector_size / c->entry_size;
	u32 crc = 0, used = 0, index = 0;
	bool entries_ok = true;

	for (u64 s = 0; bytes > 0; s++) {
		u32 n = bytes < disk->sector_size ? (u32)bytes : disk->sector_size;

		if (disk->read(disk->ctx, c->entry_lba + s, info->sector, 1) != 0) {
			c->why = "partition entries unreadable";
			return false;
		}
		crc = crc32_update(crc, info->sector, n);
		for (u32 i = 0; i < per_sector && index < c->entries; i++, index++) {
			if (entries_ok)
				entries_ok = check_entry(info, c, info->sector + i * c->entry_size, &used);
		}
		bytes -= n;
	}
	/* a CRC mismatch says more than what the damaged entries look like */
	if (crc != c->array_crc) {
		c->why = "partition entry array CRC mismatch";
		return false;
	}
	return entries_ok;
}

static void check_copy(const struct gpt_disk *disk, struct gpt_info *info, u64 lba,
		       u64 other_lba, struct gpt_copy *c)
{
	memset(c, 0, sizeof(*c));
	c->good = check_header(disk, info, lba, other_lba, c) && check_array(disk, info, c);
}

static u64 array_sectors(const struct gpt_disk *disk, const struct gpt_copy *c)
{
	return ((u64)c->entries * c->entry_size + disk->sector_size - 1) / disk->sector_size;
}

/*
 * Each copy was checked alone; together, neither's usable range may cover
 * the other's entry array, nor may the arrays share a sector: a volume
 * written there, or one copy rewritten, would destroy the other copy.
 * (Both arrays end before the last LBA, so no sum here wraps.)
 */
static bool copies_apart(const struct gpt_disk *disk, const struct gpt_info *info)
{
	const struct gpt_copy *p = &info->primary, *b = &info->backup;
	u64 pn = array_sectors(disk, p), bn = array_sectors(disk, b);

	return !overlaps(p->first_usable, p->last_usable - p->first_usable + 1, b->entry_lba, bn) &&
	       !overlaps(b->first_usable, b->last_usable - b->first_usable + 1, p->entry_lba, pn) &&
	       !overlaps(p->entry_lba, pn, b->entry_lba, bn);
}

static int refuse(struct gpt_info *info, const char *why, const char *name)
{
	info->refused = true;
	info->nvolumes = 0;
	info->nvm_defs = 0;
	if (name)
		fmt_snprintf(info->why, sizeof(info->why), "volume '%s': %s", name, why);
	else
		fmt_snprintf(info->why, sizeof(info->why), "%s", why);
	return -1;
}

/* The name as ASCII: printable characters up to the first NUL, at least one. */
static bool decode_name(const u8 *utf16, char *out)
{
	u32 i;

	for (i = 0; i < GPT_NAME_MAX; i++) {
		u32 ch = (u32)utf16[2 * i] | (u32)utf16[2 * i + 1] << 8;

		if (ch == 0)
			break;
		if (ch < 0x20 || ch > 0x7e)
			return false;
		out[i] = (char)ch;
	}
	out[i] = '\0';
	return i > 0;
}

static bool name_listed(const struct gpt_volume *list, u32 n, const char *name)
{
	for (u32 i = 0; i < n; i++) {
		if (strcmp(list[i].name, name) == 0)
			return true;
	}
	return false;
}

/* Adds entry `index` (in info->sector at `e`) when it is a Bulkhead volume
 * or VM definition: both kinds pass the same checks and share one name space. */
static int take_volume(const struct gpt_disk *disk, struct gpt_info *info, const struct gpt_copy *c,
		       const u8 *e, u32 index)
{
	bool is_def = memcmp(e + ENT_TYPE, vm_def_type, sizeof(vm_def_type)) == 0;
	struct gpt_volume scratch;
	struct gpt_volume *v = is_def ? &scratch : &info->volumes[info->nvolumes];
	u64 align = GPT_VOLUME_ALIGN / disk->sector_size;
	u64 first, last;

	if (!is_def && memcmp(e + ENT_TYPE, volume_type, sizeof(volume_type)) != 0)
		return 0;
	if (!decode_name(e + ENT_NAME, v->name))
		return refuse(info, "a volume's name is empty or not printable ASCII", NULL);
	first = get_le64(e + ENT_FIRST);
	last = get_le64(e + ENT_LAST);
	/* checked with the copy already, but this is a second read of the disk */
	if (first > last || first < c->first_usable || last > c->last_usable)
		return refuse(info, "partition entries changed while read", NULL);
	v->index = index;
	v->first_lba = first;
	v->sectors = last - first + 1;
	if (!is_aligned(v->first_lba, align) || !is_aligned(v->sectors, align))
		return refuse(info, "not aligned to 1 MiB", v->name);
	if (name_listed(info->volumes, info->nvolumes, v->name) ||
	    name_listed(info->vm_defs, info->nvm_defs, v->name))
		return refuse(info, "name used twice", v->name);
	if (!is_def)
		info->nvolumes++;
	else if (info->nvm_defs < GPT_MAX_VM_DEFS)
		info->vm_defs[info->nvm_defs++] = scratch;
	else
		info->vm_defs_skipped++;
	return 0;
}

static int list_volumes(const struct gpt_disk *disk, struct gpt_info *info, const struct gpt_copy *c)
{
	u32 per_sector = disk->sector_size / c->entry_size;
	u32 index = 0;

	for (u64 s = 0; index < c->entries; s++) {
		if (disk->read(disk->ctx, c->entry_lba + s, info->sector, 1) != 0)
			return refuse(info, "partition entries unreadable", NULL);
		for (u32 i = 0; i < per_sector && index < c->entries; i++, index++) {
			if (take_volume(disk, info, c, info->sector + i * c->entry_size, index) != 0)
				return -1;
		}
	}
	return 0;
}

/* The MBR's boot signature, and one of its four entries of the type that
 * says "this disk is GPT" (UEFI 2.x, 5.2.3): a disk marked so whose two
 * headers are both gone is a damaged pool disk, not a blank one. */
static bool has_protective_mbr(const struct gpt_disk *disk, struct gpt_info *info)
{
	const u8 *s = info->sector;

	if (disk->read(disk->ctx, 0, info->sector, 1) != 0 || s[510] != 0x55 || s[511] != 0xaa)
		return false;
	for (u32 i = 0; i < 4; i++) {
		if (s[446 + 16 * i + 4] == 0xee)
			return true;
	}
	return false;
}

int gpt_parse(const struct gpt_disk *disk, struct gpt_info *info)
{
	u64 last;

	info->refused = false;
	info->protective_mbr = false;
	info->why[0] = '\0';
	info->nvolumes = 0;
	info->nvm_defs = 0;
	info->vm_defs_skipped = 0;
	memset(&info->primary, 0, sizeof(info->primary));
	memset(&info->backup, 0, sizeof(info->backup));
	if (disk->sector_size != 512 && disk->sector_size != 4096)
		return refuse(info, "unsupported sector size", NULL);
	/* MBR, primary header, one usable sector, backup header */
	if (disk->sectors < 4)
		return refuse(info, "disk too small for a GPT", NULL);
	last = disk->sectors - 1;
	check_copy(disk, info, 1, last, &info->primary);
	check_copy(disk, info, last, 1, &info->backup);
	if (!info->primary.good && !info->backup.good) {
		info->protective_mbr = has_protective_mbr(disk, info);
		fmt_snprintf(info->why, sizeof(info->why), "no valid GPT (primary: %s; backup: %s)",
			     info->primary.why, info->backup.why);
		info->refused = true;
		return -1;
	}
	if (info->primary.good && info->backup.good && !copies_apart(disk, info))
		return refuse(info, "one GPT copy's usable range or array covers the other's array", NULL);
	/* The spec makes the primary the one to use when both are good. */
	return list_volumes(disk, info, info->primary.good ? &info->primary : &info->backup);
}

int gpt_repair_primary(const struct gpt_disk *disk, struct gpt_info *info)
{
	const struct gpt_copy *b = &info->backup;
	u64 nsec, bytes;
	u32 size, crc = 0;

	if (info->refused || info->primary.good || !b->good || !disk->write)
		return -1;
	nsec = array_sectors(disk, b);
	/* the primary's array goes at LBA 2: before the usable range, and off
	 * the backup's array (which may sit there too) */
	if (nsec > b->first_usable - 2 || overlaps(2, nsec, b->entry_lba, nsec))
		return -1;
	bytes = (u64)b->entries * b->entry_size;
	for (u64 s = 0; s < nsec; s++) {
		u32 n = bytes < disk->sector_size ? (u32)bytes : disk->sector_size;

		if (disk->read(disk->ctx, b->entry_lba + s, info->sector, 1) != 0 ||
		    disk->write(disk->ctx, 2 + s, info->sector, 1) != 0)
			return -1;
		crc = crc32_update(crc, info->sector, n);
		bytes -= n;
	}
	/*
	 * The header last: until it is written the primary stays visibly bad.
	 * These are second reads of the disk, so the header goes out only if
	 * what was copied and what is read now are what gpt_parse() checked.
	 */
	if (crc != b->array_crc || disk->read(disk->ctx, b->header_lba, info->sector, 1) != 0)
		return -1;
	size = get_le32(info->sector + HDR_SIZE);
	if (size < HDR_MIN_SIZE || size > disk->sector_size ||
	    gpt_header_crc(info->sector, size) != get_le32(info->sector + HDR_CRC) ||
	    get_le64(info->sector + HDR_MY_LBA) != b->header_lba ||
	    get_le64(info->sector + HDR_ENTRY_LBA) != b->entry_lba ||
	    get_le64(info->sector + HDR_FIRST_USABLE) != b->first_usable ||
	    get_le64(info->sector + HDR_LAST_USABLE) != b->last_usable ||
	    get_le32(info->sector + HDR_ENTRIES) != b->entries ||
	    get_le32(info->sector + HDR_ENTRY_SIZE) != b->entry_size ||
	    get_le32(info->sector + HDR_ARRAY_CRC) != b->array_crc)
		return -1;
	put_le64(info->sector + HDR_MY_LBA, 1);
	put_le64(info->sector + HDR_ALTERNATE_LBA, b->header_lba);
	put_le64(info->sector + HDR_ENTRY_LBA, 2);
	put_le32(info->sector + HDR_CRC, gpt_header_crc(info->sector, size));
	if (disk->write(disk->ctx, 1, info->sector, 1) != 0)
		return -1;
	info->primary = *b;
	info->primary.header_lba = 1;
	info->primary.entry_lba = 2;
	return 0;
}

bool gpt_no_table(const struct gpt_info *info)
{
	return info->refused && !info->primary.good && !info->backup.good &&
	       info->primary.why == no_signature && info->backup.why == no_signature &&
	       !info->protective_mbr;
}
