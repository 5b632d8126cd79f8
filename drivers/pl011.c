/*
 * Polled PL011 output. The firmware (or QEMU) has already set the baud rate;
 * Bulkhead only waits for room in the transmit FIFO.
 */
#include "drivers/pl011.h"

#define UARTDR 0x000
#define UARTFR 0x018
#define UARTIMSC 0x038
#define UARTICR 0x044
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define INT_RX (1u << 4)
#define INT_RT (1u << 6)

static volatile u32 *uart;

static u32 pl011_read_fr(void)
{
	return uart[UARTFR / 4];
}

static void pl011_write_dr(u32 v)
{
	uart[UARTDR / 4] = v;
}

static u32 pl011_read_dr(void)
{
	return uart[UARTDR / 4];
}

static void pl011_write_imsc(u32 v)
{
	uart[UARTIMSC / 4] = v;
}

static void pl011_write_icr(u32 v)
{
	uart[UARTICR / 4] = v;
}

void pl011_enable_rx_interrupt(void)
{
	pl011_set_rx_interrupt(true);
}

void pl011_set_rx_interrupt(bool on)
{
	if (uart)
		pl011_write_imsc(on ? INT_RX | INT_RT : 0);
}

/*
 * The receive interrupts are cleared before the FIFO is looked at, never
 * after: a byte that arrives once the FIFO was seen empty then raises a new
 * interrupt instead of waiting, unnoticed, for the next one.
 */
int pl011_getc(void)
{
	if (!uart)
		return -1;
	pl011_write_icr(INT_RX | INT_RT);
	if (pl011_read_fr() & FR_RXFE)
		return -1;
	return (int)(pl011_read_dr() & 0xff);
}

void pl011_init(paddr_t base)
{
	uart = (volatile u32 *)(uintptr_t)pa_addr(base);
}

void pl011_putc(char c)
{
	if (!uart)
		return;
	while (pl011_read_fr() & FR_TXFF)
		;
	pl011_write_dr((u8)c);
}
