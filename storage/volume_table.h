/*
 * The volume table's writer side: only the boot scan (storage/pool_scan.c)
 * and the unit tests add volumes. Everyone else reads through volume.h.
 */
#ifndef BULKHEAD_STORAGE_VOLUME_TABLE_H
#define BULKHEAD_STORAGE_VOLUME_TABLE_H

#include "storage/volume.h"

/* Volumes over all pool disks; more are reported and skipped. */
#define VOLUME_MAX 128

/* A zeroed slot at the end of the table, or NULL when it is full. */
struct volume *volume_table_add(void);
/* Empties the table (unit tests). */
void volume_table_reset(void);

#endif
