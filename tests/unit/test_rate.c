/*
 * xl's rate= values (net/rate_parse.c) and the token bucket they configure
 * (net/rate_limit.c), on a simulated clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "net/rate_limit.h"
#include "net/rate_parse.h"

#define S 1000000000ull

static void parses(const char *s, u64 bps, u32 interval_us)
{
	struct rate_spec r = { 0, 0 };
	const char *why = NULL;

	assert_int_equal(rate_parse(s, &r, &why), 0);
	assert_null(why);
	assert_int_equal(r.bps, bps);
	assert_int_equal(r.interval_us, interval_us);
}

static void refuses(const char *s, const char *expect_why)
{
	struct rate_spec r;
	const char *why = NULL;

	assert_int_equal(rate_parse(s, &r, &why), -1);
	assert_string_equal(why, expect_why);
}

static void test_rates_as_xl_writes_them(void **state)
{
	parses("10Mb/s", 10000000, 50000);
	parses("1Gb/s", 1000000000, 50000);
	parses("100Kb/s", 100000, 50000);
	parses("100kb/s", 100000, 50000);
	parses("1MB/s", 8000000, 50000);
	parses("1500B/s", 12000, 50000);
	parses("64b/s", 64, 50000);
	parses("1Mb/ms", 1000000000, 50000);
	parses("10Kb/us", 10000000000ull, 50000);
	parses("10Mb/s@20ms", 10000000, 20000);
	parses("10Mb/s@1s", 10000000, 1000000);
	parses("10Mb/s@250", 10000000, 250);
	parses("10Mb/s@250us", 10000000, 250);
	parses("137GB/s", 1096000000000ull, 50000);
}

static void test_bad_rates_say_why(void **state)
{
	refuses("", "expected a whole number first, as in 10Mb/s");
	refuses("Mb/s", "expected a whole number first, as in 10Mb/s");
	refuses("-1Mb/s", "expected a whole number first, as in 10Mb/s");
	refuses("10", "the unit must be b or B, optionally after K, M or G (as in 10Mb/s)");
	refuses("10Tb/s", "the unit must be b or B, optionally after K, M or G (as in 10Mb/s)");
	refuses("10M/s", "the unit must be b or B, optionally after K, M or G (as in 10Mb/s)");
	refuses("10Mb", "expected /s, /ms or /us after the amount");
	refuses("10Mb/h", "expected /s, /ms or /us after the amount");
	refuses("10Mb/", "expected /s, /ms or /us after the amount");
	refuses("0Mb/s", "the rate must be above 0");
	refuses("138GB/s", "the rate is above the 1099511627776 bits per second the switch takes");
	refuses("2000Gb/s", "the rate is above the 1099511627776 bits per second the switch takes");
	refuses("2Gb/us", "the rate is above the 1099511627776 bits per second the switch takes");
	refuses("99999999999999999999999b/s", "expected a whole number first, as in 10Mb/s");
	refuses("10Mb/s x", "unexpected text after the rate (only @INTERVAL may follow)");
	refuses("10Mb/ss", "unexpected text after the rate (only @INTERVAL may follow)");
	refuses("10Mb/s@", "the interval after '@' must be a whole number");
	refuses("10Mb/s@5m", "the interval's unit must be s, ms or us");
	refuses("10Mb/s@5msx", "unexpected text after the interval");
	refuses("10Mb/s@0", "the interval must be between 1us and 1s");
	refuses("10Mb/s@2s", "the interval must be between 1us and 1s");
	refuses("10Mb/s@1000001", "the interval must be between 1us and 1s");
}

/* Bits a sender offering `frame_bits` every `gap` ns gets through in `span` ns. */
static u64 run(struct rate_limit *rl, u64 start, u64 span, u64 gap, u64 frame_bits)
{
	u64 got = 0;

	for (u64 t = start; t < start + span; t += gap)
		if (rate_limit_take(rl, frame_bits, t))
			got += frame_bits;
	return got;
}

static void test_bucket_holds_the_rate_over_a_second(void **state)
{
	struct rate_limit rl;
	u64 got;

	/* 10 Mb/s, 50 ms burst: first second = 10 Mb + the initial burst */
	rate_limit_init(&rl, 10000000, 0);
	assert_int_equal(rl.burst, 500000);
	got = run(&rl, 7 * S, S, 10000, 12112);
	assert_true(got >= 10000000 && got <= 10500000 + 12112);
	/* the next second, with the bucket drained: the rate alone, within 10% */
	got = run(&rl, 8 * S, S, 10000, 12112);
	assert_true(got >= 9000000 && got <= 11000000);
	/* tiny frames very often (sub-bit refills carry their fraction) */
	rate_limit_init(&rl, 100000, 0);
	run(&rl, 0, S, 1000, 512);         /* drain the burst */
	got = run(&rl, S, 2 * S, 1000, 512);
	assert_true(got >= 180000 && got <= 220000);
}

static void test_bucket_edges(void **state)
{
	struct rate_limit rl;

	/* unlimited */
	rate_limit_init(&rl, 0, 0);
	assert_true(rate_limit_take(&rl, ~0ull, 0));
	assert_int_equal(rate_limit_wait_ns(&rl, 12000, 0), 0);
	/* a rate below one frame per interval still passes whole frames */
	rate_limit_init(&rl, 1000, 0);
	assert_int_equal(rl.burst, RATE_MIN_BURST_BITS);
	assert_true(rate_limit_take(&rl, 12112, 0));
	assert_false(rate_limit_take(&rl, 12112, 1 * S));
	/* 32 bits left from the burst, 1000 more after 1 s: 11080 to go */
	assert_int_equal(rate_limit_wait_ns(&rl, 12112, 1 * S), 11080000000ull);
	assert_true(rate_limit_take(&rl, 12112, 13 * S));
	/* time running backwards or idle for years: no overflow, no gift */
	rate_limit_init(&rl, RATE_MAX_BPS, RATE_INTERVAL_MAX_US);
	assert_true(rate_limit_take(&rl, rl.burst, 100 * S));
	assert_false(rate_limit_take(&rl, 8, 50 * S));
	assert_true(rate_limit_take(&rl, rl.burst, ~0ull));
	assert_false(rate_limit_take(&rl, 8, ~0ull));
	/* clamped configuration */
	rate_limit_init(&rl, ~0ull, ~0u);
	assert_int_equal(rl.rate, RATE_MAX_BPS);
	assert_int_equal(rl.burst, RATE_MAX_BPS);
	/* a frame larger than the bucket: the wait is for a full bucket */
	rate_limit_init(&rl, 1000000, 0);
	assert_true(rate_limit_take(&rl, rl.burst, S));
	assert_int_equal(rate_limit_wait_ns(&rl, rl.burst * 2, S), 50000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates_as_xl_writes_them),
		cmocka_unit_test(test_bad_rates_say_why),
		cmocka_unit_test(test_bucket_holds_the_rate_over_a_second),
		cmocka_unit_test(test_bucket_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
