/*
 * Unit tests for storage/pool_edit.c, the vol-create / vol-delete job, over
 * a fake disk whose requests wait until the test delivers them (in order,
 * newest first, one at a time) as the driver's deferred work would: the
 * extent zeroed with write-zeroes, with zero buffers when the disk lacks it
 * or refuses it, the zeros flushed before the GPT changes, a failing write
 * at every step leaving a readable GPT and the job over, busy refusals.
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
#include "core/workqueue.h"
#include "drivers/blk.h"
#include "storage/gpt.h"
#include "storage/pool_edit.h"
#include "storage/volume.h"
#include "storage/volume_table.h"
#include "fake_arch.h"
#include "gpt_image.h"
#include "log_lines.h"

/* blk.c's probe calls the virtio driver, which these tests replace. */
void virtio_blk_probe_all(void);
void virtio_blk_probe_all(void)
{
}

/* --- the fake disk ------------------------------------------------------- */

#define SECTORS 32768ull	/* 16 MiB */
#define MIB_LBA 2048ull
#define FILL 0xaa		/* what every sector outside the GPT holds at first */
#define MAX_PENDING 16
#define MAX_OPS 4096

enum delivery { IN_ORDER, NEWEST_FIRST };

struct op_rec {
	enum blk_op op;
	u64 lba;
	u32 count;
	u32 in_flight;		/* others in flight when it was submitted */
};

struct fake_disk {
	struct blk_disk disk;
	u8 *data;
	struct blk_request *pending[MAX_PENDING];
	u32 npending;
	u32 queue_cap;		/* more in flight is refused busy */
	enum delivery delivery;
	bool one_at_a_time;	/* delivers one completion per round */
	bool refuse_wz;		/* answers write-zeroes with BLK_UNSUPP */
	u32 fail_gpt_write;	/* the nth write to a GPT sector fails (1-based; 0: none) */
	u32 fail_zero_write;	/* the nth write or write-zeroes in the usable range fails */
	u32 gpt_writes, zero_writes, wz, wz_refused, busy, max_in_flight;
	struct op_rec ops[MAX_OPS];
	u32 nops;
};

static struct fake_disk fd;

static bool gpt_lba(u64 lba)
{
	return lba < 2 + img_array_sectors() || lba >= SECTORS - 1 - img_array_sectors();
}

static int fake_submit(struct blk_disk *d, struct blk_request *rq)
{
	(void)d;
	if (fd.npending == fd.queue_cap) {
		fd.busy++;
		return BLK_SUBMIT_BUSY;
	}
	assert_true(fd.nops < MAX_OPS);
	fd.ops[fd.nops++] = (struct op_rec){ rq->op, rq->sector, rq->count, fd.npending };
	fd.pending[fd.npending++] = rq;
	if (fd.npending > fd.max_in_flight)
		fd.max_in_flight = fd.npending;
	return 0;
}

static const struct blk_ops fake_ops = { .submit = fake_submit };

/* What a write that failed part-way left: its first sector torn. */
static void tear(const struct blk_request *rq)
{
	memset(fd.data + rq->sector * 512, 0x5c, 512);
}

static enum blk_status carry_out(struct blk_request *rq)
{
	u8 *at = fd.data + rq->sector * 512;
	size_t bytes = (size_t)rq->count * 512;

	switch (rq->op) {
	case BLK_READ:
		memcpy(pa_to_ptr(rq->buf), at, bytes);
		return BLK_OK;
	case BLK_WRITE_ZEROES:
		if (fd.refuse_wz) {
			fd.wz_refused++;
			return BLK_UNSUPP;
		}
		fd.wz++;
		if (++fd.zero_writes == fd.fail_zero_write)
			return BLK_IOERR;
		memset(at, 0, bytes);
		return BLK_OK;
	case BLK_WRITE:
		if (gpt_lba(rq->sector)) {
			if (++fd.gpt_writes == fd.fail_gpt_write) {
				tear(rq);
				return BLK_IOERR;
			}
		} else if (++fd.zero_writes == fd.fail_zero_write) {
			tear(rq);
			return BLK_IOERR;
		}
		memcpy(at, pa_to_ptr(rq->buf), bytes);
		return BLK_OK;
	case BLK_FLUSH:
		return BLK_OK;
	}
	return BLK_IOERR;
}

/* The driver's deferred work: completions, the newest or the oldest first. */
static void deliver(void)
{
	u32 n = fd.one_at_a_time && fd.npending ? 1 : fd.npending;

	for (u32 k = 0; k < n; k++) {
		u32 i = fd.delivery == NEWEST_FIRST ? fd.npending - 1 : 0;
		struct blk_request *rq = fd.pending[i];

		memmove(&fd.pending[i], &fd.pending[i + 1], (fd.npending - i - 1) * sizeof(rq));
		fd.npending--;
		rq->done(rq, carry_out(rq));
	}
}

