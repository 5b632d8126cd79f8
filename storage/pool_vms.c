/*
 * The table of VMs defined on the pool, filled by the boot scan (see
 * pool_vms.h). The scan reads through storage/pool_scan.c's waiting reader,
 * as the GPT is read: at boot, before any VM exists.
 */
#include "core/log.h"
#include "core/page_alloc.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "storage/pool_vms.h"
#include "storage/vm_def.h"

static struct pool_vm table[POOL_VM_MAX];
/* one sector of the disk; the parsed config (several KiB: never on a stack) */
static u8 sector[GPT_MAX_SECTOR];
static struct vm_config scan_cfg;

const struct pool_vm *pool_vm_at(u32 i)
{
	u32 seen = 0;

	for (u32 k = 0; k < POOL_VM_MAX; k++) {
		if (table[k].used && seen++ == i)
			return &table[k];
	}
	return NULL;
}

const struct pool_vm *pool_vm_find(const char *name)
{
	for (u32 k = 0; k < POOL_VM_MAX; k++) {
		if (table[k].used && strcmp(table[k].name, name) == 0)
			return &table[k];
	}
	return NULL;
}

void pool_vms_reset(void)
{
	memset(table, 0, sizeof(table));
}

/* Reads `size` bytes from byte `offset` of the partition into `out`. */
static int read_bytes(const struct gpt_disk *disk, const struct gpt_volume *g, u64 offset,
		      u8 *out, u64 size)
{
	u32 ss = disk->sector_size;

	while (size) {
		u64 lba = offset / ss, in = offset % ss;
		u64 n = ss - in < size ? ss - in : size;

		if (lba >= g->sectors || disk->read(disk->ctx, g->first_lba + lba, sector, 1))
			return -1;
		memcpy(out, sector + in, n);
		out += n;
		offset += n;
		size -= n;
	}
	return 0;
}

/* The config read and checked; 0, or -1 with `why` written. */
static int check_config(const struct gpt_disk *disk, const struct gpt_volume *g,
			const struct vm_def_head *h, char *why, u32 why_size)
{
	u64 npages = (h->cfg_size + PAGE_SIZE - 1) / PAGE_SIZE;
	paddr_t pa = page_alloc(&hv_pages, npages, PAGE_SIZE);
	int ret;

	if (!pa_addr(pa)) {
		fmt_snprintf(why, why_size, "no memory to read its config");
		return -1;
	}
	if (read_bytes(disk, g, h->cfg_offset, pa_to_ptr(pa), h->cfg_size)) {
		fmt_snprintf(why, why_size, "its config could not be read");
		ret = -1;
	} else {
		ret = vm_def_check_config(h, pa_to_ptr(pa), h->cfg_size, g->name, &scan_cfg, why,
					  why_size);
	}
	memset(pa_to_ptr(pa), 0, npages * PAGE_SIZE);
	page_free(&hv_pages, pa, npages);
	return ret;
}

static struct pool_vm *free_slot(void)
{
	for (u32 k = 0; k < POOL_VM_MAX; k++) {
		if (!table[k].used)
			return &table[k];
	}
	return NULL;
}

static void add_one(struct blk_disk *d, const struct gpt_disk *disk, const struct gpt_volume *g)
{
	struct vm_def_head h;
	const char *why_head;
	char why[200];
	struct pool_vm *p;

	if (pool_vm_find(g->name)) {
		hv_warn("pool disk %s: VM '%s' is also defined on another disk; skipped", d->name,
			g->name);
		return;
	}
	if (disk->read(disk->ctx, g->first_lba, sector, 1)) {
		hv_warn("pool disk %s: VM '%s': its definition could not be read; skipped", d->name,
			g->name);
		return;
	}
	if (vm_def_check_head(sector, VM_DEF_HEAD_BYTES, g->sectors * disk->sector_size, &h,
			      &why_head)) {
		hv_warn("pool disk %s: VM '%s': bad definition: %s; skipped", d->name, g->name,
			why_head);
		return;
	}
	if (check_config(disk, g, &h, why, sizeof(why))) {
		hv_warn("pool disk %s: VM '%s': bad definition: %s; skipped", d->name, g->name, why);
		return;
	}
	p = free_slot();
	if (!p) {
		hv_warn("pool disk %s: more than %u VMs defined in the pool; '%s' skipped", d->name,
			POOL_VM_MAX, g->name);
		return;
	}
	*p = (struct pool_vm){ .used = true, .disk = d, .first_lba = g->first_lba,
			       .sectors = g->sectors, .total = h.total,
			       .need_mib = scan_cfg.maxmem_mib };
	strlcpy(p->name, g->name, sizeof(p->name));
	strlcpy(p->cfg_file, h.cfg_file, sizeof(p->cfg_file));
	hv_info("pool disk %s: VM '%s' defined (%s, %llu KiB; `create %s` starts it)", d->name,
		p->name, p->cfg_file, (unsigned long long)((h.total + KiB - 1) / KiB), p->name);
}

void pool_vms_scan_disk(struct blk_disk *d, const struct gpt_disk *disk,
			const struct gpt_info *info)
{
	if (info->vm_defs_skipped)
		hv_warn("pool disk %s: more than %u VM definitions; %u skipped", d->name,
			GPT_MAX_VM_DEFS, info->vm_defs_skipped);
	for (u32 i = 0; i < info->nvm_defs && i < GPT_MAX_VM_DEFS; i++) {
		const struct gpt_volume *g = &info->vm_defs[i];

		if (g->sectors == 0 || g->first_lba >= d->geo.sectors ||
		    g->sectors > d->geo.sectors - g->first_lba) {
			hv_warn("pool disk %s: VM '%s' lies outside the disk; skipped", d->name,
				g->name);
			continue;
		}
		add_one(d, disk, g);
	}
}

void pool_vms_drop_clashes(bool (*in_boot_image)(const char *name))
{
	for (u32 k = 0; k < POOL_VM_MAX; k++) {
		if (table[k].used && in_boot_image(table[k].name)) {
			hv_warn("pool disk %s: VM '%s' is also a VM of the boot image, which wins; "
				"the pool's definition is not used", table[k].disk->name,
				table[k].name);
			table[k].used = false;
		}
	}
}
