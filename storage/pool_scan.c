/*
 * Finding the pool's volumes at boot: each disk's GPT is read through the
 * asynchronous block driver and checked by storage/gpt.c, and its Bulkhead
 * volumes go into the volume table (storage/volume.c).
 *
 * Why a wait at boot: VMs are created right after this, before any run
 * loop, and a VM's config names its volumes, so the table must be complete
 * first. Each read is submitted, then CPU 0 sleeps (WFI, woken by the disk's
 * interrupt or by its own timer every millisecond) and runs its deferred
 * work, where the driver completes requests, until the request is done. A
 * disk that has not answered within POOL_IO_TIMEOUT_MS is reported as not
 * answering and is skipped: its request and bounce page are never reused
 * (the device may still write them), nothing else on it is tried.
 *
 * The disk is untrusted: gpt.c checks everything; here each volume's range
 * is checked once more against the disk's size before it is listed.
 */
#include "arch.h"
#include "core/log.h"
#include "core/page_alloc.h"
#include "core/workqueue.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "storage/gpt.h"
#include "storage/pool_vms.h"
#include "storage/volume.h"
#include "storage/volume_table.h"

#define POOL_IO_TIMEOUT_MS 2000

struct pool_io {
	struct blk_disk *disk;
	struct blk_request rq;
	paddr_t bounce;          /* one page: a sector fits (sector_size <= 4096) */
	volatile bool done;
	enum blk_status status;
	bool stuck;              /* timed out: the driver may still own rq and bounce */
};

/* One per disk: a stuck request keeps its slot for ever. */
static struct pool_io ios[BLK_MAX_DISKS];
/* About 15 KiB: one, used by one disk at a time, never on a stack. */
static struct gpt_info info;

static void io_done(struct blk_request *rq, enum blk_status status)
{
	struct pool_io *io = rq->ctx;

	io->status = status;
	__atomic_store_n(&io->done, true, __ATOMIC_RELEASE);
}

/* Submits and waits (see the top of the file); 0 when it completed BLK_OK. */
static int io_wait(struct pool_io *io, enum blk_op op, u64 lba, u32 count)
{
	u64 freq = arch_counter_freq(), tick = freq / 1000 ? freq / 1000 : 1;
	u64 deadline = arch_counter_read() + tick * POOL_IO_TIMEOUT_MS;

	if (io->stuck)
		return -1;
	io->rq = (struct blk_request){ .op = op, .sector = lba, .count = count,
				       .buf = io->bounce, .done = io_done, .ctx = io };
	io->done = false;
	if (blk_submit(io->disk, &io->rq) != 0)
		return -1;
	for (;;) {
		u64 now;

		work_run(0);
		if (__atomic_load_n(&io->done, __ATOMIC_ACQUIRE))
			break;
		now = arch_counter_read();
		if (now >= deadline) {
			io->stuck = true;
			arch_set_timer(0);
			hv_warn("pool disk %s: not answering (no completion in %u ms); skipped",
				io->disk->name, POOL_IO_TIMEOUT_MS);
			return -1;
		}
		arch_set_timer(now + tick < deadline ? now + tick : deadline);
		arch_idle();
	}
	arch_set_timer(0);
	return io->status == BLK_OK ? 0 : -1;
}

static int pool_read(void *ctx, u64 lba, void *buf, u32 count)
{
	struct pool_io *io = ctx;
	u32 ss = io->disk->geo.sector_size;

	if (count != 1 || io_wait(io, BLK_READ, lba, 1))
		return -1;
	memcpy(buf, pa_to_ptr(io->bounce), ss);
	return 0;
}

/* The repair's writes: each flushed before the next, so the header never
 * reaches the disk before the entry array it describes. */
static int pool_write(void *ctx, u64 lba, const void *buf, u32 count)
{
	struct pool_io *io = ctx;
	u32 ss = io->disk->geo.sector_size;

	if (count != 1)
		return -1;
	memcpy(pa_to_ptr(io->bounce), buf, ss);
	if (io_wait(io, BLK_WRITE, lba, 1))
		return -1;
	if (io->disk->geo.flush && io_wait(io, BLK_FLUSH, 0, 0))
		return -1;
	return 0;
}

static bool name_taken(const char *name)
{
	return volume_find(name) != NULL;
}