/* CPU 0's rounds, a millisecond apart, until the job has said how it went. */
static void run_job(void)
{
	for (u32 round = 0; round < 20000 && (pool_edit_busy() || fd.npending); round++) {
		fake.counter += fake.counter_freq / 1000;
		work_run(0);
		deliver();
	}
	assert_false(pool_edit_busy());
	assert_int_equal(fd.npending, 0);
}

/* --- the pool ------------------------------------------------------------ */

static const u8 bulkhead_type[16] = GPT_BULKHEAD_VOLUME_TYPE;

static int disk_read(void *ctx, u64 lba, void *buf, u32 count)
{
	(void)ctx;
	memcpy(buf, fd.data + lba * 512, (size_t)count * 512);
	return 0;
}

static const struct gpt_disk mem_disk = { disk_read, NULL, NULL, SECTORS, 512, NULL };
static struct gpt_info parsed;

/* data 1-5 MiB, logs 5-7 MiB; both listed, vda a pool disk. */
static void build_pool(void)
{
	const struct img_part parts[] = {
		{ bulkhead_type, MIB_LBA, 5 * MIB_LBA - 1, "data" },
		{ bulkhead_type, 5 * MIB_LBA, 7 * MIB_LBA - 1, "logs" },
	};

	memset(fd.data, FILL, SECTORS * 512);
	img_build(fd.data, SECTORS, parts, 2);
	volume_table_reset();
	volume_set_pool_disk(0);
	assert_int_equal(gpt_parse(&mem_disk, &parsed), 0);
	for (u32 i = 0; i < parsed.nvolumes; i++) {
		struct volume v = { .disk = &fd.disk, .first_sector = parsed.volumes[i].first_lba,
				    .sectors = parsed.volumes[i].sectors };

		memcpy(v.name, parsed.volumes[i].name, sizeof(v.name));
		assert_non_null(volume_table_insert(&v));
	}
}

static int group_setup(void **state)
{
	fd.data = malloc(SECTORS * 512);
	assert_non_null(fd.data);
	fd.disk.ops = &fake_ops;
	assert_int_equal(blk_register(&fd.disk, "vd"), 0);
	return 0;
}

static int group_teardown(void **state)
{
	free(fd.data);
	return 0;
}

static int setup(void **state)
{
	u8 *data = fd.data;
	struct blk_disk disk = fd.disk;

	memset(&fd, 0, sizeof(fd));
	fd.data = data;
	fd.disk = disk;
	fd.disk.geo = (struct blk_geometry){ .sector_size = 512, .sectors = SECTORS,
					     .block_size = 512, .flush = true,
					     .max_write_zeroes = 1024 };
	fd.queue_cap = MAX_PENDING;
	fake_arch_reset();
	fake.counter = 1000;
	logs_clear();
	build_pool();
	return 0;
}

static bool all_bytes(u64 lba, u64 sectors, u8 value)
{
	for (u64 i = 0; i < sectors * 512; i++) {
		if (fd.data[lba * 512 + i] != value)
			return false;
	}
	return true;
}

static const struct gpt_volume *on_disk(const char *name)
{
	for (u32 i = 0; i < parsed.nvolumes; i++) {
		if (!strcmp(parsed.volumes[i].name, name))
			return &parsed.volumes[i];
	}
	return NULL;
}

/* The disk's GPT now: both copies good. */
static void assert_gpt_good(void)
{
	assert_int_equal(gpt_parse(&mem_disk, &parsed), 0);
	assert_true(parsed.primary.good);
	assert_true(parsed.backup.good);
}

/*
 * The write order the job promises: every zeroing request before any GPT
 * write, a flush between them submitted with nothing else in flight, and
 * each GPT write alone in flight (so one failing cannot overtake another).
 */
static void assert_zeros_flushed_before_gpt(void)
{
	u32 first_gpt = fd.nops, last_zero = 0;
	bool flushed = false;

	for (u32 i = 0; i < fd.nops; i++) {
		const struct op_rec *o = &fd.ops[i];

		if (o->op == BLK_WRITE && gpt_lba(o->lba)) {
			if (first_gpt == fd.nops)
				first_gpt = i;
			assert_int_equal(o->in_flight, 0);
		} else if (o->op == BLK_WRITE || o->op == BLK_WRITE_ZEROES) {
			last_zero = i;
		}
	}
	assert_true(first_gpt < fd.nops);
	assert_true(last_zero < first_gpt);
	for (u32 i = last_zero + 1; i < first_gpt; i++) {
		if (fd.ops[i].op == BLK_FLUSH && fd.ops[i].in_flight == 0)
			flushed = true;
	}
	assert_true(flushed);
}

