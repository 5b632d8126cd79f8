/*
 * The guest-memory accessor (core/guest_mem.c): copies in and out of a VM's
 * RAM, only when the whole range is RAM. The VM's RAM is a host buffer (its
 * "physical address" is the pointer, as under the hypervisor's identity map).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/guest_mem.h"
#include "core/vm.h"
#include "fake_arch.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64 * KiB)

static struct vm vm;
static u8 *ram;
static struct gram_chunk chunks[GRAM_CHUNKS(RAM_SIZE)];

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	ram = malloc(RAM_SIZE);
	assert_non_null(ram);
	for (u64 i = 0; i < RAM_SIZE; i++)
		ram[i] = (u8)(i * 7 + 1);
	vm.cfg.ram_base = RAM_BASE;
	guest_ram_init_run(&vm.ram, RAM_BASE, RAM_SIZE, chunks, ptr_to_pa(ram));
	return 0;
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

static void test_read_write_inside(void **state)
{
	u8 buf[16], want[16];

	assert_true(guest_mem_read(&vm, ipa_init(RAM_BASE + 100), buf, sizeof(buf)));
	assert_memory_equal(buf, ram + 100, sizeof(buf));
	memset(want, 0xab, sizeof(want));
	assert_true(guest_mem_write(&vm, ipa_init(RAM_BASE + 200), want, sizeof(want)));
	assert_memory_equal(ram + 200, want, sizeof(want));
	assert_true(guest_mem_zero(&vm, ipa_init(RAM_BASE + 200), 8));
	assert_int_equal(ram[200], 0);
	assert_int_equal(ram[207], 0);
	assert_int_equal(ram[208], 0xab);
}

/* The first and last bytes are RAM; one byte more is not, and nothing moves. */
static void test_edges(void **state)
{
	u8 b = 0x5a, before = ram[RAM_SIZE - 1];

	assert_true(guest_mem_read(&vm, ipa_init(RAM_BASE), &b, 1));
	assert_int_equal(b, ram[0]);
	assert_true(guest_mem_read(&vm, ipa_init(RAM_BASE + RAM_SIZE - 1), &b, 1));
	assert_int_equal(b, before);

	b = 0x5a;
	assert_false(guest_mem_read(&vm, ipa_init(RAM_BASE + RAM_SIZE), &b, 1));
	assert_int_equal(b, 0x5a);
	assert_false(guest_mem_read(&vm, ipa_init(RAM_BASE - 1), &b, 1));
	assert_false(guest_mem_write(&vm, ipa_init(RAM_BASE + RAM_SIZE - 1), "xy", 2));
	assert_int_equal(ram[RAM_SIZE - 1], before);   /* straddling the end: nothing written */
	assert_false(guest_mem_zero(&vm, ipa_init(RAM_BASE - 1), 2));
	assert_int_equal(ram[0], 1);                    /* nothing zeroed */
	assert_int_equal(ram[1], 8);
}

/* Lengths and addresses a guest hands over can be anything. */
static void test_hostile_ranges(void **state)
{
	u8 buf[8];

	assert_false(guest_mem_read(&vm, ipa_init(RAM_BASE + 8), buf, ~0ull));
	assert_false(guest_mem_read(&vm, ipa_init(RAM_BASE + 8), buf, ~0ull - 7));  /* wraps to the base */
	assert_false(guest_mem_read(&vm, ipa_init(~0ull - 3), buf, 8));
	assert_false(guest_mem_read(&vm, ipa_init(0), buf, 8));
	assert_false(guest_mem_write(&vm, ipa_init(RAM_BASE), buf, RAM_SIZE + 1));
	assert_true(guest_mem_zero(&vm, ipa_init(RAM_BASE), RAM_SIZE));  /* all of it is fine */
	for (u64 i = 0; i < RAM_SIZE; i++)
		assert_int_equal(ram[i], 0);
}

