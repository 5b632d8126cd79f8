/*
 * Unit tests for storage/gpt_edit.c: free extents (first fit, largest
 * free), adding and removing volumes, what is refused, and the write order:
 * a crash after any write leaves a disk gpt_parse() accepts, reading as
 * before the change or after it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "storage/gpt.h"
#include "storage/gpt_edit.h"
#include "gpt_image.h"

#define SECTORS (16 * 2048ull)
#define MIB_LBA 2048ull
#define MAX_LOG 64

static const u8 bulkhead_type[16] = GPT_BULKHEAD_VOLUME_TYPE;
static const u8 linux_type[16] = { 0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
				   0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4 };

/* A write as the disk saw it, or a flush (count 0). */
struct logged {
	u64 lba;
	u32 count;
	u8 *data;
};

struct fixture {
	u8 *disk;
	u8 *before;		/* the image before the change */
	struct gpt_disk gd;
	struct gpt_info info;
	struct gpt_edit edit;
	struct logged log[MAX_LOG];
	u32 nlog;
};

static struct fixture *fx;

static int mem_read(void *ctx, u64 lba, void *buf, u32 count)
{
	assert_true(lba < SECTORS && count <= SECTORS - lba);
	memcpy(buf, fx->disk + lba * 512, (size_t)count * 512);
	return 0;
}

static int mem_write(void *ctx, u64 lba, const void *buf, u32 count)
{
	struct logged *l = &fx->log[fx->nlog++];

	assert_true(fx->nlog <= MAX_LOG);
	assert_true(lba < SECTORS && count <= SECTORS - lba);
	memcpy(fx->disk + lba * 512, buf, (size_t)count * 512);
	*l = (struct logged){ lba, count, malloc((size_t)count * 512) };
	memcpy(l->data, buf, (size_t)count * 512);
	return 0;
}

static int mem_flush(void *ctx)
{
	fx->log[fx->nlog++] = (struct logged){ 0, 0, NULL };
	assert_true(fx->nlog <= MAX_LOG);
	return 0;
}

static int setup(void **state)
{
	fx = calloc(1, sizeof(*fx));
	fx->disk = calloc(SECTORS, 512);
	fx->before = calloc(SECTORS, 512);
	fx->gd = (struct gpt_disk){ mem_read, mem_write, NULL, SECTORS, 512, mem_flush };
	return 0;
}

static int teardown(void **state)
{
	for (u32 i = 0; i < fx->nlog; i++)
		free(fx->log[i].data);
	free(fx->disk);
	free(fx->before);
	free(fx);
	return 0;
}

/* alpha 1-3 MiB, a Linux partition 3-4 MiB, a hole 4-5 MiB, beta 5-8 MiB;
 * parsed and loaded. */
static void build(void)
{
	const struct img_part parts[] = {
		{ bulkhead_type, MIB_LBA, 3 * MIB_LBA - 1, "alpha" },
		{ linux_type, 3 * MIB_LBA, 4 * MIB_LBA - 1, "linux-data" },
		{ bulkhead_type, 5 * MIB_LBA, 8 * MIB_LBA - 1, "beta" },
	};
	const char *why = NULL;

	img_build(fx->disk, SECTORS, parts, 3);
	memcpy(fx->before, fx->disk, SECTORS * 512);
	assert_int_equal(gpt_parse(&fx->gd, &fx->info), 0);
	assert_int_equal(gpt_edit_load(&fx->gd, &fx->info, &fx->edit, &why), 0);
}

static const struct gpt_volume *find(const struct gpt_info *info, const char *name)
{
	for (u32 i = 0; i < info->nvolumes; i++) {
		if (!strcmp(info->volumes[i].name, name))
			return &info->volumes[i];
	}
	return NULL;
}

static void test_free_space_first_fit_and_largest(void **state)
{
	u64 first = 0, largest = 0;

	build();
	/* 1 MiB fits the hole at 4 MiB; 2 MiB only after beta (8 MiB up to the
	 * last whole MiB before the backup array: 15 MiB) */
	assert_int_equal(gpt_edit_find_space(&fx->gd, &fx->info, &fx->edit, MIB_LBA, &first,
					     &largest), 0);
	assert_int_equal(first, 4 * MIB_LBA);
	assert_int_equal(largest, 7 * MIB_LBA);
	assert_int_equal(gpt_edit_find_space(&fx->gd, &fx->info, &fx->edit, 2 * MIB_LBA, &first,
					     &largest), 0);
	assert_int_equal(first, 8 * MIB_LBA);
	assert_int_equal(gpt_edit_find_space(&fx->gd, &fx->info, &fx->edit, 7 * MIB_LBA, &first,
					     &largest), 0);
	assert_int_equal(first, 8 * MIB_LBA);
	first = 12345;
	assert_int_equal(gpt_edit_find_space(&fx->gd, &fx->info, &fx->edit, 8 * MIB_LBA, &first,
					     &largest), -1);
	assert_int_equal(first, 12345);
	assert_int_equal(largest, 7 * MIB_LBA);
}

