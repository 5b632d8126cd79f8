/*
 * One console ring (core/console_ring.c): bytes in, lines out, wrap-around,
 * a full ring, long lines cut, partial lines, and the "room is back" signal
 * the emulated UART's transmit interrupt relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/console_ring.h"

#define SIZE 512

static struct console_ring ring;
static u8 buf[SIZE];

static int setup(void **state)
{
	memset(buf, 0x55, sizeof(buf));
	console_ring_init(&ring, "guest", buf, SIZE);
	return 0;
}

static void put_str(const char *s, u64 now)
{
	for (; *s; s++)
		assert_int_not_equal(console_ring_put(&ring, *s, now), RING_FULL);
}

/* Takes the next line and checks it; `ended` as console_ring_take reports. */
static void expect_line(const char *want, bool partial, bool want_ended)
{
	char out[CONSOLE_LINE_MAX];
	bool ended;
	u32 len = console_ring_take(&ring, out, partial, &ended);

	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	assert_int_equal(ended, want_ended);
}

static void expect_nothing(bool partial)
{
	char out[CONSOLE_LINE_MAX];
	bool ended = true;

	assert_int_equal(console_ring_take(&ring, out, partial, &ended), 0);
	assert_false(ended);
}

static void test_lines(void **state)
{
	assert_string_equal(ring.name, "guest");
	assert_int_equal(console_ring_room(&ring), SIZE);
	expect_nothing(true);
	assert_int_equal(console_ring_put(&ring, 'h', 1), RING_TAKEN);
	assert_int_equal(console_ring_put(&ring, 'i', 1), RING_TAKEN);
	assert_int_equal(console_ring_put(&ring, '\r', 1), RING_TAKEN);  /* kept; left out by line */
	assert_int_equal(console_ring_put(&ring, '\n', 1), RING_LINE);
	put_str("two\r\n", 2);
	assert_int_equal(ring.bytes_in, 9);
	expect_line("hi", false, true);
	expect_line("two", false, true);
	expect_nothing(true);
	assert_int_equal(console_ring_room(&ring), SIZE);
	/* an empty line is a line */
	assert_int_equal(console_ring_put(&ring, '\n', 3), RING_LINE);
	expect_line("", false, true);
	expect_nothing(true);
}

/* Control bytes cannot reach the operator's terminal. */
static void test_sanitized(void **state)
{
	put_str("a\033[2Jb\tc\x7f\x01\n", 1);
	expect_line("a?[2Jb\tc??", false, true);
}

/* Lines that straddle the end of the buffer come out whole, many times over. */
static void test_wrap_around(void **state)
{
	char line[64], want[64];

	for (int i = 0; i < 200; i++) {
		snprintf(line, sizeof(line), "line %d of the wrap test\n", i);
		put_str(line, (u64)i);
		snprintf(want, sizeof(want), "line %d of the wrap test", i);
		expect_line(want, false, true);
		assert_int_equal(console_ring_room(&ring), SIZE);
	}
	/* head and tail are far past the size: they wrapped many times */
	assert_true(ring.tail > 8 * SIZE);
}

static void test_full(void **state)
{
	u32 n = 0;

	while (console_ring_put(&ring, (char)('a' + n % 26), 5) != RING_FULL)
		n++;
	assert_int_equal(n, SIZE);  /* every byte of the buffer is usable */
	assert_int_equal(ring.dropped, 1);
	assert_int_equal(console_ring_put(&ring, '\n', 5), RING_FULL);
	assert_int_equal(ring.dropped, 2);
	assert_int_equal(console_ring_room(&ring), 0);
	assert_false(console_ring_take_wake(&ring));
	/* the open line is cut into CONSOLE_LINE_MAX pieces; what remains is partial */
	for (u32 taken = 0; taken + CONSOLE_LINE_MAX <= SIZE; taken += CONSOLE_LINE_MAX) {
		char out[CONSOLE_LINE_MAX];
		bool ended;

		assert_int_equal(console_ring_take(&ring, out, false, &ended), CONSOLE_LINE_MAX);
		assert_true(ended);
		assert_int_equal(out[0], 'a' + taken % 26);
		/* room is back: the writer hears it exactly once */
		assert_int_equal(console_ring_take_wake(&ring), taken == 0);
		assert_false(console_ring_take_wake(&ring));
	}
	expect_nothing(false);
	assert_int_equal(console_ring_room(&ring), SIZE - SIZE % CONSOLE_LINE_MAX);
}