/* --- create and delete --------------------------------------------------- */

static void test_create_with_write_zeroes(void **state)
{
	const char *why = NULL;
	struct volume *v;

	assert_int_equal(pool_vol_create("new", 3, &why), 0);
	assert_true(pool_edit_busy());
	run_job();
	assert_true(logged("vol-create new: done: 3 MiB on vda at 7 MiB"));
	/* 3 MiB in requests of the disk's 1024 sectors, no zero buffer */
	assert_int_equal(fd.wz, 6);
	assert_true(all_bytes(7 * MIB_LBA, 3 * MIB_LBA, 0));
	assert_true(all_bytes(10 * MIB_LBA, MIB_LBA, FILL));  /* nothing past it */
	assert_true(all_bytes(MIB_LBA, 6 * MIB_LBA, FILL));  /* nor before */
	assert_zeros_flushed_before_gpt();
	assert_gpt_good();
	assert_int_equal(parsed.nvolumes, 3);
	assert_non_null(on_disk("new"));
	assert_int_equal(on_disk("new")->first_lba, 7 * MIB_LBA);
	assert_int_equal(on_disk("new")->sectors, 3 * MIB_LBA);
	v = volume_find("new");
	assert_non_null(v);
	assert_ptr_equal(v->disk, &fd.disk);
	assert_int_equal(v->first_sector, 7 * MIB_LBA);
	assert_int_equal(v->sectors, 3 * MIB_LBA);
}

static void test_delete_with_write_zeroes(void **state)
{
	const char *why = NULL;
	struct volume *v = volume_find("logs");

	assert_int_equal(pool_vol_delete(v, &why), 0);
	assert_true(v->deleting);
	assert_int_equal(volume_attach(v, 7, false, &why), -1);  /* nobody takes it meanwhile */
	run_job();
	assert_true(logged("vol-delete logs: done: 2 MiB zeroed and removed from vda"));
	assert_int_equal(fd.wz, 4);
	assert_true(all_bytes(5 * MIB_LBA, 2 * MIB_LBA, 0));
	assert_true(all_bytes(MIB_LBA, 4 * MIB_LBA, FILL));  /* data untouched */
	assert_true(all_bytes(7 * MIB_LBA, MIB_LBA, FILL));
	assert_zeros_flushed_before_gpt();
	assert_gpt_good();
	assert_int_equal(parsed.nvolumes, 1);
	assert_null(on_disk("logs"));
	assert_null(volume_find("logs"));
	assert_non_null(volume_find("data"));
}

static void test_create_without_write_zeroes_uses_zero_buffers(void **state)
{
	const char *why = NULL;

	fd.disk.geo.max_write_zeroes = 0;
	fd.queue_cap = 3;  /* fewer than the job wants in flight: it waits its turn */
	assert_int_equal(pool_vol_create("new", 2, &why), 0);
	run_job();
	assert_true(logged("vol-create new: done: 2 MiB on vda at 7 MiB"));
	assert_int_equal(fd.wz, 0);
	assert_int_equal(fd.zero_writes, 2 * MiB / (64 * KiB));
	assert_true(fd.busy > 0);
	assert_true(all_bytes(7 * MIB_LBA, 2 * MIB_LBA, 0));
	assert_true(all_bytes(9 * MIB_LBA, MIB_LBA, FILL));
	assert_zeros_flushed_before_gpt();
	assert_gpt_good();
	assert_non_null(volume_find("new"));
}

/* The disk offers write-zeroes and then answers it "unsupported": the job
 * waits for what is in flight and zeroes the whole extent again with
 * buffers (a refused request zeroed nothing). With completions in order,
 * then newest first one a round (a refusal arriving while others are out). */
