/*
 * Unit tests for storage/gpt.c over disks built in memory (gpt_image.h):
 * listing volumes, repairing a bad primary from the backup, and refusing
 * tables that are damaged or lie about the disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "storage/gpt.h"
#include "gpt_image.h"

/* 16 MiB: volumes at 1 MiB boundaries fit between the two arrays */
#define SECTORS (16 * 2048ull)
#define MIB_LBA 2048ull

static const u8 bulkhead_type[16] = GPT_BULKHEAD_VOLUME_TYPE;
/* Linux filesystem data, 0fc63daf-8483-4772-8e79-3d69d8477de4 */
static const u8 linux_type[16] = { 0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
				   0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4 };

struct mem_disk {
	u8 *data;
	u64 sectors;
	u32 writes;		/* sectors written */
	bool fail_reads;
};

static int mem_read(void *ctx, u64 lba, void *buf, u32 count)
{
	struct mem_disk *d = ctx;

	/* the parser must never ask for a sector outside the disk */
	assert_true(lba < d->sectors && count <= d->sectors - lba);
	if (d->fail_reads)
		return -1;
	memcpy(buf, d->data + lba * img_sector_size, (size_t)count * img_sector_size);
	return 0;
}

static int mem_write(void *ctx, u64 lba, const void *buf, u32 count)
{
	struct mem_disk *d = ctx;

	assert_true(lba < d->sectors && count <= d->sectors - lba);
	memcpy(d->data + lba * img_sector_size, buf, (size_t)count * img_sector_size);
	d->writes += count;
	return 0;
}

struct fixture {
	struct mem_disk mem;
	struct gpt_disk disk;
	struct gpt_info info;
	u8 *good;		/* the image as built, to compare against */
};

static struct fixture *fx;

static int setup(void **state)
{
	fx = calloc(1, sizeof(*fx));
	fx->mem.data = calloc(SECTORS, img_sector_size);
	fx->good = calloc(SECTORS, img_sector_size);
	fx->mem.sectors = SECTORS;
	fx->disk = (struct gpt_disk){ mem_read, mem_write, &fx->mem, SECTORS, img_sector_size, NULL };
	return 0;
}

static int teardown(void **state)
{
	free(fx->mem.data);
	free(fx->good);
	free(fx);
	return 0;
}

/* Two volumes and a Linux partition between them. */
static void build_standard(void)
{
	const struct img_part parts[] = {
		{ bulkhead_type, MIB_LBA, 3 * MIB_LBA - 1, "alpha" },
		{ linux_type, 3 * MIB_LBA, 4 * MIB_LBA - 1, "linux-data" },
		{ bulkhead_type, 4 * MIB_LBA, 8 * MIB_LBA - 1, "beta-disk.0" },
	};

	img_build(fx->mem.data, SECTORS, parts, 3);
	memcpy(fx->good, fx->mem.data, SECTORS * img_sector_size);
}

static void build_one(u64 first, u64 last, const char *name)
{
	const struct img_part part = { bulkhead_type, first, last, name };

	img_build(fx->mem.data, SECTORS, &part, 1);
}

static void assert_refused(const char *why_part)
{
	assert_int_equal(gpt_parse(&fx->disk, &fx->info), -1);
	assert_true(fx->info.refused);
	assert_int_equal(fx->info.nvolumes, 0);
	if (!strstr(fx->info.why, why_part))
		fail_msg("why: \"%s\", expected it to say \"%s\"", fx->info.why, why_part);
	/* and nothing is ever written to a refused disk */
	assert_int_equal(gpt_repair_primary(&fx->disk, &fx->info), -1);
	assert_int_equal(fx->mem.writes, 0);
}

static void assert_standard_volumes(void)
{
	assert_int_equal(fx->info.nvolumes, 2);
	assert_string_equal(fx->info.volumes[0].name, "alpha");
	assert_int_equal(fx->info.volumes[0].index, 0);
	assert_int_equal(fx->info.volumes[0].first_lba, MIB_LBA);
	assert_int_equal(fx->info.volumes[0].sectors, 2 * MIB_LBA);
	assert_string_equal(fx->info.volumes[1].name, "beta-disk.0");
	assert_int_equal(fx->info.volumes[1].index, 2);
	assert_int_equal(fx->info.volumes[1].first_lba, 4 * MIB_LBA);
	assert_int_equal(fx->info.volumes[1].sectors, 4 * MIB_LBA);
}

