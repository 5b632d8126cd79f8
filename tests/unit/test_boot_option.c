/* Bulkhead's boot options (core/boot_option.c) and on_idle= (core/boot_idle.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/boot_option.h"

static void test_last_word_counts(void **state)
{
	size_t n = 0;
	const char *v = boot_option("loglevel=info on_idle=stay x_on_idle=no on_idle=poweroff",
				    "on_idle=", &n);

	assert_non_null(v);
	assert_int_equal(n, 8);
	assert_memory_equal(v, "poweroff", 8);
	assert_null(boot_option("xon_idle=stay", "on_idle=", &n));
	assert_null(boot_option("", "on_idle=", &n));
}

static void test_on_idle(void **state)
{
	assert_true(boot_on_idle_parse(""));
	assert_int_equal(boot_on_idle(), ON_IDLE_POWEROFF);
	assert_true(boot_on_idle_parse("loglevel=warn on_idle=stay"));
	assert_int_equal(boot_on_idle(), ON_IDLE_STAY);
	assert_true(boot_on_idle_parse("on_idle=poweroff"));
	assert_int_equal(boot_on_idle(), ON_IDLE_POWEROFF);
	/* a bad value keeps the default, and is reported by the caller */
	assert_false(boot_on_idle_parse("on_idle=stays"));
	assert_int_equal(boot_on_idle(), ON_IDLE_POWEROFF);
	assert_false(boot_on_idle_parse("on_idle="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_word_counts),
		cmocka_unit_test(test_on_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
