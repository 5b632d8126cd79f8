/*
 * The console multiplexer's output side (core/console_out.c) with a fake
 * UART and the fake arch's counter: prefixes, round-robin fairness between
 * rings, partial lines flushed after the idle time, wake-ups, close and
 * unregister, the drain budget, and panics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_arch.h"
#include "core/console.h"
#include "core/workqueue.h"

#define BIG 16384

static char screen[1 << 20];
static u32 nscreen;

static void fake_putc(char c)
{
	assert_true(nscreen < sizeof(screen) - 1);
	screen[nscreen++] = c;
	screen[nscreen] = '\0';
}

static const struct console_ops fake_uart = { .putc = fake_putc };

static struct console_ring loud, quiet;
static u8 loud_buf[BIG], quiet_buf[4096];
static u32 wakes;
static u64 idle;

static void wake(void *ctx)
{
	assert_ptr_equal(ctx, &wakes);
	wakes++;
}

static void clear_screen(void)
{
	nscreen = 0;
	screen[0] = '\0';
}

static int setup(void **state)
{
	fake_arch_reset();
	fake.counter = 1000000;
	idle = fake.counter_freq / 1000 * CONSOLE_IDLE_MS;
	console_init(&fake_uart);
	console_ring_init(&loud, "loud", loud_buf, BIG);
	console_ring_init(&quiet, "quiet", quiet_buf, sizeof(quiet_buf));
	assert_true(console_ring_register(&loud));
	assert_true(console_ring_register(&quiet));
	console_ring_open(&loud, wake, &wakes);
	console_ring_open(&quiet, wake, &wakes);
	wakes = 0;
	clear_screen();
	return 0;
}

static int teardown(void **state)
{
	console_focus(NULL);
	console_ring_close(&loud);
	console_ring_close(&quiet);
	console_ring_unregister(&loud);
	console_ring_unregister(&quiet);
	/* whatever the deadline says, nothing is left to do: the queued flush
	 * runs (and finds nothing), and the queue is empty for the next test */
	console_poll(~0ull >> 1);
	fake.counter = ~0ull >> 1;
	work_run(CONSOLE_CPU);
	assert_int_equal(work_next_due(CONSOLE_CPU), 0);
	return 0;
}

/* A guest writing a string through its UART: bytes, then the kick. */
static void guest_write(struct console_ring *r, const char *s)
{
	for (; *s; s++)
		assert_true(console_guest_put(r, *s));
	console_guest_kick(r);
}

/* Puts without draining, as if another CPU held the UART meanwhile. */
static void guest_put_only(struct console_ring *r, const char *s)
{
	for (; *s; s++)
		assert_true(console_guest_put(r, *s));
}

/* Splits the screen into lines (each must end in "\r\n"); returns how many. */
static u32 screen_lines(char lines[][256], u32 max)
{
	u32 n = 0;
	const char *p = screen;

	while (*p && n < max) {
		const char *end = strstr(p, "\r\n");

		assert_non_null(end);
		assert_true(end - p < 256);
		memcpy(lines[n], p, (size_t)(end - p));
		lines[n][end - p] = '\0';
		n++;
		p = end + 2;
	}
	return n;
}

static void test_prefixes(void **state)
{
	console_hv_line("hello from Bulkhead", 19);
	guest_write(&quiet, "guest says hi\r\n");
	assert_string_equal(screen, "(hv) hello from Bulkhead\r\n(quiet) guest says hi\r\n");
	assert_int_equal(quiet.bytes_in, 15);
}

/* One ring holding 1000 lines never keeps another ring's line waiting for
 * more than one of its own. */