static void test_good_disk_lists_volumes(void **state)
{
	build_standard();
	assert_int_equal(gpt_parse(&fx->disk, &fx->info), 0);
	assert_true(fx->info.primary.good);
	assert_true(fx->info.backup.good);
	assert_false(fx->info.refused);
	/* the Linux partition is not ours: ignored */
	assert_standard_volumes();
	/* nothing to repair */
	assert_int_equal(gpt_repair_primary(&fx->disk, &fx->info), -1);
	assert_int_equal(fx->mem.writes, 0);
}

static void test_empty_table(void **state)
{
	img_build(fx->mem.data, SECTORS, NULL, 0);
	assert_int_equal(gpt_parse(&fx->disk, &fx->info), 0);
	assert_int_equal(fx->info.nvolumes, 0);
}

/* The primary is bad, the backup good: volumes come from the backup, and the
 * repair writes back exactly the primary the disk had. */
static void check_repair(const char *why)
{
	assert_int_equal(gpt_parse(&fx->disk, &fx->info), 0);
	assert_false(fx->info.primary.good);
	assert_string_equal(fx->info.primary.why, why);
	assert_true(fx->info.backup.good);
	assert_standard_volumes();

	assert_int_equal(gpt_repair_primary(&fx->disk, &fx->info), 0);
	assert_int_equal(fx->mem.writes, 1 + img_array_sectors());
	assert_memory_equal(fx->mem.data, fx->good, SECTORS * img_sector_size);

	assert_int_equal(gpt_parse(&fx->disk, &fx->info), 0);
	assert_true(fx->info.primary.good);
	assert_true(fx->info.backup.good);
	assert_standard_volumes();
}

static void test_bad_primary_header_crc_repaired(void **state)
{
	build_standard();
	img_sector(fx->mem.data, 1)[60] ^= 1;	/* inside the disk GUID */
	check_repair("header CRC mismatch");
}

static void test_bad_primary_array_crc_repaired(void **state)
{
	build_standard();
	img_sector(fx->mem.data, 2)[56] = 'A';	/* the first volume's name */
	check_repair("partition entry array CRC mismatch");
}

static void test_primary_wiped_repaired(void **state)
{
	build_standard();
	memset(img_sector(fx->mem.data, 1), 0, img_sector_size * (1 + img_array_sectors()));
	check_repair("no GPT signature");
}

static void test_both_bad_refused(void **state)
{
	build_standard();
	img_sector(fx->mem.data, 1)[60] ^= 1;
	img_sector(fx->mem.data, SECTORS - 1)[60] ^= 1;
	assert_refused("no valid GPT (primary: header CRC mismatch; backup: header CRC mismatch)");
}

/* Both headers' signatures gone, the protective MBR still there: a damaged
 * pool disk (refused, said), not a blank disk that never was one. */
static void test_both_signatures_gone_is_damaged_not_blank(void **state)
{
	build_standard();
	memcpy(img_sector(fx->mem.data, 1), "NOT PART", 8);
	memcpy(img_sector(fx->mem.data, SECTORS - 1), "NOT PART", 8);
	assert_refused("no valid GPT");
	assert_true(fx->info.protective_mbr);
	assert_false(gpt_no_table(&fx->info));
	/* without the MBR's mark the disk is simply not a pool disk */
	memset(img_sector(fx->mem.data, 0), 0, img_sector_size);
	assert_int_equal(gpt_parse(&fx->disk, &fx->info), -1);
	assert_true(gpt_no_table(&fx->info));
}

static void test_unreadable_refused(void **state)
{
	build_standard();
	fx->mem.fail_reads = true;
	assert_refused("header unreadable");
}

static void test_misaligned_volume_refused(void **state)
{
	build_one(MIB_LBA + 1, 3 * MIB_LBA, "odd");
	assert_refused("volume 'odd': not aligned to 1 MiB");
	build_one(MIB_LBA, 3 * MIB_LBA - 2, "short");
	assert_refused("volume 'short': not aligned to 1 MiB");
}

