/* on_crash = "restart"'s rate limit (core/crash_limit.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "core/crash_limit.h"

#define S 1000ull  /* ticks per second, for these tests */

static void test_more_than_n_within_t_is_too_many(void **state)
{
	struct crash_history h;

	memset(&h, 0, sizeof(h));
	/* limit 3 in 10 s: three crashes restart, the fourth within 10 s does not */
	assert_false(crash_note(&h, 100 * S, 10 * S, 3));
	assert_false(crash_note(&h, 101 * S, 10 * S, 3));
	assert_false(crash_note(&h, 102 * S, 10 * S, 3));
	assert_true(crash_note(&h, 103 * S, 10 * S, 3));
}

static void test_slow_crashes_keep_restarting(void **state)
{
	struct crash_history h;

	memset(&h, 0, sizeof(h));
	for (u64 i = 0; i < 200; i++)
		assert_false(crash_note(&h, i * 11 * S, 10 * S, 1));  /* one per 11 s: never 2 in 10 */
}

static void test_the_window_is_inclusive_and_slides(void **state)
{
	struct crash_history h;

	memset(&h, 0, sizeof(h));
	assert_false(crash_note(&h, 0, 10 * S, 2));
	assert_false(crash_note(&h, 5 * S, 10 * S, 2));
	assert_false(crash_note(&h, 10 * S + 1, 10 * S, 2));  /* the first fell out */
	assert_true(crash_note(&h, 15 * S, 10 * S, 2));       /* 5, 10, 15: three in 10 s */
}

static void test_the_largest_limit(void **state)
{
	struct crash_history h;

	memset(&h, 0, sizeof(h));
	for (u32 i = 0; i < CONFIG_MAX_CRASH_LIMIT; i++)
		assert_false(crash_note(&h, i, 10 * S, CONFIG_MAX_CRASH_LIMIT));
	assert_true(crash_note(&h, CONFIG_MAX_CRASH_LIMIT, 10 * S, CONFIG_MAX_CRASH_LIMIT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_more_than_n_within_t_is_too_many),
		cmocka_unit_test(test_slow_crashes_keep_restarting),
		cmocka_unit_test(test_the_window_is_inclusive_and_slides),
		cmocka_unit_test(test_the_largest_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
