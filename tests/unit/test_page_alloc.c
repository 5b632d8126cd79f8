/*
 * Page allocator tests. Banks live at made-up physical addresses (only the
 * bitmaps are host memory) except for page_alloc_zeroed, which writes the
 * page and so gets a bank backed by a host buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/page_alloc.h"
#include "fake_arch.h"

#define BITMAP_WORDS 1024 /* enough for 64 Ki pages per bank */

static struct page_pool pool;
static u64 bitmaps[PAGE_POOL_MAX_BANKS + 1][BITMAP_WORDS];

static int setup(void **state)
{
	fake_arch_reset();
	memset(&pool, 0, sizeof(pool));
	memset(bitmaps, 0xee, sizeof(bitmaps)); /* add_bank must clear what it uses */
	return 0;
}

static void add_bank(u32 i, u64 base, u64 npages)
{
	assert_true(page_bank_bitmap_bytes(npages * PAGE_SIZE) <= sizeof(bitmaps[i]));
	assert_int_equal(page_pool_add_bank(&pool, pa_init(base), npages * PAGE_SIZE, bitmaps[i]), 0);
}

static u64 alloc(u64 npages, u64 align)
{
	return pa_addr(page_alloc(&pool, npages, align));
}

static bool is_free(u64 pa)
{
	return page_is_free(&pool, pa_init(pa));
}

/* Free pages counted the slow way, to check the running count. */
static u64 count_free(void)
{
	u64 n = 0;

	for (u32 b = 0; b < pool.nbanks; b++)
		for (u64 i = 0; i < pool.banks[b].npages; i++)
			n += is_free(pool.banks[b].base + i * PAGE_SIZE);
	return n;
}

static void check_accounting(void)
{
	assert_int_equal(pool.free_pages, count_free());
}

static void test_bitmap_bytes(void **state)
{
	assert_int_equal(page_bank_bitmap_bytes(0), 0);
	assert_int_equal(page_bank_bitmap_bytes(PAGE_SIZE), 8);
	assert_int_equal(page_bank_bitmap_bytes(64 * PAGE_SIZE), 8);
	assert_int_equal(page_bank_bitmap_bytes(65 * PAGE_SIZE), 16);
	assert_int_equal(page_bank_bitmap_bytes(64 * PAGE_SIZE + 100), 8);
	assert_int_equal(page_bank_bitmap_bytes(1 * GiB), 32 * KiB);
}

static void test_add_bank(void **state)
{
	add_bank(0, 0x40000000, 100);
	assert_int_equal(pool.nbanks, 1);
	assert_int_equal(pool.free_pages, 100);
	assert_int_equal(pool.total_pages, 100);
	/* the used part of the bitmap is cleared, nothing past it is touched */
	for (u32 i = 0; i < 2; i++)
		assert_int_equal(bitmaps[0][i], 0);
	assert_int_equal(bitmaps[0][2], 0xeeeeeeeeeeeeeeeeull);
	assert_true(is_free(0x40000000));
	assert_true(is_free(0x40000000 + 99 * PAGE_SIZE));
	assert_true(is_free(0x40000000 + 99 * PAGE_SIZE + 123));
	assert_false(is_free(0x40000000 + 100 * PAGE_SIZE));
	assert_false(is_free(0x40000000 - PAGE_SIZE));

	/* a partial trailing page is not used */
	assert_int_equal(page_pool_add_bank(&pool, pa_init(0x80000000), 3 * PAGE_SIZE + 5, bitmaps[1]), 0);
	assert_int_equal(pool.banks[1].npages, 3);
	assert_int_equal(pool.free_pages, 103);
	assert_int_equal(pool.total_pages, 103);
}

