/* Polled PL011 driver for Bulkhead's own console. */
#ifndef BULKHEAD_DRIVERS_PL011_H
#define BULKHEAD_DRIVERS_PL011_H

#include "types.h"

void pl011_init(paddr_t base);
void pl011_putc(char c);
/* Turns on the receive (and receive-timeout) interrupts. */
void pl011_enable_rx_interrupt(void);
/* Off, received bytes stay in the UART's FIFO, which then holds the sender
 * back (the console's input buffer is full). */
void pl011_set_rx_interrupt(bool on);
/* The next received byte, or -1 when the receive FIFO is empty. Clears the
 * receive interrupts first, so none is lost to a byte arriving meanwhile. */
int pl011_getc(void);

#endif
