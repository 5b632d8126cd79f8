/*
 * Translation-table tests (arch/arm64/pgtable.c is plain C). Tables come from
 * an allocator that tracks every live table, can be told to fail, and checks
 * that only live tables are freed; output addresses are made up and never
 * touched. Results are checked both through pt_lookup and by reading the
 * descriptors, so block/page choices are visible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pgtable.h"

#define MAX_TABLES 4096
#define ATTR_A (S2_MEMATTR_NORMAL_WB | PTE_SH_INNER | PTE_AF | S2_AP_R | S2_AP_W)
#define ATTR_B (S2_MEMATTR_NORMAL_WB | PTE_SH_INNER | PTE_AF | S2_AP_R)
#define ATTR_C (S2_MEMATTR_DEVICE | PTE_AF | S2_AP_R | S2_AP_W | S2_XN)

#define L1_SPAN GiB
#define L2_SPAN (2 * MiB)
#define TYPE_MASK (PTE_VALID | PTE_TABLE)

static struct {
	u64 *live[MAX_TABLES];
	u32 nlive;
	u32 allocs, frees;
	int budget; /* allocations left before failing; -1: unlimited */
} tables;

static struct pgtable pt;

static u64 *alloc_table(void *ctx)
{
	u64 *t;

	assert_ptr_equal(ctx, &tables);
	if (tables.budget == 0)
		return NULL;
	if (tables.budget > 0)
		tables.budget--;
	assert_true(tables.nlive < MAX_TABLES);
	t = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	assert_non_null(t);
	assert_int_equal((uintptr_t)t & ~PTE_ADDR_MASK, 0); /* representable in a descriptor */
	memset(t, 0, PAGE_SIZE);
	tables.live[tables.nlive++] = t;
	tables.allocs++;
	return t;
}

static void free_table(void *ctx, u64 *table)
{
	assert_ptr_equal(ctx, &tables);
	for (u32 i = 0; i < tables.nlive; i++) {
		if (tables.live[i] == table) {
			tables.live[i] = tables.live[--tables.nlive];
			tables.frees++;
			memset(table, 0x5a, PAGE_SIZE); /* a use after free reads garbage */
			free(table);
			return;
		}
	}
	fail_msg("freeing %p, which is not a live table", (void *)table);
}

static int setup_level(int start_level)
{
	memset(&tables, 0, sizeof(tables));
	tables.budget = -1;
	pt = (struct pgtable){
		.root = aligned_alloc(PAGE_SIZE, PAGE_SIZE),
		.start_level = start_level,
		.alloc_table = alloc_table,
		.free_table = free_table,
		.ctx = &tables,
	};
	if (!pt.root)
		return -1;
	memset(pt.root, 0, PAGE_SIZE);
	return 0;
}

static int setup_s2(void **state)
{
	return setup_level(1);
}

static int setup_s1(void **state)
{
	return setup_level(0);
}

/* Every test must leave nothing behind once the tables are freed. */
static int teardown(void **state)
{
	pt_free_tables(&pt);
	assert_int_equal(tables.nlive, 0);
	assert_int_equal(tables.allocs, tables.frees);
	for (int i = 0; i < 512; i++)
		assert_false(pt.root[i] & PTE_TABLE && pt.root[i] & PTE_VALID);
	free(pt.root);
	return 0;
}

static u32 shift_of(int level)
{
	return PAGE_SHIFT + 9 * (u32)(3 - level);
}

/* The descriptor that translates `va` at `level` (walking tables above it),
 * or 0 when a level above does not hold a table. */
static u64 desc(u64 va, int level)
{
	const u64 *t = pt.root;

	for (int l = pt.start_level; l < level; l++) {
		u64 e = t[(va >> shift_of(l)) % 512];

		if ((e & TYPE_MASK) != TYPE_MASK)
			return 0;
		t = (const u64 *)(uintptr_t)(e & PTE_ADDR_MASK);
	}
	return t[(va >> shift_of(level)) % 512];
}

static bool is_block_desc(u64 e)
{
	return (e & TYPE_MASK) == PTE_VALID;
}

static bool is_table_desc(u64 e)
{
	return (e & TYPE_MASK) == TYPE_MASK;
}

