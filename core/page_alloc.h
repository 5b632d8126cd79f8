/*
 * Physical page allocator: one bitmap per RAM bank, a bit per 4 KiB page
 * (set = in use). Runs are allocated first-fit with a power-of-two alignment.
 * Single pages are a hot path (a balloon's deflation, a fault on a page given
 * back): the search starts at the bank's lowest free page and passes over
 * whole words of used pages at once.
 * Callers that give memory back from a VM scrub it first (vm.c).
 */
#ifndef BULKHEAD_CORE_PAGE_ALLOC_H
#define BULKHEAD_CORE_PAGE_ALLOC_H

#include "types.h"
#include "core/spinlock.h"

#define PAGE_POOL_MAX_BANKS 8

struct page_bank {
	u64 base;     /* physical address of the first page */
	u64 npages;
	u64 *bitmap;  /* npages bits */
	u64 low_free; /* no page below this index is free (it may be used) */
};

struct page_pool {
	struct page_bank banks[PAGE_POOL_MAX_BANKS];
	u32 nbanks;
	u64 free_pages;
	u64 total_pages;
	struct spinlock lock;
};

/* Bytes of bitmap a bank of `size` bytes needs (a multiple of 8). */
u64 page_bank_bitmap_bytes(u64 size);
/* Adds a bank with every page free; `bitmap` must hold page_bank_bitmap_bytes(). */
int page_pool_add_bank(struct page_pool *pool, paddr_t base, u64 size, u64 *bitmap);
/* Marks pages overlapping [base, base+size) as in use (reserved). */
void page_pool_reserve(struct page_pool *pool, paddr_t base, u64 size);
/* Returns the physical address of `npages` contiguous pages aligned to
 * `align` bytes (a power of two >= PAGE_SIZE), or pa 0 when none fit. */
paddr_t page_alloc(struct page_pool *pool, u64 npages, u64 align);
void page_free(struct page_pool *pool, paddr_t pa, u64 npages);
bool page_is_free(const struct page_pool *pool, paddr_t pa);

/* The hypervisor's pool of all RAM. */
extern struct page_pool hv_pages;

/* Convenience: one zeroed page from hv_pages, or pa 0. */
paddr_t page_alloc_zeroed(void);

#endif