static void test_empty_disk_has_one_extent(void **state)
{
	u64 first = 0, largest = 0;
	const char *why;

	img_build(fx->disk, SECTORS, NULL, 0);
	assert_int_equal(gpt_parse(&fx->gd, &fx->info), 0);
	assert_int_equal(gpt_edit_load(&fx->gd, &fx->info, &fx->edit, &why), 0);
	assert_int_equal(gpt_edit_find_space(&fx->gd, &fx->info, &fx->edit, MIB_LBA, &first,
					     &largest), 0);
	/* the first aligned LBA after the primary array, up to the backup array */
	assert_int_equal(first, MIB_LBA);
	assert_int_equal(largest, 14 * MIB_LBA);
}

static void test_add_lists_the_volume_in_both_copies(void **state)
{
	const char *why = NULL;
	const struct gpt_volume *g;
	struct gpt_info *again = calloc(1, sizeof(*again));
	u8 *ent;

	build();
	assert_int_equal(gpt_edit_add(&fx->gd, &fx->info, &fx->edit, "gamma", 8 * MIB_LBA,
				      2 * MIB_LBA, 42, &why), 0);
	assert_int_equal(gpt_parse(&fx->gd, again), 0);
	assert_true(again->primary.good && again->backup.good);
	assert_int_equal(again->nvolumes, 3);
	g = find(again, "gamma");
	assert_non_null(g);
	assert_int_equal(g->first_lba, 8 * MIB_LBA);
	assert_int_equal(g->sectors, 2 * MIB_LBA);
	assert_non_null(find(again, "alpha"));
	assert_non_null(find(again, "beta"));
	/* the other partition's entry is untouched */
	assert_memory_equal(img_sector(fx->disk, 2) + 128, img_sector(fx->before, 2) + 128, 128);
	/* the backup's array is the primary's */
	assert_memory_equal(img_sector(fx->disk, 2),
			    img_sector(fx->disk, SECTORS - 1 - img_array_sectors()),
			    img_array_sectors() * 512);
	/* a version 4 GUID, unlike the others */
	ent = img_sector(fx->disk, 2) + g->index * 128;
	assert_int_equal(ent[16 + 7] >> 4, 4);
	assert_int_equal(ent[16 + 8] >> 6, 2);
	for (u32 i = 0; i < 3; i++) {
		if (i != g->index)
			assert_memory_not_equal(ent + 16, img_sector(fx->disk, 2) + i * 128 + 16, 16);
	}
	free(again);
}

static void assert_add_refused(const char *name, u64 first, u64 sectors, const char *why_part)
{
	const char *why = NULL;

	assert_int_equal(gpt_edit_add(&fx->gd, &fx->info, &fx->edit, name, first, sectors, 1,
				      &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, why_part));
	assert_int_equal(fx->nlog, 0);
	assert_memory_equal(fx->disk, fx->before, SECTORS * 512);
}

static void test_add_refusals(void **state)
{
	build();
	assert_add_refused("alpha", 8 * MIB_LBA, MIB_LBA, "exists");
	assert_add_refused("", 8 * MIB_LBA, MIB_LBA, "bad volume name");
	assert_add_refused("two words", 8 * MIB_LBA, MIB_LBA, "bad volume name");
	assert_add_refused("a-name-of-thirty-seven-characters-xyz", 8 * MIB_LBA, MIB_LBA,
			   "bad volume name");
	assert_add_refused("tab\tname", 8 * MIB_LBA, MIB_LBA, "bad volume name");
	assert_add_refused("gamma", 7 * MIB_LBA, 2 * MIB_LBA, "not free");      /* over beta */
	assert_add_refused("gamma", 3 * MIB_LBA, MIB_LBA, "not free");          /* over linux */
	assert_add_refused("gamma", 8 * MIB_LBA + 1, MIB_LBA, "not free");      /* misaligned */
	assert_add_refused("gamma", 8 * MIB_LBA, MIB_LBA + 8, "not free");
	assert_add_refused("gamma", 15 * MIB_LBA, MIB_LBA, "not free");         /* backup array */
	assert_add_refused("gamma", 8 * MIB_LBA, 0, "not free");
	/* 36 characters is the most */
	assert_true(gpt_name_ok("a-name-of-thirty-six-characters-xyz"));
}

static void test_full_table_refused(void **state)
{
	struct img_part parts[IMG_ENTRIES];
	static char names[IMG_ENTRIES][8];
	const char *why = NULL;

	for (u32 i = 0; i < IMG_ENTRIES; i++) {
		snprintf(names[i], sizeof(names[i]), "p%u", i);
		parts[i] = (struct img_part){ linux_type, 40 + i, 40 + i, names[i] };
	}
	img_build(fx->disk, SECTORS, parts, IMG_ENTRIES);
	memcpy(fx->before, fx->disk, SECTORS * 512);
	assert_int_equal(gpt_parse(&fx->gd, &fx->info), 0);
	assert_int_equal(gpt_edit_load(&fx->gd, &fx->info, &fx->edit, &why), 0);
	assert_add_refused("gamma", MIB_LBA, MIB_LBA, "no free partition entry");
}

