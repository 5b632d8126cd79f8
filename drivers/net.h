/*
 * The network driver interface: what a driver of one of the machine's own
 * NICs (virtio-net today; a real NIC later) offers the rest of Bulkhead, and
 * the registry of those NICs.
 *
 * A NIC has one user (the uplink, net/uplink.c), which sets its receive
 * callback before the driver starts delivering. Received frames are handed
 * over from deferred work, never from an interrupt handler, with no driver
 * lock held: the callback may take other locks (the switch's) and transmit.
 * Transmit copies the frame into the driver's own buffers before it returns,
 * so the caller's memory is free again at once; it never waits.
 */
#ifndef BULKHEAD_DRIVERS_NET_H
#define BULKHEAD_DRIVERS_NET_H

#include "types.h"
#include "net/net_frame.h"

#ifndef NET_MAX_NICS
#define NET_MAX_NICS 4   /* the unit tests, which probe a fresh NIC per test, raise it */
#endif
#define NET_NAME_MAX 8

/* What transmit() answers. */
enum net_tx {
	NET_TX_QUEUED,     /* copied into a TX buffer and handed to the device */
	NET_TX_BUSY,       /* every TX buffer is with the device: dropped, counted */
	NET_TX_LINK_DOWN,  /* the link is down: dropped, counted */
	NET_TX_BAD_FRAME,  /* too long, or offload offsets outside it: dropped, counted */
	NET_TX_BROKEN,     /* the device misbehaved and was stopped */
};

/* The driver's counters, each updated atomically (read at any time). */
struct net_nic_stats {
	u64 rx_packets, rx_bytes;  /* frames handed to the receive callback */
	u64 rx_errors;             /* answers from the device that could not be true */
	u64 rx_no_user;            /* received before anyone took the NIC's frames */
	u64 tx_packets, tx_bytes;  /* frames handed to the device */
	u64 tx_busy, tx_link_down, tx_bad;  /* transmit refusals by reason */
};

struct net_nic;

struct net_nic_ops {
	/* Copies the delivered frame (net_delivery_piece) into a TX buffer and
	 * queues it. Any CPU, no switch lock held. */
	enum net_tx (*transmit)(struct net_nic *nic, const struct net_delivery *d);
};

/* Called for each received frame: `frame` (len bytes, the Ethernet header
 * first) stays readable until it returns. */
typedef void (*net_rx_fn)(struct net_nic *nic, const u8 *frame, u32 len,
			  const struct net_offload *offload, u64 now);

struct net_nic {
	char name[NET_NAME_MAX];    /* eth0, eth1... */
	const char *kind;           /* "virtio-net" */
	u8 mac[ETH_ALEN];
	u32 mtu;                    /* the largest frame it carries, header included, untagged */
	bool link_up;               /* atomic: the driver updates it on a link change */
	bool broken;                /* atomic: stopped after misbehaving */
	const struct net_nic_ops *ops;
	void *priv;                 /* the driver's */
	/* the user's */
	net_rx_fn rx;
	void *rx_ctx;
	struct net_nic_stats stats;
};

/* Adds a NIC the driver has set up, named eth0, eth1... in that order; -1
 * when NET_MAX_NICS are there already. */
int net_register(struct net_nic *nic);
u32 net_nic_count(void);
struct net_nic *net_nic(u32 i);

/* The user takes the NIC's received frames from now on. */
void net_set_rx(struct net_nic *nic, net_rx_fn rx, void *ctx);
enum net_tx net_transmit(struct net_nic *nic, const struct net_delivery *d);
/* A snapshot of the counters, each read atomically. */
void net_nic_stats(const struct net_nic *nic, struct net_nic_stats *out);
bool net_link_up(const struct net_nic *nic);
/* Formats the MAC as aa:bb:cc:dd:ee:ff into buf (18 bytes). */
void net_mac_str(const u8 *mac, char *buf);

/* For drivers, from deferred work with no driver lock held: counts one
 * received frame and hands it to the user (dropped while there is none). */
void net_rx_frame(struct net_nic *nic, const u8 *frame, u32 len, const struct net_offload *offload,
		  u64 now);

/* Probes every NIC driver over what the board describes (boot, CPU 0,
 * after interrupts are up). */
void net_probe_all(void);

/* For drivers: count `n` in one counter. */
static inline void net_count(u64 *ctr, u64 n)
{
	__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
}

#endif
