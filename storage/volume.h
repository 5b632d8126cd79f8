/*
 * The storage pool's volumes: the GPT partitions of Bulkhead's volume type
 * on the machine's own disks (storage/gpt.h), found at boot, each named by
 * its partition name. A VM's virtio-blk device reads and writes its volume
 * through volume_submit(), in the volume's own sectors; the pool turns that
 * into a request on the disk, within the volume's bounds.
 */
#ifndef BULKHEAD_STORAGE_VOLUME_H
#define BULKHEAD_STORAGE_VOLUME_H

#include "types.h"
#include "drivers/blk.h"

#define VOLUME_NAME_MAX 37
#define VOLUME_SECTOR_SIZE 512

struct volume {
	char name[VOLUME_NAME_MAX];
	struct blk_disk *disk;
	u64 first_sector;          /* on the disk, in VOLUME_SECTOR_SIZE units */
	u64 sectors;
	bool read_only;            /* the disk refuses writes */
	u32 attached_vm;           /* the VM id using it read-write, 0 when none */
	u32 readers;               /* VMs using it read-only */
	bool deleting;             /* vol-delete has it: nobody may attach */
};

/* Reads every disk's GPT (boot, after blk_probe_all) and lists their volumes;
 * says on the console what it found, repaired or refused. */
void volume_scan_pool(void);
/* Table slots: volume_at() is NULL past the end and a slot whose volume was
 * deleted has no disk (skip it). */
u32 volume_count(void);
struct volume *volume_at(u32 i);
struct volume *volume_find(const char *name);
/* Whether blk_disk(i) held a GPT Bulkhead accepted at boot (a pool disk:
 * only those are ever changed by vol-create). */
bool volume_pool_disk(u32 i);

/* Attach for VM `vm_id`: read-write is exclusive, and excludes read-only
 * users too (they would see the data change underneath); 0, or -1 with `why`
 * ("is attached read-write to another VM": it reads after "volume 'NAME' "). */
int volume_attach(struct volume *v, u32 vm_id, bool read_only, const char **why);
void volume_detach(struct volume *v, u32 vm_id, bool read_only);

/*
 * A request in the volume's sectors (rq->sector relative to its start,
 * rq->count sectors of VOLUME_SECTOR_SIZE, rq->buf in Bulkhead's memory).
 * Refused (BLK_SUBMIT_INVALID, never completed) when it reaches past the
 * volume's end or writes a read-only volume; otherwise as blk_submit(): the
 * completion comes later from deferred work. A flush flushes the disk.
 * On success rq->sector has become the disk's sector (keep your own copy);
 * on a refusal it is unchanged, so a BLK_SUBMIT_BUSY request is resubmitted
 * as it is. Writes are refused only for a read-only *disk*: a VM attached
 * read-only (access=ro) must refuse its guest's writes itself.
 */
int volume_submit(struct volume *v, struct blk_request *rq);

#endif