static void test_round_robin_fairness(void **state)
{
	static char lines[1200][256];
	char text[64];
	u32 n, seen_loud = 0, seen_quiet = 0;

	for (int i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), "flood %04d\n", i);
		guest_put_only(&loud, text);
	}
	for (int k = 0; k < 50; k++) {
		u32 before = nscreen;

		snprintf(text, sizeof(text), "steady %d\n", k);
		guest_put_only(&quiet, text);
		console_guest_kick(&quiet);
		/* the quiet line is the first or second line of what was written */
		snprintf(text, sizeof(text), "(quiet) steady %d\r\n", k);
		{
			char *hit = strstr(screen + before, text);
			char *second;

			assert_non_null(hit);
			second = strstr(screen + before, "\r\n");
			assert_true(hit == screen + before || hit == second + 2);
		}
	}
	/* the rest drains through polls */
	for (int i = 0; i < 100 && console_flush_deadline(); i++)
		console_poll(fake.counter);
	n = screen_lines(lines, 1200);
	assert_int_equal(n, 1050);
	for (u32 i = 0; i < n; i++) {
		if (!strncmp(lines[i], "(loud) ", 7)) {
			snprintf(text, sizeof(text), "(loud) flood %04u", seen_loud++);
			assert_string_equal(lines[i], text);
		} else {
			snprintf(text, sizeof(text), "(quiet) steady %u", seen_quiet++);
			assert_string_equal(lines[i], text);
		}
	}
	assert_int_equal(seen_loud, 1000);
	assert_int_equal(seen_quiet, 50);
}

/* One drain call writes at most a bounded number of lines; the deadline
 * then says at once, and console_poll finishes the job. */
static void test_budget_leaves_rest_to_poll(void **state)
{
	char text[32];
	u32 before;

	for (int i = 0; i < 100; i++) {
		snprintf(text, sizeof(text), "x%d\n", i);
		guest_put_only(&loud, text);
	}
	console_guest_kick(&loud);
	assert_true(strstr(screen, "(loud) x0\r\n") != NULL);
	assert_null(strstr(screen, "(loud) x99\r\n"));
	assert_true(console_flush_deadline() != 0);
	assert_true(console_flush_deadline() <= fake.counter);
	for (int i = 0; i < 20 && !strstr(screen, "x99"); i++) {
		before = nscreen;
		console_poll(fake.counter);
		assert_true(nscreen > before);
	}
	assert_non_null(strstr(screen, "(loud) x99\r\n"));
}

static void test_partial_line_after_idle(void **state)
{
	guest_write(&quiet, "prompt> ");
	assert_string_equal(screen, "");
	assert_int_equal(console_flush_deadline(), 1000000 + idle);
	console_poll(1000000 + idle - 1);
	assert_string_equal(screen, "");
	fake.counter = 1000000 + idle;
	console_poll(fake.counter);
	assert_string_equal(screen, "(quiet) prompt> ");
	assert_int_equal(console_flush_deadline(), 0);
	/* the rest of the line continues it, without a second prefix */
	guest_write(&quiet, "ls\n");
	assert_string_equal(screen, "(quiet) prompt> ls\r\n");
}

/* A line that went out whole leaves no deadline and no queued flush: an
 * idle machine keeps no timer armed for the console. One still partial keeps
 * its deadline. */
static void test_whole_line_leaves_no_deadline(void **state)
{
	guest_write(&quiet, "done\n");
	assert_string_equal(screen, "(quiet) done\r\n");
	assert_int_equal(console_flush_deadline(), 0);
	assert_int_equal(work_next_due(CONSOLE_CPU), 0);
	guest_write(&quiet, "half");
	guest_write(&loud, "whole\n");
	assert_int_equal(console_flush_deadline(), fake.counter + idle);
	assert_int_equal(work_next_due(CONSOLE_CPU), console_flush_deadline());
}

/* A new deadline set from another CPU queues the flush on CPU 0 and tells
 * it; only when there was none, not for every byte. */
static void test_new_deadline_kicks_cpu0(void **state)
{
	fake.cpu_index = 1;
	guest_write(&quiet, "a");
	assert_int_equal(fake.kicks, 1);
	assert_int_equal(fake.last_kick, 0);
	guest_write(&quiet, "bc");
	assert_int_equal(fake.kicks, 1);
	assert_int_equal(work_next_due(CONSOLE_CPU), console_flush_deadline());
	fake.cpu_index = 0;
	fake.counter += idle;
	fake.counter--;
	work_run(CONSOLE_CPU);  /* not yet */
	assert_string_equal(screen, "");
	fake.counter++;
	work_run(CONSOLE_CPU);
	assert_string_equal(screen, "(quiet) abc");
	guest_write(&quiet, "d");  /* on CPU 0 itself too: its timer must be re-armed */
	assert_int_equal(fake.kicks, 2);
	assert_int_equal(fake.last_kick, 0);
}

