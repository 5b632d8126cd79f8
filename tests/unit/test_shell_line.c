/*
 * The shell's line editor (core/shell_line.c): what a terminal shows while
 * typing, Backspace, Ctrl-U, Ctrl-W, the history on Up and Down, Tab
 * completion and the over-long line. The "terminal" here applies the
 * editor's deltas to a screen line, as a real one would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/shell_line.h"

static char screen[1024];   /* the line as a terminal shows it */
static u32 bells;
static char listed[512];
static struct shell_line ed;

static void echo(void *ctx, const char *line, u32 len, const char *delta, u32 dlen)
{
	size_t n = strlen(screen);

	for (u32 i = 0; i < dlen; i++) {
		if (delta[i] == '\a') {
			bells++;
		} else if (delta[i] == '\b') {
			assert_true(n > 0);  /* never erases past the line's start */
			n--;
		} else {
			screen[n++] = delta[i];
		}
		screen[n] = '\0';
	}
	/* trailing blanks from "\b \b" are not characters of the line */
	while (n && screen[n - 1] == ' ' && (len < n))
		screen[--n] = '\0';
	assert_int_equal(strlen(screen), len);
	assert_memory_equal(screen, line, len);
}

static const char *const commands[] = { "info", "list", "pause", "unpause", "vcpu-list",
					"vcpu-pin", NULL };
static const char *const vms[] = { "deb", "debian2", "rtos", NULL };
static char seen_before[128];
static u32 seen_word;

static const char *candidate(void *ctx, const char *line, u32 word, u32 i)
{
	strcpy(seen_before, line);
	seen_word = word;
	if (word == 0)
		return commands[i];
	return word == 1 ? vms[i] : NULL;
}

static void list(void *ctx, const char *names)
{
	strcpy(listed, names);
}

static const struct shell_line_ops ops = { .echo = echo, .candidate = candidate, .list = list };

static int setup(void **state)
{
	shell_line_init(&ed, &ops);
	screen[0] = '\0';
	listed[0] = '\0';
	bells = 0;
	return 0;
}

static enum shell_line_result type(const char *s)
{
	enum shell_line_result r = LINE_EDITING;

	for (; *s; s++)
		r = shell_line_key(&ed, *s);
	return r;
}

/* Enter, then what a terminal does: a new, empty line. */
static enum shell_line_result enter(void)
{
	enum shell_line_result r = shell_line_key(&ed, '\r');

	screen[0] = '\0';
	return r;
}

static void test_typed_characters_are_echoed(void **state)
{
	type("list");
	assert_string_equal(screen, "list");
	assert_int_equal(enter(), LINE_DONE);
	assert_string_equal(shell_line_text(&ed), "list");
}

static void test_backspace(void **state)
{
	type("lisx\x7f");
	assert_string_equal(screen, "lis");
	type("\bt");  /* ^H too */
	assert_string_equal(screen, "lit");
	assert_int_equal(enter(), LINE_DONE);
	assert_string_equal(shell_line_text(&ed), "lit");
	type("\x7f\x7f");  /* nothing to erase: nothing happens */
	assert_string_equal(screen, "");
}

static void test_ctrl_u_erases_the_line(void **state)
{
	type("pause deb\x15");
	assert_string_equal(screen, "");
	type("list");
	assert_int_equal(enter(), LINE_DONE);
	assert_string_equal(shell_line_text(&ed), "list");
}

static void test_ctrl_w_erases_a_word(void **state)
{
	type("vcpu-pin deb 0  \x17");
	assert_string_equal(screen, "vcpu-pin deb ");
	type("\x17");
	assert_string_equal(screen, "vcpu-pin ");
	type("rtos");
	enter();
	assert_string_equal(shell_line_text(&ed), "vcpu-pin rtos");
}

static void test_history_up_and_down(void **state)
{
	type("list");
	enter();
	type("info deb");
	enter();
	type("info deb");  /* the same twice: one step */
	enter();
	type("vcp");
	type("\x1b[A");
	assert_string_equal(screen, "info deb");
	type("\x1bOA");  /* the application-mode form of Up */
	assert_string_equal(screen, "list");
	type("\x1b[A");  /* no older line: stays */
	assert_string_equal(screen, "list");
	type("\x1b[B\x1b[B");
	assert_string_equal(screen, "vcp");  /* back to what was being typed */
	type("\x1b[A\x1b[A");
	assert_int_equal(enter(), LINE_DONE);
	assert_string_equal(shell_line_text(&ed), "list");
}

