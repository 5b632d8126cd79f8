/*
 * The pool's volumes once found (storage/pool_scan.c fills the table at
 * boot; vol-create and vol-delete change it later): who has each attached,
 * and the bounds every request is checked against before it reaches the
 * disk. Slots are filled and emptied, and attachment counts change, under
 * one lock; a volume being deleted refuses attaching.
 */
#include "core/spinlock.h"
#include "lib/string.h"
#include "storage/volume.h"
#include "storage/volume_table.h"

static struct volume volumes[VOLUME_MAX];
static u32 nvolumes;
static struct spinlock attach_lock;
static bool pool_disks[BLK_MAX_DISKS];

struct volume *volume_table_add(void)
{
	if (nvolumes >= VOLUME_MAX)
		return NULL;
	volumes[nvolumes] = (struct volume){ 0 };
	return &volumes[nvolumes++];
}

struct volume *volume_table_insert(const struct volume *v)
{
	struct volume *slot = NULL;

	spin_lock(&attach_lock);
	for (u32 i = 0; i < nvolumes && !slot; i++) {
		if (!volumes[i].disk)
			slot = &volumes[i];
	}
	if (!slot && nvolumes < VOLUME_MAX)
		slot = &volumes[nvolumes++];
	if (slot) {
		*slot = *v;
		slot->attached_vm = 0;
		slot->readers = 0;
		slot->deleting = false;
	}
	spin_unlock(&attach_lock);
	return slot;
}

int volume_claim_for_delete(struct volume *v)
{
	int ret = -1;

	spin_lock(&attach_lock);
	if (v->disk && !v->attached_vm && !v->readers && !v->deleting) {
		v->deleting = true;
		ret = 0;
	}
	spin_unlock(&attach_lock);
	return ret;
}

void volume_unclaim(struct volume *v)
{
	spin_lock(&attach_lock);
	v->deleting = false;
	spin_unlock(&attach_lock);
}

void volume_table_remove(struct volume *v)
{
	spin_lock(&attach_lock);
	if (v->deleting)
		*v = (struct volume){ 0 };
	spin_unlock(&attach_lock);
}

void volume_set_pool_disk(u32 i)
{
	if (i < BLK_MAX_DISKS)
		pool_disks[i] = true;
}

bool volume_pool_disk(u32 i)
{
	return i < BLK_MAX_DISKS && pool_disks[i];
}

void volume_table_reset(void)
{
	nvolumes = 0;
	memset(pool_disks, 0, sizeof(pool_disks));
}

u32 volume_count(void)
{
	return nvolumes;
}

struct volume *volume_at(u32 i)
{
	return i < nvolumes ? &volumes[i] : NULL;
}

struct volume *volume_find(const char *name)
{
	for (u32 i = 0; i < nvolumes; i++) {
		if (volumes[i].disk && strcmp(volumes[i].name, name) == 0)
			return &volumes[i];
	}
	return NULL;
}

int volume_attach(struct volume *v, u32 vm_id, bool read_only, const char **why)
{
	int ret = -1;

	if (!v || vm_id == 0) {
		*why = "is not in the storage pool";
		return -1;
	}
	spin_lock(&attach_lock);
	if (v->deleting || !v->disk) {
		*why = "is being deleted";
	} else if (v->attached_vm && v->attached_vm != vm_id) {
		/* read-only beside a writer would see its data change underneath */
		*why = "is attached read-write to another VM";
	} else if (v->attached_vm == vm_id) {
		*why = "is already attached read-write to this VM";
	} else if (!read_only && v->readers) {
		*why = "is attached read-only";
	} else if (!read_only && v->read_only) {
		*why = "is on a read-only disk";
	} else {
		if (read_only)
			v->readers++;
		else
			v->attached_vm = vm_id;
		ret = 0;
	}
	spin_unlock(&attach_lock);
	return ret;
}

void volume_detach(struct volume *v, u32 vm_id, bool read_only)
{
	if (!v)
		return;
	spin_lock(&attach_lock);
	if (read_only && v->readers)
		v->readers--;
	else if (!read_only && v->attached_vm == vm_id)
		v->attached_vm = 0;
	spin_unlock(&attach_lock);
}

/*
 * On success rq->sector has become the disk's sector (the driver needs it
 * there while the request is in flight); on a refusal it is the volume's
 * sector again, so a BLK_SUBMIT_BUSY request can be submitted as it was.
 */
int volume_submit(struct volume *v, struct blk_request *rq)
{
	u64 rel;
	int ret;

	if (!v || !v->disk || !rq)
		return BLK_SUBMIT_INVALID;
	switch (rq->op) {
	case BLK_FLUSH:
		/* the whole disk's cache: no range to check */
		return blk_submit(v->disk, rq);
	case BLK_WRITE:
		if (v->read_only)
			return BLK_SUBMIT_INVALID;
		break;
	case BLK_READ:
		break;
	default:
		return BLK_SUBMIT_INVALID;
	}
	/* sector + count <= sectors, written so that neither side can wrap */
	rel = rq->sector;
	if (rq->count == 0 || rel >= v->sectors || rq->count > v->sectors - rel)
		return BLK_SUBMIT_INVALID;
	rq->sector = v->first_sector + rel;  /* first + sectors fits: checked at scan */
	ret = blk_submit(v->disk, rq);
	if (ret != 0)
		rq->sector = rel;
	return ret;
}