/* Ring indices: whole, aligned, inside RAM, or nothing moves. */
static void test_load_store16(void **state)
{
	u16 v = 0x5a5a;

	assert_true(guest_mem_store16(&vm, ipa_init(RAM_BASE + 10), 0xbeef));
	assert_int_equal(ram[10], 0xef);  /* the guest's (little-endian) order */
	assert_int_equal(ram[11], 0xbe);
	assert_true(guest_mem_load16(&vm, ipa_init(RAM_BASE + 10), &v));
	assert_int_equal(v, 0xbeef);
	assert_true(guest_mem_load16(&vm, ipa_init(RAM_BASE + RAM_SIZE - 2), &v));

	v = 0x5a5a;
	assert_false(guest_mem_load16(&vm, ipa_init(RAM_BASE + 11), &v));   /* odd */
	assert_false(guest_mem_load16(&vm, ipa_init(RAM_BASE + RAM_SIZE), &v));
	assert_false(guest_mem_load16(&vm, ipa_init(RAM_BASE - 2), &v));
	assert_int_equal(v, 0x5a5a);
	assert_false(guest_mem_store16(&vm, ipa_init(RAM_BASE + 13), 1));
	assert_false(guest_mem_store16(&vm, ipa_init(RAM_BASE + RAM_SIZE), 1));
	assert_int_equal(ram[13], (u8)(13 * 7 + 1));
}

/* A pointer only for a range wholly inside RAM, at the right place. */
static void test_ptr(void **state)
{
	assert_ptr_equal(guest_mem_ptr(&vm, ipa_init(RAM_BASE + 100), 16), ram + 100);
	assert_ptr_equal(guest_mem_ptr(&vm, ipa_init(RAM_BASE), RAM_SIZE), ram);
	assert_null(guest_mem_ptr(&vm, ipa_init(RAM_BASE + RAM_SIZE - 1), 2));
	assert_null(guest_mem_ptr(&vm, ipa_init(RAM_BASE - 1), 1));
	assert_null(guest_mem_ptr(&vm, ipa_init(RAM_BASE + 8), ~0ull - 7));
	vm.ram.chunks = NULL;
	assert_null(guest_mem_ptr(&vm, ipa_init(RAM_BASE), 1));
}

/*
 * Every length 0-1024 at odd and even places, both ways: each byte lands,
 * the bytes either side do not change, and the disk-sized copies (from
 * ARCH_COPY_BULK_MIN) go by the arch's bulk copy, the short ones do not.
 */
static void copy_checked(u64 len, u64 ram_off, u64 buf_off, bool to_guest)
{
	static u8 buf[1024 + 32];
	u32 bulk_before = fake.bulk_copies;
	u8 *g = ram + ram_off, *b = buf + buf_off;

	for (u64 i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)(i * 13 + len);
	for (u64 i = 0; i < len + 32; i++)
		ram[ram_off - 16 + i] = (u8)(i * 5 + 3 + len);
	if (to_guest) {
		u8 below = g[-1], above = g[len];

		assert_true(guest_mem_write(&vm, ipa_init(RAM_BASE + ram_off), b, len));
		assert_memory_equal(g, b, len);
		assert_int_equal(g[-1], below);
		assert_int_equal(g[len], above);
	} else {
		u8 below = b[-1], above = b[len];

		assert_true(guest_mem_read(&vm, ipa_init(RAM_BASE + ram_off), b, len));
		assert_memory_equal(b, g, len);
		assert_int_equal(b[-1], below);
		assert_int_equal(b[len], above);
	}
	assert_int_equal(fake.bulk_copies - bulk_before, len >= ARCH_COPY_BULK_MIN ? 1 : 0);
}

static void test_copy_lengths(void **state)
{
	static const u64 offsets[][2] = { { 64, 16 }, { 65, 17 }, { 4096 + 7, 16 }, { 128, 19 } };

	fake_arch_reset();
	for (u64 len = 0; len <= 1024; len++) {
		for (u32 o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
			copy_checked(len, offsets[o][0], offsets[o][1], true);
			copy_checked(len, offsets[o][0], offsets[o][1], false);
		}
	}
	assert_int_equal(fake.bulk_bytes, 2 * 4 * ((1024 + 256) * (1024 - 256 + 1) / 2));
}

