/* A bump allocator over whole pages: device state lives as long as its VM. */
#include "arch.h"
#include "core/dev_arena.h"
#include "core/page_alloc.h"
#include "lib/string.h"

#define DEV_ARENA_ALIGN 16

void *dev_arena_alloc(struct dev_arena *a, u64 size)
{
	u64 need = align_up(size ? size : 1, DEV_ARENA_ALIGN);
	u8 *p;

	if (need > PAGE_SIZE)
		return NULL;
	if (!a->npages || a->used + need > PAGE_SIZE) {
		paddr_t pa;

		if (a->npages == DEV_ARENA_PAGES)
			return NULL;
		pa = page_alloc(&hv_pages, 1, PAGE_SIZE);
		if (!pa_addr(pa))
			return NULL;
		a->page[a->npages++] = pa;
		a->used = 0;
	}
	p = (u8 *)pa_to_ptr(a->page[a->npages - 1]) + a->used;
	a->used += (u32)need;
	memset(p, 0, need);
	return p;
}

void dev_arena_release(struct dev_arena *a)
{
	for (u32 i = 0; i < a->npages; i++) {
		arch_scrub(pa_to_ptr(a->page[i]), PAGE_SIZE);
		page_free(&hv_pages, a->page[i], 1);
	}
	a->npages = 0;
	a->used = 0;
}

u64 dev_arena_bytes(const struct dev_arena *a)
{
	return a->npages * PAGE_SIZE;
}
