/*
 * Backing a VM's RAM with pool pages and giving them back (core/guest_ram.h).
 * Every page is scrubbed when the VM gets it and again when it goes back.
 */
#include "core/guest_ram.h"
#include "core/page_alloc.h"
#include "lib/string.h"

static u64 array_pages(u64 size)
{
	return align_up(GRAM_CHUNKS(size) * sizeof(struct gram_chunk), PAGE_SIZE) / PAGE_SIZE;
}

int guest_ram_create(struct guest_ram *r, struct page_pool *pool, u64 base, u64 size)
{
	u64 npages = array_pages(size);
	paddr_t pa;

	memset(r, 0, sizeof(*r));
	if (!size || !is_aligned(size, PAGE_SIZE) || !is_aligned(base, GRAM_CHUNK_SIZE))
		return -1;
	pa = page_alloc(pool, npages, PAGE_SIZE);
	if (!pa_addr(pa))
		return -1;
	memset(pa_to_ptr(pa), 0, npages * PAGE_SIZE);  /* every chunk GRAM_ABSENT */
	r->base = base;
	r->size = size;
	r->chunks = pa_to_ptr(pa);
	r->table_pages = npages;
	r->owns_chunks = true;
	return 0;
}

/* Up to `want` pages as one scrubbed run (halving until the pool has one);
 * returns how many (0: the pool is empty). */
static u64 take_run(struct page_pool *pool, u64 want, paddr_t *pa)
{
	for (u64 n = want; n; n /= 2) {
		*pa = page_alloc(pool, n, PAGE_SIZE);
		if (pa_addr(*pa)) {
			arch_scrub(pa_to_ptr(*pa), n * PAGE_SIZE);
			return n;
		}
	}
	return 0;
}

/* Absent chunks i..i+nchunks-1 as blocks: the most of them that one 2 MiB-
 * aligned run can back (halving, rounded up); returns how many (0: no 2 MiB
 * block). */
static u64 populate_blocks(struct guest_ram *r, struct page_pool *pool, u64 i, u64 nchunks)
{
	u64 off = i * GRAM_CHUNK_SIZE;

	for (u64 k = nchunks; k; k = k > 1 ? (k + 1) / 2 : 0) {
		u64 bytes = r->size - off < k * GRAM_CHUNK_SIZE ? r->size - off : k * GRAM_CHUNK_SIZE;
		paddr_t pa = page_alloc(pool, bytes / PAGE_SIZE, GRAM_CHUNK_SIZE);

		if (!pa_addr(pa))
			continue;
		arch_scrub(pa_to_ptr(pa), bytes);
		for (u64 c = 0; c < k; c++)
			r->chunks[i + c] = (struct gram_chunk){
				.kind = GRAM_BLOCK, .block = pa_add(pa, c * GRAM_CHUNK_SIZE) };
		r->pages += bytes / PAGE_SIZE;
		return k;
	}
	return 0;
}

/* The chunk as a table of pages (a fresh, empty one when it had none). */
static int split_table(struct guest_ram *r, struct page_pool *pool, struct gram_chunk *c)
{
	paddr_t pa;

	if (c->kind == GRAM_PAGES)
		return 0;
	pa = page_alloc(pool, 1, PAGE_SIZE);
	if (!pa_addr(pa))
		return -1;
	memset(pa_to_ptr(pa), 0, PAGE_SIZE);
	*c = (struct gram_chunk){ .kind = GRAM_PAGES, .pages = pa_to_ptr(pa) };
	r->table_pages++;
	return 0;
}

/* Backs the absent pages of chunk i from whatever runs of pages the pool has. */
static int populate_pages(struct guest_ram *r, struct page_pool *pool, u64 i)
{
	struct gram_chunk *c = &r->chunks[i];
	u64 npages = gram_chunk_len(r, i * GRAM_CHUNK_SIZE) / PAGE_SIZE;

	if (split_table(r, pool, c))
		return -1;
	for (u64 p = 0; p < npages;) {
		u64 end = p, got;
		paddr_t pa;

		if (pa_addr(c->pages[p])) {
			p++;
			continue;
		}
		while (end < npages && !pa_addr(c->pages[end]))
			end++;
		got = take_run(pool, end - p, &pa);
		if (!got)
			return -1;
		for (u64 k = 0; k < got; k++)
			c->pages[p + k] = pa_add(pa, k * PAGE_SIZE);
		r->pages += got;
		p += got;
	}
	return 0;
}

