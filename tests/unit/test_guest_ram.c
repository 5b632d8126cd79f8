/*
 * A VM's RAM as pool pages (core/guest_ram.c): backed in the largest runs
 * the pool has, scrubbed both ways, walked as merged runs, and the pool's
 * free count exact after every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/guest_ram.h"
#include "core/page_alloc.h"
#include "fake_arch.h"

#define POOL_SIZE (16 * MiB)
#define RAM_BASE 0x40000000ull

static struct page_pool pool;
static u8 *mem;
static u64 *bitmap;
static struct guest_ram ram;

static int setup(void **state)
{
	memset(&pool, 0, sizeof(pool));
	mem = aligned_alloc(GRAM_CHUNK_SIZE, POOL_SIZE);
	bitmap = calloc(1, page_bank_bitmap_bytes(POOL_SIZE));
	assert_non_null(mem);
	assert_non_null(bitmap);
	memset(mem, 0xaa, POOL_SIZE);   /* what a previous owner left */
	assert_int_equal(page_pool_add_bank(&pool, ptr_to_pa(mem), POOL_SIZE, bitmap), 0);
	fake_arch_reset();
	return 0;
}

static int teardown(void **state)
{
	free(mem);
	free(bitmap);
	return 0;
}

static u8 *host(u64 ipa)
{
	paddr_t pa;

	return guest_ram_lookup(&ram, ipa, &pa) ? pa_to_ptr(pa) : NULL;
}

/* Every backed guest byte reads 0: scrubbed before the VM got it. */
static void assert_all_zero(void)
{
	for (u64 off = 0; off < ram.size; off += PAGE_SIZE) {
		const u8 *p = host(RAM_BASE + off);

		assert_non_null(p);
		for (u64 i = 0; i < PAGE_SIZE; i += 512)
			assert_int_equal(p[i], 0);
	}
}

static int count_runs(void *ctx, ipaddr_t ipa, paddr_t pa, u64 size)
{
	u64 *n = ctx;

	(*n)++;
	return 0;
}

static u64 runs(void)
{
	u64 n = 0;

	assert_int_equal(guest_ram_for_each_run(&ram, count_runs, &n), 0);
	return n;
}

/* Free pool: one 2 MiB-aligned run, every chunk a block, one stage-2 run. */
static void test_one_run(void **state)
{
	u64 before = pool.free_pages;
	paddr_t first;

	assert_int_equal(guest_ram_create(&ram, &pool, RAM_BASE, 8 * MiB), 0);
	assert_int_equal(ram.table_pages, 1);
	assert_int_equal(guest_ram_populate(&ram, &pool), 0);
	for (u32 i = 0; i < 4; i++)
		assert_int_equal(ram.chunks[i].kind, GRAM_BLOCK);
	assert_int_equal(ram.pages, 8 * MiB / PAGE_SIZE);
	assert_int_equal(pool.free_pages, before - ram.pages - ram.table_pages);
	assert_int_equal(runs(), 1);
	assert_int_equal(guest_ram_runs(&ram, &first), 1);
	assert_true(is_aligned(pa_addr(first), GRAM_CHUNK_SIZE));
	assert_ptr_equal(host(RAM_BASE + 5 * MiB + 3), (u8 *)pa_to_ptr(first) + 5 * MiB + 3);
	assert_all_zero();
	assert_null(host(RAM_BASE + 8 * MiB));
	assert_null(host(RAM_BASE - 1));
	guest_ram_release(&ram, &pool);
	assert_int_equal(pool.free_pages, before);
	assert_null(ram.chunks);
}