/* The level whose leaf translates `va` (1, 2 or 3 for stage 2), or -1. */
static int leaf_level(u64 va)
{
	for (int l = pt.start_level; l <= 3; l++) {
		u64 e = desc(va, l);

		if (!(e & PTE_VALID))
			return -1;
		if (l == 3)
			return is_table_desc(e) ? 3 : -1;
		if (is_block_desc(e))
			return l;
	}
	return -1;
}

static void expect_mapped(u64 va, u64 pa, u64 attrs)
{
	u64 got_pa = 0, got_attrs = 0;

	if (!pt_lookup(&pt, va, &got_pa, &got_attrs))
		fail_msg("va %#llx is not mapped", (unsigned long long)va);
	if (got_pa != pa || got_attrs != attrs)
		fail_msg("va %#llx -> pa %#llx attrs %#llx, want pa %#llx attrs %#llx",
			 (unsigned long long)va, (unsigned long long)got_pa,
			 (unsigned long long)got_attrs, (unsigned long long)pa,
			 (unsigned long long)attrs);
}

static void expect_unmapped(u64 va)
{
	u64 pa, attrs;

	if (pt_lookup(&pt, va, &pa, &attrs))
		fail_msg("va %#llx is mapped to %#llx", (unsigned long long)va,
			 (unsigned long long)pa);
}

/* Checks every page of [va, va+size) maps linearly to pa (pages sampled
 * every `stride` bytes, plus the first and last page). */
static void expect_range(u64 va, u64 pa, u64 size, u64 attrs, u64 stride)
{
	for (u64 off = 0; off < size; off += stride)
		expect_mapped(va + off, pa + off, attrs);
	expect_mapped(va + size - PAGE_SIZE, pa + size - PAGE_SIZE, attrs);
	expect_mapped(va + size - 1, pa + size - 1, attrs);
}

static bool root_empty(void)
{
	for (int i = 0; i < 512; i++)
		if (pt.root[i])
			return false;
	return true;
}

static void test_map_page(void **state)
{
	u64 e;

	assert_int_equal(pt_map(&pt, 0x40001000, 0x80005000, PAGE_SIZE, ATTR_A), 0);
	assert_int_equal(tables.allocs, 2); /* level-2 and level-3 tables */
	expect_mapped(0x40001000, 0x80005000, ATTR_A);
	expect_mapped(0x40001abc, 0x80005abc, ATTR_A);
	expect_unmapped(0x40000000);
	expect_unmapped(0x40002000);
	assert_int_equal(leaf_level(0x40001000), 3);
	e = desc(0x40001000, 3);
	assert_int_equal(e, 0x80005000 | ATTR_A | PTE_VALID | PTE_TABLE);
	assert_true(is_table_desc(desc(0x40001000, 1)));
	assert_true(is_table_desc(desc(0x40001000, 2)));
	/* a second page in the same 2 MiB needs no more tables */
	assert_int_equal(pt_map(&pt, 0x40002000, 0x90000000, PAGE_SIZE, ATTR_B), 0);
	assert_int_equal(tables.allocs, 2);
	expect_mapped(0x40002000, 0x90000000, ATTR_B);
	expect_mapped(0x40001000, 0x80005000, ATTR_A);
}

static void test_map_block_2m(void **state)
{
	assert_int_equal(pt_map(&pt, 0x40200000, 0x80400000, L2_SPAN, ATTR_A), 0);
	assert_int_equal(tables.allocs, 1); /* only the level-2 table */
	assert_int_equal(leaf_level(0x40200000), 2);
	assert_int_equal(desc(0x40200000, 2), 0x80400000 | ATTR_A | PTE_VALID);
	expect_range(0x40200000, 0x80400000, L2_SPAN, ATTR_A, 64 * KiB);
	expect_unmapped(0x40200000 - 1);
	expect_unmapped(0x40400000);
}

static void test_map_block_1g(void **state)
{
	assert_int_equal(pt_map(&pt, 0x40000000, 0x100000000ull, L1_SPAN, ATTR_A), 0);
	assert_int_equal(tables.allocs, 0);
	assert_int_equal(pt.root[1], 0x100000000ull | ATTR_A | PTE_VALID);
	expect_range(0x40000000, 0x100000000ull, L1_SPAN, ATTR_A, 32 * MiB);
	/* 3 GiB + 2 MiB: three 1 GiB blocks and one 2 MiB block */
	assert_int_equal(pt_map(&pt, 0x80000000, 0x200000000ull, 3 * GiB + L2_SPAN, ATTR_B), 0);
	assert_int_equal(tables.allocs, 1);
	for (int i = 2; i < 5; i++)
		assert_true(is_block_desc(pt.root[i]));
	assert_int_equal(leaf_level(0x140000000ull), 2);
	expect_range(0x80000000, 0x200000000ull, 3 * GiB + L2_SPAN, ATTR_B, 128 * MiB);
	expect_unmapped(0x140200000ull);
}

