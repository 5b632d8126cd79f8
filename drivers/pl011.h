/* Polled PL011 driver for Bulkhead's own console. */
#ifndef BULKHEAD_DRIVERS_PL011_H
#define BULKHEAD_DRIVERS_PL011_H

#include "types.h"

void pl011_init(paddr_t base);
void pl011_putc(char c);

#endif
