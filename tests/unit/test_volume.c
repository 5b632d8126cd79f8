/*
 * Unit tests for the storage pool's volumes: the boot scan over fake disks
 * whose requests complete from CPU 0's deferred work (as the real driver's
 * do), a disk that never answers, a bad primary repaired and flushed, and
 * the attach rules and request bounds of storage/volume.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/page_alloc.h"
#include "core/workqueue.h"
#include "drivers/blk.h"
#include "storage/gpt.h"
#include "storage/volume.h"
#include "storage/volume_table.h"
#include "fake_arch.h"
#include "gpt_image.h"
#include "hv_pool.h"
#include "log_lines.h"

/* blk.c's probe calls the virtio driver, which these tests replace. */
void virtio_blk_probe_all(void);
void virtio_blk_probe_all(void)
{
}

/* --- fake disks ---------------------------------------------------------- */

#define SECTORS 32768ull	/* 16 MiB */

struct fake_disk {
	struct blk_disk disk;
	u8 *data;
	bool silent;		/* never completes */
	u32 writes, flushes, submits;
	struct blk_request *pending;
	struct work work;
	u64 last_sector;	/* what the driver was handed */
};

static struct fake_disk fds[4];

static void fake_complete(struct work *w, u64 now)
{
	for (u32 i = 0; i < 4; i++) {
		struct fake_disk *f = &fds[i];
		struct blk_request *rq = f->pending;
		u32 ss = f->disk.geo.sector_size;

		if (&f->work != w || !rq)
			continue;
		f->pending = NULL;
		if (rq->op == BLK_READ)
			memcpy(pa_to_ptr(rq->buf), f->data + rq->sector * ss, (size_t)rq->count * ss);
		else if (rq->op == BLK_WRITE)
			memcpy(f->data + rq->sector * ss, pa_to_ptr(rq->buf), (size_t)rq->count * ss);
		rq->done(rq, BLK_OK);
	}
}

static int fake_submit(struct blk_disk *d, struct blk_request *rq)
{
	struct fake_disk *f = (struct fake_disk *)d;

	f->submits++;
	f->last_sector = rq->sector;
	f->writes += rq->op == BLK_WRITE;
	f->flushes += rq->op == BLK_FLUSH;
	if (f->silent)
		return 0;
	if (f->pending)
		return BLK_SUBMIT_BUSY;
	f->pending = rq;
	work_queue(&f->work, 0);
	return 0;
}

static const struct blk_ops fake_ops = { .submit = fake_submit };
static const u8 bulkhead_type[16] = GPT_BULKHEAD_VOLUME_TYPE;

static void fake_disk_init(struct fake_disk *f, u32 sector_size)
{
	f->data = calloc(1, SECTORS * 512);
	assert_non_null(f->data);
	f->disk.geo = (struct blk_geometry){ .sector_size = sector_size,
					     .sectors = SECTORS * 512 / sector_size,
					     .block_size = 512, .flush = true };
	f->disk.ops = &fake_ops;
	work_init(&f->work, fake_complete, 0);
	assert_int_equal(blk_register(&f->disk, "vd"), 0);
}

#define HV_PAGES 64

/*
 * vda: data (4 MiB) and logs (2 MiB); vdb: the same with its primary header
 * destroyed; vdc: never answers; vdd: 4096-byte sectors. Scanned once: the
 * registry and the table keep them for every test.
 */
static int group_setup(void **state)
{
	const struct img_part parts[] = {
		{ bulkhead_type, 2048, 2048 + 8192 - 1, "data" },
		{ bulkhead_type, 10240, 10240 + 4096 - 1, "logs" },
	};
	const struct img_part other[] = {
		{ bulkhead_type, 2048, 4095, "scratch" },
	};

	hv_pool_add(HV_PAGES);
	fake_arch_reset();
	for (u32 i = 0; i < 4; i++)
		fake_disk_init(&fds[i], i == 3 ? 4096 : 512);
	img_build(fds[0].data, SECTORS, parts, 2);
	img_build(fds[1].data, SECTORS, other, 1);
	memset(fds[1].data + 512, 0, 512);
	fds[2].silent = true;
	/* the never-answering disk's wait ends by the counter */
	fake.counter_step = fake.counter_freq / 10;
	volume_scan_pool();
	fake.counter_step = 0;
	return 0;
}

static int group_teardown(void **state)
{
	for (u32 i = 0; i < 4; i++)
		free(fds[i].data);
	hv_pool_free();
	return 0;
}

static void test_scan_lists_volumes_and_says_so(void **state)
{
	assert_true(logged("pool disk vda: 2 volumes: data (4 MiB), logs (2 MiB)"));
	assert_int_equal(volume_count(), 3);
	struct volume *data = volume_find("data"), *logs_v = volume_find("logs");

	assert_non_null(data);
	assert_ptr_equal(data->disk, &fds[0].disk);
	assert_int_equal(data->first_sector, 2048);
	assert_int_equal(data->sectors, 8192);
	assert_int_equal(logs_v->first_sector, 10240);
	assert_int_equal(logs_v->sectors, 4096);
	assert_ptr_equal(volume_at(0), data);
	assert_null(volume_at(3));
	assert_null(volume_find("dat"));
	assert_int_equal(fds[0].writes, 0);  /* a good disk is never written */
}

