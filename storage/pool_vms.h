/*
 * VMs defined on the pool (`bulkhead pool add-vm`): the boot scan finds each
 * definition partition, checks its package header, entries and config
 * (storage/vm_def.h) and lists the VM as defined; `create NAME` reads the
 * whole package from the disk asynchronously into pages of Bulkhead's own
 * and creates the VM from it as from the boot image. The package stays
 * with the VM (a reboot or restart loads the kernel again) and its pages go
 * back, scrubbed, when the VM is freed.
 */
#ifndef BULKHEAD_STORAGE_POOL_VMS_H
#define BULKHEAD_STORAGE_POOL_VMS_H

#include "types.h"
#include "drivers/blk.h"
#include "storage/gpt.h"

/* VMs defined over all pool disks; more are reported and skipped. */
#define POOL_VM_MAX 16

struct pool_vm {
	bool used;
	char name[GPT_NAME_MAX + 1];
	char cfg_file[48];
	struct blk_disk *disk;
	u64 first_lba, sectors;    /* the partition */
	u64 total;                 /* the package's bytes, as checked at boot */
	u64 need_mib;              /* its RAM (maxmem) and firmware, as its config said at boot */
};

/* The scan of one disk, after gpt_parse() accepted it: reads each VM
 * definition's first sector and config through `disk`'s read callback
 * and lists the good ones; each bad one is one console line. */
void pool_vms_scan_disk(struct blk_disk *d, const struct gpt_disk *disk,
			const struct gpt_info *info);
/* After the boot image's VMs are known: a pool VM of a boot-image VM's
 * name is dropped, said on the console (the boot image wins). */
void pool_vms_drop_clashes(bool (*in_boot_image)(const char *name));
/* The i-th defined pool VM, NULL past the last. */
const struct pool_vm *pool_vm_at(u32 i);
const struct pool_vm *pool_vm_find(const char *name);

/*
 * `create NAME` for a pool VM: checks the memory it needs (its package
 * pages and its RAM) is free, takes the pages and starts reading; the VM
 * is created from the deferred work once the last read completes, and
 * every failure from then on is one console line with nothing left
 * behind. 0 when the read started; -1 with `why` (static, or `buf`) else.
 */
int pool_vm_start(const char *name, char *buf, u32 size, const char **why);

/* Empties the table (unit tests). */
void pool_vms_reset(void);

#endif
