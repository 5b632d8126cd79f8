/*
 * The registry of the machine's disks and the checks every request passes
 * before a driver sees it.
 */
#include "drivers/blk.h"
#include "drivers/virtio_blk.h"
#include "lib/string.h"

static struct blk_disk *disks[BLK_MAX_DISKS];
static u32 ndisks;

int blk_register(struct blk_disk *disk, const char *prefix)
{
	size_t len = strlen(prefix);
	u32 same = 0;

	if (ndisks == BLK_MAX_DISKS || len + 2 > BLK_NAME_MAX)
		return -1;
	for (u32 i = 0; i < ndisks; i++)
		same += strncmp(disks[i]->name, prefix, len) == 0 && strlen(disks[i]->name) == len + 1;
	if (same >= 26)
		return -1;
	memcpy(disk->name, prefix, len);
	disk->name[len] = (char)('a' + same);
	disk->name[len + 1] = '\0';
	disks[ndisks++] = disk;
	return 0;
}

u32 blk_disk_count(void)
{
	return ndisks;
}

struct blk_disk *blk_disk(u32 i)
{
	return i < ndisks ? disks[i] : NULL;
}

static bool request_ok(const struct blk_disk *disk, const struct blk_request *rq)
{
	const struct blk_geometry *g = &disk->geo;

	if (!rq->done)
		return false;
	if (rq->op == BLK_FLUSH)
		return g->flush;
	if (rq->op == BLK_WRITE_ZEROES)
		return !g->read_only && rq->count && rq->count <= g->max_write_zeroes &&
		       rq->sector < g->sectors && rq->count <= g->sectors - rq->sector;
	if (rq->op != BLK_READ && rq->op != BLK_WRITE)
		return false;
	if (rq->op == BLK_WRITE && g->read_only)
		return false;
	/* one transfer's length must fit the 32 bits descriptors carry */
	if (!rq->count || rq->count > 0xffffffffu / g->sector_size || !pa_addr(rq->buf))
		return false;
	return rq->sector < g->sectors && rq->count <= g->sectors - rq->sector;
}

int blk_submit(struct blk_disk *disk, struct blk_request *rq)
{
	if (!request_ok(disk, rq))
		return BLK_SUBMIT_INVALID;
	return disk->ops->submit(disk, rq);
}

void blk_probe_all(void)
{
	virtio_blk_probe_all();
}
