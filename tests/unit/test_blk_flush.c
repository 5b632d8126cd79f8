/*
 * When a guest's FLUSH completes: the guest's virtio-blk device
 * (devices/virtio/blk.c) on a real pool volume (storage/volume.c) and the
 * block layer's checks (drivers/blk.c), down to a fake disk that records
 * each request and answers only when the test says, from deferred work as a
 * driver does. A flush the guest was told is done must mean the disk's own
 * flush was done, after every write the guest had been told of.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/log.h"
#include "core/page_alloc.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "drivers/blk.h"
#include "fake_arch.h"
#include "storage/volume.h"
#include "storage/volume_table.h"
#include "devices/virtio/blk.h"
#include "virtio_blk_guest.h"

#define HV_PAGES (VBLK_PIECES * VBLK_BOUNCE_PAGES + 32)
#define DISK_SECTORS 8192
#define VOL_FIRST 2048        /* the volume's first sector on the disk */
#define VOL_SECTORS 1024
#define PIECE_SECTORS (VBLK_BOUNCE_BYTES / 512)   /* a bounce buffer */
#define MAX_RQ 16

/* The device's report of its memory goes to the log: not looked at here. */
void log_msg(enum log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

bool vm_get(struct vm *v)
{
	return true;
}

void vm_put(struct vm *v)
{
}

/* never the last reference here */
void vm_put_soon(struct vm *v)
{
	vm_put(v);
}

/* blk.c's probe calls the virtio driver, which this test replaces. */
void virtio_blk_probe_all(void);
void virtio_blk_probe_all(void)
{
}

/* --- the fake disk ------------------------------------------------------------ */

static struct blk_disk disk;
static u8 *media;
static struct blk_request *rqs[MAX_RQ];
static struct blk_request seen[MAX_RQ];   /* each as it was submitted */
static u32 nrq;
static struct work answer;
static u32 answer_rq;
static enum blk_status answer_status;

static int disk_submit(struct blk_disk *d, struct blk_request *rq)
{
	assert_ptr_equal(d, &disk);
	assert_true(nrq < MAX_RQ);
	seen[nrq] = *rq;
	rqs[nrq++] = rq;
	return 0;
}

static const struct blk_ops disk_ops = { .submit = disk_submit };

static void answer_work(struct work *w, u64 now)
{
	struct blk_request *rq = rqs[answer_rq];
	const struct blk_request *s = &seen[answer_rq];
	u8 *at = media + s->sector * VOLUME_SECTOR_SIZE;
	u64 bytes = (u64)s->count * VOLUME_SECTOR_SIZE;

	if (answer_status == BLK_OK && s->op == BLK_WRITE)
		memcpy(at, pa_to_ptr(s->buf), bytes);
	rq->done(rq, answer_status);
}

/* The disk answers request `i`; then CPU 0 runs what that queued. */
static void disk_answers(u32 i, enum blk_status status)
{
	assert_true(i < nrq);
	answer_rq = i;
	answer_status = status;
	work_queue(&answer, 0);
	work_run(0);
	work_run(0);
}

/* --- set-up --------------------------------------------------------------------- */

static struct volume *vol;

static int setup_cache(bool cache)
{
	nrq = 0;
	media = calloc(DISK_SECTORS, VOLUME_SECTOR_SIZE);
	assert_non_null(media);
	disk = (struct blk_disk){ .name = "vda", .ops = &disk_ops };
	disk.geo = (struct blk_geometry){ .sector_size = VOLUME_SECTOR_SIZE,
					  .sectors = DISK_SECTORS, .block_size = 512,
					  .flush = cache };
	volume_table_reset();
	vol = volume_table_add();
	assert_non_null(vol);
	strcpy(vol->name, "data");
	vol->disk = &disk;
	vol->first_sector = VOL_FIRST;
	vol->sectors = VOL_SECTORS;
	guest_blk_create(vol, false, HV_PAGES);
	work_init(&answer, answer_work, 0);
	return 0;
}

static int setup(void **state)
{
	return setup_cache(true);
}

static int setup_no_cache(void **state)
{
	return setup_cache(false);
}

static int teardown(void **state)
{
	work_cancel(&answer);
	fake.counter += fake.counter_freq;
	work_run(0);
	guest_blk_free();
	free(media);
	return 0;
}

/* --- tests ------------------------------------------------------------------------- */

static void assert_not_answered(u32 h, u16 used)
{
	assert_int_equal(ram[STATS + h], UNTOUCHED);
	assert_int_equal(used_idx(), used);
}

/* A write of two pieces (two pieces on the volume), completed to the guest once the
 * disk has both; then the guest's flush, which reaches the disk as its flush
 * and completes to the guest only when the disk's flush has completed. */
static void test_flush_completes_after_the_disks_flush(void **state)
{
	struct seg f[2] = { header(1, T_FLUSH, 0), status(1) };

	for (u32 i = 0; i < 2 * PIECE_SECTORS * 512; i++)
		ram[DATA + i] = (u8)(i * 13 + 1);
	rw(0, T_OUT, 8, 0, 2 * PIECE_SECTORS * 512);
	assert_int_equal(nrq, 2);             /* both pieces go to the disk at once */
	assert_int_equal(seen[0].op, BLK_WRITE);
	assert_int_equal(seen[0].sector, VOL_FIRST + 8);
	assert_int_equal(seen[0].count, PIECE_SECTORS);
	assert_int_equal(seen[1].op, BLK_WRITE);
	assert_int_equal(seen[1].sector, VOL_FIRST + 8 + PIECE_SECTORS);
	disk_answers(1, BLK_OK);
	assert_not_answered(0, 0);            /* half the write is not the write */
	disk_answers(0, BLK_OK);
	assert_int_equal(ram[STATS], 0);
	assert_int_equal(used_idx(), 1);
	assert_memory_equal(media + (VOL_FIRST + 8) * 512, ram + DATA, 2 * PIECE_SECTORS * 512);

	offer(f, 2);
	assert_int_equal(nrq, 3);
	assert_int_equal(seen[2].op, BLK_FLUSH);
	/* however long the disk takes, the guest waits for it */
	for (int i = 0; i < 5; i++) {
		fake.counter += fake.counter_freq;
		work_run(0);
		assert_not_answered(1, 1);
	}
	disk_answers(2, BLK_OK);
	assert_int_equal(ram[STATS + 1], 0);  /* VIRTIO_BLK_S_OK */
	assert_int_equal(used_idx(), 2);
	assert_int_equal(nrq, 3);
}

/* A disk whose flush fails: the guest hears IOERR, never OK. */
static void test_failed_disk_flush_fails_the_guests(void **state)
{
	struct seg f[2] = { header(0, T_FLUSH, 0), status(0) };

	offer(f, 2);
	assert_int_equal(nrq, 1);
	assert_int_equal(seen[0].op, BLK_FLUSH);
	assert_not_answered(0, 0);
	disk_answers(0, BLK_IOERR);
	assert_int_equal(ram[STATS], 1);      /* VIRTIO_BLK_S_IOERR */
	assert_int_equal(used_idx(), 1);
}

/* A disk with no volatile cache holds each write it completed: the guest's
 * flush is done with nothing sent (it must not fail, or fsync would). */
static void test_disk_without_cache_flushes_nothing(void **state)
{
	struct seg f[2] = { header(1, T_FLUSH, 0), status(1) };

	rw(0, T_OUT, 0, 0, 4096);
	assert_int_equal(nrq, 1);
	disk_answers(0, BLK_OK);
	assert_int_equal(ram[STATS], 0);
	offer(f, 2);
	assert_int_equal(nrq, 1);             /* no flush for the disk */
	assert_int_equal(ram[STATS + 1], 0);
	assert_int_equal(used_idx(), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flush_completes_after_the_disks_flush, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_disk_flush_fails_the_guests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_without_cache_flushes_nothing, setup_no_cache,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
