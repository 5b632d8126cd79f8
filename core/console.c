/*
 * Console output shared by Bulkhead and the VMs. A line is written whole
 * under the lock, so lines from different CPUs never interleave.
 */
#include "core/console.h"
#include "core/log.h"
#include "core/shell.h"
#include "core/spinlock.h"
#include "core/vm.h"
#include "lib/string.h"

#define INPUT_RING 256
#define CTRL_A 0x01
#define SWITCH_PRESSES 3

/* Bytes received but not yet routed; written by the UART interrupt on CPU 0,
 * read by CPU 0's loop. */
static u8 input[INPUT_RING];
static u32 input_head, input_count;
static struct spinlock input_lock;
static u32 target;        /* VM id, or 0 for the shell */
static u32 ctrl_a_run;    /* Ctrl-A presses in a row */

static const struct console_ops *out;
static struct spinlock console_lock;

void console_init(const struct console_ops *ops)
{
	out = ops;
}

static void put_string(const char *s, u32 len)
{
	for (u32 i = 0; i < len; i++) {
		if (s[i] == '\n')
			out->putc('\r');
		out->putc(s[i]);
	}
}

void console_write_line(const char *owner, const char *text, u32 len)
{
	if (!out)
		return;
	spin_lock(&console_lock);
	put_string("(", 1);
	put_string(owner, (u32)strlen(owner));
	put_string(") ", 2);
	put_string(text, len);
	put_string("\n", 1);
	spin_unlock(&console_lock);
}

void console_guest_flush(const char *owner, struct console_line *line)
{
	if (line->len) {
		console_write_line(owner, line->buf, line->len);
		line->len = 0;
	}
}

void console_guest_putc(const char *owner, struct console_line *line, char c)
{
	if (c == '\n') {
		console_write_line(owner, line->buf, line->len);
		line->len = 0;
		return;
	}
	if (c == '\r')
		return;
	/* Control bytes other than tab could repaint the operator's terminal
	 * (or hide another VM's prefix): replace them. */
	if ((u8)c < 0x20 && c != '\t')
		c = '?';
	line->buf[line->len++] = c;
	if (line->len == CONSOLE_LINE_MAX)
		console_guest_flush(owner, line);
}

void console_rx_interrupt(void)
{
	int c;

	if (!out || !out->getc)
		return;
	spin_lock(&input_lock);
	while ((c = out->getc()) >= 0) {
		if (input_count < INPUT_RING) {
			input[(input_head + input_count) % INPUT_RING] = (u8)c;
			input_count++;
		}
	}
	spin_unlock(&input_lock);
}

static int next_input(void)
{
	int c = -1;

	spin_lock(&input_lock);
	if (input_count) {
		c = input[input_head];
		input_head = (input_head + 1) % INPUT_RING;
		input_count--;
	}
	spin_unlock(&input_lock);
	return c;
}

static const char *target_name(void)
{
	struct vm *vm = target ? vm_by_id(target) : NULL;

	return vm ? vm->cfg.name : "the Bulkhead shell";
}

void console_set_target(u32 id)
{
	target = id;
	log_msg(LOG_ALWAYS, "console: input goes to %s (Ctrl-A three times to switch)",
		target_name());
}

static void deliver(u8 c)
{
	struct vm *vm = target ? vm_by_id(target) : NULL;

	if (target && !vm)
		target = 0;  /* the VM went away: back to the shell */
	if (vm)
		vm_console_input(vm, c);
	else
		shell_input((char)c);
}

void console_service(void)
{
	int c;

	while ((c = next_input()) >= 0) {
		if (c == CTRL_A) {
			if (++ctrl_a_run == SWITCH_PRESSES) {
				ctrl_a_run = 0;
				console_set_target(vm_next_id(target));
			}
			continue;
		}
		/* one or two Ctrl-A were meant for the target after all */
		for (; ctrl_a_run; ctrl_a_run--)
			deliver(CTRL_A);
		deliver((u8)c);
	}
}
