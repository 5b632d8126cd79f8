/*
 * Memory for a VM's emulated devices: their board table and each device's
 * state. Small allocations are carved from whole pages taken from the
 * hypervisor's pool; one larger than what is left of a page gets a run of
 * pages of its own. All of it goes back together, scrubbed (a device's
 * state holds guest data: FIFO bytes, buffers), when the VM goes.
 */
#ifndef BULKHEAD_CORE_DEV_ARENA_H
#define BULKHEAD_CORE_DEV_ARENA_H

#include "types.h"

#define DEV_ARENA_CHUNKS 8

struct dev_arena_chunk {
	paddr_t pa;
	u32 npages;
};

struct dev_arena {
	struct dev_arena_chunk chunk[DEV_ARENA_CHUNKS];
	u32 nchunks;
	u32 bump;          /* chunk + 1 that small allocations come from, 0: none yet */
	u32 used;          /* bytes taken from that chunk's page */
};

/* `size` zeroed bytes aligned to 16; NULL when out of memory. */
void *dev_arena_alloc(struct dev_arena *a, u64 size);
/* Scrubs and frees every page; the arena is empty again. */
void dev_arena_release(struct dev_arena *a);
/* Bytes of pages it holds. */
u64 dev_arena_bytes(const struct dev_arena *a);

#endif