static void test_history_keeps_the_last_lines(void **state)
{
	char cmd[16];

	for (int i = 0; i < SHELL_HISTORY + 4; i++) {
		snprintf(cmd, sizeof(cmd), "cmd%d", i);
		type(cmd);
		enter();
	}
	for (int i = 0; i < SHELL_HISTORY + 4; i++)
		type("\x1b[A");
	assert_string_equal(screen, "cmd4");  /* the oldest one kept */
}

static void test_other_escape_sequences_are_ignored(void **state)
{
	type("li\x1b[3~\x1b[1;5C\x1b[Dst");  /* Delete, Ctrl-Right, Left */
	assert_string_equal(screen, "list");
	assert_int_equal(enter(), LINE_DONE);
	assert_string_equal(shell_line_text(&ed), "list");
}

static void test_tab_completes_a_command(void **state)
{
	type("unp\t");
	assert_string_equal(screen, "unpause ");
	assert_int_equal(seen_word, 0);
	type("r\t");
	assert_string_equal(screen, "unpause rtos ");
	assert_int_equal(seen_word, 1);
	assert_string_equal(seen_before, "unpause ");
}

static void test_tab_extends_to_the_common_part_then_lists(void **state)
{
	type("vc\t");
	assert_string_equal(screen, "vcpu-");
	assert_string_equal(listed, "");
	type("\t");
	assert_string_equal(listed, "vcpu-list vcpu-pin");
	assert_string_equal(screen, "vcpu-");
	type("pin d\t");
	assert_string_equal(screen, "vcpu-pin deb");  /* deb and debian2 */
	type("\t");
	assert_string_equal(listed, "deb debian2");
}

static void test_tab_without_a_match_rings(void **state)
{
	type("frob\t");
	assert_string_equal(screen, "frob");
	assert_int_equal(bells, 1);
	type("\x15info a b\t");  /* no candidates for a third word */
	assert_int_equal(bells, 2);
}

static void test_a_line_too_long_is_refused_whole(void **state)
{
	char longer[SHELL_LINE_MAX + 20];

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	type(longer);
	assert_int_equal(strlen(screen), SHELL_LINE_MAX - 1);
	assert_int_equal(bells, 1);  /* once, not per character */
	type("\x7f");
	assert_int_equal(enter(), LINE_TOO_LONG);  /* not a cut line */
	type("list");
	assert_int_equal(enter(), LINE_DONE);
	assert_string_equal(shell_line_text(&ed), "list");
	/* a refused line is no history */
	type("\x1b[A\x1b[A");
	assert_string_equal(screen, "list");
}

static void test_ctrl_u_forgets_an_overflow(void **state)
{
	char longer[SHELL_LINE_MAX + 2];

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	type(longer);
	type("\x15list");
	assert_int_equal(enter(), LINE_DONE);
	assert_string_equal(shell_line_text(&ed), "list");
}

static void test_control_bytes_are_not_shown(void **state)
{
	type("l\x01\x02i\x80st\xff");
	assert_string_equal(screen, "list");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_typed_characters_are_echoed, setup),
		cmocka_unit_test_setup(test_backspace, setup),
		cmocka_unit_test_setup(test_ctrl_u_erases_the_line, setup),
		cmocka_unit_test_setup(test_ctrl_w_erases_a_word, setup),
		cmocka_unit_test_setup(test_history_up_and_down, setup),
		cmocka_unit_test_setup(test_history_keeps_the_last_lines, setup),
		cmocka_unit_test_setup(test_other_escape_sequences_are_ignored, setup),
		cmocka_unit_test_setup(test_tab_completes_a_command, setup),
		cmocka_unit_test_setup(test_tab_extends_to_the_common_part_then_lists, setup),
		cmocka_unit_test_setup(test_tab_without_a_match_rings, setup),
		cmocka_unit_test_setup(test_a_line_too_long_is_refused_whole, setup),
		cmocka_unit_test_setup(test_ctrl_u_forgets_an_overflow, setup),
		cmocka_unit_test_setup(test_control_bytes_are_not_shown, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
