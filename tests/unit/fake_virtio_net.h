/*
 * A fake virtio-net device behind the transport's register accesses (it
 * stands in for drivers/virtio_mmio_io.c): registers in a struct, and the
 * device's side of the two queues, honest or hostile on request. Shared by
 * tests/unit/test_virtio_net.c and tests/fuzz/fuzz_uplink_rx.c.
 */
#ifndef BULKHEAD_TESTS_FAKE_VIRTIO_NET_H
#define BULKHEAD_TESTS_FAKE_VIRTIO_NET_H

#include "types.h"

#define FNET_F_CSUM (1ull << 0)
#define FNET_F_GUEST_CSUM (1ull << 1)
#define FNET_F_MAC (1ull << 5)
#define FNET_F_STATUS (1ull << 16)
#define FNET_F_VERSION_1 (1ull << 32)
#define FNET_F_MRG_RXBUF (1ull << 15)   /* offered, never taken */
#define FNET_HDR 12
#define FNET_MAX_TX 256

struct fnet_queue {
	u32 num_max, num, ready;
	u64 desc, driver, device;
	u16 last_avail, used_idx;
};

struct fnet_tx_frame {
	u8 hdr[FNET_HDR];
	u8 data[2048];
	u32 len;                 /* of data */
};

struct fake_vnet {
	u32 magic, version, device_id;
	u64 features, driver_features;
	u32 features_sel, driver_features_sel;
	u32 status, queue_sel;
	struct fnet_queue q[2];
	u32 notifies[2];
	u32 int_status;
	u8 mac[6];
	u16 net_status;          /* config: bit 0 link up */
	u32 resets;
	u32 ntx;                 /* frames taken from the TX queue */
	struct fnet_tx_frame tx[FNET_MAX_TX];
};

extern struct fake_vnet fvnet;

/* A device offering `features`, MAC 52:54:00:12:34:56, link up, 64-entry queues. */
void fnet_reset(u64 features);

/* The RX buffers the driver has made available and the device not used. */
u16 fnet_rx_available(void);
/* Takes the next RX buffer: its id (or -1 when none) and length. */
int fnet_rx_next(u32 *buf_len, u8 **buf);
/* Puts a used entry (any id, any length: a hostile device's) on a queue;
 * publishes it and raises the interrupt. */
void fnet_used(u32 queue, u32 id, u32 len);
/* An honest receive: header (flags, csum offsets) and frame into the next
 * buffer, then its used entry. False when no buffer was available. */
bool fnet_receive(const u8 *frame, u32 len, u8 flags, u16 csum_start, u16 csum_offset);
/* Takes every frame the driver queued for sending into fvnet.tx; with
 * `complete`, also returns each buffer on the used ring. Returns how many. */
u32 fnet_transmit(bool complete);
/* The device's link changes (configuration interrupt). */
void fnet_set_link(bool up);

#endif
