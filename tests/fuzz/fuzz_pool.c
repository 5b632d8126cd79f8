/*
 * libFuzzer target for the storage pool as the running machine drives it:
 * the boot scan (storage/pool_scan.c) over a disk whose GPT the input has
 * damaged, then the shell's vol-create or vol-delete job
 * (storage/pool_edit.c) on what the scan accepted, over an asynchronous
 * fake disk that completes requests in an order, and fails one write, as
 * the input says.
 *
 * Input: byte 0 chooses the starting volumes (low 2 bits: how many), the
 * edit (bits 2-3: none, create, delete), write-zeroes refused (bit 4) and
 * completions newest first (bit 5); byte 1 is the write that fails (0:
 * none; a failed write tears its first sector); byte 2 the size to create
 * or the volume to delete; then 3-byte patches (offset high, offset low,
 * value) on the GPT's sectors at both ends of the disk.
 *
 * What must hold:
 * - the scan lists only volumes inside the disk's usable space, no two
 *   overlapping, no name twice; a refused disk is never written;
 * - a disk the scan repaired parses with both copies good (unless a write
 *   failed), listing what was listed;
 * - whatever the edit does, and whichever write fails, the GPT still parses
 *   (the pool is never left unreadable); when the job says done, both
 *   copies are good and the table lists exactly what the disk holds, and a
 *   created volume reads as zeros;
 * - sectors outside the GPT, the new volume and the deleted one never
 *   change.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/page_alloc.h"
#include "core/workqueue.h"
#include "drivers/blk.h"
#include "storage/gpt.h"
#include "storage/pool_edit.h"
#include "storage/volume.h"
#include "storage/volume_table.h"
#include "fake_arch.h"
#include "gpt_image.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define SECTORS 12288ull	/* 6 MiB */
#define MIB_LBA 2048ull
#define FILL 0xaa
#define MAX_PENDING 16
#define HV_PAGES 16

/* blk.c's probe calls the virtio driver, which this target replaces. */
void virtio_blk_probe_all(void);
void virtio_blk_probe_all(void)
{
}

/* The console: what the job said last tells how it ended. */
static char last_line[256];
static bool said_repaired;

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(last_line, sizeof(last_line), fmt, ap);
	va_end(ap);
	said_repaired |= strstr(last_line, "rewritten from the backup") != NULL;
}

struct fake_disk {
	struct blk_disk disk;
	u8 *data;
	struct blk_request *pending[MAX_PENDING];
	u32 npending;
	bool newest_first;
	bool refuse_wz;
	u32 fail_write;		/* the nth write fails (0: none) */
	u32 writes;
	bool failed;
};

static struct fake_disk fd;
static u8 *before;
static struct work deliver_work;

static enum blk_status carry_out(struct blk_request *rq)
{
	u8 *at = fd.data + rq->sector * 512;
	size_t bytes = (size_t)rq->count * 512;

	CHECK(rq->sector <= SECTORS && rq->count <= SECTORS - rq->sector);
	switch (rq->op) {
	case BLK_READ:
		memcpy(pa_to_ptr(rq->buf), at, bytes);
		return BLK_OK;
	case BLK_WRITE_ZEROES:
		if (fd.refuse_wz)
			return BLK_UNSUPP;
		/* fall through: a write of zeros, failing as a write does */
	case BLK_WRITE:
		if (++fd.writes == fd.fail_write) {
			memset(at, 0x5c, 512);
			fd.failed = true;
			return BLK_IOERR;
		}
		if (rq->op == BLK_WRITE)
			memcpy(at, pa_to_ptr(rq->buf), bytes);
		else
			memset(at, 0, bytes);
		return BLK_OK;
	case BLK_FLUSH:
		return BLK_OK;
	}
	return BLK_IOERR;
}

/* The driver's deferred work: one completion per round, oldest or newest. */
static void deliver(struct work *w, u64 now)
{
	u32 i;
	struct blk_request *rq;

	(void)w;
	(void)now;
	if (!fd.npending)
		return;
	i = fd.newest_first ? fd.npending - 1 : 0;
	rq = fd.pending[i];
	memmove(&fd.pending[i], &fd.pending[i + 1], (fd.npending - i - 1) * sizeof(rq));
	fd.npending--;
	if (fd.npending)
		work_queue(&deliver_work, 0);
	rq->done(rq, carry_out(rq));
}