static void test_unaligned_pa_uses_pages(void **state)
{
	/* va is 2 MiB aligned, pa only 4 KiB aligned: no block possible */
	assert_int_equal(pt_map(&pt, 0x40000000, 0x80001000, L2_SPAN, ATTR_A), 0);
	assert_int_equal(tables.allocs, 2);
	for (u64 off = 0; off < L2_SPAN; off += PAGE_SIZE)
		assert_int_equal(leaf_level(0x40000000 + off), 3);
	expect_range(0x40000000, 0x80001000, L2_SPAN, ATTR_A, PAGE_SIZE);
	/* pa 2 MiB aligned but not 1 GiB aligned: 2 MiB blocks, not a 1 GiB one */
	assert_int_equal(pt_map(&pt, 0x80000000, 0x80200000, L1_SPAN, ATTR_B), 0);
	assert_int_equal(tables.allocs, 3);
	assert_true(is_table_desc(pt.root[2]));
	for (u64 off = 0; off < L1_SPAN; off += L2_SPAN)
		assert_int_equal(leaf_level(0x80000000 + off), 2);
	expect_range(0x80000000, 0x80200000, L1_SPAN, ATTR_B, L2_SPAN);
}

static void test_unaligned_range_mixes_sizes(void **state)
{
	/* [2M - 8K, 4M + 12K): two pages, one 2 MiB block, three pages */
	u64 va = L2_SPAN - 2 * PAGE_SIZE;
	u64 size = 2 * PAGE_SIZE + L2_SPAN + 3 * PAGE_SIZE;
	u64 pa = 0x80000000 - 2 * PAGE_SIZE; /* same offset within 2 MiB as va */

	assert_int_equal(pt_map(&pt, va, pa, size, ATTR_A), 0);
	assert_int_equal(leaf_level(va), 3);
	assert_int_equal(leaf_level(va + PAGE_SIZE), 3);
	assert_int_equal(leaf_level(L2_SPAN), 2);
	assert_int_equal(leaf_level(2 * L2_SPAN - PAGE_SIZE), 2);
	assert_int_equal(leaf_level(2 * L2_SPAN), 3);
	assert_int_equal(leaf_level(2 * L2_SPAN + 2 * PAGE_SIZE), 3);
	expect_unmapped(2 * L2_SPAN + 3 * PAGE_SIZE);
	expect_unmapped(va - PAGE_SIZE);
	expect_range(va, pa, size, ATTR_A, PAGE_SIZE);
	/* level-2 table, and one level-3 table on each side of the block */
	assert_int_equal(tables.allocs, 3);

	/* a range that crosses a 1 GiB boundary without any 1 GiB alignment */
	assert_int_equal(pt_map(&pt, L1_SPAN - L2_SPAN, 0x200000000ull - L2_SPAN,
				2 * L2_SPAN, ATTR_B), 0);
	assert_int_equal(leaf_level(L1_SPAN - L2_SPAN), 2);
	assert_int_equal(leaf_level(L1_SPAN), 2);
	expect_range(L1_SPAN - L2_SPAN, 0x200000000ull - L2_SPAN, 2 * L2_SPAN, ATTR_B, PAGE_SIZE);
	assert_int_equal(tables.allocs, 4);
}

static void test_attrs_are_masked(void **state)
{
	/* address and type bits in attrs must not leak into the descriptor */
	assert_int_equal(pt_map(&pt, 0x1000, 0x2000, PAGE_SIZE, ATTR_A | 0xabcdef000ull | TYPE_MASK), 0);
	assert_int_equal(desc(0x1000, 3), 0x2000 | ATTR_A | TYPE_MASK);
	assert_int_equal(pt_map(&pt, 0x200000, 0x400000, L2_SPAN, ATTR_B | PTE_TABLE), 0);
	assert_true(is_block_desc(desc(0x200000, 2)));
	expect_mapped(0x200000, 0x400000, ATTR_B);
}

