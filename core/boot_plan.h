/*
 * Where a VM's kernel, ramdisk and device tree go in its RAM, decided from
 * the files and the config alone. The loader (core/loader.c) follows the
 * plan; the host tool (tools/kernel_check.c) runs the same code, so that
 * `bulkhead check` refuses exactly the kernels the hypervisor would.
 */
#ifndef BULKHEAD_CORE_BOOT_PLAN_H
#define BULKHEAD_CORE_BOOT_PLAN_H

#include "types.h"

struct boot_layout {
	ipaddr_t kernel_start;
	ipaddr_t kernel_end;
	ipaddr_t entry;
	ipaddr_t initrd_start;   /* 0 when there is none */
	ipaddr_t initrd_end;
	ipaddr_t dtb;
	u32 dtb_size;
	u32 dtb_cap;        /* room for the device tree at `dtb` */
	const char *format;
};

struct boot_files {
	const u8 *kernel;
	u64 kernel_size;
	const char *kernel_name;
	bool kernel_raw;         /* kernel_format = "raw": no header looked for */
	bool has_ramdisk;
	u64 ramdisk_size;
	const char *ramdisk_name;
	u64 ram_base;
	u64 ram_size;
};

/*
 * Fills `b` (all but dtb_size and dtb_cap) and returns 0, or -1 with why in
 * words and *key the config key to blame ("kernel", "ramdisk", "memory").
 */
int boot_plan(const struct boot_files *f, struct boot_layout *b, const char **key, char *why,
	      u32 why_size);

#endif
