/* Loading a VM's kernel, ramdisk (or firmware) and device tree into its memory. */
#ifndef BULKHEAD_CORE_LOADER_H
#define BULKHEAD_CORE_LOADER_H

#include "core/boot_plan.h"
#include "core/package.h"

struct vm;

/* Places everything and fills `out`; returns 0 or -1 with `why` in words. */
int loader_load(struct vm *vm, struct boot_layout *out, char *why, u32 why_size);

#endif