/* A VM whose RAM is gone (or not there yet) has none to copy. */
static void test_no_ram(void **state)
{
	u8 b;

	vm.ram.chunks = NULL;
	assert_false(guest_mem_read(&vm, ipa_init(RAM_BASE), &b, 1));
	assert_false(guest_mem_write(&vm, ipa_init(RAM_BASE), &b, 1));
}

/*
 * RAM made of scattered host pages, as after ballooning or from a
 * fragmented pool: two 2 MiB chunks, the first a table whose pages are in
 * reverse host order with page 5 absent, the second a block.
 */
#define SPLIT_PAGES 16   /* pages of chunk 0 the test backs (the rest: absent) */
static struct vm split;
static u8 *host_pages;   /* SPLIT_PAGES pages, aligned */
static u8 *host_block;   /* chunk 1 */
static paddr_t *table;
static struct gram_chunk split_chunks[2];

static u8 *host_of(u64 page)
{
	return host_pages + (SPLIT_PAGES - 1 - page) * PAGE_SIZE;
}

static int setup_split(void **state)
{
	host_pages = aligned_alloc(PAGE_SIZE, SPLIT_PAGES * PAGE_SIZE);
	host_block = aligned_alloc(PAGE_SIZE, GRAM_CHUNK_SIZE);
	table = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	assert_non_null(host_pages);
	assert_non_null(host_block);
	assert_non_null(table);
	memset(table, 0, PAGE_SIZE);
	for (u64 p = 0; p < SPLIT_PAGES; p++) {
		if (p != 5)
			table[p] = ptr_to_pa(host_of(p));
		for (u64 i = 0; i < PAGE_SIZE; i++)
			host_of(p)[i] = (u8)(p * 31 + i);
	}
	memset(host_block, 0x77, GRAM_CHUNK_SIZE);
	memset(&split, 0, sizeof(split));
	guest_ram_init_run(&split.ram, RAM_BASE, 2 * GRAM_CHUNK_SIZE, split_chunks,
			   ptr_to_pa(host_block));
	split_chunks[0] = (struct gram_chunk){ .kind = GRAM_PAGES, .pages = table };
	split_chunks[1] = (struct gram_chunk){ .kind = GRAM_BLOCK, .block = ptr_to_pa(host_block) };
	return 0;
}

static int teardown_split(void **state)
{
	free(host_pages);
	free(host_block);
	free(table);
	return 0;
}

/* A copy across pages that are not host-neighbours lands in each, in order. */
static void test_split_copies(void **state)
{
	u8 buf[3 * PAGE_SIZE], back[3 * PAGE_SIZE];
	u64 at = RAM_BASE + 1 * PAGE_SIZE + 100;   /* pages 1, 2, 3 and into 4 */

	for (u64 i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)(i * 3 + 1);
	assert_true(guest_mem_write(&split, ipa_init(at), buf, sizeof(buf)));
	assert_memory_equal(host_of(1) + 100, buf, PAGE_SIZE - 100);
	assert_memory_equal(host_of(2), buf + PAGE_SIZE - 100, PAGE_SIZE);
	assert_memory_equal(host_of(3), buf + 2 * PAGE_SIZE - 100, PAGE_SIZE);
	assert_memory_equal(host_of(4), buf + 3 * PAGE_SIZE - 100, 100);
	assert_int_equal(host_of(1)[99], (u8)(1 * 31 + 99));    /* the byte before: untouched */
	assert_int_equal(host_of(4)[100], (u8)(4 * 31 + 100));  /* the byte after */
	assert_true(guest_mem_read(&split, ipa_init(at), back, sizeof(back)));
	assert_memory_equal(back, buf, sizeof(buf));
	assert_true(guest_mem_zero(&split, ipa_init(at), 2 * PAGE_SIZE));
	assert_int_equal(host_of(3)[99], 0);
	assert_int_equal(host_of(3)[100], (u8)(2 * PAGE_SIZE * 3 + 1));
}