static void test_add_bank_rejects(void **state)
{
	u64 *bm = bitmaps[0];

	assert_int_equal(page_pool_add_bank(&pool, pa_init(0x40000800), 16 * PAGE_SIZE, bm), -1);
	assert_int_equal(page_pool_add_bank(&pool, pa_init(0x40000000), PAGE_SIZE - 1, bm), -1);
	assert_int_equal(page_pool_add_bank(&pool, pa_init(0x40000000), 0, bm), -1);
	assert_int_equal(page_pool_add_bank(&pool, pa_init(0xfffffffffffff000ull), 2 * PAGE_SIZE, bm), -1);
	assert_int_equal(pool.nbanks, 0);
	assert_int_equal(pool.free_pages, 0);

	for (u32 i = 0; i < PAGE_POOL_MAX_BANKS; i++)
		add_bank(i, 0x100000000ull * (i + 1), 8);
	assert_int_equal(page_pool_add_bank(&pool, pa_init(0x1000000000ull), 8 * PAGE_SIZE,
					    bitmaps[PAGE_POOL_MAX_BANKS]), -1);
	assert_int_equal(pool.nbanks, PAGE_POOL_MAX_BANKS);
	assert_int_equal(pool.free_pages, 8 * PAGE_POOL_MAX_BANKS);
}

static void test_alloc_first_fit(void **state)
{
	add_bank(0, 0x40000000, 16);
	assert_int_equal(alloc(1, PAGE_SIZE), 0x40000000);
	assert_int_equal(alloc(1, PAGE_SIZE), 0x40001000);
	assert_int_equal(alloc(3, PAGE_SIZE), 0x40002000);
	assert_false(is_free(0x40000000));
	assert_false(is_free(0x40004000));
	assert_true(is_free(0x40005000));
	assert_int_equal(pool.free_pages, 11);
	/* a hole is reused only by runs that fit in it */
	page_free(&pool, pa_init(0x40001000), 1);
	assert_int_equal(alloc(2, PAGE_SIZE), 0x40005000);
	assert_int_equal(alloc(1, PAGE_SIZE), 0x40001000);
	assert_int_equal(pool.free_pages, 9);
	check_accounting();
}

static void test_alloc_bad_args(void **state)
{
	add_bank(0, 0x40000000, 16);
	assert_int_equal(alloc(0, PAGE_SIZE), 0);
	assert_int_equal(alloc(1, 0), 0);
	assert_int_equal(alloc(1, PAGE_SIZE / 2), 0);
	assert_int_equal(alloc(1, 3 * PAGE_SIZE), 0);
	assert_int_equal(alloc(1, PAGE_SIZE + 1), 0);
	assert_int_equal(pool.free_pages, 16);
	check_accounting();
}

static void test_alloc_aligned(void **state)
{
	/* 2 MiB-aligned bank: the first aligned run is at its base */
	add_bank(0, 0x40000000, 2048); /* 8 MiB */
	assert_int_equal(alloc(1, PAGE_SIZE), 0x40000000);
	assert_int_equal(alloc(512, 2 * MiB), 0x40200000);
	assert_int_equal(alloc(1, 64 * KiB), 0x40010000);
	assert_int_equal(alloc(3, 16 * KiB), 0x40004000);
	assert_int_equal(alloc(1, 2 * MiB), 0x40400000);
	/* a run of more than the alignment */
	assert_int_equal(alloc(600, 2 * MiB), 0);
	assert_int_equal(alloc(511, 2 * MiB), 0x40600000);
	check_accounting();
}

static void test_alloc_aligned_unaligned_bank(void **state)
{
	u64 pa;

	/* bank base not aligned to the requested alignment */
	add_bank(0, 0x40001000, 2048);
	assert_int_equal(alloc(1, 2 * MiB), 0x40200000);
	assert_int_equal(alloc(1, 8 * KiB), 0x40002000);
	/* the next 8 KiB-aligned page is in use: skip to the next aligned one */
	pa = alloc(1, 8 * KiB);
	assert_int_equal(pa, 0x40004000);
	assert_int_equal(alloc(1, PAGE_SIZE), 0x40001000);
	assert_int_equal(alloc(1, PAGE_SIZE), 0x40003000);
	/* used pages in the way of an aligned run keep the alignment */
	for (int i = 0; i < 20; i++) {
		pa = alloc(1, 4 * PAGE_SIZE);
		assert_int_not_equal(pa, 0);
		assert_true(is_aligned(pa, 4 * PAGE_SIZE));
	}
	pa = alloc(2, 2 * MiB);
	assert_int_equal(pa, 0x40400000);
	check_accounting();
}

