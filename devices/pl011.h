/*
 * Emulated Arm PL011 UART as a guest sees it: enough of the register file for
 * Linux's amba-pl011 driver and earlycon. Transmitted bytes go to a sink (a
 * console ring) that can run out of room; the guest then sees the transmit
 * FIFO full, as on hardware.
 */
#ifndef BULKHEAD_DEVICES_PL011_H
#define BULKHEAD_DEVICES_PL011_H

#include "types.h"
#include "core/irq_line.h"
#include "core/spinlock.h"
#include "core/vdev.h"

#define PL011_MMIO_SIZE 0x1000
#define PL011_RX_FIFO 32
/*
 * Sink room at which the transmit FIFO reads as empty (FR.TXFE) and the
 * transmit interrupt is raised. Linux writes up to half its FIFO (16 bytes)
 * per transmit interrupt without looking at TXFF, so it must be more. The
 * sink must call pl011_emul_tx_ready() once it has this much room again
 * after a write left it with less.
 */
#define PL011_TX_ROOM 32

struct pl011_sink {
	/* One transmitted byte; false when there was no room (the byte is lost,
	 * as on hardware when a driver ignores TXFF). */
	bool (*put)(void *ctx, char c);
	u32 (*room)(void *ctx);
	/* After a write to DR or a read of FR, with the UART's lock dropped: the
	 * sink may write its bytes out. May be NULL. */
	void (*flush)(void *ctx);
	/* After the guest read from the receive FIFO and left it half full or
	 * empty, with the UART's lock dropped. May be NULL. */
	void (*rx_room)(void *ctx);
	/* Bytes the sink still holds, not yet written out. May be NULL: FR is
	 * then never published (below). */
	u32 (*held)(void *ctx);
	/* The guest's driver unmasked (true) or masked the transmit interrupt:
	 * it has more to send once there is room. With the UART's lock dropped.
	 * May be NULL. */
	void (*tx_waits)(void *ctx, bool waits);
};

struct pl011_emul {
	const struct pl011_sink *sink;
	void *ctx;                 /* the sink's */
	struct irq_line irq;       /* the UART's interrupt output */
	bool irq_level;
	u32 cr, lcr_h, ibrd, fbrd, ifls, imsc, dmacr;
	u32 ris;  /* raw interrupt status */
	u8 rx[PL011_RX_FIFO];
	u32 rx_head, rx_count;
	struct spinlock lock;  /* the guest's accesses and console input meet here */
	/* On a VM's bus, FR is published as its polled register
	 * (mmio_polled_publish) while a read of it changes nothing: the sink
	 * holds nothing to flush and the receive FIFO is empty. */
	struct vdev *dev;
	bool fr_published;
};

void pl011_emul_init(struct pl011_emul *u, const struct pl011_sink *sink, void *ctx,
		     struct irq_line irq);
/* Power-on state again, under the UART's lock (console input may be
 * arriving on another CPU); init is for a UART nobody uses yet. */
void pl011_emul_reset(struct pl011_emul *u, const struct pl011_sink *sink, void *ctx,
		      struct irq_line irq);
/* Makes `d` this UART at guest-physical `base`, for a VM's MMIO bus. */
void pl011_emul_vdev(struct pl011_emul *u, ipaddr_t base, struct vdev *d);
/* A byte typed at the console for this UART; false when its FIFO is full. */
bool pl011_emul_receive(struct pl011_emul *u, u8 c);
/* The sink has PL011_TX_ROOM again: raise the transmit interrupt. */
void pl011_emul_tx_ready(struct pl011_emul *u);

#endif
