/*
 * Console output on the PL011 the device tree names, polled: every byte waits
 * for room in the transmit FIFO (TXFF). Input is polled too (the prompt
 * mode). The UART is not reprogrammed: whoever provides it (QEMU or the
 * hypervisor) has it ready, and touching its setup would be a test of its own.
 */
#include <stdarg.h>
#include "guests/test/guest.h"
#include "lib/fmt.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)

static volatile u32 *uart;

void console_init(u64 base)
{
	uart = (volatile u32 *)base;
}

static void uart_putc(char c)
{
	while (uart[UART_FR / 4] & FR_TXFF)
		;
	uart[UART_DR / 4] = (u8)c;
}

int console_getc(void)
{
	if (!uart || (uart[UART_FR / 4] & FR_RXFE))
		return -1;
	return (int)(uart[UART_DR / 4] & 0xff);
}

static void sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (!uart)
		return;
	while (n--)
		uart_putc(*s++);
}

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vformat(sink, NULL, fmt, ap);
	va_end(ap);
}