static void test_remove(void **state)
{
	const char *why = NULL;
	struct gpt_info *again = calloc(1, sizeof(*again));
	u32 alpha;

	build();
	alpha = find(&fx->info, "alpha")->index;
	/* entry 1 is the Linux partition: not ours to remove */
	assert_int_equal(gpt_edit_remove(&fx->gd, &fx->info, &fx->edit, 1, &why), -1);
	assert_int_equal(gpt_edit_remove(&fx->gd, &fx->info, &fx->edit, 128, &why), -1);
	assert_int_equal(fx->nlog, 0);
	assert_int_equal(gpt_edit_remove(&fx->gd, &fx->info, &fx->edit, alpha, &why), 0);
	assert_int_equal(gpt_parse(&fx->gd, again), 0);
	assert_true(again->primary.good && again->backup.good);
	assert_int_equal(again->nvolumes, 1);
	assert_non_null(find(again, "beta"));
	assert_null(find(again, "alpha"));
	free(again);
}

static void test_bad_copy_is_not_edited(void **state)
{
	const char *why = NULL;

	build();
	fx->disk[512 + 8] ^= 1;	/* the primary header's revision */
	assert_int_equal(gpt_parse(&fx->gd, &fx->info), 0);
	assert_int_equal(gpt_edit_load(&fx->gd, &fx->info, &fx->edit, &why), -1);
	assert_non_null(strstr(why, "bad"));
}

/* A copy's header changed after the parse: nothing of it is written. */
static void test_changed_header_stops_before_writing(void **state)
{
	const char *why = NULL;
	u8 *backup = img_sector(fx->disk, SECTORS - 1);

	build();
	img_le64(backup + 48, SECTORS - 2 - img_array_sectors() - 1);	/* still valid */
	img_fix_header_crc(backup);
	assert_int_equal(gpt_edit_add(&fx->gd, &fx->info, &fx->edit, "gamma", 8 * MIB_LBA,
				      MIB_LBA, 1, &why), -1);
	assert_int_equal(fx->nlog, 0);
}

/* Applies the first `n` logged writes to the image from before the change. */
static u8 *after_writes(u32 n)
{
	u8 *img = malloc(SECTORS * 512);

	memcpy(img, fx->before, SECTORS * 512);
	for (u32 i = 0; i < n; i++) {
		if (fx->log[i].count)
			memcpy(img + fx->log[i].lba * 512, fx->log[i].data,
			       (size_t)fx->log[i].count * 512);
	}
	return img;
}

static void test_write_order_survives_a_crash_anywhere(void **state)
{
	const u64 backup_array = SECTORS - 1 - img_array_sectors();
	const struct { u64 lba; u32 count; } order[] = {
		{ backup_array, img_array_sectors() }, { 0, 0 }, { SECTORS - 1, 1 }, { 0, 0 },
		{ 2, img_array_sectors() }, { 0, 0 }, { 1, 1 }, { 0, 0 },
	};
	struct gpt_info *check = calloc(1, sizeof(*check));
	const char *why = NULL;
	u8 *saved;

	build();
	assert_int_equal(gpt_edit_add(&fx->gd, &fx->info, &fx->edit, "gamma", 8 * MIB_LBA,
				      MIB_LBA, 7, &why), 0);
	assert_int_equal(fx->nlog, 8);
	for (u32 i = 0; i < 8; i++) {
		assert_int_equal(fx->log[i].lba, order[i].lba);
		assert_int_equal(fx->log[i].count, order[i].count);
	}
	/* the disk as a crash after each write (and its flush) leaves it */
	saved = fx->disk;
	for (u32 n = 0; n <= 8; n++) {
		fx->disk = after_writes(n);
		assert_int_equal(gpt_parse(&fx->gd, check), 0);
		/* the backup is bad only between its array and its header, the
		 * primary likewise; never both */
		assert_int_equal(check->backup.good, n != 1 && n != 2);
		assert_int_equal(check->primary.good, n != 5 && n != 6);
		/* the primary rules while it is good, so the disk reads as before
		 * until the primary's array is written, then as after */
		assert_int_equal(find(check, "gamma") != NULL, n >= 5);
		assert_int_equal(check->nvolumes, n >= 5 ? 3 : 2);
		free(fx->disk);
	}
	fx->disk = saved;
	free(check);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_free_space_first_fit_and_largest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_disk_has_one_extent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_lists_the_volume_in_both_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_table_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_copy_is_not_edited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_header_stops_before_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_order_survives_a_crash_anywhere, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
