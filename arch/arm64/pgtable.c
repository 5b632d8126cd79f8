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

/* Replaces a block entry with a table holding the same mappings. */
static u64 *split_block(struct pgtable *pt, u64 *entry, int level)
{
	u64 *table = pt->alloc_table(pt->ctx);
	u64 step = 1ull << level_shift(level + 1);
	u64 pa = *entry & PTE_ADDR_MASK;
	u64 attrs = *entry & ATTR_MASK;

	if (!table)
		return NULL;
	for (int i = 0; i < ENTRIES; i++)
		table[i] = leaf(pa + (u64)i * step, attrs, level + 1);
	*entry = (u64)(uintptr_t)table | PTE_VALID | PTE_TABLE;
	return table;
}

/* The next-level table under `entry`, created or split as needed. */
static u64 *descend(struct pgtable *pt, u64 *entry, int level)
{
	u64 *table;

	if (is_table(*entry, level))
		return table_of(*entry);
	if (is_block(*entry, level))
		return split_block(pt, entry, level);
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
			if (is_table(*entry, level))
				free_subtree(pt, table_of(*entry), level + 1);
			*entry = leaf(pa, attrs, level);
		} else {
			u64 *next = descend(pt, entry, level);

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
			if (is_table(*entry, level))
				free_subtree(pt, table_of(*entry), level + 1);
			*entry = 0;
		} else {
			u64 *next = is_table(*entry, level) ? table_of(*entry)
							    : split_block(pt, entry, level);

			if (!next || unmap_level(pt, next, level + 1, va, chunk))
				return -1;
			if (table_empty(next)) {
				pt->free_table(pt->ctx, next);
				*entry = 0;
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