/* A guest that waits in WFI gets its prompt out at once. */
static void test_idle_guest_flushes_now(void **state)
{
	guest_write(&loud, "busy\n");
	guest_write(&quiet, "~ # ");
	console_guest_idle(&loud);  /* nothing partial of its own: no effect on quiet */
	assert_string_equal(screen, "(loud) busy\r\n");
	console_guest_idle(&quiet);
	assert_string_equal(screen, "(loud) busy\r\n(quiet) ~ # ");
	console_guest_idle(&quiet);
	assert_string_equal(screen, "(loud) busy\r\n(quiet) ~ # ");
}

/* The same VM's other vCPU (on another CPU) going idle says nothing about
 * the line its sibling is writing; the writer going idle does. */
static void test_sibling_idle_keeps_line_whole(void **state)
{
	fake.cpu_index = 1;
	guest_write(&quiet, "SU");
	fake.cpu_index = 0;
	console_guest_idle(&quiet);
	assert_string_equal(screen, "");
	fake.cpu_index = 1;
	guest_write(&quiet, "M 0 4501500\n");
	assert_string_equal(screen, "(quiet) SUM 0 4501500\r\n");
	guest_write(&quiet, "~ # ");
	console_guest_idle(&quiet);
	assert_string_equal(screen, "(quiet) SUM 0 4501500\r\n(quiet) ~ # ");
	fake.cpu_index = 0;
}

/* While the UART's driver waits for its transmit interrupt, the open line is
 * the middle of a line: not a prompt on WFI, and given CONSOLE_WAITING_MS
 * rather than the idle time; once the driver is done, the idle time again. */
static void test_waiting_writer_keeps_line_whole(void **state)
{
	u64 waiting = fake.counter_freq / 1000 * CONSOLE_WAITING_MS;

	guest_write(&quiet, "S");
	console_guest_tx_waits(&quiet, true);
	console_guest_idle(&quiet);
	fake.counter += idle;
	work_run(CONSOLE_CPU);
	assert_string_equal(screen, "");
	fake.counter += waiting - idle;
	work_run(CONSOLE_CPU);
	assert_string_equal(screen, "(quiet) S");  /* a stuck driver's line still shows */
	guest_write(&quiet, "UM\n");
	clear_screen();
	guest_write(&quiet, "ab");
	fake.counter += idle;
	work_run(CONSOLE_CPU);
	assert_string_equal(screen, "");
	console_guest_tx_waits(&quiet, false);  /* done, long after its last byte */
	work_run(CONSOLE_CPU);
	assert_string_equal(screen, "(quiet) ab");
}

/* An open partial line is ended before another owner's line. */
static void test_other_owner_ends_open_line(void **state)
{
	guest_write(&quiet, "~ # ");
	fake.counter += idle;
	console_poll(fake.counter);
	console_hv_line("vm 2 started", 12);
	guest_write(&loud, "a line\n");
	guest_write(&quiet, "echo\n");
	assert_string_equal(screen, "(quiet) ~ # \r\n(hv) vm 2 started\r\n(loud) a line\r\n"
				    "(quiet) echo\r\n");
}

/* The shell's line as it is typed: continued in place while it is the
 * screen's last line, drawn again whole after another owner's line. */
static void test_shell_edit_line(void **state)
{
	console_edit_show("l", 1, "l", 1);
	console_edit_show("li", 2, "i", 1);
	assert_string_equal(screen, "(hv) > li");
	guest_write(&loud, "boot\n");
	console_edit_show("lis", 3, "s", 1);
	console_edit_show("li", 2, "\b \b", 3);
	assert_string_equal(screen, "(hv) > li\r\n(loud) boot\r\n(hv) > lis\b \b");
	assert_true(console_edit_end());
	assert_false(console_edit_end());  /* ended: nothing open any more */
	console_hv_line("answer", 6);
	assert_string_equal(screen, "(hv) > li\r\n(loud) boot\r\n(hv) > lis\b \b\r\n(hv) answer\r\n");
	console_edit_show("x", 1, "x", 1);
	guest_write(&loud, "more\n");
	assert_false(console_edit_end());  /* the caller says the line again */
}

