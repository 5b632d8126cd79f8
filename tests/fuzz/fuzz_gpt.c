/*
 * libFuzzer target for the GPT reader (storage/gpt.c). The input is the
 * disk: its whole 512-byte sectors, from LBA 0, and again as 4096-byte
 * sectors when it holds enough of them to be a GPT disk. The read and write
 * callbacks CHECK every request against the disk's bounds, so the parser
 * can never look outside it. When a disk parses, every volume must lie
 * inside it; when the primary can be repaired, the repaired disk must then
 * parse with both copies good and the same volumes. A disk whose copies are
 * both good is also edited as the shell's vol-create and vol-delete do
 * (storage/gpt_edit.c): each edit must leave it parsing, both copies good,
 * with one volume more or one fewer, all inside the disk.
 */
#include <stdlib.h>
#include <string.h>

#include "storage/gpt.h"
#include "storage/gpt_edit.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
struct fuzz_disk {
	u8 *data;
	u64 sectors;
	u32 sector_size;
};

static int fuzz_read(void *ctx, u64 lba, void *buf, u32 count)
{
	struct fuzz_disk *d = ctx;

	CHECK(count > 0 && lba < d->sectors && count <= d->sectors - lba);
	memcpy(buf, d->data + lba * d->sector_size, (size_t)count * d->sector_size);
	return 0;
}

static int fuzz_write(void *ctx, u64 lba, const void *buf, u32 count)
{
	struct fuzz_disk *d = ctx;

	CHECK(count > 0 && lba < d->sectors && count <= d->sectors - lba);
	memcpy(d->data + lba * d->sector_size, buf, (size_t)count * d->sector_size);
	return 0;
}

static void check_volumes(const struct gpt_info *info, u64 sectors)
{
	CHECK(info->nvolumes <= GPT_MAX_ENTRIES);
	for (u32 i = 0; i < info->nvolumes; i++) {
		const struct gpt_volume *v = &info->volumes[i];

		CHECK(v->sectors > 0 && v->first_lba >= 2 && v->first_lba < sectors);
		CHECK(v->sectors <= sectors - v->first_lba);
		CHECK(strlen(v->name) >= 1 && strlen(v->name) <= GPT_NAME_MAX);
	}
}

/* Adds a 1 MiB volume where there is room, then removes the first volume. */
static void try_edits(const struct gpt_disk *disk, struct gpt_info *info, u64 sectors)
{
	static struct gpt_edit e;
	static struct gpt_info after;
	const char *why = NULL;
	u64 want = (1024 * 1024) / disk->sector_size, first, largest;
	u32 n = info->nvolumes;

	if (gpt_edit_load(disk, info, &e, &why) != 0)
		return;
	if (gpt_edit_find_space(disk, info, &e, want, &first, &largest) == 0 &&
	    gpt_edit_add(disk, info, &e, "fuzz-new", first, want, sectors, &why) == 0) {
		CHECK(gpt_parse(disk, &after) == 0 && after.primary.good && after.backup.good);
		CHECK(after.nvolumes == n + 1);
		check_volumes(&after, sectors);
		*info = after;
		n++;
	}
	if (n && gpt_edit_load(disk, info, &e, &why) == 0 &&
	    gpt_edit_remove(disk, info, &e, info->volumes[0].index, &why) == 0) {
		CHECK(gpt_parse(disk, &after) == 0 && after.primary.good && after.backup.good);
		CHECK(after.nvolumes == n - 1);
		check_volumes(&after, sectors);
	}
}

static void try_disk(const u8 *data, size_t size, u32 sector_size)
{
	static struct gpt_info info, again;
	struct fuzz_disk d = { NULL, size / sector_size, sector_size };
	struct gpt_disk disk = { fuzz_read, fuzz_write, &d, d.sectors, sector_size, NULL };

	d.data = malloc(size ? size : 1);
	if (!d.data)
		return;
	memcpy(d.data, data, size);
	if (gpt_parse(&disk, &info) != 0) {
		CHECK(info.refused && info.why[0] != '\0' && info.nvolumes == 0);
	} else {
		CHECK(info.primary.good || info.backup.good);
		check_volumes(&info, d.sectors);
		if (gpt_repair_primary(&disk, &info) == 0) {
			CHECK(gpt_parse(&disk, &again) == 0);
			CHECK(again.primary.good && again.backup.good);
			CHECK(again.nvolumes == info.nvolumes);
		}
		if (info.primary.good && info.backup.good)
			try_edits(&disk, &info, d.sectors);
	}
	free(d.data);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	try_disk(data, size, 512);
	if (size >= 4 * 4096)
		try_disk(data, size, 4096);
	return 0;
}
