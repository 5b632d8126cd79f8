/* Loading a VM's kernel, ramdisk (or firmware) and device tree into its memory. */
#ifndef BULKHEAD_CORE_LOADER_H
#define BULKHEAD_CORE_LOADER_H

#include "core/package.h"

struct vm;

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

/* Places everything and fills `out`; returns 0 or -1 with `why` in words. */
int loader_load(struct vm *vm, struct boot_layout *out, char *why, u32 why_size);

#endif
