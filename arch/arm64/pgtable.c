/*
 * Translation-table construction. Mapping walks down from the start level,
 * placing the largest block the alignment of va, pa and the remaining size
 * allows; a block that must change in part is first split into a table of
 * the same mappings one level down.
 */
#include "pgtable.h"

#define ENTRIES 512
#define ATTR_MASK (~PTE_ADDR_MASK & ~(PTE_VALID | PTE_TABLE))

static u32 level_shift(int level)
{
	return PAGE_SHIFT + 9 * (u32)(3 - level);
}

static u64 *table_of(u64 entry)
{
	return (u64 *)(uintptr_t)(entry & PTE_ADDR_MASK);
}

static bool is_table(u64 entry, int level)
{
	return level < 3 && (entry & (PTE_VALID | PTE_TABLE)) == (PTE_VALID | PTE_TABLE);
}

static bool is_block(u64 entry, int level)
{
	return level < 3 && (entry & (PTE_VALID | PTE_TABLE)) == PTE_VALID;
}

static u64 leaf(u64 pa, u64 attrs, int level)
{
	u64 type = level == 3 ? (PTE_VALID | PTE_TABLE) : PTE_VALID;

	return (pa & PTE_ADDR_MASK) | (attrs & ATTR_MASK) | type;
}

/* Clears a valid entry mapping `va` at `level` and, for live tables, has its
 * TLB entries invalidated before the caller writes anything in its place. */
static void break_entry(struct pgtable *pt, u64 *entry, u64 va, int level)
{
	u64 span = 1ull << level_shift(level);
	bool table = is_table(*entry, level);

	__atomic_store_n(entry, 0, __ATOMIC_RELEASE);
	if (pt->break_entry)
		pt->break_entry(pt->ctx, va & ~(span - 1), span, table);
}

/* Replaces a block entry (mapping `va`) with a table holding the same
 * mappings: built first, then swapped in break-before-make, since a CPU may
 * not see a block and a table for the same address at once. */
static u64 *split_block(struct pgtable *pt, u64 *entry, u64 va, int level)
{
	u64 *table = pt->alloc_table(pt->ctx);
	u64 step = 1ull << level_shift(level + 1);
	u64 pa = *entry & PTE_ADDR_MASK;
	u64 attrs = *entry & ATTR_MASK;

	if (!table)
		return NULL;
	for (int i = 0; i < ENTRIES; i++)
		table[i] = leaf(pa + (u64)i * step, attrs, level + 1);
	break_entry(pt, entry, va, level);
	__atomic_store_n(entry, (u64)(uintptr_t)table | PTE_VALID | PTE_TABLE, __ATOMIC_RELEASE);
	return table;
}

/* The next-level table under `entry`, created or split as needed. */
static u64 *descend(struct pgtable *pt, u64 *entry, u64 va, int level)
{
	u64 *table;

	if (is_table(*entry, level))
		return table_of(*entry);
	if (is_block(*entry, level))
		return split_block(pt, entry, va, level);
	table = pt->alloc_table(pt->ctx);
	if (table)
		*entry = (u64)(uintptr_t)table | PTE_VALID | PTE_TABLE;
	return table;
}

static void free_subtree(struct pgtable *pt, u64 *table, int level)
{
	for (int i = 0; i < ENTRIES; i++) {
		if (is_table(table[i], level))
			free_subtree(pt, table_of(table[i]), level + 1);
	}
	pt->free_table(pt->ctx, table);
}

static bool block_allowed(int level)
{
	return level == 1 || level == 2 || level == 3;
}