int guest_ram_populate(struct guest_ram *r, struct page_pool *pool)
{
	u64 n = GRAM_CHUNKS(r->size);

	for (u64 i = 0; i < n;) {
		u64 j = i, got;

		if (r->chunks[i].kind != GRAM_ABSENT) {
			if (r->chunks[i].kind == GRAM_PAGES && populate_pages(r, pool, i))
				return -1;
			i++;
			continue;
		}
		while (j < n && r->chunks[j].kind == GRAM_ABSENT)
			j++;
		got = populate_blocks(r, pool, i, j - i);
		if (!got && populate_pages(r, pool, i))
			return -1;
		i += got ? got : 1;
	}
	return 0;
}

/* The run being merged by guest_ram_for_each_run. */
struct run {
	u64 ipa, pa, size;
};

static int run_add(struct run *cur, u64 ipa, u64 pa, u64 size, gram_run_fn fn, void *ctx)
{
	int rc = 0;

	if (cur->size && cur->ipa + cur->size == ipa && cur->pa + cur->size == pa) {
		cur->size += size;
		return 0;
	}
	if (cur->size)
		rc = fn(ctx, ipa_init(cur->ipa), pa_init(cur->pa), cur->size);
	*cur = (struct run){ ipa, pa, size };
	return rc;
}

int guest_ram_for_each_run(const struct guest_ram *r, gram_run_fn fn, void *ctx)
{
	struct run cur = { 0, 0, 0 };
	u64 n = r->chunks ? GRAM_CHUNKS(r->size) : 0;
	int rc = 0;

	for (u64 i = 0; i < n && !rc; i++) {
		const struct gram_chunk *c = &r->chunks[i];
		u64 off = i * GRAM_CHUNK_SIZE, len = gram_chunk_len(r, off);

		if (c->kind == GRAM_BLOCK)
			rc = run_add(&cur, r->base + off, pa_addr(c->block), len, fn, ctx);
		for (u64 p = 0; c->kind == GRAM_PAGES && p < len / PAGE_SIZE && !rc; p++) {
			if (pa_addr(c->pages[p]))
				rc = run_add(&cur, r->base + off + p * PAGE_SIZE,
					     pa_addr(c->pages[p]), PAGE_SIZE, fn, ctx);
		}
	}
	if (!rc && cur.size)
		rc = fn(ctx, ipa_init(cur.ipa), pa_init(cur.pa), cur.size);
	return rc;
}

static int scrub_and_free(void *ctx, ipaddr_t ipa, paddr_t pa, u64 size)
{
	(void)ipa;
	arch_scrub(pa_to_ptr(pa), size);
	page_free(ctx, pa, size / PAGE_SIZE);
	return 0;
}

void guest_ram_release(struct guest_ram *r, struct page_pool *pool)
{
	u64 n = r->chunks ? GRAM_CHUNKS(r->size) : 0;

	if (!r->owns_chunks) {
		r->chunks = NULL;     /* a caller's buffer: not ours to scrub or free */
		r->pages = 0;
		return;
	}
	guest_ram_for_each_run(r, scrub_and_free, pool);
	for (u64 i = 0; i < n; i++) {
		if (r->chunks[i].kind == GRAM_PAGES)
			page_free(pool, ptr_to_pa(r->chunks[i].pages), 1);
	}
	page_free(pool, ptr_to_pa(r->chunks), array_pages(r->size));
	r->chunks = NULL;
	r->pages = 0;
	r->table_pages = 0;
	r->owns_chunks = false;
}

bool guest_ram_step(const struct guest_ram *r, u64 *pos, u64 budget, gram_run_fn fn, void *ctx)
{
	u64 done = 0;

	while (*pos < r->size && done < budget) {
		paddr_t pa;
		u64 len = guest_ram_lookup(r, r->base + *pos, &pa);

		if (!len) {
			/* an absent page (or chunk): nothing there to walk */
			*pos = align_down(*pos, PAGE_SIZE) + PAGE_SIZE;
			continue;
		}
		if (len > budget - done)
			len = budget - done;
		fn(ctx, ipa_init(r->base + *pos), pa, len);
		*pos += len;
		done += len;
	}
	return *pos >= r->size;
}

