/*
 * vol-create and vol-delete: changing the pool while VMs run.
 *
 * Each is a job run from CPU 0's deferred work, a few requests at a time,
 * driven by the disk's completions, so the shell, the console and the VMs
 * keep running while a volume's space is zeroed. One job at a time: a
 * second is refused as busy. The outcome is one line on the console.
 *
 * Create: the first pool disk (writable, both GPT copies good) with a free
 * 1 MiB-aligned extent big enough; the extent is zeroed (the disk's
 * write-zeroes when it offers it, else writes of a zero buffer) and
 * flushed, then the GPT entry is added (storage/gpt_edit.h: backup copy,
 * then primary, each flushed), then the volume is listed.
 * Delete: the volume is claimed (no VM may attach it meanwhile), its space
 * zeroed and flushed, then its entry removed the same way, then it is
 * unlisted. A delete cut short leaves the volume listed (partly zeroed).
 */
#ifndef BULKHEAD_STORAGE_POOL_EDIT_H
#define BULKHEAD_STORAGE_POOL_EDIT_H

#include "types.h"
#include "storage/volume.h"

/* Starts making volume `name` of `mib` MiB: 0 (the result is said later),
 * or -1 with why ("busy: ...", "a volume named ... exists", ...). */
int pool_vol_create(const char *name, u64 mib, const char **why);
/* Starts deleting `v`: 0, or -1 with why (busy, in use, read-only disk). */
int pool_vol_delete(struct volume *v, const char **why);
/* True while a create or delete runs. */
bool pool_edit_busy(void);

#endif