/* A range touching the absent page moves nothing, even the bytes before it. */
static void test_split_hole(void **state)
{
	u8 buf[2 * PAGE_SIZE], before = host_of(4)[PAGE_SIZE - 1];
	u16 v;

	memset(buf, 0xee, sizeof(buf));
	assert_false(guest_mem_write(&split, ipa_init(RAM_BASE + 4 * PAGE_SIZE), buf, sizeof(buf)));
	assert_int_equal(host_of(4)[PAGE_SIZE - 1], before);
	assert_false(guest_mem_zero(&split, ipa_init(RAM_BASE + 5 * PAGE_SIZE - 1), 2));
	assert_int_equal(host_of(4)[PAGE_SIZE - 1], before);
	assert_false(guest_mem_read(&split, ipa_init(RAM_BASE + 5 * PAGE_SIZE + 8), buf, 1));
	assert_false(guest_mem_load16(&split, ipa_init(RAM_BASE + 5 * PAGE_SIZE), &v));
	assert_false(guest_mem_store16(&split, ipa_init(RAM_BASE + 5 * PAGE_SIZE), 1));
	/* pages past those the table names are absent too */
	assert_false(guest_mem_read(&split, ipa_init(RAM_BASE + SPLIT_PAGES * PAGE_SIZE), buf, 1));
	assert_true(guest_mem_read(&split, ipa_init(RAM_BASE + 6 * PAGE_SIZE), buf, 1));
}

/* From the table into the block chunk: two pieces, one copy each. */
static void test_split_into_block(void **state)
{
	u8 buf[64];
	u64 at = RAM_BASE + GRAM_CHUNK_SIZE - 32;

	table[GRAM_CHUNK_PAGES - 1] = ptr_to_pa(host_of(0));
	memset(buf, 0x42, sizeof(buf));
	assert_true(guest_mem_write(&split, ipa_init(at), buf, sizeof(buf)));
	assert_int_equal(host_of(0)[PAGE_SIZE - 32], 0x42);
	assert_int_equal(host_block[31], 0x42);
	assert_int_equal(host_block[32], 0x77);
}

/* One pointer only for one host run; guest_mem_run hands the pieces. */
static void test_split_ptr_and_runs(void **state)
{
	u64 run = 0, at = RAM_BASE + 2 * PAGE_SIZE + 10;
	const u8 *p;

	assert_ptr_equal(guest_mem_ptr(&split, ipa_init(at), PAGE_SIZE - 10), host_of(2) + 10);
	assert_null(guest_mem_ptr(&split, ipa_init(at), PAGE_SIZE - 9));   /* into page 3 */
	assert_ptr_equal(guest_mem_ptr(&split, ipa_init(RAM_BASE + GRAM_CHUNK_SIZE), GRAM_CHUNK_SIZE),
			 host_block);
	p = guest_mem_run(&split, ipa_init(at), 3 * PAGE_SIZE, &run);
	assert_ptr_equal(p, host_of(2) + 10);
	assert_int_equal(run, PAGE_SIZE - 10);
	p = guest_mem_run(&split, ipa_init(at + run), 100, &run);
	assert_ptr_equal(p, host_of(3));
	assert_int_equal(run, 100);
	assert_null(guest_mem_run(&split, ipa_init(RAM_BASE + 5 * PAGE_SIZE), 1, &run));
	assert_null(guest_mem_run(&split, ipa_init(RAM_BASE + 2 * GRAM_CHUNK_SIZE - 1), 2, &run));
	assert_null(guest_mem_run(&split, ipa_init(RAM_BASE), 0, &run));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_write_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_store16, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ptr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_copies, setup_split, teardown_split),
		cmocka_unit_test_setup_teardown(test_split_hole, setup_split, teardown_split),
		cmocka_unit_test_setup_teardown(test_split_into_block, setup_split, teardown_split),
		cmocka_unit_test_setup_teardown(test_split_ptr_and_runs, setup_split, teardown_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
