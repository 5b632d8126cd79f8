/*
 * A minimal virtio-net driver over virtio-mmio (virtio 1.2 5.1, Version 2)
 * for the test guest's network modes: several devices at once, each with
 * its receive (0) and transmit (1) queues. As in vblk.h, the rings are
 * public so that a mode that means to break the rules writes them itself;
 * the driver gives discovery, the init handshake, submission and a wait
 * bounded by the virtual counter.
 */
#ifndef GUEST_TEST_VNET_H
#define GUEST_TEST_VNET_H

#include "guests/test/vblk.h"

#define VNET_QSIZE 256
#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_HDR_LEN 12           /* with VERSION_1: num_buffers always there */

/* Feature bits (5.1.3) */
#define VF_NET_CSUM 0
#define VF_NET_GUEST_CSUM 1
#define VF_NET_MAC 5
#define VF_NET_MRG_RXBUF 15

/* virtio_net_hdr (5.1.6) */
#define VNET_F_NEEDS_CSUM 1
#define VNET_F_DATA_VALID 2
#define VNET_GSO_TCPV4 1
#define VNET_GSO_ECN 0x80

struct vnet_hdr {
	u8 flags, gso_type;
	u16 hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};

struct vnet_avail {
	u16 flags;
	u16 idx;
	u16 ring[VNET_QSIZE];
	u16 used_event;
};

struct vnet_used {
	u16 flags;
	u16 idx;
	struct { u32 id, len; } ring[VNET_QSIZE];
	u16 avail_event;
};

struct vnet_queue {
	struct vdesc desc[VNET_QSIZE] __attribute__((aligned(4096)));
	volatile struct vnet_avail avail __attribute__((aligned(4096)));
	volatile struct vnet_used used __attribute__((aligned(4096)));
	u16 size;                 /* of the running queue */
	u16 avail_idx, used_idx;  /* the driver's copies */
};

struct vnet {
	u64 base;
	u32 intid;
	u32 queue_max;
	u64 offered;
	u8 mac[6];
	volatile u32 int_seen;    /* InterruptStatus bits taken since the last submit */
	struct vnet_queue q[2];
};

/* The `nth` virtio-net device: mapped, its SPI routed here, IRQs on; its MAC
 * read from config space. NULL or what is missing. */
const char *vnet_probe(struct vnet *n, u32 nth);
void vnet_reset(struct vnet *n);
/* The handshake offering `features`, both queues (queue `which` laid out by
 * `ring` when not NULL) and DRIVER_OK. NULL, or what the device refused. */
const char *vnet_init(struct vnet *n, u64 features, u32 which, const struct vblk_ring *ring);
/* Entry `head` made available on `q` (idx moved by `step`), then a notify. */
void vnet_submit(struct vnet *n, u32 q, u16 head, u16 step);
/* Up to `ms` for a used entry on `q` or a configuration interrupt (vblk_wait's answers). */
enum vblk_answer vnet_wait(struct vnet *n, u32 q, u64 ms, u32 *id, u32 *len, bool *config_int);
/* Buffers 0..count-1 of `size` bytes each at `bufs` posted as RX chains
 * (descriptor i, head i). */
void vnet_post_rx(struct vnet *n, u8 *bufs, u32 size, u32 count);
/* Sends header + frame through TX descriptors 0 and 1 and waits for the used
 * entry. VA_USED when it came back. */
enum vblk_answer vnet_send(struct vnet *n, const struct vnet_hdr *h, const void *frame, u32 len, u64 ms);
void vnet_hdr_put(u8 raw[VNET_HDR_LEN], const struct vnet_hdr *h);

#endif