static void test_split_2m_block(void **state)
{
	u64 va = 0x40200000, pa = 0x80400000;

	assert_int_equal(pt_map(&pt, va, pa, L2_SPAN, ATTR_A), 0);
	assert_int_equal(tables.allocs, 1);
	/* remap one page in the middle elsewhere, read-only */
	assert_int_equal(pt_map(&pt, va + 0x5000, 0x90000000, PAGE_SIZE, ATTR_B), 0);
	assert_int_equal(tables.allocs, 2);
	assert_true(is_table_desc(desc(va, 2)));
	expect_mapped(va + 0x5000, 0x90000000, ATTR_B);
	for (u64 off = 0; off < L2_SPAN; off += PAGE_SIZE) {
		assert_int_equal(leaf_level(va + off), 3);
		if (off != 0x5000)
			expect_mapped(va + off, pa + off, ATTR_A);
	}
	/* changing only the attributes of a run of pages also splits */
	assert_int_equal(pt_map(&pt, 0x40600000, 0x80600000, L2_SPAN, ATTR_A), 0);
	assert_int_equal(pt_map(&pt, 0x40700000, 0x80700000, 16 * PAGE_SIZE, ATTR_C), 0);
	expect_range(0x40600000, 0x80600000, 0x100000, ATTR_A, PAGE_SIZE);
	expect_range(0x40700000, 0x80700000, 16 * PAGE_SIZE, ATTR_C, PAGE_SIZE);
	expect_range(0x40710000, 0x80710000, 0xf0000, ATTR_A, PAGE_SIZE);
	assert_int_equal(tables.allocs, 3);
}

static void test_split_1g_block(void **state)
{
	u64 va = 0x40000000, pa = 0x100000000ull;
	u64 page = va + 0x12345000;

	assert_int_equal(pt_map(&pt, va, pa, L1_SPAN, ATTR_A), 0);
	assert_int_equal(pt_map(&pt, page, 0x7000, PAGE_SIZE, ATTR_C), 0);
	/* 1 GiB -> 2 MiB blocks, and the one holding the page -> pages */
	assert_int_equal(tables.allocs, 2);
	assert_true(is_table_desc(pt.root[1]));
	expect_mapped(page, 0x7000, ATTR_C);
	for (u64 off = 0; off < L1_SPAN; off += L2_SPAN) {
		u64 a = va + off;

		if (a == align_down(page, L2_SPAN)) {
			assert_int_equal(leaf_level(a), 3);
			continue;
		}
		assert_int_equal(leaf_level(a), 2);
		assert_int_equal(desc(a, 2), (pa + off) | ATTR_A | PTE_VALID);
	}
	for (u64 a = align_down(page, L2_SPAN); a < align_down(page, L2_SPAN) + L2_SPAN; a += PAGE_SIZE)
		if (a != page)
			expect_mapped(a, pa + (a - va), ATTR_A);
	/* a 2 MiB remap inside the 1 GiB splits only down to level 2 */
	assert_int_equal(pt_map(&pt, 0xc0000000, 0x140000000ull, L1_SPAN, ATTR_A), 0);
	assert_int_equal(pt_map(&pt, 0xc0400000, 0x1000000000ull, L2_SPAN, ATTR_B), 0);
	assert_int_equal(tables.allocs, 3);
	assert_int_equal(leaf_level(0xc0400000), 2);
	expect_mapped(0xc0400000, 0x1000000000ull, ATTR_B);
	expect_mapped(0xc0200000, 0x140200000ull, ATTR_A);
	expect_mapped(0xc0600000, 0x140600000ull, ATTR_A);
	expect_range(0xc0000000, 0x140000000ull, 0x400000, ATTR_A, L2_SPAN / 4);
	expect_range(0xc0600000, 0x140600000ull, L1_SPAN - 0x600000, ATTR_A, L2_SPAN);
}

static void test_block_replaces_table(void **state)
{
	/* pages first, then a block over the same 2 MiB: the table is freed */
	assert_int_equal(pt_map(&pt, 0x40000000, 0x80001000, 8 * PAGE_SIZE, ATTR_A), 0);
	assert_int_equal(tables.allocs, 2);
	assert_int_equal(pt_map(&pt, 0x40000000, 0x80000000, L2_SPAN, ATTR_B), 0);
	assert_int_equal(tables.frees, 1);
	assert_int_equal(tables.nlive, 1);
	assert_int_equal(leaf_level(0x40000000), 2);
	expect_range(0x40000000, 0x80000000, L2_SPAN, ATTR_B, PAGE_SIZE);
	/* and a 1 GiB block over a level-2 table with a level-3 table below */
	assert_int_equal(pt_map(&pt, 0x40400000, 0x80401000, PAGE_SIZE, ATTR_A), 0);
	assert_int_equal(tables.nlive, 2);
	assert_int_equal(pt_map(&pt, 0x40000000, 0x80000000, L1_SPAN, ATTR_C), 0);
	assert_int_equal(tables.nlive, 0);
	assert_int_equal(tables.frees, tables.allocs);
	expect_range(0x40000000, 0x80000000, L1_SPAN, ATTR_C, 16 * MiB);
}

