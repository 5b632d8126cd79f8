/*
 * Emulated Arm PL011 UART as a guest sees it: enough of the register file for
 * Linux's amba-pl011 driver and earlycon. Transmitted bytes go to a sink.
 */
#ifndef BULKHEAD_DEVICES_PL011_H
#define BULKHEAD_DEVICES_PL011_H

#include "types.h"
#include "core/mmio.h"
#include "core/spinlock.h"

#define PL011_MMIO_SIZE 0x1000
#define PL011_RX_FIFO 32

struct pl011_emul {
	void (*tx)(void *ctx, char c);
	void (*irq)(void *ctx, bool level);  /* the UART's interrupt output, or NULL */
	void *tx_ctx;
	bool irq_level;
	u32 cr, lcr_h, ibrd, fbrd, ifls, imsc, dmacr;
	u32 ris;  /* raw interrupt status */
	u8 rx[PL011_RX_FIFO];
	u32 rx_head, rx_count;
	struct spinlock lock;  /* the guest's accesses and console input meet here */
};

void pl011_emul_init(struct pl011_emul *u, void (*tx)(void *ctx, char c),
		     void (*irq)(void *ctx, bool level), void *ctx);
/* Fills an MMIO bus entry for this UART at guest-physical `base`. */
void pl011_emul_device(struct pl011_emul *u, u64 base, struct mmio_device *dev);
bool pl011_emul_read(void *ctx, u64 offset, u32 size, u64 *value);
bool pl011_emul_write(void *ctx, u64 offset, u32 size, u64 value);
/* A byte typed at the console for this UART; false when its FIFO is full. */
bool pl011_emul_receive(struct pl011_emul *u, u8 c);

#endif