/* A partial line of one VM never holds up complete lines of another. */
static void test_partial_does_not_block(void **state)
{
	guest_write(&quiet, "typing");
	guest_write(&loud, "done\n");
	assert_string_equal(screen, "(loud) done\r\n");
	fake.counter += idle;
	console_poll(fake.counter);
	assert_string_equal(screen, "(loud) done\r\n(quiet) typing");
}

/* A full ring refuses bytes (counted); draining gives the writer a wake-up,
 * delivered by the guest's own kick or by console_poll, never by a log line. */
static void test_full_ring_and_wake(void **state)
{
	u32 n = 0;

	while (console_guest_put(&quiet, n % 50 == 49 ? '\n' : 'q'))
		n++;
	assert_int_equal(n, sizeof(quiet_buf));
	assert_int_equal(quiet.dropped, 1);
	assert_int_equal(wakes, 0);
	console_hv_line("log", 3);  /* drains, but may not wake */
	assert_int_equal(wakes, 0);
	assert_true(console_flush_deadline() != 0);
	console_poll(fake.counter);
	assert_int_equal(wakes, 1);
	/* everything came out, the last partial line after the idle time */
	fake.counter += idle;
	for (int i = 0; i < 20 && console_flush_deadline(); i++)
		console_poll(fake.counter);
	assert_int_equal(console_ring_room(&quiet), sizeof(quiet_buf));
	assert_int_equal(wakes, 1);
}

/* After close the writer hears nothing; close writes the partial line. */
static void test_close_flushes_and_stops_wakes(void **state)
{
	guest_write(&quiet, "last words");
	console_ring_close(&quiet);
	assert_string_equal(screen, "(quiet) last words\r\n");
	assert_int_equal(console_ring_room(&quiet), sizeof(quiet_buf));
	while (console_guest_put(&quiet, 'z'))
		;
	fake.counter += idle;
	for (int i = 0; i < 20 && console_flush_deadline(); i++)
		console_poll(fake.counter);
	assert_int_equal(wakes, 0);
	/* reopened (the VM restarted): wake-ups again */
	console_ring_close(&quiet);
	console_ring_open(&quiet, wake, &wakes);
	clear_screen();
	guest_write(&quiet, "again\n");
	assert_string_equal(screen, "(quiet) again\r\n");
}

static void test_unregister_writes_the_rest(void **state)
{
	guest_write(&loud, "one\ntwo");
	console_ring_unregister(&loud);
	assert_string_equal(screen, "(loud) one\r\n(loud) two\r\n");
	/* gone: no longer drained */
	clear_screen();
	guest_write(&loud, "ghost\n");
	fake.counter += idle;
	console_poll(fake.counter);
	assert_string_equal(screen, "");
	console_ring_reset(&loud);
	assert_true(console_ring_register(&loud));
}

/* Bulkhead's lines are whole even when a VM floods, and never dropped. */
static void test_hv_lines_never_dropped(void **state)
{
	static char lines[2000][256];
	char text[64];
	u32 n, hv = 0;

	for (int i = 0; i < 1500; i++) {
		snprintf(text, sizeof(text), "flood %d\n", i);
		guest_put_only(&loud, text);
		snprintf(text, sizeof(text), "hv line %d", i);
		if (i % 3 == 0)
			console_hv_line(text, (u32)strlen(text));
	}
	for (int i = 0; i < 200 && console_flush_deadline(); i++)
		console_poll(fake.counter);
	n = screen_lines(lines, 2000);
	for (u32 i = 0; i < n; i++) {
		if (!strncmp(lines[i], "(hv) ", 5)) {
			snprintf(text, sizeof(text), "(hv) hv line %u", hv * 3);
			assert_string_equal(lines[i], text);
			hv++;
		}
	}
	assert_int_equal(hv, 500);
}

static void test_panic_writes_directly(void **state)
{
	guest_write(&quiet, "half a line");
	fake.counter += idle;
	console_poll(fake.counter);
	console_panic_begin();
	console_hv_line("PANIC: test", 11);
	assert_string_equal(screen, "(quiet) half a line\r\n(hv) PANIC: test\r\n");
}

/* Powering off writes out what the rings still hold, an open line's bytes
 * included, after the lines a budget left behind. */