static void test_alloc_aligned_skips_used(void **state)
{
	u64 pa;

	/* base is 4 KiB but not 8 KiB aligned; page at the first 8 KiB boundary
	 * is in use, so the search must move to the next 8 KiB boundary */
	add_bank(0, 0x1000, 64);
	page_pool_reserve(&pool, pa_init(0x2000), PAGE_SIZE);
	pa = alloc(1, 8 * KiB);
	assert_true(is_aligned(pa, 8 * KiB));
	assert_int_equal(pa, 0x4000);
	/* a run broken by a used page restarts at an aligned address past it */
	page_pool_reserve(&pool, pa_init(0x9000), PAGE_SIZE);
	pa = alloc(4, 16 * KiB);
	assert_true(is_aligned(pa, 16 * KiB));
	assert_int_equal(pa, 0xc000);
	check_accounting();
}

static void test_alloc_no_fit(void **state)
{
	add_bank(0, 0x40000000, 16);
	assert_int_equal(alloc(17, PAGE_SIZE), 0);
	assert_int_equal(alloc(1, 128 * KiB), 0x40000000);
	assert_int_equal(alloc(1, 128 * KiB), 0); /* only one 128 KiB boundary in 64 KiB */
	assert_int_equal(alloc(16, PAGE_SIZE), 0);
	assert_int_equal(alloc(15, PAGE_SIZE), 0x40001000);
	assert_int_equal(pool.free_pages, 0);
	check_accounting();
}

static void test_runs_do_not_span_banks(void **state)
{
	/* two adjacent banks: a run never crosses from one to the other */
	add_bank(0, 0x40000000, 8);
	add_bank(1, 0x40008000, 8);
	assert_int_equal(pool.free_pages, 16);
	assert_int_equal(alloc(6, PAGE_SIZE), 0x40000000);
	assert_int_equal(alloc(4, PAGE_SIZE), 0x40008000);
	assert_int_equal(alloc(2, PAGE_SIZE), 0x40006000);
	assert_int_equal(alloc(5, PAGE_SIZE), 0);
	assert_int_equal(alloc(4, PAGE_SIZE), 0x4000c000);
	assert_int_equal(pool.free_pages, 0);
	check_accounting();
}

static void test_second_bank(void **state)
{
	add_bank(0, 0x40000000, 4);
	add_bank(1, 0x80000000, 1024);
	assert_int_equal(alloc(512, 2 * MiB), 0x80000000);
	assert_int_equal(alloc(4, PAGE_SIZE), 0x40000000);
	assert_int_equal(alloc(1, PAGE_SIZE), 0x80200000);
	assert_false(is_free(0x80200000));
	assert_true(is_free(0x80201000));
	check_accounting();
}

static void test_reserve(void **state)
{
	add_bank(0, 0x40000000, 16);
	/* rounds outwards to whole pages */
	page_pool_reserve(&pool, pa_init(0x40001800), 0x1000);
	assert_true(is_free(0x40000000));
	assert_false(is_free(0x40001000));
	assert_false(is_free(0x40002000));
	assert_true(is_free(0x40003000));
	assert_int_equal(pool.free_pages, 14);
	/* reserving again changes nothing */
	page_pool_reserve(&pool, pa_init(0x40001000), 0x2000);
	assert_int_equal(pool.free_pages, 14);
	/* outside every bank: ignored */
	page_pool_reserve(&pool, pa_init(0x10000000), 0x10000000);
	page_pool_reserve(&pool, pa_init(0x40010000), 0x10000);
	assert_int_equal(pool.free_pages, 14);
	/* size 0 at an aligned address reserves nothing */
	page_pool_reserve(&pool, pa_init(0x40005000), 0);
	assert_true(is_free(0x40005000));
	/* overlapping the bank's start and end */
	page_pool_reserve(&pool, pa_init(0x3ffff000), 0x2000);
	page_pool_reserve(&pool, pa_init(0x4000f000), 0x100000);
	assert_false(is_free(0x40000000));
	assert_false(is_free(0x4000f000));
	assert_int_equal(pool.free_pages, 12);
	assert_int_equal(pool.total_pages, 16);
	/* allocations avoid reserved pages */
	assert_int_equal(alloc(1, PAGE_SIZE), 0x40003000);
	assert_int_equal(alloc(2, 8 * KiB), 0x40004000);
	check_accounting();
}

