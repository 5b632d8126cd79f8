/*
 * Memory for a VM's emulated devices: their board table and each device's
 * state. Small allocations are carved from whole pages taken from the
 * hypervisor's pool and given back all together, scrubbed (a device's state
 * holds guest data: FIFO bytes, buffers), when the VM goes.
 */
#ifndef BULKHEAD_CORE_DEV_ARENA_H
#define BULKHEAD_CORE_DEV_ARENA_H

#include "types.h"

#define DEV_ARENA_PAGES 8

struct dev_arena {
	paddr_t page[DEV_ARENA_PAGES];
	u32 npages;
	u32 used;          /* bytes taken from the last page */
};

/* `size` zeroed bytes aligned to 16, at most a page; NULL when out of memory. */
void *dev_arena_alloc(struct dev_arena *a, u64 size);
/* Scrubs and frees every page; the arena is empty again. */
void dev_arena_release(struct dev_arena *a);
/* Bytes of pages it holds. */
u64 dev_arena_bytes(const struct dev_arena *a);

#endif