static int fake_submit(struct blk_disk *d, struct blk_request *rq)
{
	(void)d;
	if (fd.npending == MAX_PENDING)
		return BLK_SUBMIT_BUSY;
	fd.pending[fd.npending++] = rq;
	work_queue(&deliver_work, 0);
	return 0;
}

static const struct blk_ops fake_ops = { .submit = fake_submit };
static const u8 bulkhead_type[16] = GPT_BULKHEAD_VOLUME_TYPE;

static int mem_read(void *ctx, u64 lba, void *buf, u32 count)
{
	(void)ctx;
	memcpy(buf, fd.data + lba * 512, (size_t)count * 512);
	return 0;
}

static const struct gpt_disk mem_disk = { mem_read, NULL, NULL, SECTORS, 512, NULL };
static struct gpt_info parsed;

/* The sectors a good GPT occupies (from `parsed`): its MBR, both headers
 * and both arrays; an edit writes nothing else but its volume's extent. */
static bool table_sector[SECTORS];

static void mark_copy(const struct gpt_copy *c)
{
	u64 nsec = ((u64)c->entries * c->entry_size + 511) / 512;

	table_sector[c->header_lba] = true;
	for (u64 i = 0; i < nsec && c->entry_lba + i < SECTORS; i++)
		table_sector[c->entry_lba + i] = true;
}

static void mark_table(void)
{
	memset(table_sector, 0, sizeof(table_sector));
	table_sector[0] = true;
	mark_copy(&parsed.primary);
	mark_copy(&parsed.backup);
}

static void setup_once(void)
{
	static bool done;
	u64 size = HV_PAGES * PAGE_SIZE;

	if (done)
		return;
	done = true;
	fd.data = malloc(SECTORS * 512);
	before = malloc(SECTORS * 512);
	CHECK(fd.data && before);
	CHECK(page_pool_add_bank(&hv_pages, ptr_to_pa(aligned_alloc(PAGE_SIZE, size)), size,
				 calloc(1, page_bank_bitmap_bytes(size))) == 0);
	fd.disk.ops = &fake_ops;
	fd.disk.geo = (struct blk_geometry){ .sector_size = 512, .sectors = SECTORS,
					     .block_size = 512, .flush = true,
					     .max_write_zeroes = 1024 };
	CHECK(blk_register(&fd.disk, "vd") == 0);
	work_init(&deliver_work, deliver, 0);
}

/* Up to three volumes of 1 MiB from 1 MiB on, 2 MiB or more left after them. */
static void build_disk(u32 n)
{
	static const char *names[] = { "data", "logs", "swap" };
	struct img_part parts[3];
	u64 at = MIB_LBA;

	memset(fd.data, FILL, SECTORS * 512);
	for (u32 i = 0; i < n; i++) {
		u64 len = MIB_LBA;

		parts[i] = (struct img_part){ bulkhead_type, at, at + len - 1, names[i] };
		at += len;
	}
	img_build(fd.data, SECTORS, parts, n);
}

static void apply_patches(const u8 *p, size_t len)
{
	const u64 table = 1 + img_array_sectors(), span = (1 + 2 * table) * 512;

	for (size_t i = 0; i + 3 <= len; i += 3) {
		u64 off = ((u64)p[i] << 8 | p[i + 1]) % span;

		if (off >= (1 + table) * 512)
			off += (SECTORS - 1 - 2 * table) * 512;
		fd.data[off] = p[i + 2];
	}
}

/* The table against itself: inside the disk, apart, named once. */
static void check_table(void)
{
	for (u32 i = 0; i < volume_count(); i++) {
		const struct volume *a = volume_at(i);

		if (!a->disk)
			continue;
		CHECK(a->sectors > 0 && a->first_sector >= 2);
		CHECK(a->first_sector < SECTORS && a->sectors <= SECTORS - 1 - a->first_sector);
		for (u32 j = i + 1; j < volume_count(); j++) {
			const struct volume *b = volume_at(j);

			if (!b->disk)
				continue;
			CHECK(strcmp(a->name, b->name) != 0);
			CHECK(a->first_sector + a->sectors <= b->first_sector ||
			      b->first_sector + b->sectors <= a->first_sector);
		}
	}
}

