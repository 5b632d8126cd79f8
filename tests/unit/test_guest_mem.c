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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
