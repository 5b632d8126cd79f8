/* Bulkhead's log kept for dmesg (core/log_ring.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/log_ring.h"

static char got[256][256];
static u32 ngot;

static void collect(void *ctx, const char *text, u32 len)
{
	assert_true(ngot < 256 && len < 256);
	memcpy(got[ngot], text, len);
	got[ngot++][len] = '\0';
	log_ring_add("not kept", 8);  /* what the replay logs is not added */
}

static void test_lines_come_back_oldest_first_and_whole(void **state)
{
	char line[200];

	log_ring_add("first", 5);
	log_ring_add("second", 6);
	ngot = 0;
	log_ring_replay(collect, NULL);
	assert_int_equal(ngot, 2);
	assert_string_equal(got[0], "first");
	assert_string_equal(got[1], "second");

	/* three times the ring: only the newest whole lines stay */
	for (u32 i = 0; i < 3 * LOG_RING_SIZE / 100; i++) {
		int n = snprintf(line, sizeof(line), "line %05u %-80s|", i, "");

		log_ring_add(line, (u32)n);
	}
	ngot = 0;
	memset(got, 0, sizeof(got));
	log_ring_replay(collect, NULL);
	assert_true(ngot > LOG_RING_SIZE / 93 - 2 && ngot <= LOG_RING_SIZE / 93);
	for (u32 i = 0; i < ngot; i++) {
		assert_int_equal(strlen(got[i]), 92);  /* whole: never a line's tail */
		assert_memory_equal(got[i], "line ", 5);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_come_back_oldest_first_and_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
