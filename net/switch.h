/*
 * Virtual switches: one learning L2 switch per name, with ports for VM vifs
 * and the machine's uplink. This header is the contract between the switch
 * and the devices that plug into it (the vif device, the uplink driver).
 *
 * Ports
 *   A port is memory its owner provides (embedded in its device state) and
 *   registers with switch_port_add(). Two kinds:
 *   - a vif: one MAC (its static entry in the MAC table), access port of
 *     `vlan` (0: untagged). Frames it sends must carry its MAC as source
 *     (anti-spoofing) and no VLAN tag; it receives its VLAN's frames untagged.
 *   - an uplink: promiscuous (any unicast source, learned; a source that is a
 *     vif's MAC on that VLAN is refused) and a trunk: frames of VLAN N go out
 *     tagged N, untagged frames untagged; a frame it sends tagged N reaches
 *     only VLAN N's ports, with the tag removed.
 *   Frames of more than one tag (QinQ) and tags with VID 4095 are refused
 *   from anywhere; an uplink frame with VID 0 (priority only) is untagged.
 *
 * Sending
 *   switch_tx() takes one frame from a port: checks it (size, tags, source,
 *   the port's rate), learns its source, picks the receivers (the learned
 *   port of a known unicast destination; every other port of its VLAN for
 *   broadcast, multicast and unknown unicast, a vif's within its storm
 *   budget, SWITCH_STORM_BPS; never the sender), and calls
 *   each receiver's deliver(), which copies the frame once, from the sender's
 *   buffers into the receiver's. A receiver with no buffers says so and the
 *   frame is dropped and counted on that port: the switch never waits, never
 *   queues, and never calls back into the sender.
 *
 * Locking and lock order
 *   Each switch has one spinlock over its MAC table, port array and rate
 *   buckets. It is a leaf: nothing is taken under it, and it is never held
 *   while deliver() or release() runs. switch_tx() decides under the lock,
 *   takes a reference on each receiver, drops the lock, then delivers.
 *   deliver() may take the receiver's device lock (and, under it, what that
 *   lock allows: its VM's vGIC lock to raise the interrupt). So:
 *   - the caller of switch_tx() holds no device lock, its own included: it
 *     takes its frame from its queue under its lock, drops the lock, then
 *     sends. No two device locks are ever held together on this path, so
 *     two VMs sending to each other cannot deadlock;
 *   - deliver() must not call switch_tx() (no recursion); it may remove ports;
 *   - the registry's lock (switch_get) is taken before hv_pages' lock and
 *     never with a switch's lock.
 *   Counters are updated with atomics and may be read at any time.
 *
 * Port lifetime
 *   A port holds one reference for being on its switch and one more per
 *   switch_tx() that is delivering to it or sending from it. switch_port_remove()
 *   takes it off the switch (no new frame reaches it, its MACs are forgotten)
 *   and drops the first; it does not wait. When the last goes, ops->release()
 *   runs, once, on whichever CPU dropped it: only then may the owner free the
 *   port's memory (the vif device keeps its VM reference until then, as the
 *   virtio-blk device does for its requests). A deliver() that runs after its
 *   owner began tearing down may answer SWITCH_NO_BUFFERS. A switch_tx() racing
 *   the sender's own removal is safe (it sends, or answers PORT_GONE); the owner
 *   just never calls it once release() ran.
 *
 * Time is passed in (`now`, nanoseconds, any monotonic origin), so aging and
 * rate limits run on the caller's clock and the tests control it.
 */
#ifndef BULKHEAD_NET_SWITCH_H
#define BULKHEAD_NET_SWITCH_H

#include "types.h"
#include "core/spinlock_types.h"
#include "net/mac_table.h"
#include "net/net_frame.h"
#include "net/rate_limit.h"

#define SWITCH_NAME_MAX 16     /* with the NUL */
#define SWITCH_LABEL_MAX 16    /* a port's label in switch-list, with the NUL */
#define SWITCH_MAX_PORTS MAC_STATIC_MAX
#define SWITCH_MAX 8           /* switches on the machine */
#define SWITCH_SWEEP_BUCKETS 2 /* MAC table buckets swept per frame */
/*
 * Storm control: the frames a vif sends that the switch floods (broadcast,
 * multicast, unknown unicast) pass a bucket of their own at this rate (a 50
 * ms burst); the rest are dropped and counted (`storm`). Each flooded frame
 * costs a copy into every other port's buffers, so one VM flooding as fast
 * as it can would otherwise fill every neighbour's RX ring and starve their
 * own traffic. 20 Mb/s is far above what ARP, DHCP or mDNS need. The uplink
 * is not limited: the wire is the administrator's, not a guest's.
 */
#define SWITCH_STORM_BPS 20000000ull

struct switch_port;
struct vswitch;

enum switch_port_kind { SWITCH_PORT_VIF, SWITCH_PORT_UPLINK };

/* Why a frame was dropped, counted on the port it was dropped at: the
 * sender's for everything but NO_BUFFERS, which is the receiver's. */
enum switch_drop {
	SW_DROP_NO_BUFFERS,    /* the receiver had no buffer for it */
	SW_DROP_SPOOFED,       /* source MAC not the vif's; an uplink's invalid or a vif's */
	SW_DROP_RUNT,          /* shorter than its header */
	SW_DROP_OVERSIZE,      /* over 1514 bytes plus 4 for a tag */
	SW_DROP_VLAN,          /* tagged from a vif, stacked tags, VID 4095 */
	SW_DROP_RATE,          /* over the port's rate */
	SW_DROP_STORM,         /* a vif's flooded frame over SWITCH_STORM_BPS */
	SW_DROP_GSO,           /* a GSO frame that is not one TCP packet as its offload says */
	SW_DROP_REASONS
};

