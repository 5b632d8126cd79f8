/*
 * Console output shared by Bulkhead and the VMs. A line is written whole
 * under the lock, so lines from different CPUs never interleave.
 */
#include "core/console.h"
#include "core/spinlock.h"
#include "lib/string.h"

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