static void test_bad_names_refused(void **state)
{
	const struct img_part twice[] = {
		{ bulkhead_type, MIB_LBA, 2 * MIB_LBA - 1, "same" },
		{ bulkhead_type, 2 * MIB_LBA, 3 * MIB_LBA - 1, "same" },
	};

	img_build(fx->mem.data, SECTORS, twice, 2);
	assert_refused("volume 'same': name used twice");

	build_one(MIB_LBA, 2 * MIB_LBA - 1, "");
	assert_refused("not printable ASCII");

	/* U+00E9 in UTF-16LE, in both copies */
	build_one(MIB_LBA, 2 * MIB_LBA - 1, "caf?");
	img_sector(fx->mem.data, 2)[56 + 6] = 0xe9;
	img_sector(fx->mem.data, SECTORS - 1 - img_array_sectors())[56 + 6] = 0xe9;
	img_fix_array_crc(fx->mem.data, 1);
	img_fix_array_crc(fx->mem.data, SECTORS - 1);
	assert_refused("not printable ASCII");
}

static void test_overlap_refused(void **state)
{
	const struct img_part parts[] = {
		{ bulkhead_type, MIB_LBA, 3 * MIB_LBA - 1, "a" },
		{ linux_type, 3 * MIB_LBA - 1, 4 * MIB_LBA - 1, "b" },
	};

	img_build(fx->mem.data, SECTORS, parts, 2);
	assert_refused("primary: two partitions overlap; backup: two partitions overlap");
}

static void test_past_usable_refused(void **state)
{
	/* the last MiB runs into the backup's entry array */
	build_one(SECTORS - MIB_LBA, SECTORS - 1, "tail");
	assert_refused("primary: a partition lies outside the usable range");
	build_one(1, MIB_LBA - 1, "head");
	assert_refused("a partition lies outside the usable range");
	build_one(2 * MIB_LBA, MIB_LBA, "backwards");
	assert_refused("a partition ends before it starts");
}

/* Sets a 32- or 64-bit header field in both copies and fixes their CRCs. */
static void set_both(u32 offset, u64 value, int bytes)
{
	u64 lbas[2] = { 1, SECTORS - 1 };

	for (int i = 0; i < 2; i++) {
		u8 *h = img_sector(fx->mem.data, lbas[i]);

		if (bytes == 4)
			img_le32(h + offset, (u32)value);
		else
			img_le64(h + offset, value);
		img_fix_header_crc(h);
	}
}

static void test_huge_entry_count_refused(void **state)
{
	build_standard();
	set_both(80, 0xffffffffu, 4);
	assert_refused("too many partition entries");
	build_standard();
	set_both(80, GPT_MAX_ENTRIES + 1, 4);
	assert_refused("too many partition entries");
	build_standard();
	set_both(84, 384, 4);		/* not 128 times a power of two */
	assert_refused("bad partition entry size");
	build_standard();
	set_both(84, 0x80000000u, 4);
	assert_refused("bad partition entry size");
}

static void test_wrapping_lbas_refused(void **state)
{
	build_standard();
	set_both(72, UINT64_MAX - 1, 8);	/* entry array at the end of LBA space */
	assert_refused("partition entry array misplaced");
	build_standard();
	set_both(48, UINT64_MAX, 8);		/* last usable LBA */
	assert_refused("usable range outside the disk");
	build_standard();
	set_both(40, 0, 8);			/* first usable over the MBR */
	assert_refused("usable range outside the disk");
	build_standard();
	set_both(24, UINT64_MAX, 8);		/* MyLBA */
	assert_refused("header LBAs do not match the disk's size");
	build_standard();
	set_both(12, 0xffffffffu, 4);		/* header size */
	assert_refused("bad header size");

	/* a partition ending at 2^64 - 1 */
	build_one(MIB_LBA, UINT64_MAX, "wrap");
	assert_refused("a partition lies outside the usable range");
}

static void test_array_in_usable_range_refused(void **state)
{
	build_standard();
	set_both(72, 4 * MIB_LBA, 8);
	assert_refused("partition entry array misplaced");
}

/* Each copy fine alone, but the primary's usable range runs over the
 * backup's entry array: a volume there would overwrite the backup. */
static void test_copies_over_each_other_refused(void **state)
{
	u8 *h = img_sector(fx->mem.data, 1);

	build_standard();
	img_le64(h + 48, SECTORS - 2);
	img_fix_header_crc(h);
	assert_refused("one GPT copy's usable range or array covers the other's array");

	/* both arrays in the same place */
	build_standard();
	img_le64(h + 72, SECTORS - 1 - img_array_sectors());
	img_fix_header_crc(h);
	assert_refused("covers the other's array");
}