struct switch_counters {
	u64 rx_packets, rx_bytes;  /* taken from the port into the switch */
	u64 tx_packets, tx_bytes;  /* delivered by the switch to the port */
	u64 drops[SW_DROP_REASONS];
};

/* SWITCH_SEGMENT_IT: a GSO frame the receiver takes whole in general but
 * has too few buffers for now; nothing was used, the switch cuts it into
 * segments, which each need one (so a short ring loses some segments, not
 * 64 KiB at once). */
enum switch_deliver { SWITCH_DELIVERED, SWITCH_NO_BUFFERS, SWITCH_SEGMENT_IT };

struct switch_port_ops {
	/* Copies d's frame into the receiver's buffers (net_delivery_piece or
	 * net_delivery_copy) and tells the receiver. No switch lock held. */
	enum switch_deliver (*deliver)(struct switch_port *port, const struct net_delivery *d);
	/* Whether deliver() takes a GSO frame of `gso_type` (NET_GSO_TCPV4,
	 * _TCPV6) whole; NULL or false: the switch cuts it into segments. */
	bool (*takes_gso)(struct switch_port *port, u8 gso_type);
	/* The port is off its switch and no call uses it any more; may be NULL. */
	void (*release)(struct switch_port *port);
};

struct switch_port_config {
	enum switch_port_kind kind;
	u8 mac[ETH_ALEN];      /* a vif's own MAC: unicast, not zero */
	u16 vlan;              /* a vif's VLAN, 1..VLAN_VID_MAX, 0: untagged */
	u64 rate_bps;          /* 0: unlimited */
	u32 rate_interval_us;  /* the bucket's burst interval, 0: the default */
	char label[SWITCH_LABEL_MAX]; /* "web.0", "uplink" */
};

/* The owner's memory; the fields are the switch's (read `ctx` freely). */
struct switch_port {
	const struct switch_port_ops *ops;
	void *ctx;                     /* the owner's */
	struct vswitch *sw;
	struct switch_port_config cfg;
	u32 refs;                      /* atomic */
	u16 index;                     /* in sw->ports */
	bool removed;                  /* under sw->lock */
	struct rate_limit rate;        /* under sw->lock */
	struct rate_limit storm;       /* a vif's flooded frames, under sw->lock */
	struct switch_counters ctr;    /* atomic adds */
};

struct vswitch {
	char name[SWITCH_NAME_MAX];
	struct spinlock lock;
	struct switch_port *ports[SWITCH_MAX_PORTS];
	u32 nports;
	struct mac_table macs;
};

/* --- switches -------------------------------------------------------- */

/* Sets up a switch in memory the caller owns (the registry, the tests).
 * `seed` keys the MAC table's hash (the registry passes the counter). */
void switch_init(struct vswitch *sw, const char *name, u64 seed);

/* The switch named `name`, created on first use from hv_pages; NULL when the
 * name is empty or too long, SWITCH_MAX exist already, or memory is short.
 * Switches stay for the machine's life. */
struct vswitch *switch_get(const char *name);
/* The switch named `name`, or NULL; the i-th switch for listing, or NULL. */
struct vswitch *switch_find(const char *name);
struct vswitch *switch_at(u32 i);

/* --- ports ----------------------------------------------------------- */

enum switch_add_error {
	SWITCH_ADD_OK,
	SWITCH_ADD_FULL,           /* SWITCH_MAX_PORTS ports already */
	SWITCH_ADD_BAD_MAC,        /* a vif's MAC multicast or zero */
	SWITCH_ADD_BAD_VLAN,       /* above VLAN_VID_MAX */
	SWITCH_ADD_MAC_IN_USE,     /* another vif on the same VLAN has that MAC */
};

/* Puts `port` on `sw` with one reference (its being there). */
enum switch_add_error switch_port_add(struct vswitch *sw, struct switch_port *port,
				      const struct switch_port_config *cfg,
				      const struct switch_port_ops *ops, void *ctx);
/* Takes the port off its switch (see "Port lifetime"); a second call does
 * nothing. */
void switch_port_remove(struct switch_port *port);
/* Words for an add error, for the owner's one-line message. */
const char *switch_add_error_str(enum switch_add_error e);

/* --- frames ---------------------------------------------------------- */

enum switch_tx {
	SWITCH_TX_SENT,            /* accepted: delivered to every receiver that had room */
	SWITCH_TX_DROPPED,         /* refused and counted on the sender (switch_drop) */
	SWITCH_TX_PORT_GONE,       /* the sender was removed; nothing counted */
	SWITCH_TX_BAD_FRAME,       /* the sender's segments disagree with its length (a bug) */
};

/* Sends one frame from `port` at time `now`; *why says the drop reason when
 * the result is SWITCH_TX_DROPPED (why may be NULL). */
enum switch_tx switch_tx(struct switch_port *port, const struct net_frame *frame, u64 now,
			 enum switch_drop *why);

/* Nanoseconds until `port` may send a frame of `len` bytes within its rate
 * (0: now): a sender may wait this long instead of having it dropped. */
u64 switch_tx_wait_ns(struct switch_port *port, u32 len, u64 now);

/* A port's counters, each read atomically (not a snapshot of all at once). */
void switch_port_counters(const struct switch_port *port, struct switch_counters *out);
const char *switch_drop_str(enum switch_drop d);

/* --- switch-list ----------------------------------------------------- */

/* Receives one line of text (no newline). Runs with no switch lock held. */
typedef void (*switch_line_fn)(void *ctx, const char *line);

/* Writes switch-list's lines for `sw`: its ports (kind, VLAN, MAC, rate,
 * counters) and the MACs it knows (VLAN, port, age). */
void switch_list(struct vswitch *sw, u64 now, switch_line_fn line, void *ctx);

#endif