static void test_power_off_flushes_everything(void **state)
{
	char text[32];

	for (int i = 0; i < 100; i++) {
		snprintf(text, sizeof(text), "x%d\n", i);
		guest_put_only(&loud, text);
	}
	guest_put_only(&quiet, "half");
	console_guest_kick(&loud);
	assert_null(strstr(screen, "(loud) x99\r\n"));
	console_flush_for_power_off();
	assert_non_null(strstr(screen, "(loud) x99\r\n"));
	assert_non_null(strstr(screen, "(quiet) half\r\n"));
}


/* Lets console_poll() write what drain budgets left (bounded). */
static void settle(void)
{
	for (int i = 0; i < 1000 && console_flush_deadline(); i++) {
		fake.counter += fake.counter_freq / 1000 * CONSOLE_IDLE_MS;
		console_poll(fake.counter);
	}
}

/* The focused ring goes out byte for byte and at once: escape sequences,
 * '\r', a line of 500 bytes, a prompt; the other VM waits, and Bulkhead's
 * lines go out on lines of their own. */
static void test_focus_is_transparent(void **state)
{
	static const char seq[] = "\033[6n\033[2J\033[1;1H\033[7mtop\033[m\r\n";
	char lng[501];

	console_focus(&loud);
	guest_write(&quiet, "quiet line\n");
	guest_write(&loud, seq);
	assert_string_equal(screen, seq);
	memset(lng, 'L', 500);
	lng[500] = '\0';
	clear_screen();
	guest_write(&loud, lng);
	assert_string_equal(screen, lng);
	console_hv_line("note", 4);
	assert_string_equal(screen + 500, "\r\n(hv) note\r\n");
	clear_screen();
	guest_write(&loud, "/ # ");
	assert_string_equal(screen, "/ # ");  /* no idle time for a prompt */
	/* quiet's line waited all along; back in the shared view it comes out */
	clear_screen();
	console_focus(NULL);
	fake.counter += 1000;
	console_poll(fake.counter);
	assert_string_equal(screen, "\r\n(quiet) quiet line\r\n");
}

/* A background VM that prints more than its ring holds never waits: its
 * UART always has room; the oldest lines go, and the console says how much
 * when it shows the rest. */
static void test_background_never_blocks(void **state)
{
	char line[64];

	console_focus(&loud);
	for (int i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line), "background %04d\n", i);
		guest_write(&quiet, line);
		assert_true(console_ring_room(&quiet) > 0);
	}
	assert_int_equal(quiet.dropped, 0);
	assert_true(quiet.overwritten > 0);
	assert_int_equal(nscreen, 0);
	console_focus(NULL);
	settle();
	assert_non_null(strstr(screen, "(quiet) ["));
	assert_non_null(strstr(screen, " bytes of output not shown: another VM had the console]\r\n"));
	assert_non_null(strstr(screen, "(quiet) background 0999\r\n"));
	assert_null(strstr(screen, "(quiet) background 0000\r\n"));
}

/* A focused ring that fills makes its writer wait (TXFF) and wakes it as the
 * console takes the bytes, as in the shared view. */
static void test_focus_flow_control(void **state)
{
	u32 n = 0;

	console_focus(&quiet);
	/* as if the UART were busy elsewhere: fill without a drain */
	while (console_guest_put(&quiet, (char)('a' + n % 26)))
		n++;
	assert_int_equal(n, sizeof(quiet_buf));
	console_guest_kick(&quiet);
	settle();
	assert_int_equal(nscreen, sizeof(quiet_buf));
	assert_true(wakes >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prefixes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_focus_is_transparent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_background_never_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_focus_flow_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_off_flushes_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_robin_fairness, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_leaves_rest_to_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_line_after_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_deadline_kicks_cpu0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_guest_flushes_now, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sibling_idle_keeps_line_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting_writer_keeps_line_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_owner_ends_open_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shell_edit_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_does_not_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_ring_and_wake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_flushes_and_stops_wakes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unregister_writes_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hv_lines_never_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whole_line_leaves_no_deadline, setup, teardown),
		/* last: a panic is for good */
		cmocka_unit_test_setup(test_panic_writes_directly, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