static void test_reserve_across_banks(void **state)
{
	add_bank(0, 0x40000000, 16);
	add_bank(1, 0x40010000, 16);
	add_bank(2, 0x80000000, 16);
	page_pool_reserve(&pool, pa_init(0x4000e000), 0x4000);
	assert_true(is_free(0x4000d000));
	assert_false(is_free(0x4000e000));
	assert_false(is_free(0x4000f000));
	assert_false(is_free(0x40010000));
	assert_false(is_free(0x40011000));
	assert_true(is_free(0x40012000));
	assert_int_equal(pool.free_pages, 44);
	/* one range covering two banks and the gap between them, and more */
	page_pool_reserve(&pool, pa_init(0x40018000), 0x80000000ull);
	assert_false(is_free(0x4001f000));
	for (u64 i = 0; i < 16; i++)
		assert_false(is_free(0x80000000 + i * PAGE_SIZE));
	assert_int_equal(pool.free_pages, 14 + 6);
	assert_int_equal(alloc(15, PAGE_SIZE), 0);
	assert_int_equal(alloc(14, PAGE_SIZE), 0x40000000);
	assert_int_equal(alloc(7, PAGE_SIZE), 0);
	assert_int_equal(alloc(6, PAGE_SIZE), 0x40012000);
	assert_int_equal(pool.free_pages, 0);
	check_accounting();
}

static void test_free_and_reuse(void **state)
{
	u64 a, b, c;

	add_bank(0, 0x40000000, 64);
	a = alloc(8, PAGE_SIZE);
	b = alloc(8, PAGE_SIZE);
	c = alloc(8, PAGE_SIZE);
	assert_int_equal(pool.free_pages, 40);
	page_free(&pool, pa_init(b), 8);
	assert_int_equal(pool.free_pages, 48);
	for (u64 i = 0; i < 8; i++)
		assert_true(is_free(b + i * PAGE_SIZE));
	assert_false(is_free(a + 7 * PAGE_SIZE));
	assert_false(is_free(c));
	assert_int_equal(alloc(8, PAGE_SIZE), b);
	/* partial frees */
	page_free(&pool, pa_init(a + 2 * PAGE_SIZE), 3);
	assert_int_equal(pool.free_pages, 43);
	assert_int_equal(alloc(4, PAGE_SIZE), 0x40000000 + 24 * PAGE_SIZE);
	assert_int_equal(alloc(3, PAGE_SIZE), a + 2 * PAGE_SIZE);
	check_accounting();
}

static void test_free_accounting(void **state)
{
	u64 a;

	add_bank(0, 0x40000000, 32);
	a = alloc(4, PAGE_SIZE);
	assert_int_equal(pool.free_pages, 28);
	/* double free does not count twice */
	page_free(&pool, pa_init(a), 4);
	page_free(&pool, pa_init(a), 4);
	assert_int_equal(pool.free_pages, 32);
	/* freeing a run that is only partly in use counts only those pages */
	a = alloc(2, PAGE_SIZE);
	page_free(&pool, pa_init(a), 6);
	assert_int_equal(pool.free_pages, 32);
	/* outside every bank: ignored */
	page_free(&pool, pa_init(0x10000000), 1);
	assert_int_equal(pool.free_pages, 32);
	/* running past the bank's end: refused entirely */
	a = alloc(32, PAGE_SIZE);
	assert_int_equal(a, 0x40000000);
	page_free(&pool, pa_init(0x40000000 + 30 * PAGE_SIZE), 3);
	assert_int_equal(pool.free_pages, 0);
	page_free(&pool, pa_init(0x40000000 + 30 * PAGE_SIZE), 2);
	assert_int_equal(pool.free_pages, 2);
	page_free(&pool, pa_init(0x40000000), 0);
	assert_int_equal(pool.free_pages, 2);
	assert_int_equal(pool.total_pages, 32);
	check_accounting();
}

static void test_exhaustion(void **state)
{
	u64 seen = 0;
	u64 pa;

	add_bank(0, 0x40000000, 100);
	add_bank(1, 0x50000000, 28);
	while ((pa = alloc(1, PAGE_SIZE)) != 0) {
		assert_false(is_free(pa));
		seen++;
		assert_int_equal(pool.free_pages, 128 - seen);
	}
	assert_int_equal(seen, 128);
	assert_int_equal(pool.free_pages, 0);
	assert_int_equal(alloc(1, PAGE_SIZE), 0);
	assert_int_equal(alloc(1, 2 * MiB), 0);
	/* everything comes back */
	page_free(&pool, pa_init(0x40000000), 100);
	page_free(&pool, pa_init(0x50000000), 28);
	assert_int_equal(pool.free_pages, 128);
	assert_int_equal(alloc(100, PAGE_SIZE), 0x40000000);
	assert_int_equal(alloc(28, PAGE_SIZE), 0x50000000);
	check_accounting();
}