static void test_bad_primary_is_rewritten_and_flushed(void **state)
{
	assert_true(logged("pool disk vdb: primary GPT bad (no GPT signature); rewritten from "
			   "the backup"));
	assert_true(logged("pool disk vdb: 1 volume: scratch (1 MiB)"));
	assert_true(fds[1].writes > 0);
	assert_int_equal(fds[1].flushes, fds[1].writes);  /* each write flushed before the next */
	assert_int_equal(memcmp(fds[1].data + 512, "EFI PART", 8), 0);
}

static void test_silent_disk_and_big_sectors_are_skipped(void **state)
{
	assert_true(logged_prefix("pool disk vdc: not answering"));
	assert_int_equal(fds[2].submits, 1);  /* nothing more tried on it */
	assert_true(logged("pool disk vdd: 4096-byte sectors are not supported yet; skipped"));
	assert_int_equal(fds[3].submits, 0);
	assert_int_equal(fake.timer, 0);  /* the wait's timer is off again */
}

static void test_attach_rules(void **state)
{
	struct volume *v = volume_find("logs");
	const char *why = NULL;

	/* readers share */
	assert_int_equal(volume_attach(v, 1, true, &why), 0);
	assert_int_equal(volume_attach(v, 2, true, &why), 0);
	/* no writer beside readers */
	assert_int_equal(volume_attach(v, 3, false, &why), -1);
	assert_string_equal(why, "is attached read-only");
	volume_detach(v, 1, true);
	volume_detach(v, 2, true);
	assert_int_equal(v->readers, 0);
	/* one writer, and nobody beside it, read-only either */
	assert_int_equal(volume_attach(v, 3, false, &why), 0);
	assert_int_equal(v->attached_vm, 3);
	assert_int_equal(volume_attach(v, 4, false, &why), -1);
	assert_string_equal(why, "is attached read-write to another VM");
	assert_int_equal(volume_attach(v, 4, true, &why), -1);
	assert_int_equal(volume_attach(v, 3, true, &why), -1);
	/* a detach by someone else changes nothing */
	volume_detach(v, 4, false);
	assert_int_equal(v->attached_vm, 3);
	volume_detach(v, 3, false);
	assert_int_equal(v->attached_vm, 0);
	assert_int_equal(volume_attach(NULL, 1, false, &why), -1);
	assert_int_equal(volume_attach(v, 0, false, &why), -1);
	v->read_only = true;
	assert_int_equal(volume_attach(v, 5, false, &why), -1);
	assert_string_equal(why, "is on a read-only disk");
	assert_int_equal(volume_attach(v, 5, true, &why), 0);
	volume_detach(v, 5, true);
	v->read_only = false;
}

static void done_nop(struct blk_request *rq, enum blk_status status)
{
	*(int *)rq->ctx = (int)status + 1;
}

static int submit(struct volume *v, enum blk_op op, u64 sector, u32 count)
{
	static u8 buf[PAGE_SIZE * 2] __attribute__((aligned(PAGE_SIZE)));
	static int completed;
	struct blk_request rq = { .op = op, .sector = sector, .count = count,
				  .buf = ptr_to_pa(buf), .done = done_nop, .ctx = &completed };
	int ret = volume_submit(v, &rq);

	if (ret == 0) {
		work_run(0);
		assert_int_equal(completed, BLK_OK + 1);
		completed = 0;
	} else {
		assert_int_equal(rq.sector, sector);  /* a refused request is as it was */
	}
	return ret;
}

static void test_submit_bounds(void **state)
{
	struct volume *v = volume_find("data");

	assert_int_equal(submit(v, BLK_READ, 0, 1), 0);
	assert_int_equal(fds[0].last_sector, 2048);  /* translated to the disk */
	assert_int_equal(submit(v, BLK_WRITE, 8191, 1), 0);
	assert_int_equal(fds[0].last_sector, 2048 + 8191);
	assert_int_equal(submit(v, BLK_READ, 8184, 8), 0);
	/* past the end, by one sector or by wrapping */
	assert_int_equal(submit(v, BLK_READ, 8192, 1), BLK_SUBMIT_INVALID);
	assert_int_equal(submit(v, BLK_READ, 8191, 2), BLK_SUBMIT_INVALID);
	assert_int_equal(submit(v, BLK_READ, ~0ull, 1), BLK_SUBMIT_INVALID);
	assert_int_equal(submit(v, BLK_READ, ~0ull - 2048 + 1, 8), BLK_SUBMIT_INVALID);
	assert_int_equal(submit(v, BLK_WRITE, 1, 0xffffffffu), BLK_SUBMIT_INVALID);
	assert_int_equal(submit(v, BLK_READ, 0, 0), BLK_SUBMIT_INVALID);
	/* flush passes through */
	assert_int_equal(submit(v, BLK_FLUSH, 0, 0), 0);
	/* a read-only disk's volume takes reads only */
	v->read_only = true;
	assert_int_equal(submit(v, BLK_WRITE, 0, 1), BLK_SUBMIT_INVALID);
	assert_int_equal(submit(v, BLK_READ, 0, 1), 0);
	v->read_only = false;
	assert_int_equal(volume_submit(NULL, NULL), BLK_SUBMIT_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_lists_volumes_and_says_so),
		cmocka_unit_test(test_bad_primary_is_rewritten_and_flushed),
		cmocka_unit_test(test_silent_disk_and_big_sectors_are_skipped),
		cmocka_unit_test(test_attach_rules),
		cmocka_unit_test(test_submit_bounds),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
