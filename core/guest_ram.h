/*
 * A VM's RAM as host pages: which host page backs each guest page, so that
 * pages can be given back one at a time (the balloon) and given again later.
 *
 * Why an explicit table and not a software walk of the stage-2 tables: the
 * tables are the arch's format (core may not read them), a walk costs three
 * dependent loads per lookup where this costs one or two, and this table is
 * host-testable. It mirrors stage 2's shape: RAM is cut into 2 MiB chunks
 * (IPA-aligned, since ram_base is), each either one host-contiguous block
 * (the common case, mapped in stage 2 with 2 MiB or 1 GiB blocks) or a page
 * of 512 host addresses, one per 4 KiB page (a chunk the balloon has
 * touched, or one built from scattered pages when the pool had no 2 MiB
 * block), with 0 for a page the VM does not have. A 1 GiB VM's table is
 * 8 KiB; each split chunk costs one more page, as its stage-2 level-3 table
 * does.
 *
 * Who changes it: VM creation, restart and destruction (no device runs
 * then), and while the VM runs the balloon and the stage-2 fault path (one
 * at a time, under the VM's RAM lock: core/vm_ram.c). Lookups take no lock:
 * a chunk changing shape (a block split into pages) bumps `seq` around the
 * change and a lookup that saw it move tries again; one page's entry is one
 * aligned word. A page taken out may still be in a device's copy that looked
 * it up before: `readers` tells when all of those are done (below).
 */
#ifndef BULKHEAD_CORE_GUEST_RAM_H
#define BULKHEAD_CORE_GUEST_RAM_H

#include "arch.h"
#include "types.h"

#define GRAM_CHUNK_SHIFT 21
#define GRAM_CHUNK_SIZE ((u64)1 << GRAM_CHUNK_SHIFT)
#define GRAM_CHUNK_PAGES (GRAM_CHUNK_SIZE / PAGE_SIZE)
/* Chunks a RAM of `size` bytes is cut into (the last may be partial). */
#define GRAM_CHUNKS(size) (((size) + GRAM_CHUNK_SIZE - 1) >> GRAM_CHUNK_SHIFT)

enum gram_kind {
	GRAM_ABSENT,  /* no page of this chunk is backed */
	GRAM_BLOCK,   /* the whole chunk is host-contiguous from `block` */
	GRAM_PAGES,   /* `pages` holds one host address per page, 0: absent */
};

struct gram_chunk {
	enum gram_kind kind;
	union {
		paddr_t block;
		paddr_t *pages;   /* one page of GRAM_CHUNK_PAGES entries */
	};
};

struct page_pool;

/*
 * Who may be copying to or from the RAM's pages right now: devices count
 * themselves in (guest_ram_read_begin) around each lookup-and-copy, in the
 * counter of the current epoch. A page taken out of the table is given to
 * the pool only after guest_ram_readers_drain(): it starts a new epoch and
 * waits until the old one's count is 0, which new copies cannot delay
 * (they count in the new epoch) and which takes one copy's time at most.
 */
struct gram_readers {
	u32 epoch;
	u32 count[2];
};

struct guest_ram {
	u64 base;                   /* guest-physical address of the first byte */
	u64 size;                   /* bytes of guest-physical RAM (maxmem): a page multiple */
	struct gram_chunk *chunks;  /* GRAM_CHUNKS(size) entries */
	u64 pages;                  /* guest pages backed by host pages now */
	u64 table_pages;            /* pages of the chunk array and of split chunks' tables */
	bool owns_chunks;           /* the chunk array came from the pool (guest_ram_create) */
	u32 seq;                    /* odd while a chunk changes shape */
	struct gram_readers readers;
};

/* Bytes of the chunk in which RAM offset `off` lies (the last one may be short). */
static inline u64 gram_chunk_len(const struct guest_ram *r, u64 off)
{
	u64 start = off & ~(GRAM_CHUNK_SIZE - 1);

	return r->size - start < GRAM_CHUNK_SIZE ? r->size - start : GRAM_CHUNK_SIZE;
}

/*
 * Where guest-physical `ipa` is in host memory: sets *pa and returns how many
 * bytes from there are backed contiguously (to the end of its page or its
 * block, at least 1), or 0 when `ipa` is not backed RAM. One or two loads:
 * this is every device access's path.
 */
static inline u64 gram_lookup_once(const struct guest_ram *r, u64 off, paddr_t *pa)
{
	const struct gram_chunk *c = &r->chunks[off >> GRAM_CHUNK_SHIFT];
	u64 in = off & (GRAM_CHUNK_SIZE - 1);
	paddr_t page;

	switch (__atomic_load_n(&c->kind, __ATOMIC_RELAXED)) {
	case GRAM_BLOCK:
		*pa = pa_add(c->block, in);
		return gram_chunk_len(r, off) - in;
	case GRAM_PAGES:
		page = pa_init(__atomic_load_n(&c->pages[in >> PAGE_SHIFT].pa, __ATOMIC_RELAXED));
		if (!pa_addr(page))
			return 0;
		*pa = pa_add(page, in & (PAGE_SIZE - 1));
		return PAGE_SIZE - (in & (PAGE_SIZE - 1));
	default:
		return 0;
	}
}

static inline u64 guest_ram_lookup(const struct guest_ram *r, u64 ipa, paddr_t *pa)
{
	u64 off = ipa - r->base;

	if (ipa < r->base || off >= r->size || !r->chunks)
		return 0;
	for (;;) {
		u32 seq = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
		u64 n;

		if (seq & 1)
			continue;   /* a split is a few stores long */
		n = gram_lookup_once(r, off, pa);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&r->seq, __ATOMIC_RELAXED) == seq)
			return n;
	}
}