/* The writer is told only after room fell below the level and came back. */
static void fill_to_room(u32 room)
{
	while (console_ring_room(&ring) > room)
		console_ring_put(&ring, ring.open_len == 99 ? '\n' : 'x', 1);
}

static void test_wake_level(void **state)
{
	char x99[100];

	memset(x99, 'x', 99);
	x99[99] = '\0';
	fill_to_room(CONSOLE_TX_LEVEL);  /* exactly the level left: not low */
	expect_line(x99, false, true);
	assert_false(console_ring_take_wake(&ring));
	fill_to_room(CONSOLE_TX_LEVEL - 1);  /* below */
	expect_line(x99, false, true);
	assert_true(console_ring_take_wake(&ring));
	assert_false(console_ring_take_wake(&ring));
}

static void test_long_line_is_cut(void **state)
{
	char want[CONSOLE_LINE_MAX + 1];
	enum ring_put last = RING_TAKEN;

	for (u32 i = 0; i < CONSOLE_LINE_MAX; i++)
		last = console_ring_put(&ring, 'L', 1);
	assert_int_equal(last, RING_LINE);  /* the cut completes a line */
	put_str("tail\n", 1);
	memset(want, 'L', CONSOLE_LINE_MAX);
	want[CONSOLE_LINE_MAX] = '\0';
	expect_line(want, false, true);
	expect_line("tail", false, true);
}

/* A complete line longer than the limit, followed by more lines. */
static void test_long_complete_line(void **state)
{
	char want[CONSOLE_LINE_MAX + 1];

	for (u32 i = 0; i < CONSOLE_LINE_MAX + 10; i++)
		console_ring_put(&ring, 'M', 1);
	put_str("\nnext\nopen", 1);
	memset(want, 'M', CONSOLE_LINE_MAX);
	want[CONSOLE_LINE_MAX] = '\0';
	expect_line(want, false, true);
	expect_line("MMMMMMMMMM", false, true);
	expect_line("next", false, true);
	expect_nothing(false);
	expect_line("open", true, false);
}

static void test_partial(void **state)
{
	const u64 idle = 1000;

	assert_int_equal(console_ring_partial_due(&ring, idle), 0);
	put_str("=> ", 5000);
	assert_false(console_ring_ready(&ring, 5000, idle));
	assert_false(console_ring_ready(&ring, 5999, idle));
	assert_true(console_ring_ready(&ring, 6000, idle));
	assert_int_equal(console_ring_partial_due(&ring, idle), 6000);
	expect_nothing(false);
	/* more bytes push the deadline */
	put_str("he", 5500);
	assert_int_equal(console_ring_partial_due(&ring, idle), 6500);
	expect_line("=> he", true, false);
	assert_int_equal(console_ring_partial_due(&ring, idle), 0);
	assert_false(console_ring_ready(&ring, 99999, idle));
	/* the rest of that line comes later and ends it */
	put_str("lp\n", 7000);
	assert_int_equal(console_ring_partial_due(&ring, idle), 0);
	assert_true(console_ring_ready(&ring, 7000, idle));
	expect_line("lp", false, true);
	/* a complete line waiting: no partial deadline, the line is ready now */
	put_str("a\nb", 8000);
	assert_int_equal(console_ring_partial_due(&ring, idle), 0);
	expect_line("a", true, true);
	assert_int_equal(console_ring_partial_due(&ring, idle), 9000);
}

static void test_put_line(void **state)
{
	char text[SIZE];

	assert_true(console_ring_put_line(&ring, "hello", 5, 1));
	expect_line("hello", false, true);
	memset(text, 't', sizeof(text));
	/* it needs len + 1 bytes: all or nothing */
	assert_false(console_ring_put_line(&ring, text, SIZE, 1));
	assert_int_equal(console_ring_room(&ring), SIZE);
	assert_true(console_ring_put_line(&ring, text, SIZE - 1, 1));
	assert_int_equal(console_ring_room(&ring), 0);
	assert_int_equal(ring.dropped, 0);
}

static void test_reset(void **state)
{
	put_str("one\ntwo\nthr", 1);
	console_ring_put(&ring, 'x', 1);
	console_ring_reset(&ring);
	assert_int_equal(console_ring_room(&ring), SIZE);
	expect_nothing(true);
	assert_int_equal(console_ring_partial_due(&ring, 10), 0);
	assert_int_equal(ring.bytes_in, 12);  /* statistics stay */
	put_str("new\n", 2);
	expect_line("new", false, true);
}