static void test_unmap_part_of_block(void **state)
{
	assert_int_equal(pt_map(&pt, 0x40200000, 0x80400000, L2_SPAN, ATTR_A), 0);
	assert_int_equal(pt_unmap(&pt, 0x40203000, 2 * PAGE_SIZE), 0);
	expect_unmapped(0x40203000);
	expect_unmapped(0x40204fff);
	expect_range(0x40200000, 0x80400000, 0x3000, ATTR_A, PAGE_SIZE);
	expect_range(0x40205000, 0x80405000, L2_SPAN - 0x5000, ATTR_A, PAGE_SIZE);
	assert_int_equal(tables.allocs, 2);

	/* 2 MiB out of a 1 GiB block: the rest stays 2 MiB blocks */
	assert_int_equal(pt_map(&pt, 0x80000000, 0x100000000ull, L1_SPAN, ATTR_B), 0);
	assert_int_equal(pt_unmap(&pt, 0x80200000, L2_SPAN), 0);
	assert_int_equal(tables.allocs, 3);
	expect_unmapped(0x80200000);
	expect_unmapped(0x803fffff);
	expect_range(0x80000000, 0x100000000ull, L2_SPAN, ATTR_B, PAGE_SIZE);
	expect_range(0x80400000, 0x100400000ull, L1_SPAN - 0x400000, ATTR_B, L2_SPAN);
	assert_int_equal(leaf_level(0x80400000), 2);

	/* a page out of that 1 GiB block's remaining 2 MiB blocks */
	assert_int_equal(pt_unmap(&pt, 0xbffff000, PAGE_SIZE), 0);
	expect_unmapped(0xbffff000);
	expect_mapped(0xbfffe000, 0x13fffe000ull, ATTR_B);
	assert_int_equal(tables.allocs, 4);
}

static void test_unmap_frees_empty_tables(void **state)
{
	/* one page: unmapping it frees both tables it needed */
	assert_int_equal(pt_map(&pt, 0x40001000, 0x80001000, PAGE_SIZE, ATTR_A), 0);
	assert_int_equal(pt_unmap(&pt, 0x40001000, PAGE_SIZE), 0);
	assert_int_equal(tables.nlive, 0);
	assert_true(root_empty());

	/* unmapping page by page: the tables go with the last page */
	assert_int_equal(pt_map(&pt, 0x40000000, 0x80001000, 4 * PAGE_SIZE, ATTR_A), 0);
	assert_int_equal(tables.nlive, 2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pt_unmap(&pt, 0x40000000 + i * PAGE_SIZE, PAGE_SIZE), 0);
		assert_int_equal(tables.nlive, 2);
	}
	assert_int_equal(pt_unmap(&pt, 0x40003000, PAGE_SIZE), 0);
	assert_int_equal(tables.nlive, 0);
	assert_true(root_empty());

	/* a block split by a partial unmap, then the rest unmapped */
	assert_int_equal(pt_map(&pt, 0x40200000, 0x80200000, L2_SPAN, ATTR_A), 0);
	assert_int_equal(pt_unmap(&pt, 0x40200000, PAGE_SIZE), 0);
	assert_int_equal(tables.nlive, 2);
	assert_int_equal(pt_unmap(&pt, 0x40201000, L2_SPAN - PAGE_SIZE), 0);
	assert_int_equal(tables.nlive, 0);
	assert_true(root_empty());

	/* unmapping a range that is not mapped changes nothing */
	assert_int_equal(pt_unmap(&pt, 0, 1ull << 39), 0);
	assert_int_equal(tables.allocs, tables.frees);
}

