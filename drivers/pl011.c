/*
 * Polled PL011 output. The firmware (or QEMU) has already set the baud rate;
 * Bulkhead only waits for room in the transmit FIFO.
 */
#include "drivers/pl011.h"

#define UARTDR 0x000
#define UARTFR 0x018
#define FR_TXFF (1u << 5)

static volatile u32 *uart;

static u32 pl011_read_fr(void)
{
	return uart[UARTFR / 4];
}

static void pl011_write_dr(u32 v)
{
	uart[UARTDR / 4] = v;
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