/* Lists the volumes gpt.c found; the console line names them with sizes. */
static void add_volumes(struct blk_disk *d)
{
	char line[200];
	size_t used;
	u32 added = 0;

	used = (size_t)fmt_snprintf(line, sizeof(line), "pool disk %s: ", d->name);
	for (u32 i = 0; i < info.nvolumes && i < GPT_MAX_ENTRIES; i++) {
		const struct gpt_volume *g = &info.volumes[i];
		struct volume *v;

		if (g->sectors == 0 || g->first_lba >= d->geo.sectors ||
		    g->sectors > d->geo.sectors - g->first_lba) {
			hv_warn("pool disk %s: volume '%s' lies outside the disk; skipped",
				d->name, g->name);
			continue;
		}
		if (name_taken(g->name)) {
			hv_warn("pool disk %s: volume '%s' is also on another disk; skipped",
				d->name, g->name);
			continue;
		}
		v = volume_table_add();
		if (!v) {
			hv_warn("pool disk %s: more than %u volumes in the pool; '%s' and the "
				"rest skipped", d->name, VOLUME_MAX, g->name);
			break;
		}
		memcpy(v->name, g->name, sizeof(g->name) < sizeof(v->name) ?
		       sizeof(g->name) : sizeof(v->name));
		v->name[sizeof(v->name) - 1] = '\0';
		v->disk = d;
		v->first_sector = g->first_lba;
		v->sectors = g->sectors;
		v->read_only = d->geo.read_only;
		added++;
	}
	if (!added) {
		hv_info("pool disk %s: no Bulkhead volumes", d->name);
		return;
	}
	used += (size_t)fmt_snprintf(line + used, sizeof(line) - used, "%u volume%s: ", added,
				     added == 1 ? "" : "s");
	for (u32 i = volume_count() - added; i < volume_count() && used < sizeof(line); i++) {
		const struct volume *v = volume_at(i);

		used += (size_t)fmt_snprintf(line + used, sizeof(line) - used, "%s%s (%llu MiB)",
					     i == volume_count() - added ? "" : ", ", v->name,
					     (unsigned long long)(v->sectors * VOLUME_SECTOR_SIZE / MiB));
	}
	if (used >= sizeof(line) - 1)
		memcpy(line + sizeof(line) - 5, "...", 4);
	hv_info("%s", line);
}

static void repair(struct blk_disk *d, const struct gpt_disk *gd)
{
	/* a static string of gpt.c's, kept: a successful repair marks the copy good */
	const char *why = info.primary.why ? info.primary.why : "unknown";

	if (d->geo.read_only) {
		hv_warn("pool disk %s: primary GPT bad (%s); the disk is read-only, not repaired",
			d->name, why);
		return;
	}
	if (gpt_repair_primary(gd, &info) == 0)
		hv_warn("pool disk %s: primary GPT bad (%s); rewritten from the backup", d->name, why);
	else
		hv_warn("pool disk %s: primary GPT bad (%s); repairing it from the backup failed",
			d->name, why);
}

static void scan_disk(struct blk_disk *d, struct pool_io *io)
{
	struct gpt_disk gd = { .read = pool_read, .write = pool_write, .ctx = io,
			       .sectors = d->geo.sectors, .sector_size = d->geo.sector_size };

	if (d->geo.sector_size != VOLUME_SECTOR_SIZE) {
		hv_warn("pool disk %s: %u-byte sectors are not supported yet; skipped", d->name,
			d->geo.sector_size);
		return;
	}
	io->disk = d;
	io->bounce = page_alloc_zeroed();
	if (!pa_addr(io->bounce)) {
		hv_err("pool disk %s: no memory for its buffer; skipped", d->name);
		return;
	}
	if (gpt_parse(&gd, &info) != 0) {
		if (!io->stuck && gpt_no_table(&info))
			hv_info("pool disk %s: no GPT (not a pool disk)", d->name);
		else if (!io->stuck)
			hv_warn("pool disk %s: refused: %s; not written", d->name, info.why);
	} else {
		volume_set_pool_disk((u32)(io - ios));
		if (!info.primary.good)
			repair(d, &gd);
		if (!io->stuck)
			add_volumes(d);
		if (!io->stuck)
			pool_vms_scan_disk(d, &gd, &info);
	}
	if (!io->stuck) {
		memset(pa_to_ptr(io->bounce), 0, PAGE_SIZE);
		page_free(&hv_pages, io->bounce, 1);
	}
}

void volume_scan_pool(void)
{
	for (u32 i = 0; i < blk_disk_count() && i < BLK_MAX_DISKS; i++) {
		struct blk_disk *d = blk_disk(i);

		if (d)
			scan_disk(d, &ios[i]);
	}
}