/* A backup whose array sits where the primary's goes cannot be the source
 * of a primary: the repair refuses and writes nothing. */
static void test_repair_refused_when_backup_array_is_in_the_way(void **state)
{
	u8 *b = img_sector(fx->mem.data, SECTORS - 1);

	build_standard();
	/* the primary's array at LBA 2 holds the same entries */
	img_le64(b + 72, 2);
	img_fix_header_crc(b);
	img_sector(fx->mem.data, 1)[60] ^= 1;
	assert_int_equal(gpt_parse(&fx->disk, &fx->info), 0);
	assert_false(fx->info.primary.good);
	assert_true(fx->info.backup.good);
	assert_int_equal(gpt_repair_primary(&fx->disk, &fx->info), -1);
	assert_int_equal(fx->mem.writes, 0);
}

/* The backup changes between the parse and the repair: the copied array no
 * longer has the CRC that was checked, so the primary's header is not
 * written and the primary stays visibly bad. */
static void test_repair_stops_when_the_backup_changed(void **state)
{
	build_standard();
	img_sector(fx->mem.data, 1)[60] ^= 1;
	assert_int_equal(gpt_parse(&fx->disk, &fx->info), 0);
	img_sector(fx->mem.data, SECTORS - 1 - img_array_sectors())[56] = 'Z';
	assert_int_equal(gpt_repair_primary(&fx->disk, &fx->info), -1);
	assert_int_equal(fx->mem.writes, img_array_sectors());	/* the array, no header */
	assert_int_equal(gpt_parse(&fx->disk, &fx->info), -1);
	assert_string_equal(fx->info.why, "no valid GPT (primary: header CRC mismatch; "
			    "backup: partition entry array CRC mismatch)");
}

static void test_smaller_disk_refused(void **state)
{
	/* the same image seen as a smaller disk: the backup is not at its end */
	build_standard();
	fx->disk.sectors = SECTORS / 2;
	assert_refused("header LBAs do not match the disk's size");
	fx->disk.sectors = 3;
	assert_refused("disk too small");
}

/* The same reader on a disk of 4096-byte sectors: 1 MiB is 256 of them. */
static void test_4k_sectors(void **state)
{
	const u64 sectors = 4096;	/* 16 MiB */
	const struct img_part part = { bulkhead_type, 256, 767, "four-k" };
	struct mem_disk mem = { NULL, sectors, 0, false };
	struct gpt_disk disk = { mem_read, mem_write, &mem, sectors, 4096, NULL };
	struct gpt_info *info = &fx->info;

	img_sector_size = 4096;
	mem.data = calloc(sectors, 4096);
	img_build(mem.data, sectors, &part, 1);
	assert_int_equal(gpt_parse(&disk, info), 0);
	assert_true(info->primary.good && info->backup.good);
	assert_int_equal(info->primary.first_usable, 6);	/* MBR, header, 4 array sectors */
	assert_int_equal(info->nvolumes, 1);
	assert_string_equal(info->volumes[0].name, "four-k");
	assert_int_equal(info->volumes[0].first_lba, 256);
	assert_int_equal(info->volumes[0].sectors, 512);

	img_sector(mem.data, 1)[60] ^= 1;
	assert_int_equal(gpt_parse(&disk, info), 0);
	assert_false(info->primary.good);
	assert_int_equal(gpt_repair_primary(&disk, info), 0);
	assert_int_equal(mem.writes, 1 + 4);
	assert_int_equal(gpt_parse(&disk, info), 0);
	assert_true(info->primary.good && info->backup.good);

	/* 1 MiB alignment is in bytes, not sectors */
	const struct img_part odd = { bulkhead_type, 255, 767, "odd" };

	img_build(mem.data, sectors, &odd, 1);
	assert_int_equal(gpt_parse(&disk, info), -1);
	assert_string_equal(info->why, "volume 'odd': not aligned to 1 MiB");
	free(mem.data);
	img_sector_size = 512;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_disk_lists_volumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_primary_header_crc_repaired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_primary_array_crc_repaired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_primary_wiped_repaired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_both_bad_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_both_signatures_gone_is_damaged_not_blank, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misaligned_volume_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_past_usable_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_entry_count_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrapping_lbas_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_array_in_usable_range_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smaller_disk_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4k_sectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_stops_when_the_backup_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copies_over_each_other_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_refused_when_backup_array_is_in_the_way, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