/* What the VM wrote is scrubbed on the way back, before anyone else gets it. */
static void test_release_scrubs(void **state)
{
	u64 before = pool.free_pages;
	u8 *p;

	assert_int_equal(guest_ram_create(&ram, &pool, RAM_BASE, 4 * MiB), 0);
	assert_int_equal(guest_ram_populate(&ram, &pool), 0);
	p = host(RAM_BASE + 3 * MiB);
	memset(p, 0x5a, PAGE_SIZE);
	guest_ram_release(&ram, &pool);
	for (u64 i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(pool.free_pages, before);
}

/* With only one 4 MiB and one 2 MiB hole, 6 MiB of RAM takes both (halving). */
static void test_halving(void **state)
{
	u64 before = pool.free_pages;

	assert_int_equal(guest_ram_create(&ram, &pool, RAM_BASE, 6 * MiB), 0);  /* page 0 */
	/* used: all but [2, 6) MiB and [10, 12) MiB */
	page_pool_reserve(&pool, ptr_to_pa(mem + PAGE_SIZE), 2 * MiB - PAGE_SIZE);
	page_pool_reserve(&pool, ptr_to_pa(mem + 6 * MiB), 4 * MiB);
	page_pool_reserve(&pool, ptr_to_pa(mem + 12 * MiB), 4 * MiB);
	before = pool.free_pages;
	assert_int_equal(guest_ram_populate(&ram, &pool), 0);
	assert_int_equal(runs(), 2);
	assert_ptr_equal(host(RAM_BASE), mem + 2 * MiB);
	assert_ptr_equal(host(RAM_BASE + 4 * MiB), mem + 10 * MiB);
	assert_int_equal(pool.free_pages, 0);
	assert_all_zero();
	guest_ram_release(&ram, &pool);
	assert_int_equal(pool.free_pages, before + 1);   /* and the array's page */
}

/* No 2 MiB block anywhere: chunks of pages, in runs as long as the pool has. */
static void test_fragmented(void **state)
{
	u64 before;

	for (u64 off = 0; off < POOL_SIZE; off += GRAM_CHUNK_SIZE)
		page_pool_reserve(&pool, ptr_to_pa(mem + off + 64 * PAGE_SIZE), PAGE_SIZE);
	before = pool.free_pages;
	assert_int_equal(guest_ram_create(&ram, &pool, RAM_BASE, 4 * MiB), 0);
	assert_int_equal(guest_ram_populate(&ram, &pool), 0);
	assert_int_equal(ram.chunks[0].kind, GRAM_PAGES);
	assert_int_equal(ram.chunks[1].kind, GRAM_PAGES);
	assert_int_equal(ram.pages, 4 * MiB / PAGE_SIZE);
	assert_int_equal(ram.table_pages, 3);   /* the array and two tables */
	assert_int_equal(pool.free_pages, before - ram.pages - ram.table_pages);
	assert_all_zero();
	assert_true(runs() >= 2);
	guest_ram_release(&ram, &pool);
	assert_int_equal(pool.free_pages, before);
}

/* The pool runs out part-way: -1, and release gives back exactly what was taken. */
static void test_out_of_memory(void **state)
{
	u64 before = pool.free_pages;

	assert_int_equal(guest_ram_create(&ram, &pool, RAM_BASE, 32 * MiB), 0);
	assert_int_equal(guest_ram_populate(&ram, &pool), -1);
	assert_int_equal(pool.free_pages, 0);
	assert_int_equal(ram.pages, before - ram.table_pages);
	guest_ram_release(&ram, &pool);
	assert_int_equal(pool.free_pages, before);
}

/* A RAM that is not a whole number of chunks: the last one is short. */
static void test_short_last_chunk(void **state)
{
	u64 before = pool.free_pages;

	assert_int_equal(guest_ram_create(&ram, &pool, RAM_BASE, 3 * MiB), 0);
	assert_int_equal(guest_ram_populate(&ram, &pool), 0);
	assert_int_equal(ram.pages, 3 * MiB / PAGE_SIZE);
	assert_int_equal(pool.free_pages, before - ram.pages - 1);
	assert_non_null(host(RAM_BASE + 3 * MiB - 1));
	assert_null(host(RAM_BASE + 3 * MiB));
	{
		paddr_t pa;

		assert_int_equal(guest_ram_lookup(&ram, RAM_BASE + 2 * MiB + 10, &pa), MiB - 10);
	}
	guest_ram_release(&ram, &pool);
	assert_int_equal(pool.free_pages, before);
}

/* A chunk with one page missing (as the balloon will leave it) gets just
 * that page back; runs split around a page that is elsewhere. */
static void test_refill_one_page(void **state)
{
	u64 before, taken;
	paddr_t old;

	assert_int_equal(guest_ram_create(&ram, &pool, RAM_BASE, 4 * MiB), 0);
	before = pool.free_pages;
	for (u64 off = 0; off < POOL_SIZE; off += GRAM_CHUNK_SIZE)
		page_pool_reserve(&pool, ptr_to_pa(mem + off + 7 * PAGE_SIZE), PAGE_SIZE);
	taken = before - pool.free_pages;
	assert_int_equal(guest_ram_populate(&ram, &pool), 0);
	assert_int_equal(ram.chunks[0].kind, GRAM_PAGES);
	/* give page 3 of chunk 0 back by hand */
	old = ram.chunks[0].pages[3];
	ram.chunks[0].pages[3] = pa_init(0);
	page_free(&pool, old, 1);
	ram.pages--;
	memset(pa_to_ptr(old), 0xcc, PAGE_SIZE);
	assert_null(host(RAM_BASE + 3 * PAGE_SIZE));
	assert_int_equal(guest_ram_populate(&ram, &pool), 0);
	assert_int_equal(ram.pages, 4 * MiB / PAGE_SIZE);
	assert_non_null(host(RAM_BASE + 3 * PAGE_SIZE));
	assert_int_equal(host(RAM_BASE + 3 * PAGE_SIZE)[0], 0);   /* scrubbed again */
	assert_int_equal(pool.free_pages, before - taken - ram.pages - (ram.table_pages - 1));
	guest_ram_release(&ram, &pool);
	assert_int_equal(pool.free_pages, before - taken + 1);   /* and the array's page */
}

static int stop_at_second(void *ctx, ipaddr_t ipa, paddr_t pa, u64 size)
{
	u64 *n = ctx;

	return ++*n == 2 ? 7 : 0;
}

/* A walk that fails stops there and says so. */
static void test_walk_stops(void **state)
{
	u64 n = 0;

	assert_int_equal(guest_ram_create(&ram, &pool, RAM_BASE, 6 * MiB), 0);
	page_pool_reserve(&pool, ptr_to_pa(mem + 6 * MiB), 2 * MiB);
	page_pool_reserve(&pool, ptr_to_pa(mem + 12 * MiB), 2 * MiB);
	assert_int_equal(guest_ram_populate(&ram, &pool), 0);
	assert_true(runs() >= 2);
	assert_int_equal(guest_ram_for_each_run(&ram, stop_at_second, &n), 7);
	assert_int_equal(n, 2);
	guest_ram_release(&ram, &pool);
}

/* Sizes and bases create refuses. */
static void test_create_refuses(void **state)
{
	u64 before = pool.free_pages;

	assert_int_equal(guest_ram_create(&ram, &pool, RAM_BASE, 0), -1);
	assert_int_equal(guest_ram_create(&ram, &pool, RAM_BASE, PAGE_SIZE + 1), -1);
	assert_int_equal(guest_ram_create(&ram, &pool, RAM_BASE + PAGE_SIZE, 2 * MiB), -1);
	assert_int_equal(pool.free_pages, before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_scrubs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_halving, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragmented, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_last_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refill_one_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_refuses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