/* The table lists exactly the disk's Bulkhead volumes, none on the GPT. */
static void check_table_is_disk(void)
{
	u32 listed = 0;

	CHECK(gpt_parse(&mem_disk, &parsed) == 0);
	mark_table();
	for (u32 i = 0; i < volume_count(); i++) {
		const struct volume *v = volume_at(i);
		bool found = false;

		if (!v->disk)
			continue;
		listed++;
		for (u64 s = 0; s < v->sectors; s++)
			CHECK(!table_sector[v->first_sector + s]);
		for (u32 k = 0; k < parsed.nvolumes; k++)
			found |= !strcmp(parsed.volumes[k].name, v->name) &&
				 parsed.volumes[k].first_lba == v->first_sector &&
				 parsed.volumes[k].sectors == v->sectors;
		CHECK(found);
	}
	CHECK(listed == parsed.nvolumes);
}

static bool all_zero(u64 lba, u64 sectors)
{
	static const u8 zero[512];

	for (u64 i = 0; i < sectors; i++) {
		if (memcmp(fd.data + (lba + i) * 512, zero, 512))
			return false;
	}
	return true;
}

/* Sectors outside the GPT and [keep_lba, +keep) are as they were. */
static void check_untouched(u64 keep_lba, u64 keep)
{
	for (u64 lba = 0; lba < SECTORS; lba++) {
		if (table_sector[lba] || (lba >= keep_lba && lba < keep_lba + keep))
			continue;
		CHECK(!memcmp(fd.data + lba * 512, before + lba * 512, 512));
	}
}

static void run_job(void)
{
	for (u32 round = 0; round < 100000 && (pool_edit_busy() || fd.npending); round++) {
		fake.counter += fake.counter_freq / 1000;
		work_run(0);
	}
	CHECK(!pool_edit_busy() && !fd.npending);
}

static void edit(u32 kind, u8 arg)
{
	const char *why = NULL;
	struct volume *victim = NULL;
	u64 keep_lba = 0, keep = 0;
	u32 n = 0;

	for (u32 i = 0; i < volume_count(); i++) {
		struct volume *v = volume_at(i);

		if (v->disk && n++ == arg % 4u)
			victim = v;
	}
	memcpy(before, fd.data, SECTORS * 512);
	last_line[0] = '\0';
	fd.writes = 0;
	if (kind == 1) {
		if (pool_vol_create("fuzz-new", 1 + arg % 2u, &why) != 0)
			return;
	} else {
		if (!victim)
			return;
		keep_lba = victim->first_sector;
		keep = victim->sectors;
		if (pool_vol_delete(victim, &why) != 0)
			return;
	}
	run_job();
	/* the GPT's own sectors stay where they were: edits keep its layout */
	CHECK(gpt_parse(&mem_disk, &parsed) == 0);
	if (!strstr(last_line, ": done:")) {
		if (kind == 2)	/* a failed create may have zeroed part of its extent */
			check_untouched(keep_lba, keep);
		return;
	}
	CHECK(parsed.primary.good && parsed.backup.good);
	check_table_is_disk();
	check_table();
	if (kind == 1) {
		const struct volume *v = volume_find("fuzz-new");

		CHECK(v && all_zero(v->first_sector, v->sectors));
		keep_lba = v->first_sector;
		keep = v->sectors;
	} else {
		CHECK(all_zero(keep_lba, keep));
	}
	check_untouched(keep_lba, keep);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 flags, fail, arg;
	bool refused;

	if (size < 3)
		return 0;
	setup_once();
	flags = data[0];
	fail = data[1];
	arg = data[2];
	build_disk(flags & 3u);
	apply_patches(data + 3, size - 3);

	fake_arch_reset();
	fake.counter = 1000;
	volume_table_reset();
	fd.npending = 0;
	fd.writes = 0;
	fd.failed = false;
	fd.refuse_wz = flags & 0x10;
	fd.newest_first = flags & 0x20;
	fd.fail_write = fail;
	said_repaired = false;
	memcpy(before, fd.data, SECTORS * 512);

	volume_scan_pool();
	CHECK(fd.npending == 0);
	check_table();
	refused = !volume_pool_disk(0);
	if (refused) {
		CHECK(memcmp(before, fd.data, SECTORS * 512) == 0);
		return 0;
	}
	/* accepted, then repaired or not: it parses, whichever write failed */
	CHECK(gpt_parse(&mem_disk, &parsed) == 0);
	if (fd.failed)
		return 0;
	check_table_is_disk();
	if (said_repaired)
		CHECK(parsed.primary.good && parsed.backup.good);
	if (!parsed.primary.good || !parsed.backup.good)
		return 0;
	if ((flags >> 2 & 3u) == 1 || (flags >> 2 & 3u) == 2)
		edit(flags >> 2 & 3u, arg);
	return 0;
}