static void test_write_zeroes_refused_starts_over_with_buffers(void **state)
{
	for (int order = 0; order < 2; order++) {
		const char *why = NULL;

		setup(state);
		fd.delivery = order ? NEWEST_FIRST : IN_ORDER;
		fd.one_at_a_time = order;
		fd.refuse_wz = true;
		fd.disk.geo.max_write_zeroes = 256;
		assert_int_equal(pool_vol_delete(volume_find("data"), &why), 0);
		run_job();
		assert_true(logged("vol-delete data: done: 4 MiB zeroed and removed from vda"));
		assert_true(fd.wz_refused >= 1);
		assert_int_equal(fd.zero_writes, 4 * MiB / (64 * KiB));
		assert_true(all_bytes(MIB_LBA, 4 * MIB_LBA, 0));
		assert_true(all_bytes(5 * MIB_LBA, 2 * MIB_LBA, FILL));
		/* no write-zeroes once the buffers started */
		for (u32 i = 0, buffers = 0; i < fd.nops; i++) {
			buffers |= fd.ops[i].op == BLK_WRITE;
			assert_false(buffers && fd.ops[i].op == BLK_WRITE_ZEROES);
		}
		assert_zeros_flushed_before_gpt();
		assert_gpt_good();
		assert_null(on_disk("data"));
		assert_null(volume_find("data"));
	}
}

/* Completions newest first, one a round, while the job keeps up to its
 * limit in flight: each lands on its own request, the extent ends zeroed. */
static void test_completions_out_of_order(void **state)
{
	const char *why = NULL;

	fd.delivery = NEWEST_FIRST;
	fd.one_at_a_time = true;
	fd.disk.geo.max_write_zeroes = 64;
	assert_int_equal(pool_vol_create("wz", 2, &why), 0);
	run_job();
	assert_true(logged("vol-create wz: done: 2 MiB on vda at 7 MiB"));
	assert_true(fd.max_in_flight > 1);
	assert_int_equal(fd.wz, 2 * MIB_LBA / 64);
	assert_true(all_bytes(7 * MIB_LBA, 2 * MIB_LBA, 0));
	assert_zeros_flushed_before_gpt();

	/* and with zero buffers, deleting what was just made */
	fd.disk.geo.max_write_zeroes = 0;
	fd.nops = 0;
	memset(fd.data + 7 * MIB_LBA * 512, FILL, 2 * MiB);
	assert_int_equal(pool_vol_delete(volume_find("wz"), &why), 0);
	run_job();
	assert_true(logged("vol-delete wz: done: 2 MiB zeroed and removed from vda"));
	assert_true(all_bytes(7 * MIB_LBA, 2 * MIB_LBA, 0));
	assert_zeros_flushed_before_gpt();
	assert_gpt_good();
	assert_int_equal(parsed.nvolumes, 2);
	assert_null(volume_find("wz"));
}

/* --- failures and refusals ----------------------------------------------- */

/* The volumes the disk's GPT lists, in a string ("data logs"). */
static const char *listed(char *out, size_t size)
{
	out[0] = '\0';
	for (u32 i = 0; i < parsed.nvolumes; i++) {
		strncat(out, parsed.volumes[i].name, size - strlen(out) - 1);
		if (i + 1 < parsed.nvolumes)
			strncat(out, " ", size - strlen(out) - 1);
	}
	return out;
}

/*
 * Each GPT write of a create, then of a delete, fails in turn (tearing its
 * first sector): the disk still parses, with at least one copy good, and
 * reads as before the change or after it; the job says it failed and is
 * over, the table unchanged (a delete's volume given back to attach).
 */
static void test_failing_gpt_write_leaves_gpt_readable(void **state)
{
	char names[64];
	u32 failures = 0;

	for (int deleting = 0; deleting < 2; deleting++) {
		for (u32 n = 1; n < 16; n++) {
			const char *why = NULL;
			struct volume *logs_v;

			setup(state);
			fd.fail_gpt_write = n;
			logs_v = volume_find("logs");
			if (deleting)
				assert_int_equal(pool_vol_delete(logs_v, &why), 0);
			else
				assert_int_equal(pool_vol_create("new", 1, &why), 0);
			run_job();
			assert_int_equal(gpt_parse(&mem_disk, &parsed), 0);
			assert_true(parsed.primary.good || parsed.backup.good);
			listed(names, sizeof(names));
			if (fd.gpt_writes < n) {  /* the plan had fewer writes: it succeeded */
				assert_true(n > 2);
				assert_string_equal(names, deleting ? "data" : "data logs new");
				break;
			}
			failures++;
			if (deleting) {
				assert_true(!strcmp(names, "data logs") || !strcmp(names, "data"));
				assert_true(logged("vol-delete logs: failed: vda: writing its GPT "
						   "failed (at least one copy is still good; see "
						   "bulkhead pool check)"));
				assert_ptr_equal(volume_find("logs"), logs_v);
				assert_false(logs_v->deleting);
				assert_int_equal(volume_attach(logs_v, 3, false, &why), 0);
				volume_detach(logs_v, 3, false);
			} else {
				assert_true(!strcmp(names, "data logs") ||
					    !strcmp(names, "data logs new"));
				assert_true(logged_prefix("vol-create new: failed: vda: writing its "
							  "GPT failed"));
				assert_null(volume_find("new"));
			}
			/* the job is over: the next one starts */
			assert_int_equal(pool_vol_create("next", 1, &why), 0);
			run_job();
		}
	}
	assert_true(failures >= 4);  /* both copies' arrays and headers, each way */
}