bool guest_ram_release_step(struct guest_ram *r, struct page_pool *pool, u64 *pos, u64 budget)
{
	if (!r->owns_chunks) {
		guest_ram_release(r, pool);  /* nothing of the pool's to scrub */
		return true;
	}
	if (!guest_ram_step(r, pos, align_up(budget, PAGE_SIZE), scrub_and_free, pool))
		return false;
	/* every page is back: only the tables are left, and the page count */
	r->pages = 0;
	for (u64 i = 0; i < GRAM_CHUNKS(r->size); i++) {
		if (r->chunks[i].kind == GRAM_PAGES)
			page_free(pool, ptr_to_pa(r->chunks[i].pages), 1);
	}
	page_free(pool, ptr_to_pa(r->chunks), array_pages(r->size));
	r->chunks = NULL;
	r->table_pages = 0;
	r->owns_chunks = false;
	return true;
}

struct runs_seen {
	u64 n;
	paddr_t first;
};

static int count_run(void *ctx, ipaddr_t ipa, paddr_t pa, u64 size)
{
	struct runs_seen *s = ctx;

	(void)ipa;
	(void)size;
	if (!s->n++)
		s->first = pa;
	return 0;
}

u64 guest_ram_runs(const struct guest_ram *r, paddr_t *first)
{
	struct runs_seen s = { 0, pa_init(0) };

	guest_ram_for_each_run(r, count_run, &s);
	*first = s.first;
	return s.n;
}

/* Shape changes are bracketed so that lock-free lookups retry over them. */
static void shape_begin(struct guest_ram *r)
{
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void shape_end(struct guest_ram *r)
{
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELEASE);
}

static struct gram_chunk *chunk_of(struct guest_ram *r, u64 ipa, u64 *page)
{
	u64 off = ipa - r->base;

	if (ipa < r->base || off >= r->size || !r->chunks)
		return NULL;
	*page = (off & (GRAM_CHUNK_SIZE - 1)) >> PAGE_SHIFT;
	return &r->chunks[off >> GRAM_CHUNK_SHIFT];
}

int guest_ram_split(struct guest_ram *r, struct page_pool *pool, u64 ipa)
{
	u64 page;
	struct gram_chunk *c = chunk_of(r, ipa, &page);
	struct gram_chunk was;
	paddr_t *table;
	u64 npages;

	if (!c)
		return -1;
	if (c->kind == GRAM_PAGES)
		return 0;
	was = *c;
	npages = gram_chunk_len(r, ipa - r->base) / PAGE_SIZE;
	{
		paddr_t pa = page_alloc(pool, 1, PAGE_SIZE);

		if (!pa_addr(pa))
			return -1;
		table = pa_to_ptr(pa);
	}
	memset(table, 0, PAGE_SIZE);
	for (u64 p = 0; was.kind == GRAM_BLOCK && p < npages; p++)
		table[p] = pa_add(was.block, p * PAGE_SIZE);
	shape_begin(r);
	c->pages = table;
	__atomic_store_n(&c->kind, GRAM_PAGES, __ATOMIC_RELAXED);
	shape_end(r);
	r->table_pages++;
	return 0;
}

paddr_t guest_ram_take(struct guest_ram *r, u64 ipa)
{
	u64 page;
	struct gram_chunk *c = chunk_of(r, ipa, &page);
	paddr_t pa;

	if (!c || c->kind != GRAM_PAGES || !pa_addr(c->pages[page]))
		return pa_init(0);
	pa = c->pages[page];
	__atomic_store_n(&c->pages[page].pa, 0, __ATOMIC_RELEASE);
	r->pages--;
	return pa;
}

paddr_t guest_ram_fill(struct guest_ram *r, struct page_pool *pool, u64 ipa)
{
	u64 page;
	struct gram_chunk *c = chunk_of(r, ipa, &page);
	paddr_t pa;

	if (!c || c->kind == GRAM_BLOCK || (c->kind == GRAM_PAGES && pa_addr(c->pages[page])))
		return pa_init(0);
	if (guest_ram_split(r, pool, ipa) || !take_run(pool, 1, &pa))
		return pa_init(0);
	/* scrubbed (take_run) before the entry publishes it */
	__atomic_store_n(&c->pages[page].pa, pa_addr(pa), __ATOMIC_RELEASE);
	r->pages++;
	return pa;
}

void guest_ram_readers_drain(struct guest_ram *r)
{
	u32 old = __atomic_load_n(&r->readers.epoch, __ATOMIC_SEQ_CST) & 1;

	__atomic_fetch_add(&r->readers.epoch, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&r->readers.count[old], __ATOMIC_SEQ_CST))
		arch_wait_event();
}
