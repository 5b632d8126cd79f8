/*
 * The volume table's writer side: the boot scan (storage/pool_scan.c),
 * vol-create and vol-delete (storage/pool_edit.c) and the unit tests.
 * Everyone else reads through volume.h. A slot never moves (VMs hold
 * pointers to their volumes); a deleted volume's slot is emptied and reused.
 */
#ifndef BULKHEAD_STORAGE_VOLUME_TABLE_H
#define BULKHEAD_STORAGE_VOLUME_TABLE_H

#include "storage/volume.h"

/* Volumes over all pool disks; more are reported and skipped. */
#define VOLUME_MAX 128

/* A zeroed slot at the end of the table, or NULL when it is full (the boot
 * scan, which lists the disk's volumes from the slots it was given). */
struct volume *volume_table_add(void);
/* Lists a copy of `v` in an empty slot (or a new one): the volume is
 * visible from then on. NULL when the table is full. */
struct volume *volume_table_insert(const struct volume *v);
/* Claims `v` for deletion: -1 (and nothing changed) when a VM uses it or
 * another deletion has it. A claimed volume refuses attaching. */
int volume_claim_for_delete(struct volume *v);
/* Gives up the claim (the deletion failed). */
void volume_unclaim(struct volume *v);
/* Empties a claimed volume's slot: it is gone from the table. */
void volume_table_remove(struct volume *v);
/* Marks blk_disk(i) as a pool disk (the boot scan). */
void volume_set_pool_disk(u32 i);
/* Empties the table (unit tests). */
void volume_table_reset(void);

#endif