static int map_level(struct pgtable *pt, u64 *table, int level, u64 va, u64 pa, u64 size,
		     u64 attrs)
{
	u64 span = 1ull << level_shift(level);

	while (size) {
		u64 *entry = &table[(va >> level_shift(level)) % ENTRIES];
		u64 chunk = span - (va & (span - 1));

		if (chunk > size)
			chunk = size;
		if (block_allowed(level) && chunk == span && is_aligned(pa, span)) {
			u64 was = *entry;

			if (was & PTE_VALID)
				break_entry(pt, entry, va, level);
			if (is_table(was, level))
				free_subtree(pt, table_of(was), level + 1);
			__atomic_store_n(entry, leaf(pa, attrs, level), __ATOMIC_RELEASE);
		} else {
			u64 *next = descend(pt, entry, va, level);

			if (!next || map_level(pt, next, level + 1, va, pa, chunk, attrs))
				return -1;
		}
		va += chunk;
		pa += chunk;
		size -= chunk;
	}
	return 0;
}

static bool table_empty(const u64 *table)
{
	for (int i = 0; i < ENTRIES; i++) {
		if (table[i] & PTE_VALID)
			return false;
	}
	return true;
}

static int unmap_level(struct pgtable *pt, u64 *table, int level, u64 va, u64 size)
{
	u64 span = 1ull << level_shift(level);

	while (size) {
		u64 *entry = &table[(va >> level_shift(level)) % ENTRIES];
		u64 chunk = span - (va & (span - 1));

		if (chunk > size)
			chunk = size;
		if (!(*entry & PTE_VALID)) {
			/* nothing mapped here */
		} else if (chunk == span || level == 3) {
			u64 old = *entry;

			break_entry(pt, entry, va, level);
			if (is_table(old, level))
				free_subtree(pt, table_of(old), level + 1);
		} else {
			u64 *next = is_table(*entry, level) ? table_of(*entry)
							    : split_block(pt, entry, va, level);

			if (!next || unmap_level(pt, next, level + 1, va, chunk))
				return -1;
			if (table_empty(next)) {
				/* walks may still hold the table: invalidate, then free */
				break_entry(pt, entry, va, level);
				pt->free_table(pt->ctx, next);
			}
		}
		va += chunk;
		size -= chunk;
	}
	return 0;
}

/* Highest address + 1 that the root table can translate. */
static u64 pt_limit(const struct pgtable *pt)
{
	return 1ull << (level_shift(pt->start_level) + 9);
}

static bool range_fits(const struct pgtable *pt, u64 va, u64 size)
{
	return is_aligned(va | size, PAGE_SIZE) && range_ok(va, size) && va + size <= pt_limit(pt);
}

int pt_map(struct pgtable *pt, u64 va, u64 pa, u64 size, u64 attrs)
{
	if (!range_fits(pt, va, size) || !is_aligned(pa, PAGE_SIZE) || !range_ok(pa, size))
		return -1;
	return map_level(pt, pt->root, pt->start_level, va, pa, size, attrs);
}

int pt_unmap(struct pgtable *pt, u64 va, u64 size)
{
	if (!range_fits(pt, va, size))
		return -1;
	return unmap_level(pt, pt->root, pt->start_level, va, size);
}

bool pt_lookup(const struct pgtable *pt, u64 va, u64 *pa, u64 *attrs)
{
	const u64 *table = pt->root;

	if (va >= pt_limit(pt))
		return false;
	for (int level = pt->start_level; level <= 3; level++) {
		u64 entry = table[(va >> level_shift(level)) % ENTRIES];
		u64 span = 1ull << level_shift(level);

		if (!(entry & PTE_VALID))
			return false;
		if (!is_table(entry, level)) {
			*pa = (entry & PTE_ADDR_MASK & ~(span - 1)) | (va & (span - 1));
			*attrs = entry & ATTR_MASK;
			return true;
		}
		table = table_of(entry);
	}
	return false;
}

void pt_free_tables(struct pgtable *pt)
{
	for (int i = 0; i < ENTRIES; i++) {
		if (is_table(pt->root[i], pt->start_level)) {
			free_subtree(pt, table_of(pt->root[i]), pt->start_level + 1);
			pt->root[i] = 0;
		}
	}
}