static void test_unmap_everything_no_leak(void **state)
{
	/* a mix of blocks and pages over several 1 GiB regions */
	assert_int_equal(pt_map(&pt, 0x40000000, 0x40000000, 3 * L1_SPAN, ATTR_A), 0);
	assert_int_equal(pt_map(&pt, 0x40001000, 0x9000000, 10 * PAGE_SIZE, ATTR_C), 0);
	assert_int_equal(pt_map(&pt, 0x80300000, 0x80300000, 3 * L2_SPAN, ATTR_B), 0);
	assert_int_equal(pt_map(&pt, 0x7fffe00000ull, 0x1000, L2_SPAN, ATTR_A), 0);
	assert_int_equal(pt_map(&pt, 0x10000, 0x10000, 0x123000, ATTR_A), 0);
	assert_true(tables.nlive > 0);
	assert_int_equal(pt_unmap(&pt, 0x50000000, 0x1000), 0);
	assert_int_equal(pt_unmap(&pt, 0, 1ull << 39), 0);
	assert_int_equal(tables.nlive, 0);
	assert_int_equal(tables.allocs, tables.frees);
	assert_true(root_empty());
	expect_unmapped(0x40001000);
	expect_unmapped(0x7fffe00000ull);

	/* the same again, cleaned up by pt_free_tables instead */
	assert_int_equal(pt_map(&pt, 0x40000000, 0x40000000, 3 * L1_SPAN, ATTR_A), 0);
	assert_int_equal(pt_map(&pt, 0x40001000, 0x9000000, 10 * PAGE_SIZE, ATTR_C), 0);
	assert_int_equal(pt_map(&pt, 0x7fffe00000ull, 0x1000, L2_SPAN, ATTR_A), 0);
	assert_true(tables.nlive > 0);
	pt_free_tables(&pt);
	assert_int_equal(tables.nlive, 0);
	assert_int_equal(tables.allocs, tables.frees);
	/* the 1 GiB blocks in the root are not tables: they stay */
	expect_mapped(0x80000000, 0x80000000, ATTR_A);
	expect_unmapped(0x40001000);
}

static void test_out_of_range(void **state)
{
	const u64 top = 1ull << 39;
	u64 pa, attrs;

	/* start level 1: 39 bits */
	assert_int_equal(pt_map(&pt, top, 0, PAGE_SIZE, ATTR_A), -1);
	assert_int_equal(pt_map(&pt, top - PAGE_SIZE, 0, 2 * PAGE_SIZE, ATTR_A), -1);
	assert_int_equal(pt_map(&pt, 0, 0, top + PAGE_SIZE, ATTR_A), -1);
	assert_int_equal(pt_map(&pt, 0xfffffffffffff000ull, 0, 2 * PAGE_SIZE, ATTR_A), -1);
	assert_int_equal(pt_map(&pt, PAGE_SIZE, 0, 0xfffffffffffff000ull, ATTR_A), -1);
	/* unaligned va, pa or size */
	assert_int_equal(pt_map(&pt, 0x1800, 0x1000, PAGE_SIZE, ATTR_A), -1);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1800, PAGE_SIZE, ATTR_A), -1);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, 0x800, ATTR_A), -1);
	/* pa wrapping */
	assert_int_equal(pt_map(&pt, 0x1000, 0xfffffffffffff000ull, 2 * PAGE_SIZE, ATTR_A), -1);
	assert_int_equal(pt_unmap(&pt, top, PAGE_SIZE), -1);
	assert_int_equal(pt_unmap(&pt, top - PAGE_SIZE, 2 * PAGE_SIZE), -1);
	assert_int_equal(pt_unmap(&pt, 0x1800, PAGE_SIZE), -1);
	assert_int_equal(tables.allocs, 0);
	assert_true(root_empty());
	assert_false(pt_lookup(&pt, top, &pa, &attrs));
	assert_false(pt_lookup(&pt, ~0ull, &pa, &attrs));

	/* the last page and the last 1 GiB below the limit are fine */
	assert_int_equal(pt_map(&pt, top - L1_SPAN, 0x40000000, L1_SPAN, ATTR_A), 0);
	expect_mapped(top - 1, 0x40000000 + L1_SPAN - 1, ATTR_A);
	assert_int_equal(pt.root[511], 0x40000000 | ATTR_A | PTE_VALID);
	/* a lookup just past the limit must not wrap to index 0 */
	assert_int_equal(pt_map(&pt, 0, 0x40000000, L1_SPAN, ATTR_A), 0);
	assert_false(pt_lookup(&pt, top, &pa, &attrs));
	assert_false(pt_lookup(&pt, top + 0x1000, &pa, &attrs));
	assert_int_equal(pt_unmap(&pt, top - PAGE_SIZE, PAGE_SIZE), 0);
	expect_unmapped(top - PAGE_SIZE);
	expect_mapped(top - 2 * PAGE_SIZE, 0x40000000 + L1_SPAN - 2 * PAGE_SIZE, ATTR_A);
	/* size 0 is a no-op */
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, 0, ATTR_A), 0);
	assert_int_equal(pt_unmap(&pt, 0x1000, 0), 0);
	expect_mapped(0x1000, 0x40001000, ATTR_A);
}

