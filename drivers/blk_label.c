/*
 * The first user of the block interface, until the storage pool takes the
 * disks over: one read of LBA 1 of each disk at boot, logging whether it
 * holds a GPT header. It shows the whole path works (request, device,
 * interrupt, deferred completion) and what each disk holds.
 */
#include "core/log.h"
#include "core/page_alloc.h"
#include "drivers/blk.h"
#include "lib/string.h"

#define GPT_SIGNATURE "EFI PART"

static struct blk_request label_rq[BLK_MAX_DISKS];

static void label_read_done(struct blk_request *rq, enum blk_status status)
{
	const struct blk_disk *d = rq->ctx;

	if (status != BLK_OK)
		hv_warn("disk %s: reading LBA 1 failed (%s)", d->name,
			status == BLK_UNSUPP ? "unsupported" : "I/O error");
	else if (memcmp(pa_to_ptr(rq->buf), GPT_SIGNATURE, 8) == 0)
		hv_info("disk %s: GPT header at LBA 1", d->name);
	else
		hv_info("disk %s: no GPT header at LBA 1", d->name);
	page_free(&hv_pages, rq->buf, 1);
}

void blk_check_labels(void)
{
	for (u32 i = 0; i < blk_disk_count(); i++) {
		struct blk_disk *d = blk_disk(i);
		struct blk_request *rq = &label_rq[i];

		if (d->geo.sectors < 2 || d->geo.sector_size > PAGE_SIZE)
			continue;
		*rq = (struct blk_request){ .op = BLK_READ, .sector = 1, .count = 1,
					    .buf = page_alloc_zeroed(), .done = label_read_done,
					    .ctx = d };
		if (!pa_addr(rq->buf))
			return;
		if (blk_submit(d, rq) != 0) {
			hv_warn("disk %s: cannot read LBA 1", d->name);
			page_free(&hv_pages, rq->buf, 1);
		}
	}
}