/* A zeroing write fails mid-way: the delete stops, the volume stays listed
 * (partly zeroed) and can be attached again; the GPT is untouched. */
static void test_failing_zero_write_ends_the_job(void **state)
{
	const char *why = NULL;
	struct volume *v = volume_find("data");

	fd.disk.geo.max_write_zeroes = 0;
	fd.fail_zero_write = 20;
	assert_int_equal(pool_vol_delete(v, &why), 0);
	run_job();
	assert_true(logged("vol-delete data: failed: vda: a write failed"));
	assert_int_equal(fd.gpt_writes, 0);
	assert_gpt_good();
	assert_non_null(on_disk("data"));
	assert_ptr_equal(volume_find("data"), v);
	assert_false(v->deleting);
	assert_int_equal(volume_attach(v, 2, false, &why), 0);
	volume_detach(v, 2, false);

	/* the same with write-zeroes, on a create: nothing listed */
	fd.disk.geo.max_write_zeroes = 128;
	fd.zero_writes = 0;
	fd.fail_zero_write = 3;
	assert_int_equal(pool_vol_create("new", 1, &why), 0);
	run_job();
	assert_true(logged("vol-create new: failed: vda: a write failed"));
	assert_int_equal(fd.gpt_writes, 0);
	assert_null(volume_find("new"));
	assert_gpt_good();
	assert_int_equal(parsed.nvolumes, 2);
}

static void test_second_job_refused_while_one_runs(void **state)
{
	const char *why = NULL;
	struct volume *data = volume_find("data");

	assert_int_equal(pool_vol_create("one", 1, &why), 0);
	work_run(0);
	deliver();
	assert_true(pool_edit_busy());
	why = NULL;
	assert_int_equal(pool_vol_create("two", 1, &why), -1);
	assert_non_null(why);
	assert_int_equal(strncmp(why, "busy:", 5), 0);
	why = NULL;
	assert_int_equal(pool_vol_delete(data, &why), -1);
	assert_int_equal(strncmp(why, "busy:", 5), 0);
	assert_false(data->deleting);  /* the refused delete claimed nothing */
	run_job();
	assert_true(logged("vol-create one: done: 1 MiB on vda at 7 MiB"));
	assert_null(volume_find("two"));
	/* and once it has said so, the next is taken */
	assert_int_equal(pool_vol_create("two", 1, &why), 0);
	run_job();
	assert_true(logged("vol-create two: done: 1 MiB on vda at 8 MiB"));
}

static void test_refusals_before_starting(void **state)
{
	const char *why = NULL;
	struct volume *v = volume_find("logs");

	assert_int_equal(pool_vol_create("data", 1, &why), -1);
	assert_non_null(strstr(why, "exists"));
	assert_int_equal(pool_vol_create("two words", 1, &why), -1);
	assert_int_equal(pool_vol_create("big", 0, &why), -1);
	assert_int_equal(volume_attach(v, 4, false, &why), 0);
	assert_int_equal(pool_vol_delete(v, &why), -1);
	assert_string_equal(why, "it is attached to a VM");
	assert_false(pool_edit_busy());
	volume_detach(v, 4, false);
	/* no room: said, and over */
	assert_int_equal(pool_vol_create("huge", 64, &why), 0);
	run_job();
	assert_true(logged_prefix("vol-create huge: failed: no room for 64 MiB: the largest "
				  "free extent is 8 MiB (on vda)"));
	assert_int_equal(fd.zero_writes + fd.wz + fd.gpt_writes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_create_with_write_zeroes, setup),
		cmocka_unit_test_setup(test_delete_with_write_zeroes, setup),
		cmocka_unit_test_setup(test_create_without_write_zeroes_uses_zero_buffers, setup),
		cmocka_unit_test_setup(test_write_zeroes_refused_starts_over_with_buffers, setup),
		cmocka_unit_test_setup(test_completions_out_of_order, setup),
		cmocka_unit_test_setup(test_failing_gpt_write_leaves_gpt_readable, setup),
		cmocka_unit_test_setup(test_failing_zero_write_ends_the_job, setup),
		cmocka_unit_test_setup(test_second_job_refused_while_one_runs, setup),
		cmocka_unit_test_setup(test_refusals_before_starting, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