static void test_start_level_0(void **state)
{
	const u64 top = 1ull << 48;
	u64 pa, attrs;

	/* 48 bits: beyond 39 bits is fine now */
	assert_int_equal(pt_map(&pt, 1ull << 40, 0x80000000, PAGE_SIZE, ATTR_A), 0);
	assert_int_equal(tables.allocs, 3);
	expect_mapped(1ull << 40, 0x80000000, ATTR_A);
	assert_int_equal(leaf_level(1ull << 40), 3);
	/* no blocks at level 0: 512 GiB needs level-1 1 GiB blocks */
	assert_int_equal(pt_map(&pt, 1ull << 39, 0, 1ull << 39, ATTR_B), 0);
	assert_int_equal(tables.allocs, 4);
	assert_true(is_table_desc(pt.root[1]));
	assert_int_equal(leaf_level(1ull << 39), 1);
	expect_range(1ull << 39, 0, 1ull << 39, ATTR_B, 4 * GiB);
	assert_int_equal(pt_map(&pt, top - PAGE_SIZE, 0x1000, PAGE_SIZE, ATTR_A), 0);
	assert_int_equal(pt_map(&pt, top, 0x1000, PAGE_SIZE, ATTR_A), -1);
	assert_false(pt_lookup(&pt, top, &pa, &attrs));
	assert_int_equal(pt_unmap(&pt, 0, top), 0);
	assert_int_equal(tables.nlive, 0);
	assert_true(root_empty());
}

static void test_alloc_failure(void **state)
{
	/* no table at all: nothing mapped, nothing allocated */
	tables.budget = 0;
	assert_int_equal(pt_map(&pt, 0x40000000, 0x80000000, PAGE_SIZE, ATTR_A), -1);
	assert_true(root_empty());
	assert_int_equal(tables.allocs, 0);
	/* the level-2 table but not the level-3 one */
	tables.budget = 1;
	assert_int_equal(pt_map(&pt, 0x40000000, 0x80000000, PAGE_SIZE, ATTR_A), -1);
	expect_unmapped(0x40000000);
	assert_int_equal(tables.allocs, 1);
	/* a 1 GiB block needs no table and still works */
	tables.budget = 0;
	assert_int_equal(pt_map(&pt, 0x80000000, 0x80000000, L1_SPAN, ATTR_A), 0);
	/* splitting it fails: the block stays as it was */
	assert_int_equal(pt_map(&pt, 0x80001000, 0x1000, PAGE_SIZE, ATTR_B), -1);
	assert_true(is_block_desc(pt.root[2]));
	expect_range(0x80000000, 0x80000000, L1_SPAN, ATTR_A, 16 * MiB);
	assert_int_equal(pt_unmap(&pt, 0x80001000, PAGE_SIZE), -1);
	assert_true(is_block_desc(pt.root[2]));
	expect_mapped(0x80001000, 0x80001000, ATTR_A);
	/* one table: the 1 GiB split works, the 2 MiB split does not; what
	 * was mapped stays mapped */
	tables.budget = 1;
	assert_int_equal(pt_map(&pt, 0x80001000, 0x1000, PAGE_SIZE, ATTR_B), -1);
	expect_range(0x80000000, 0x80000000, L1_SPAN, ATTR_A, PAGE_SIZE * 64);
	assert_int_equal(leaf_level(0x80001000), 2);
	/* a multi-page map failing part-way keeps what it did */
	tables.budget = 1;
	assert_int_equal(pt_map(&pt, 0x401ff000, 0x90000000, 2 * PAGE_SIZE, ATTR_C), -1);
	expect_mapped(0x401ff000, 0x90000000, ATTR_C);
	expect_unmapped(0x40200000);
	/* with tables again, everything works */
	tables.budget = -1;
	assert_int_equal(pt_map(&pt, 0x80001000, 0x1000, PAGE_SIZE, ATTR_B), 0);
	expect_mapped(0x80001000, 0x1000, ATTR_B);
	expect_mapped(0x80002000, 0x80002000, ATTR_A);
}

