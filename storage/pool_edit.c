/*
 * The vol-create / vol-delete job (see pool_edit.h).
 *
 * A job is a sequence of steps run from one work item on CPU 0. Each step
 * submits requests and returns; a completion (the driver's deferred work,
 * also CPU 0) queues the work item again. So no step waits, and nothing
 * runs on another CPU: the job, the shell and VM creation are serialised by
 * CPU 0's queue.
 *
 *   LOAD   the disk's GPT is parsed by gpt.c from a cache of sectors read
 *          asynchronously: a parse that asks for a sector not cached fails,
 *          the run holding it is read, and the parse starts again.
 *   ZERO   the extent, up to ZERO_INFLIGHT requests in flight.
 *   PLAN   gpt_edit.c runs against the cache and a recorder of its writes
 *          and flushes; the recorded plan (a flush of the zeros first) is
 *          then replayed one request at a time, in order.
 *
 * Buffers are static: a request the disk never answers leaves the job
 * busy for ever rather than let its buffers be reused.
 */
#include "arch.h"
#include "core/log.h"
#include "core/workqueue.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "storage/gpt.h"
#include "storage/gpt_edit.h"
#include "storage/pool_edit.h"
#include "storage/volume.h"
#include "storage/volume_table.h"

#define say(...) log_msg(LOG_ALWAYS, __VA_ARGS__)

#define SECTOR 512u
#define CACHE_SLOTS 16
#define CACHE_RUN (PAGE_SIZE / SECTOR)     /* sectors one slot holds */
#define ZERO_INFLIGHT 8
#define ZERO_SECTORS (64 * KiB / SECTOR)    /* one write of the zero buffer */
#define WZ_SECTORS (64 * MiB / SECTOR)      /* at most, one write-zeroes request */
#define PLAN_OPS 12
#define PLAN_BYTES (2 * (GPT_MAX_ARRAY + 2 * GPT_MAX_SECTOR))

enum job_kind { JOB_CREATE, JOB_DELETE };
enum job_step { STEP_LOAD, STEP_ZERO, STEP_PLAN };

struct cache_slot {
	u64 lba;
	u32 count;
};

struct plan_op {
	enum blk_op op;
	u64 lba;
	u32 count;
	u32 offset;        /* into plan_data */
};

struct job {
	bool busy;
	enum job_kind kind;
	enum job_step step;
	const char *cmd;           /* "vol-create" or "vol-delete" */
	char name[VOLUME_NAME_MAX];
	u64 sectors;
	struct volume *vol;        /* delete: the claimed volume */
	u32 disk_i;
	struct blk_disk *disk;
	u64 first;                 /* the extent */
	u32 index;                 /* delete: its GPT entry */
	u64 largest;               /* create: the largest free extent seen */
	const char *largest_on;
	/* I/O */
	struct blk_request rq[ZERO_INFLIGHT];
	bool rq_busy[ZERO_INFLIGHT];
	u32 inflight;
	bool failed;
	const char *why;
	u64 zero_next;
	bool no_write_zeroes;      /* the device refused one: zero buffers from the start */
	bool wz_refused;
	/* the GPT cache */
	bool miss;
	u64 miss_lba;
	u32 nslots;
	struct cache_slot slots[CACHE_SLOTS];
	/* the plan */
	u32 nops, op_next, plan_used;
	bool plan_full;
	struct plan_op ops[PLAN_OPS];
	struct work work;
};

