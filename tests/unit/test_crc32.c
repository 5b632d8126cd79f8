/* Unit tests for lib/crc32.c: published check values, and that feeding the
 * data in pieces gives the same result as feeding it whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/crc32.h"

static void test_check_values(void **state)
{
	/* the standard check value of CRC-32/ISO-HDLC */
	assert_int_equal(crc32("123456789", 9), 0xcbf43926u);
	assert_int_equal(crc32("", 0), 0);
	assert_int_equal(crc32("a", 1), 0xe8b7be43u);
	assert_int_equal(crc32("The quick brown fox jumps over the lazy dog", 43), 0x414fa339u);
}

static void test_incremental(void **state)
{
	static const char text[] = "The quick brown fox jumps over the lazy dog";
	size_t n = sizeof(text) - 1;

	for (size_t cut = 0; cut <= n; cut++) {
		u32 c = crc32_update(0, text, cut);

		c = crc32_update(c, text + cut, n - cut);
		assert_int_equal(c, 0x414fa339u);
	}
}

/* The definition, a bit at a time: the table must agree with it. */
static u32 crc32_bitwise(const u8 *p, size_t n)
{
	u32 c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int b = 0; b < 8; b++)
			c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

static void test_all_byte_values(void **state)
{
	u8 buf[512];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)(i * 7 + 3);
	assert_int_equal(crc32(buf, sizeof(buf)), crc32_bitwise(buf, sizeof(buf)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_values),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_all_byte_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
