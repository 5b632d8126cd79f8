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

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	ram = malloc(RAM_SIZE);
	assert_non_null(ram);
	for (u64 i = 0; i < RAM_SIZE; i++)
		ram[i] = (u8)(i * 7 + 1);
	vm.cfg.ram_base = RAM_BASE;
	vm.ram_size = RAM_SIZE;
	vm.ram_pa = ptr_to_pa(ram);
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
	vm.ram_pa = pa_init(0);
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

	vm.ram_pa = pa_init(0);
	assert_false(guest_mem_read(&vm, ipa_init(RAM_BASE), &b, 1));
	assert_false(guest_mem_write(&vm, ipa_init(RAM_BASE), &b, 1));
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