static struct job job;
static struct gpt_info info;
static struct gpt_edit edit;
static u8 cache_data[CACHE_SLOTS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 plan_data[PLAN_BYTES] __attribute__((aligned(PAGE_SIZE)));
/* Only ever read by the device: never written, so it stays zero. */
static u8 zeros[ZERO_SECTORS * SECTOR] __attribute__((aligned(PAGE_SIZE)));

bool pool_edit_busy(void)
{
	return __atomic_load_n(&job.busy, __ATOMIC_ACQUIRE);
}

/* --- the sector cache and the recorder, as a gpt_disk ------------------- */

static u8 *cached(u64 lba)
{
	for (u32 i = 0; i < job.nslots; i++) {
		const struct cache_slot *s = &job.slots[i];

		if (lba >= s->lba && lba - s->lba < s->count)
			return cache_data[i] + (lba - s->lba) * SECTOR;
	}
	return NULL;
}

static int cache_read(void *ctx, u64 lba, void *buf, u32 count)
{
	(void)ctx;
	for (u32 i = 0; i < count; i++) {
		const u8 *s = cached(lba + i);

		if (!s) {
			if (!job.miss) {
				job.miss = true;
				job.miss_lba = lba + i;
			}
			return -1;
		}
		memcpy((u8 *)buf + (u64)i * SECTOR, s, SECTOR);
	}
	return 0;
}

static void plan_add(enum blk_op op, u64 lba, u32 count, u32 offset)
{
	if (job.nops == PLAN_OPS) {
		job.plan_full = true;
		return;
	}
	job.ops[job.nops++] = (struct plan_op){ op, lba, count, offset };
}

/* A write is recorded for the plan, and made in the cache so that what the
 * editor reads back is what the disk will hold. */
static int record_write(void *ctx, u64 lba, const void *buf, u32 count)
{
	u64 bytes = (u64)count * SECTOR;

	(void)ctx;
	if (!count || bytes > PLAN_BYTES - job.plan_used || job.nops == PLAN_OPS)
		return -1;
	memcpy(plan_data + job.plan_used, buf, bytes);
	plan_add(BLK_WRITE, lba, count, job.plan_used);
	job.plan_used += (u32)bytes;
	for (u32 i = 0; i < count; i++) {
		u8 *s = cached(lba + i);

		if (s)
			memcpy(s, (const u8 *)buf + (u64)i * SECTOR, SECTOR);
	}
	return 0;
}

static int record_flush(void *ctx)
{
	(void)ctx;
	if (job.disk->geo.flush)
		plan_add(BLK_FLUSH, 0, 0, 0);
	return job.plan_full ? -1 : 0;
}

static struct gpt_disk job_gpt_disk(void)
{
	return (struct gpt_disk){ .read = cache_read, .write = record_write, .flush = record_flush,
				  .ctx = &job, .sectors = job.disk->geo.sectors,
				  .sector_size = SECTOR };
}

/* --- requests ------------------------------------------------------------ */

static void io_done(struct blk_request *rq, enum blk_status status)
{
	u32 i = (u32)(rq - job.rq);

	job.rq_busy[i] = false;
	job.inflight--;
	if (status == BLK_UNSUPP && rq->op == BLK_WRITE_ZEROES) {
		job.wz_refused = true;
	} else if (status != BLK_OK && !job.failed) {
		job.failed = true;
		job.why = rq->op == BLK_READ ? "a read failed" : rq->op == BLK_FLUSH ?
			  "a flush failed" : "a write failed";
	}
	work_queue(&job.work, 0);
}

/* 0 when queued; 1 when the disk is busy (try again later); -1 refused. */
static int submit(enum blk_op op, u64 lba, u32 count, paddr_t buf)
{
	u32 i = 0;
	int ret;

	while (i < ZERO_INFLIGHT && job.rq_busy[i])
		i++;
	if (i == ZERO_INFLIGHT)
		return 1;
	job.rq[i] = (struct blk_request){ .op = op, .sector = lba, .count = count, .buf = buf,
					  .done = io_done, .ctx = &job };
	job.rq_busy[i] = true;
	job.inflight++;
	ret = blk_submit(job.disk, &job.rq[i]);
	if (ret == 0)
		return 0;
	job.rq_busy[i] = false;
	job.inflight--;
	if (ret == BLK_SUBMIT_BUSY)
		return 1;
	if (!job.failed) {
		job.failed = true;
		job.why = "the disk refused a request";
	}
	return -1;
}

/* The disk is busy with nothing of ours in flight: look again in 1 ms. */
static void retry_later(u64 now)
{
	if (!job.inflight)
		work_queue(&job.work, now + arch_counter_freq() / 1000);
}

/* --- the end of a job ---------------------------------------------------- */

static void finish(void)
{
	job.step = STEP_LOAD;
	__atomic_store_n(&job.busy, false, __ATOMIC_RELEASE);
}

static void fail(const char *why)
{
	say("%s %s: failed: %s%s%s", job.cmd, job.name, job.disk ? job.disk->name : "",
	    job.disk ? ": " : "", why);
	if (job.kind == JOB_DELETE)
		volume_unclaim(job.vol);
	finish();
}

static void succeed(void)
{
	u64 mib = job.sectors * SECTOR / MiB;

	if (job.kind == JOB_DELETE) {
		volume_table_remove(job.vol);
		say("vol-delete %s: done: %llu MiB zeroed and removed from %s", job.name,
		    (unsigned long long)mib, job.disk->name);
	} else {
		struct volume v = { .disk = job.disk, .first_sector = job.first,
				    .sectors = job.sectors };

		memcpy(v.name, job.name, sizeof(v.name));
		if (volume_table_insert(&v))
			say("vol-create %s: done: %llu MiB on %s at %llu MiB", job.name,
			    (unsigned long long)mib, job.disk->name,
			    (unsigned long long)(job.first * SECTOR / MiB));
		else
			say("vol-create %s: made on %s, but the volume table is full: it is "
			    "listed after a reboot", job.name, job.disk->name);
	}
	finish();
}

/* --- LOAD ---------------------------------------------------------------- */

static bool candidate(u32 i)
{
	struct blk_disk *d = blk_disk(i);

	return d && volume_pool_disk(i) && !d->geo.read_only && d->geo.sector_size == SECTOR;
}

static void use_disk(u32 i)
{
	job.disk_i = i;
	job.disk = blk_disk(i);
	job.nslots = 0;
	job.step = STEP_LOAD;
}

/* Reads the run of sectors from the missed one into the next cache slot. */
static void load_miss(u64 now)
{
	struct cache_slot *s = &job.slots[job.nslots];
	u64 left = job.disk->geo.sectors - job.miss_lba;
	int ret;

	if (job.nslots == CACHE_SLOTS) {
		fail("its GPT is spread over too many places");
		return;
	}
	s->lba = job.miss_lba;
	s->count = left < CACHE_RUN ? (u32)left : CACHE_RUN;
	ret = submit(BLK_READ, s->lba, s->count, ptr_to_pa(cache_data[job.nslots]));
	if (ret == 0)
		job.nslots++;
	else if (ret > 0)
		retry_later(now);
	else
		fail(job.why);
}

static void start_zero(void)
{
	job.step = STEP_ZERO;
	job.zero_next = job.first;
	work_queue(&job.work, 0);
}

/* Create: this disk has room, or the next one is tried. */
static void create_decide(int parsed, const char *why)
{
	struct gpt_disk gd = job_gpt_disk();
	u64 largest = 0;

	/* one name twice in a table makes the disk refused at the next boot */
	for (u32 i = 0; parsed == 0 && i < info.nvm_defs && i < GPT_MAX_VM_DEFS; i++) {
		if (!strcmp(info.vm_defs[i].name, job.name)) {
			fail("a VM defined on the pool has that name");
			return;
		}
	}
	if (parsed == 0 &&
	    gpt_edit_find_space(&gd, &info, &edit, job.sectors, &job.first, &largest) == 0) {
		start_zero();
		return;
	}
	if (parsed != 0)
		say("vol-create %s: %s skipped: %s", job.name, job.disk->name, why);
	if (parsed == 0 && (largest > job.largest || !job.largest_on)) {
		job.largest = largest;
		job.largest_on = job.disk->name;
	}
	for (u32 i = job.disk_i + 1; i < blk_disk_count(); i++) {
		if (candidate(i)) {
			use_disk(i);
			work_queue(&job.work, 0);
			return;
		}
	}
	job.disk = NULL;
	if (!job.largest_on) {
		fail("no pool disk can take it");
		return;
	}
	say("vol-create %s: failed: no room for %llu MiB: the largest free extent is %llu MiB "
	    "(on %s)", job.name, (unsigned long long)(job.sectors * SECTOR / MiB),
	    (unsigned long long)(job.largest * SECTOR / MiB), job.largest_on);
	finish();
}

/* Delete: the volume's entry, as listed, in the GPT read now. */
static void delete_decide(int parsed, const char *why)
{
	if (parsed != 0) {
		fail(why);
		return;
	}
	for (u32 i = 0; i < info.nvolumes && i < GPT_MAX_ENTRIES; i++) {
		const struct gpt_volume *g = &info.volumes[i];

		if (!strcmp(g->name, job.name) && g->first_lba == job.vol->first_sector &&
		    g->sectors == job.vol->sectors) {
			job.index = g->index;
			job.first = g->first_lba;
			job.sectors = g->sectors;
			start_zero();
			return;
		}
	}
	fail("its GPT no longer lists the volume where it was");
}

static void step_load(u64 now)
{
	struct gpt_disk gd = job_gpt_disk();
	const char *why = NULL;
	int parsed;

	if (job.failed) {
		fail(job.why);
		return;
	}
	job.miss = false;
	parsed = gpt_parse(&gd, &info);
	if (parsed == 0)
		parsed = gpt_edit_load(&gd, &info, &edit, &why);
	else
		why = info.why;
	if (job.miss) {
		load_miss(now);
		return;
	}
	if (job.kind == JOB_CREATE)
		create_decide(parsed, why);
	else
		delete_decide(parsed, why);
}

/* --- ZERO ---------------------------------------------------------------- */

static void build_plan(void)
{
	struct gpt_disk gd = job_gpt_disk();
	const char *why = "";
	int ret;

	job.nops = job.op_next = job.plan_used = 0;
	job.plan_full = false;
	/* the zeros are stable before the table changes */
	record_flush(&job);
	if (job.kind == JOB_CREATE)
		ret = gpt_edit_add(&gd, &info, &edit, job.name, job.first, job.sectors,
				   arch_counter_read() ^ job.first << 20 ^ job.sectors, &why);
	else
		ret = gpt_edit_remove(&gd, &info, &edit, job.index, &why);
	if (ret != 0 || job.plan_full) {
		fail(ret != 0 ? why : "the GPT change does not fit its plan");
		return;
	}
	job.step = STEP_PLAN;
	work_queue(&job.work, 0);
}

static void step_zero(u64 now)
{
	u64 end = job.first + job.sectors;

	if (job.wz_refused && !job.inflight && !job.no_write_zeroes) {
		/* the device offered write-zeroes and refused it: start over */
		job.no_write_zeroes = true;
		job.wz_refused = false;
		job.zero_next = job.first;
	}
	while (!job.failed && !job.wz_refused && job.zero_next < end) {
		u64 left = end - job.zero_next;
		u32 wz = job.no_write_zeroes ? 0 : job.disk->geo.max_write_zeroes;
		u32 max = wz ? (wz < WZ_SECTORS ? wz : WZ_SECTORS) : ZERO_SECTORS;
		u32 count = left < max ? (u32)left : max;
		int ret = submit(wz ? BLK_WRITE_ZEROES : BLK_WRITE, job.zero_next, count,
				 wz ? pa_init(0) : ptr_to_pa(zeros));

		if (ret > 0) {
			retry_later(now);
			break;
		}
		if (ret < 0)
			break;
		job.zero_next += count;
	}
	if (job.inflight)
		return;
	if (job.failed)
		fail(job.why);
	else if (job.zero_next == end && !job.wz_refused)
		build_plan();
}

/* --- PLAN ---------------------------------------------------------------- */

static void step_plan(u64 now)
{
	const struct plan_op *op;
	int ret;

	if (job.inflight)
		return;
	if (job.failed) {
		fail("writing its GPT failed (at least one copy is still good; see bulkhead pool "
		     "check)");
		return;
	}
	if (job.op_next == job.nops) {
		succeed();
		return;
	}
	op = &job.ops[job.op_next];
	ret = submit(op->op, op->lba, op->count,
		     op->op == BLK_WRITE ? ptr_to_pa(plan_data + op->offset) : pa_init(0));
	if (ret == 0)
		job.op_next++;
	else if (ret > 0)
		retry_later(now);
	else
		fail(job.why);
}

static void job_run(struct work *w, u64 now)
{
	(void)w;
	if (!pool_edit_busy())
		return;
	switch (job.step) {
	case STEP_LOAD:
		if (!job.inflight)
			step_load(now);
		break;
	case STEP_ZERO:
		step_zero(now);
		break;
	case STEP_PLAN:
		step_plan(now);
		break;
	}
}

/* --- starting ------------------------------------------------------------ */

static bool claim_job(enum job_kind kind, const char *name, const char **why)
{
	if (__atomic_exchange_n(&job.busy, true, __ATOMIC_ACQ_REL)) {
		*why = "busy: another vol-create or vol-delete is running (try again when it "
		       "has said it is done)";
		return false;
	}
	memset(&job.rq_busy, 0, sizeof(job.rq_busy));
	job.kind = kind;
	job.cmd = kind == JOB_CREATE ? "vol-create" : "vol-delete";
	memset(job.name, 0, sizeof(job.name));
	memcpy(job.name, name, strlen(name) < sizeof(job.name) ? strlen(name) : sizeof(job.name) - 1);
	job.inflight = 0;
	job.failed = job.wz_refused = job.no_write_zeroes = false;
	job.why = NULL;
	job.largest = 0;
	job.largest_on = NULL;
	job.vol = NULL;
	job.disk = NULL;
	work_init(&job.work, job_run, 0);
	return true;
}

int pool_vol_create(const char *name, u64 mib, const char **why)
{
	u32 first = blk_disk_count(), pool = 0;

	if (!gpt_name_ok(name)) {
		*why = "bad name (1-36 printable ASCII characters, no spaces)";
		return -1;
	}
	if (volume_find(name)) {
		*why = "a volume of that name exists (see vol-list)";
		return -1;
	}
	if (mib == 0 || mib > (~0ull / MiB)) {
		*why = "bad size";
		return -1;
	}
	for (u32 i = 0; i < blk_disk_count(); i++) {
		pool += volume_pool_disk(i);
		if (first == blk_disk_count() && candidate(i))
			first = i;
	}
	if (first == blk_disk_count()) {
		*why = pool ? "every pool disk is read-only" : "no pool disk (a disk with a GPT)";
		return -1;
	}
	if (!claim_job(JOB_CREATE, name, why))
		return -1;
	job.sectors = mib * (MiB / SECTOR);
	use_disk(first);
	work_queue(&job.work, 0);
	return 0;
}

int pool_vol_delete(struct volume *v, const char **why)
{
	if (!v || !v->disk) {
		*why = "no such volume";
		return -1;
	}
	if (v->read_only) {
		*why = "it is on a read-only disk";
		return -1;
	}
	if (!claim_job(JOB_DELETE, v->name, why))
		return -1;
	if (volume_claim_for_delete(v) != 0) {
		*why = "it is attached to a VM";
		finish();
		return -1;
	}
	job.vol = v;
	job.sectors = v->sectors;
	for (u32 i = 0; i < blk_disk_count(); i++) {
		if (blk_disk(i) == v->disk)
			use_disk(i);
	}
	work_queue(&job.work, 0);
	return 0;
}