static void test_remap_same_range(void **state)
{
	/* remapping with new attributes/outputs replaces in place, no new tables */
	assert_int_equal(pt_map(&pt, 0x40000000, 0x80000000, 16 * PAGE_SIZE, ATTR_A), 0);
	assert_int_equal(tables.allocs, 2);
	assert_int_equal(pt_map(&pt, 0x40000000, 0x90000000, 16 * PAGE_SIZE, ATTR_B), 0);
	assert_int_equal(tables.allocs, 2);
	expect_range(0x40000000, 0x90000000, 16 * PAGE_SIZE, ATTR_B, PAGE_SIZE);
}

/* Break-before-make: each valid entry that changes is cleared and reported
 * (so its TLB entries go) while nothing maps its address, before its
 * replacement is written or its table freed. */
static struct {
	u64 va[8], span[8];
	bool table[8], mapped_during[8];
	u32 n;
} breaks;

static void record_break(void *ctx, u64 va, u64 span, bool table)
{
	u64 pa, attrs;

	assert_ptr_equal(ctx, &tables);
	assert_true(breaks.n < 8);
	breaks.va[breaks.n] = va;
	breaks.span[breaks.n] = span;
	breaks.table[breaks.n] = table;
	breaks.mapped_during[breaks.n] = pt_lookup(&pt, va, &pa, &attrs);
	breaks.n++;
}

static void test_unmap_page_breaks_before_make(void **state)
{
	u64 ipa = 0x40000000, pa, attrs;

	assert_int_equal(pt_map(&pt, ipa, 0x80000000, L2_SPAN, ATTR_A), 0);
	memset(&breaks, 0, sizeof(breaks));
	pt.break_entry = record_break;
	assert_int_equal(pt_unmap(&pt, ipa + 5 * PAGE_SIZE, PAGE_SIZE), 0);
	/* the block went (invalidated as one block), then the page of the table */
	assert_int_equal(breaks.n, 2);
	assert_int_equal(breaks.va[0], ipa);
	assert_int_equal(breaks.span[0], L2_SPAN);
	assert_false(breaks.table[0]);
	assert_int_equal(breaks.va[1], ipa + 5 * PAGE_SIZE);
	assert_int_equal(breaks.span[1], PAGE_SIZE);
	for (u32 i = 0; i < breaks.n; i++)
		assert_false(breaks.mapped_during[i]);
	assert_false(pt_lookup(&pt, ipa + 5 * PAGE_SIZE, &pa, &attrs));
	assert_true(pt_lookup(&pt, ipa + 6 * PAGE_SIZE, &pa, &attrs));
	assert_int_equal(pa, 0x80000000 + 6 * PAGE_SIZE);
	/* a page mapped into the hole: an invalid entry needs no break */
	breaks.n = 0;
	assert_int_equal(pt_map(&pt, ipa + 5 * PAGE_SIZE, 0x90000000, PAGE_SIZE, ATTR_A), 0);
	assert_int_equal(breaks.n, 0);
	/* the last pages of a table: the table entry breaks before it is freed */
	pt.break_entry = NULL;
	assert_int_equal(pt_unmap(&pt, ipa, L2_SPAN - PAGE_SIZE), 0);
	pt.break_entry = record_break;
	breaks.n = 0;
	assert_int_equal(pt_unmap(&pt, ipa + L2_SPAN - PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(breaks.n, 3);  /* the page, its level-3 table, the level-2 one */
	assert_int_equal(breaks.span[1], L2_SPAN);
	assert_true(breaks.table[1]);
	assert_int_equal(breaks.span[2], L1_SPAN);
	assert_true(breaks.table[2]);
	pt.break_entry = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_page, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_map_block_2m, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_map_block_1g, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_pa_uses_pages, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_range_mixes_sizes, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_attrs_are_masked, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_split_2m_block, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_split_1g_block, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_block_replaces_table, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_part_of_block, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_frees_empty_tables, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_everything_no_leak, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_start_level_0, setup_s1, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failure, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_remap_same_range, setup_s2, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_page_breaks_before_make, setup_s2, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
