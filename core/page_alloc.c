/*
 * Bitmap page allocator. A bitmap costs 32 KiB per GiB of RAM and makes
 * reservations, aligned runs and "is this page free" checks trivial. The
 * first-fit scan is on a hot path too: a balloon's deflation and a fault on
 * a page given back take pages one at a time, with the RAM of other VMs
 * before the free ones. A scan one bit at a time from the bank's start cost
 * some 40,000 bits per page there (18 s of a 1 GiB machine's time for
 * 128 MiB); it starts at the lowest free page instead and steps over whole
 * words of used pages.
 */
#include "core/page_alloc.h"
#include "lib/string.h"

struct page_pool hv_pages;

static bool bit_get(const u64 *bm, u64 i)
{
	return (bm[i / 64] >> (i % 64)) & 1;
}

static void bit_set(u64 *bm, u64 i, bool v)
{
	if (v)
		bm[i / 64] |= 1ull << (i % 64);
	else
		bm[i / 64] &= ~(1ull << (i % 64));
}

u64 page_bank_bitmap_bytes(u64 size)
{
	return align_up(size / PAGE_SIZE, 64) / 8;
}

int page_pool_add_bank(struct page_pool *pool, paddr_t base, u64 size, u64 *bitmap)
{
	struct page_bank *b;

	if (pool->nbanks == PAGE_POOL_MAX_BANKS || !is_aligned(pa_addr(base), PAGE_SIZE) ||
	    size < PAGE_SIZE || !range_ok(pa_addr(base), size))
		return -1;
	b = &pool->banks[pool->nbanks++];
	b->base = pa_addr(base);
	b->npages = size / PAGE_SIZE;
	b->bitmap = bitmap;
	b->low_free = 0;
	memset(bitmap, 0, page_bank_bitmap_bytes(size));
	pool->free_pages += b->npages;
	pool->total_pages += b->npages;
	return 0;
}

/* Index of the first free page at or after `i`, or npages when none is. */
static u64 next_free(const struct page_bank *b, u64 i)
{
	while (i < b->npages) {
		u64 free = ~b->bitmap[i / 64] >> (i % 64);

		if (free) {
			i += (u64)__builtin_ctzll(free);
			/* the last word's bits past npages are clear: not pages */
			return i < b->npages ? i : b->npages;
		}
		i = align_down(i, 64) + 64;
	}
	return b->npages;
}

static struct page_bank *bank_of(const struct page_pool *pool, u64 pa)
{
	for (u32 i = 0; i < pool->nbanks; i++) {
		const struct page_bank *b = &pool->banks[i];

		if (pa >= b->base && pa - b->base < b->npages * PAGE_SIZE)
			return (struct page_bank *)b;
	}
	return NULL;
}

static void mark_range(struct page_pool *pool, struct page_bank *b, u64 first, u64 n, bool used)
{
	for (u64 i = first; i < first + n; i++) {
		if (bit_get(b->bitmap, i) != used) {
			bit_set(b->bitmap, i, used);
			if (used)
				pool->free_pages--;
			else
				pool->free_pages++;
		}
	}
}

void page_pool_reserve(struct page_pool *pool, paddr_t base, u64 size)
{
	u64 start = align_down(pa_addr(base), PAGE_SIZE);
	u64 end = align_up(pa_addr(base) + size, PAGE_SIZE);

	spin_lock(&pool->lock);
	for (u32 i = 0; i < pool->nbanks; i++) {
		struct page_bank *b = &pool->banks[i];
		u64 bank_end = b->base + b->npages * PAGE_SIZE;
		u64 lo = start > b->base ? start : b->base;
		u64 hi = end < bank_end ? end : bank_end;

		if (lo < hi)
			mark_range(pool, b, (lo - b->base) / PAGE_SIZE, (hi - lo) / PAGE_SIZE, true);
	}
	spin_unlock(&pool->lock);
}

/* The first page index from `i` on whose address is `align`-aligned (the
 * bank's base need not be aligned, so the address is, not the index). */
static u64 aligned_index(const struct page_bank *b, u64 i, u64 align)
{
	return (align_up(b->base + i * PAGE_SIZE, align) - b->base) / PAGE_SIZE;
}

/* First page index of `n` free pages whose address is `align`-aligned. */
static bool find_run(struct page_bank *b, u64 n, u64 align, u64 *out)
{
	u64 i;

	/* the pages the last searches passed over are still used */
	b->low_free = next_free(b, b->low_free);
	i = b->low_free;
	for (;;) {
		u64 j = 0;

		i = aligned_index(b, next_free(b, i), align);
		if (i >= b->npages || n > b->npages - i)
			return false;
		while (j < n && !bit_get(b->bitmap, i + j))
			j++;
		if (j == n) {
			*out = i;
			return true;
		}
		i += j + 1;   /* past the used page */
	}
}

paddr_t page_alloc(struct page_pool *pool, u64 npages, u64 align)
{
	paddr_t result = pa_init(0);

	if (npages == 0 || align < PAGE_SIZE || (align & (align - 1)))
		return result;
	spin_lock(&pool->lock);
	for (u32 i = 0; i < pool->nbanks; i++) {
		struct page_bank *b = &pool->banks[i];
		u64 first;

		if (find_run(b, npages, align, &first)) {
			mark_range(pool, b, first, npages, true);
			result = pa_init(b->base + first * PAGE_SIZE);
			break;
		}
	}
	spin_unlock(&pool->lock);
	return result;
}

void page_free(struct page_pool *pool, paddr_t pa, u64 npages)
{
	struct page_bank *b;

	spin_lock(&pool->lock);
	b = bank_of(pool, pa_addr(pa));
	if (b && npages <= b->npages - (pa_addr(pa) - b->base) / PAGE_SIZE) {
		u64 first = (pa_addr(pa) - b->base) / PAGE_SIZE;

		mark_range(pool, b, first, npages, false);
		if (npages && first < b->low_free)
			b->low_free = first;
	}
	spin_unlock(&pool->lock);
}

bool page_is_free(const struct page_pool *pool, paddr_t pa)
{
	const struct page_bank *b = bank_of(pool, pa_addr(pa));

	return b && !bit_get(b->bitmap, (pa_addr(pa) - b->base) / PAGE_SIZE);
}

paddr_t page_alloc_zeroed(void)
{
	paddr_t pa = page_alloc(&hv_pages, 1, PAGE_SIZE);

	if (pa_addr(pa))
		memset(pa_to_ptr(pa), 0, PAGE_SIZE);
	return pa;
}