/* A device is about to look up and copy: returns the ticket for _end. */
static inline u32 guest_ram_read_begin(const struct guest_ram *r)
{
	struct gram_readers *g = (struct gram_readers *)&r->readers;  /* counting is not a change of the RAM */

	for (;;) {
		u32 e = __atomic_load_n(&g->epoch, __ATOMIC_SEQ_CST) & 1;

		__atomic_fetch_add(&g->count[e], 1, __ATOMIC_SEQ_CST);
		/* a drain that moved on meanwhile may have seen this count at 0 */
		if ((__atomic_load_n(&g->epoch, __ATOMIC_SEQ_CST) & 1) == e)
			return e;
		__atomic_fetch_sub(&g->count[e], 1, __ATOMIC_SEQ_CST);
	}
}

static inline void guest_ram_read_end(const struct guest_ram *r, u32 ticket)
{
	struct gram_readers *g = (struct gram_readers *)&r->readers;

	__atomic_fetch_sub(&g->count[ticket], 1, __ATOMIC_RELEASE);
	arch_send_event();   /* a drain may be waiting for this */
}

/*
 * Describes [base, base + size) as backed by the host-contiguous run at `pa`,
 * with a chunk array the caller provides (GRAM_CHUNKS(size) entries). For
 * RAM that is not the pool's (unit tests' buffers): guest_ram_release()
 * neither scrubs nor frees it.
 */
static inline void guest_ram_init_run(struct guest_ram *r, u64 base, u64 size,
				      struct gram_chunk *chunks, paddr_t pa)
{
	*r = (struct guest_ram){ .base = base, .size = size, .chunks = chunks,
				 .pages = size / PAGE_SIZE };
	for (u64 i = 0; i < GRAM_CHUNKS(size); i++)
		chunks[i] = (struct gram_chunk){ .kind = GRAM_BLOCK,
						 .block = pa_add(pa, i * GRAM_CHUNK_SIZE) };
}

/*
 * An empty RAM of `size` bytes at `base` whose chunk array comes from `pool`;
 * -1 when the pool has no room for the array.
 */
int guest_ram_create(struct guest_ram *r, struct page_pool *pool, u64 base, u64 size);
/*
 * Backs every absent page with scrubbed pool pages: the largest 2 MiB-aligned
 * runs the pool has (one run for the whole RAM when it can), whole chunks as
 * blocks, the rest page by page. -1 when the pool runs out (what was taken
 * stays, counted in r->pages, for guest_ram_release()).
 */
int guest_ram_populate(struct guest_ram *r, struct page_pool *pool);
/* Scrubs and frees every backed page, the split chunks' tables and the chunk
 * array (when the pool's); the RAM is empty and has no array. */
void guest_ram_release(struct guest_ram *r, struct page_pool *pool);
/*
 * Calls fn for each backed run, merged where consecutive guest pages are
 * consecutive host pages too, in guest-address order: what stage 2 maps,
 * what a restart scrubs, what a set/way flush cleans. Stops at the first
 * non-zero return and returns it; 0 when every run was seen.
 */
typedef int (*gram_run_fn)(void *ctx, ipaddr_t ipa, paddr_t pa, u64 size);
int guest_ram_for_each_run(const struct guest_ram *r, gram_run_fn fn, void *ctx);
/*
 * One page at a time while the VM runs (the balloon, the stage-2 fault path;
 * the caller holds the VM's RAM lock and keeps stage 2 in step):
 * guest_ram_split makes the chunk holding `ipa` a table of pages backed as
 * before (an absent chunk: an empty table), -1 when the pool has no page for
 * the table; guest_ram_take takes the page at `ipa` out of the table (its
 * chunk split first) and returns its host page, pa 0 when it had none: the
 * caller drains the readers, then scrubs and frees it; guest_ram_fill backs
 * the absent page at `ipa` with a scrubbed pool page and returns it, pa 0
 * when it was backed already or the pool has no page.
 */
int guest_ram_split(struct guest_ram *r, struct page_pool *pool, u64 ipa);
paddr_t guest_ram_take(struct guest_ram *r, u64 ipa);
paddr_t guest_ram_fill(struct guest_ram *r, struct page_pool *pool, u64 ipa);
/* Waits until no copy that began before the call is still going (see
 * struct gram_readers). Never from inside a read_begin/_end. */
void guest_ram_readers_drain(struct guest_ram *r);
/*
 * The same walk in bounded steps, for work that must not hold a CPU for the
 * whole RAM (a restart's scrub, a set/way flush): calls fn for the backed
 * pieces of RAM from offset *pos on, `budget` bytes at most, and moves *pos
 * past them. True when *pos reached the end (the walk is done).
 */
bool guest_ram_step(const struct guest_ram *r, u64 *pos, u64 budget, gram_run_fn fn, void *ctx);
/*
 * guest_ram_release in bounded steps: scrubs and frees the pages from *pos
 * on, `budget` bytes at most; once *pos reaches the end, frees the tables
 * and returns true (the RAM is empty, as after guest_ram_release).
 */
bool guest_ram_release_step(struct guest_ram *r, struct page_pool *pool, u64 *pos, u64 budget);
/* How many runs guest_ram_for_each_run would give, and the first one's host
 * address (pa 0 when none). */
u64 guest_ram_runs(const struct guest_ram *r, paddr_t *first);

#endif
