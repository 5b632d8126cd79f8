/*
 * The physical console, shared by Bulkhead and every VM. Output is written a
 * whole line at a time under one lock, each line prefixed with its owner:
 * "(hv) " or "(NAME) ".
 */
#ifndef BULKHEAD_CORE_CONSOLE_H
#define BULKHEAD_CORE_CONSOLE_H

#include "types.h"

#define CONSOLE_LINE_MAX 200

/* A VM's partial output line, flushed on '\n' or when full. */
struct console_line {
	char buf[CONSOLE_LINE_MAX];
	u32 len;
};

struct console_ops {
	void (*putc)(char c);
	int (*getc)(void);   /* next received byte or -1 */
};

void console_init(const struct console_ops *ops);
/* Writes one complete line with its owner prefix (no trailing newline in `text`). */
void console_write_line(const char *owner, const char *text, u32 len);
/* Appends a guest byte to its line buffer; writes the line when complete. */
void console_guest_putc(const char *owner, struct console_line *line, char c);
void console_guest_flush(const char *owner, struct console_line *line);

/*
 * Input. The UART interrupt drains received bytes into a ring
 * (console_rx_interrupt); CPU 0's loop routes them (console_service): to
 * Bulkhead's shell or to one VM's UART. Ctrl-A pressed three times moves the
 * input to the next of: the shell, VM 1, VM 2, ...
 */
void console_rx_interrupt(void);
void console_service(void);
/* Sends input to VM `id` (0: the shell). */
void console_set_target(u32 id);

#endif
