/* A bump allocator over pages: device state lives as long as its VM. */
#include "arch.h"
#include "core/dev_arena.h"
#include "core/page_alloc.h"
#include "lib/string.h"

#define DEV_ARENA_ALIGN 16

/* A new run of `npages` pages; its chunk index + 1, or 0 when none is left. */
static u32 new_chunk(struct dev_arena *a, u64 npages)
{
	paddr_t pa;

	if (a->nchunks == DEV_ARENA_CHUNKS)
		return 0;
	pa = page_alloc(&hv_pages, npages, PAGE_SIZE);
	if (!pa_addr(pa))
		return 0;
	a->chunk[a->nchunks] = (struct dev_arena_chunk){ pa, (u32)npages };
	return ++a->nchunks;
}

void *dev_arena_alloc(struct dev_arena *a, u64 size)
{
	u64 need = align_up(size ? size : 1, DEV_ARENA_ALIGN);
	u8 *p;

	if (need > PAGE_SIZE) {
		u32 c = new_chunk(a, align_up(need, PAGE_SIZE) / PAGE_SIZE);

		if (!c)
			return NULL;
		p = pa_to_ptr(a->chunk[c - 1].pa);
		memset(p, 0, need);
		return p;
	}
	if (!a->bump || a->used + need > PAGE_SIZE) {
		u32 c = new_chunk(a, 1);

		if (!c)
			return NULL;
		a->bump = c;
		a->used = 0;
	}
	p = (u8 *)pa_to_ptr(a->chunk[a->bump - 1].pa) + a->used;
	a->used += (u32)need;
	memset(p, 0, need);
	return p;
}

void dev_arena_release(struct dev_arena *a)
{
	for (u32 i = 0; i < a->nchunks; i++) {
		u64 bytes = a->chunk[i].npages * PAGE_SIZE;

		arch_scrub(pa_to_ptr(a->chunk[i].pa), bytes);
		page_free(&hv_pages, a->chunk[i].pa, a->chunk[i].npages);
	}
	*a = (struct dev_arena){ 0 };
}

u64 dev_arena_bytes(const struct dev_arena *a)
{
	u64 bytes = 0;

	for (u32 i = 0; i < a->nchunks; i++)
		bytes += a->chunk[i].npages * PAGE_SIZE;
	return bytes;
}