/* Random allocations and frees against a shadow map of the bank. */
static void test_random_against_model(void **state)
{
	enum { N = 512 };
	static u8 owner[N]; /* 0 = free, else the allocation's id */
	static struct { u64 pa, n; } live[256];
	u32 nlive = 0;
	u64 base = 0x40000000;
	u32 seed = 12345;

	memset(owner, 0, sizeof(owner));
	add_bank(0, base, N);
	for (int step = 0; step < 4000; step++) {
		seed = seed * 1103515245 + 12345;
		if (nlive < 200 && (seed >> 16) % 3) {
			u64 n = 1 + (seed >> 8) % 9;
			u64 align = PAGE_SIZE << ((seed >> 4) % 5);
			u64 pa = alloc(n, align);
			bool expect_fit = false;

			/* the model's first fit */
			for (u64 i = 0; i + n <= N && !expect_fit; i++) {
				u64 j = 0;

				if (!is_aligned(base + i * PAGE_SIZE, align))
					continue;
				while (j < n && !owner[i + j])
					j++;
				if (j == n) {
					expect_fit = true;
					assert_int_equal(pa, base + i * PAGE_SIZE);
				}
			}
			if (!expect_fit) {
				assert_int_equal(pa, 0);
				continue;
			}
			for (u64 j = 0; j < n; j++)
				owner[(pa - base) / PAGE_SIZE + j] = 1;
			live[nlive].pa = pa;
			live[nlive++].n = n;
		} else if (nlive) {
			u32 k = (seed >> 8) % nlive;

			page_free(&pool, pa_init(live[k].pa), live[k].n);
			for (u64 j = 0; j < live[k].n; j++)
				owner[(live[k].pa - base) / PAGE_SIZE + j] = 0;
			live[k] = live[--nlive];
		}
		if (step % 100 == 0) {
			u64 nfree = 0;

			for (u64 i = 0; i < N; i++) {
				assert_int_equal(is_free(base + i * PAGE_SIZE), !owner[i]);
				nfree += !owner[i];
			}
			assert_int_equal(pool.free_pages, nfree);
		}
	}
}

/*
 * The single-page path a balloon's deflation takes: a bank whose size is no
 * multiple of 64 pages and whose base is not 2 MiB aligned, pages taken one
 * at a time, freed below and above where the search last stopped, ranges
 * reserved, runs asked for now and then: every answer is the model's first
 * fit, and no page past the bank's end is ever handed out.
 */
static void test_single_pages_against_model(void **state)
{
	enum { N = 1000 };
	static u8 owner[N];
	u64 base = 0x40001000;
	u32 seed = 777;

	memset(owner, 0, sizeof(owner));
	add_bank(0, base, N);
	for (int step = 0; step < 6000; step++) {
		u32 op;

		seed = seed * 1103515245 + 12345;
		op = (seed >> 16) % 10;
		if (op < 6) {
			u64 n = op == 0 ? 1 + (seed >> 4) % 70 : 1;
			u64 align = op == 0 ? PAGE_SIZE << ((seed >> 8) % 4) : PAGE_SIZE;
			u64 pa = alloc(n, align), want = 0;

			for (u64 i = 0; i + n <= N && !want; i++) {
				u64 j = 0;

				if (!is_aligned(base + i * PAGE_SIZE, align))
					continue;
				while (j < n && !owner[i + j])
					j++;
				if (j == n)
					want = base + i * PAGE_SIZE;
			}
			assert_int_equal(pa, want);
			for (u64 j = 0; want && j < n; j++)
				owner[(pa - base) / PAGE_SIZE + j] = 1;
		} else if (op < 9) {
			u64 first = (seed >> 4) % N, n = 1 + (seed >> 12) % 8;

			if (first + n > N)
				n = N - first;
			/* the model frees only what it owns: a double free is
			 * page_free's caller's bug, not this test's subject */
			for (u64 j = 0; j < n; j++) {
				if (owner[first + j]) {
					page_free(&pool, pa_init(base + (first + j) * PAGE_SIZE), 1);
					owner[first + j] = 0;
				}
			}
		} else {
			u64 first = (seed >> 4) % N, n = 1 + (seed >> 12) % 100;

			if (first + n > N)
				n = N - first;
			page_pool_reserve(&pool, pa_init(base + first * PAGE_SIZE), n * PAGE_SIZE);
			memset(owner + first, 1, n);
		}
		for (u64 i = 0; i < N; i++)
			assert_int_equal(is_free(base + i * PAGE_SIZE), !owner[i]);
	}
	check_accounting();
}