/* Taken raw, the bytes come out as they were put: escape sequences, '\r',
 * lines longer than CONSOLE_LINE_MAX; the line bookkeeping follows. */
static void test_raw(void **state)
{
	const char *seq = "\033[6n\033[2J\033[H\r\n\x01\x7f";
	char out[SIZE];
	u32 n;

	put_str(seq, 1);
	n = console_ring_take_raw(&ring, out, sizeof(out));
	assert_int_equal(n, strlen(seq));
	assert_memory_equal(out, seq, n);
	assert_int_equal(console_ring_held(&ring), 0);
	expect_nothing(true);
	/* a 300-byte line comes out whole, in pieces of the caller's size */
	for (int i = 0; i < 300; i++)
		console_ring_put(&ring, (char)('a' + i % 26), 2);
	put_str("\nopen", 2);
	assert_int_equal(console_ring_take_raw(&ring, out, 250), 250);
	assert_int_equal(console_ring_take_raw(&ring, out + 250, sizeof(out)), 55);
	for (int i = 0; i < 300; i++)
		assert_int_equal(out[i], 'a' + i % 26);
	assert_memory_equal(out + 300, "\nopen", 5);
	/* mixed: raw takes part of a line, line takes see the rest */
	put_str("abc\ndef\ngh", 3);
	assert_int_equal(console_ring_take_raw(&ring, out, 2), 2);
	expect_line("c", false, true);
	expect_line("def", false, true);
	expect_nothing(false);
	expect_line("gh", true, false);
	assert_int_equal(console_ring_room(&ring), SIZE);
}

/* In the background the ring never refuses a byte: it forgets its oldest
 * lines, counts them, and its writer always sees room. */
static void test_background(void **state)
{
	char line[32];

	console_ring_set_background(&ring, true);
	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof(line), "line %02d 0123456789\n", i);  /* 19 bytes */
		put_str(line, 1);
		assert_int_equal(console_ring_room(&ring), SIZE);
	}
	assert_int_equal(ring.dropped, 0);
	assert_int_equal(ring.overwritten, ring.unshown);
	assert_true(ring.overwritten >= 100 * 19 - SIZE);
	assert_int_equal(console_ring_take_unshown(&ring), ring.overwritten);
	assert_int_equal(console_ring_take_unshown(&ring), 0);
	console_ring_set_background(&ring, false);
	/* what is left is the newest lines, whole, in order, ending with 99 */
	{
		char out[CONSOLE_LINE_MAX], want[32];
		bool ended;
		u32 len;
		int last = -1;

		while ((len = console_ring_take(&ring, out, false, &ended))) {
			int n;

			assert_true(ended);
			out[len] = '\0';
			assert_int_equal(sscanf(out, "line %d", &n), 1);
			snprintf(want, sizeof(want), "line %02d 0123456789", n);
			assert_string_equal(out, want);
			assert_true(last < 0 || n == last + 1);
			last = n;
		}
		assert_int_equal(last, 99);
	}
}

/* Out of the background with little room, the writer waits for the drainer
 * and hears when room is back; into it, a waiting writer hears at once. */
static void test_background_wake(void **state)
{
	console_ring_set_background(&ring, true);
	while (ring.tail - ring.head < SIZE)
		console_ring_put(&ring, ring.open_len == 50 ? '\n' : 'y', 1);
	assert_false(console_ring_take_wake(&ring));
	console_ring_set_background(&ring, false);
	assert_int_equal(console_ring_room(&ring), 0);
	assert_int_equal(console_ring_put(&ring, 'z', 1), RING_FULL);
	console_ring_set_background(&ring, true);
	assert_true(console_ring_take_wake(&ring));  /* it may write again */
	assert_int_equal(console_ring_put(&ring, 'z', 1), RING_TAKEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lines, setup),
		cmocka_unit_test_setup(test_sanitized, setup),
		cmocka_unit_test_setup(test_wrap_around, setup),
		cmocka_unit_test_setup(test_full, setup),
		cmocka_unit_test_setup(test_wake_level, setup),
		cmocka_unit_test_setup(test_long_line_is_cut, setup),
		cmocka_unit_test_setup(test_long_complete_line, setup),
		cmocka_unit_test_setup(test_partial, setup),
		cmocka_unit_test_setup(test_put_line, setup),
		cmocka_unit_test_setup(test_reset, setup),
		cmocka_unit_test_setup(test_raw, setup),
		cmocka_unit_test_setup(test_background, setup),
		cmocka_unit_test_setup(test_background_wake, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