/* A bank full but for its last page, then for its first: each is found,
 * across whole words of used pages, and nothing past the end. */
static void test_single_page_ends(void **state)
{
	u64 base = 0x50000000;

	add_bank(0, base, 130);
	for (u64 i = 0; i < 130; i++)
		assert_int_equal(alloc(1, PAGE_SIZE), base + i * PAGE_SIZE);
	assert_int_equal(alloc(1, PAGE_SIZE), 0);
	page_free(&pool, pa_init(base + 129 * PAGE_SIZE), 1);
	assert_int_equal(alloc(1, PAGE_SIZE), base + 129 * PAGE_SIZE);
	assert_int_equal(alloc(1, PAGE_SIZE), 0);
	page_free(&pool, pa_init(base), 1);
	page_free(&pool, pa_init(base + 64 * PAGE_SIZE), 1);
	assert_int_equal(alloc(1, PAGE_SIZE), base);
	assert_int_equal(alloc(1, PAGE_SIZE), base + 64 * PAGE_SIZE);
	assert_int_equal(alloc(1, PAGE_SIZE), 0);
	check_accounting();
}

static void test_alloc_zeroed(void **state)
{
	const u64 npages = 8;
	u8 *mem = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
	u64 words[1];
	paddr_t pa;
	struct page_pool saved = hv_pages;

	assert_non_null(mem);
	memset(mem, 0xab, npages * PAGE_SIZE);
	memset(&hv_pages, 0, sizeof(hv_pages));
	assert_int_equal(page_pool_add_bank(&hv_pages, ptr_to_pa(mem), npages * PAGE_SIZE, words), 0);
	for (u64 i = 0; i < npages; i++) {
		pa = page_alloc_zeroed();
		assert_ptr_equal(pa_to_ptr(pa), mem + i * PAGE_SIZE);
		for (u64 j = 0; j < PAGE_SIZE; j++)
			assert_int_equal(mem[i * PAGE_SIZE + j], 0);
	}
	assert_int_equal(pa_addr(page_alloc_zeroed()), 0);
	assert_int_equal(hv_pages.free_pages, 0);
	/* the lock was taken and released every time */
	assert_int_equal(hv_pages.lock.next, hv_pages.lock.owner);
	assert_true(fake.send_events >= npages + 1);
	assert_int_equal(fake.wait_events, 0);
	hv_pages = saved;
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bitmap_bytes, setup),
		cmocka_unit_test_setup(test_add_bank, setup),
		cmocka_unit_test_setup(test_add_bank_rejects, setup),
		cmocka_unit_test_setup(test_alloc_first_fit, setup),
		cmocka_unit_test_setup(test_alloc_bad_args, setup),
		cmocka_unit_test_setup(test_alloc_aligned, setup),
		cmocka_unit_test_setup(test_alloc_aligned_unaligned_bank, setup),
		cmocka_unit_test_setup(test_alloc_aligned_skips_used, setup),
		cmocka_unit_test_setup(test_alloc_no_fit, setup),
		cmocka_unit_test_setup(test_runs_do_not_span_banks, setup),
		cmocka_unit_test_setup(test_second_bank, setup),
		cmocka_unit_test_setup(test_reserve, setup),
		cmocka_unit_test_setup(test_reserve_across_banks, setup),
		cmocka_unit_test_setup(test_free_and_reuse, setup),
		cmocka_unit_test_setup(test_free_accounting, setup),
		cmocka_unit_test_setup(test_exhaustion, setup),
		cmocka_unit_test_setup(test_random_against_model, setup),
		cmocka_unit_test_setup(test_single_pages_against_model, setup),
		cmocka_unit_test_setup(test_single_page_ends, setup),
		cmocka_unit_test_setup(test_alloc_zeroed, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
