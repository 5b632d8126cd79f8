/*
 * The virtual switch (net/switch.c) with fake ports: each records the frames
 * delivered to it (copied run by run, as a vif device will) and has a number
 * of RX buffers a test sets. Time is what the test passes.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_arch.h"
#include "core/page_alloc.h"
#include "net/switch.h"

#define S (1000ull * 1000 * 1000)
#define MAXRX 8

struct rx {
	u8 data[1600];
	u32 len;
	struct net_offload off;
};

struct fport {
	struct switch_port port;
	int buffers;           /* RX buffers left; negative: unlimited */
	u32 nrx;
	struct rx rx[MAXRX];
	u32 released;
	/* called from deliver, before the copy */
	void (*hook)(struct fport *self);
};

static enum switch_deliver fdeliver(struct switch_port *p, const struct net_delivery *d)
{
	struct fport *f = p->ctx;
	struct rx *r = &f->rx[f->nrx % MAXRX];
	u32 off = 0, run;
	const u8 *data;

	assert_int_equal(f->released, 0);
	if (f->hook)
		f->hook(f);
	if (f->buffers == 0)
		return SWITCH_NO_BUFFERS;
	if (f->buffers > 0)
		f->buffers--;
	assert_true(d->len <= sizeof(r->data));
	while ((run = net_delivery_piece(d, off, &data)) != 0) {
		assert_true(off + run <= d->len);
		memcpy(r->data + off, data, run);
		off += run;
	}
	assert_int_equal(off, d->len);
	r->len = d->len;
	r->off = d->offload;
	f->nrx++;
	return SWITCH_DELIVERED;
}

static void frelease(struct switch_port *p)
{
	__atomic_fetch_add(&((struct fport *)p->ctx)->released, 1, __ATOMIC_RELEASE);
}

static const struct switch_port_ops fops = { .deliver = fdeliver, .release = frelease };

static struct vswitch sw;
static struct fport a, b, c, up, up2, v10a, v10b, v20;

static const u8 MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const u8 MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const u8 MAC_C[6] = { 0x02, 0, 0, 0, 0, 0x0c };
static const u8 MAC_X[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };   /* outside, behind the uplink */
static const u8 BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const u8 MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };

static void add_port(struct fport *f, enum switch_port_kind kind, const u8 *mac, u16 vlan,
		     u64 rate, const char *label)
{
	struct switch_port_config cfg = { .kind = kind, .vlan = vlan, .rate_bps = rate };

	memset(f, 0, sizeof(*f));
	f->buffers = -1;
	if (mac)
		memcpy(cfg.mac, mac, 6);
	snprintf(cfg.label, sizeof(cfg.label), "%s", label);
	assert_int_equal(switch_port_add(&sw, &f->port, &cfg, &fops, f), SWITCH_ADD_OK);
}

static void add_vif(struct fport *f, const u8 *mac, u16 vlan, const char *label)
{
	add_port(f, SWITCH_PORT_VIF, mac, vlan, 0, label);
}

static void add_uplink(struct fport *f, const char *label)
{
	add_port(f, SWITCH_PORT_UPLINK, NULL, 0, 0, label);
}

/* A frame in two segments (split inside the header), and its bytes. */
struct tframe {
	u8 bytes[1600];
	struct net_seg seg[2];
	struct net_frame f;
};

static struct tframe tf;

static struct net_frame *frame_raw(u32 len)
{
	u32 cut = len < 7 ? len : 7;

	tf.seg[0] = (struct net_seg){ tf.bytes, cut };
	tf.seg[1] = (struct net_seg){ tf.bytes + cut, len - cut };
	tf.f = (struct net_frame){ .segs = tf.seg, .nsegs = 2, .len = len };
	return &tf.f;
}

/* dst, src, optional 802.1Q tag (tag < 0: none), EtherType 0x0800, payload. */
static struct net_frame *frame(const u8 *dst, const u8 *src, int tag, u32 len)
{
	u32 at = 12;

	memcpy(tf.bytes, dst, 6);
	memcpy(tf.bytes + 6, src, 6);
	if (tag >= 0) {
		put_be16(tf.bytes + 12, ETH_P_8021Q);
		put_be16(tf.bytes + 14, (u16)tag);
		at = 16;
	}
	put_be16(tf.bytes + at, 0x0800);
	for (u32 i = at + 2; i < len && i < sizeof(tf.bytes); i++)
		tf.bytes[i] = (u8)(i * 7);
	return frame_raw(len);
}

static enum switch_tx send(struct fport *from, struct net_frame *f, u64 now)
{
	return switch_tx(&from->port, f, now, NULL);
}

static u64 drops(struct fport *f, enum switch_drop why)
{
	struct switch_counters c;

	switch_port_counters(&f->port, &c);
	return c.drops[why];
}

static int setup(void **state)
{
	fake_arch_reset();
	switch_init(&sw, "br0", 0x1234);
	add_vif(&a, MAC_A, 0, "a.0");
	add_vif(&b, MAC_B, 0, "b.0");
	add_vif(&c, MAC_C, 0, "c.0");
	add_uplink(&up, "uplink");
	return 0;
}

static void expect_rx(u32 na, u32 nb, u32 nc, u32 nup)
{
	assert_int_equal(a.nrx, na);
	assert_int_equal(b.nrx, nb);
	assert_int_equal(c.nrx, nc);
	assert_int_equal(up.nrx, nup);
}

static void test_unicast_goes_only_to_the_vif_with_that_mac(void **state)
{
	assert_int_equal(send(&a, frame(MAC_B, MAC_A, -1, 100), 0), SWITCH_TX_SENT);
	expect_rx(0, 1, 0, 0);
	assert_int_equal(b.rx[0].len, 100);
	assert_memory_equal(b.rx[0].data, tf.bytes, 100);
}

static void test_broadcast_multicast_and_unknown_are_flooded_but_not_back(void **state)
{
	send(&a, frame(BCAST, MAC_A, -1, 60), 0);
	expect_rx(0, 1, 1, 1);
	send(&a, frame(MCAST, MAC_A, -1, 60), 0);
	expect_rx(0, 2, 2, 2);
	send(&a, frame(MAC_X, MAC_A, -1, 60), 0);
	expect_rx(0, 3, 3, 3);
	assert_memory_equal(up.rx[2].data, tf.bytes, 60);
}

static void test_learning_from_the_uplink_and_aging(void **state)
{
	send(&up, frame(BCAST, MAC_X, -1, 60), 10 * S);
	expect_rx(1, 1, 1, 0);
	/* known now: only the uplink gets it */
	send(&a, frame(MAC_X, MAC_A, -1, 60), 11 * S);
	expect_rx(1, 1, 1, 1);
	/* 299 s after it was last seen it is still known */
	send(&b, frame(MAC_X, MAC_B, -1, 60), 309 * S);
	expect_rx(1, 1, 1, 2);
	/* 301 s: forgotten, flooded again */
	send(&a, frame(MAC_X, MAC_A, -1, 60), 311 * S);
	expect_rx(1, 2, 2, 3);
	assert_int_equal(sw.macs.learned, 0);
}

static void test_a_mac_moves_between_uplinks(void **state)
{
	add_uplink(&up2, "uplink2");
	send(&up, frame(BCAST, MAC_X, -1, 60), 0);
	assert_int_equal(up2.nrx, 1);
	send(&a, frame(MAC_X, MAC_A, -1, 60), 0);
	assert_int_equal(up.nrx, 1);
	assert_int_equal(up2.nrx, 1);
	/* X shows up behind the other uplink: frames to it follow */
	send(&up2, frame(BCAST, MAC_X, -1, 60), S);
	assert_int_equal(up.nrx, 2);
	send(&a, frame(MAC_X, MAC_A, -1, 60), S);
	assert_int_equal(up.nrx, 2);
	assert_int_equal(up2.nrx, 2);
	expect_rx(2, 2, 2, 2);
}

static void test_no_hairpin_to_a_learned_mac_on_the_same_port(void **state)
{
	static const u8 MAC_Y[6] = { 0x52, 0x54, 0, 1, 1, 1 };

	send(&up, frame(BCAST, MAC_X, -1, 60), 0);
	send(&up, frame(MAC_X, MAC_Y, -1, 60), 0);
	expect_rx(1, 1, 1, 0);
	/* a vif sending to itself gets nothing either */
	send(&a, frame(MAC_A, MAC_A, -1, 60), 0);
	expect_rx(1, 1, 1, 0);
}

static void test_a_receiver_without_buffers_drops_alone(void **state)
{
	b.buffers = 0;
	for (int i = 0; i < 3; i++)
		assert_int_equal(send(&a, frame(BCAST, MAC_A, -1, 60), 0), SWITCH_TX_SENT);
	expect_rx(0, 0, 3, 3);
	assert_int_equal(drops(&b, SW_DROP_NO_BUFFERS), 3);
	assert_int_equal(drops(&a, SW_DROP_NO_BUFFERS), 0);
	/* and unicast to it is dropped and counted too, nobody else gets it */
	send(&a, frame(MAC_B, MAC_A, -1, 60), 0);
	expect_rx(0, 0, 3, 3);
	assert_int_equal(drops(&b, SW_DROP_NO_BUFFERS), 4);
	struct switch_counters ca;
	switch_port_counters(&a.port, &ca);
	assert_int_equal(ca.rx_packets, 4);
	assert_int_equal(ca.rx_bytes, 240);
}

static void test_spoofed_sources_are_dropped_and_counted(void **state)
{
	enum switch_drop why = SW_DROP_REASONS;
	static const u8 MZERO[6] = { 0 };

	assert_int_equal(switch_tx(&a.port, frame(BCAST, MAC_B, -1, 60), 0, &why), SWITCH_TX_DROPPED);
	assert_int_equal(why, SW_DROP_SPOOFED);
	/* the uplink may not claim a vif's MAC, nor a multicast or zero source */
	send(&up, frame(BCAST, MAC_A, -1, 60), 0);
	send(&up, frame(BCAST, MCAST, -1, 60), 0);
	send(&up, frame(BCAST, MZERO, -1, 60), 0);
	expect_rx(0, 0, 0, 0);
	assert_int_equal(drops(&a, SW_DROP_SPOOFED), 1);
	assert_int_equal(drops(&up, SW_DROP_SPOOFED), 3);
	/* and unicast to A still goes to A */
	send(&b, frame(MAC_A, MAC_B, -1, 60), 0);
	expect_rx(1, 0, 0, 0);
}

static void test_runts_and_oversize_frames(void **state)
{
	enum switch_drop why;

	frame(BCAST, MAC_A, -1, 60);
	assert_int_equal(switch_tx(&a.port, frame_raw(13), 0, &why), SWITCH_TX_DROPPED);
	assert_int_equal(why, SW_DROP_RUNT);
	assert_int_equal(send(&a, frame(BCAST, MAC_A, -1, 1515), 0), SWITCH_TX_DROPPED);
	assert_int_equal(send(&a, frame(BCAST, MAC_A, -1, 1514), 0), SWITCH_TX_SENT);
	/* a tag allows 4 more; a tagged header needs 18 bytes */
	assert_int_equal(send(&up, frame(BCAST, MAC_X, 0, 1518), 0), SWITCH_TX_SENT);
	assert_int_equal(send(&up, frame(BCAST, MAC_X, 0, 1519), 0), SWITCH_TX_DROPPED);
	assert_int_equal(send(&up, frame(BCAST, MAC_X, 0, 17), 0), SWITCH_TX_DROPPED);
	assert_int_equal(drops(&a, SW_DROP_RUNT), 1);
	assert_int_equal(drops(&a, SW_DROP_OVERSIZE), 1);
	assert_int_equal(drops(&up, SW_DROP_OVERSIZE), 1);
	assert_int_equal(drops(&up, SW_DROP_RUNT), 1);
	expect_rx(1, 2, 2, 1);
	/* the segments must add up to the length: a sender's bug, not counted */
	frame(BCAST, MAC_A, -1, 60)->len = 61;
	assert_int_equal(send(&a, &tf.f, 0), SWITCH_TX_BAD_FRAME);
}

static void add_vlan_ports(void)
{
	add_vif(&v10a, (const u8[6]){ 2, 0, 0, 0, 0x10, 0xa }, 10, "v10a");
	add_vif(&v10b, (const u8[6]){ 2, 0, 0, 0, 0x10, 0xb }, 10, "v10b");
	add_vif(&v20, (const u8[6]){ 2, 0, 0, 0, 0x20, 0xa }, 20, "v20");
}

static void test_vlan_ports_are_isolated_and_tagged_on_the_uplink(void **state)
{
	add_vlan_ports();
	/* VLAN 10 broadcast: the other VLAN 10 port untagged, the uplink tagged */
	send(&v10a, frame(BCAST, v10a.port.cfg.mac, -1, 100), 0);
	expect_rx(0, 0, 0, 1);
	assert_int_equal(v10b.nrx, 1);
	assert_int_equal(v20.nrx, 0);
	assert_int_equal(v10b.rx[0].len, 100);
	assert_memory_equal(v10b.rx[0].data, tf.bytes, 100);
	assert_int_equal(up.rx[0].len, 104);
	assert_memory_equal(up.rx[0].data, tf.bytes, 12);
	assert_memory_equal(up.rx[0].data + 12, ((u8[]){ 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00 }), 6);
	assert_memory_equal(up.rx[0].data + 18, tf.bytes + 14, 86);

	/* untagged traffic stays among untagged ports, untagged on the uplink */
	send(&a, frame(BCAST, MAC_A, -1, 60), 0);
	expect_rx(0, 1, 1, 2);
	assert_int_equal(up.rx[1].len, 60);
	assert_int_equal(v10b.nrx + v20.nrx, 1);

	/* from the uplink, VLAN 10: only VLAN 10's ports, tag removed */
	send(&up, frame(BCAST, MAC_X, 10, 104), 0);
	assert_int_equal(v10a.nrx, 1);
	assert_int_equal(v10b.nrx, 2);
	assert_int_equal(v20.nrx, 0);
	expect_rx(0, 1, 1, 2);
	assert_int_equal(v10a.rx[0].len, 100);
	assert_memory_equal(v10a.rx[0].data + 12, ((u8[]){ 0x08, 0x00 }), 2);
	assert_memory_equal(v10a.rx[0].data + 14, tf.bytes + 18, 86);

	/* untagged from the uplink: the untagged ports */
	send(&up, frame(BCAST, MAC_X, -1, 60), 0);
	expect_rx(1, 2, 2, 2);
	assert_int_equal(v10a.nrx + v10b.nrx + v20.nrx, 3);
	/* a priority tag (VID 0) is untagged traffic */
	send(&up, frame(BCAST, MAC_X, 0x6000, 64), 0);
	expect_rx(2, 3, 3, 2);
	assert_int_equal(a.rx[1].len, 60);

	/* the uplink's MAC X on VLAN 10 is learned apart from VLAN 0 */
	send(&v10a, frame(MAC_X, v10a.port.cfg.mac, -1, 60), 0);
	assert_int_equal(up.nrx, 3);
	assert_int_equal(v10b.nrx, 2);
}

static void test_vlan_violations_are_dropped(void **state)
{
	static u8 qinq[64];

	add_vlan_ports();
	/* a tagged frame from an access port, even of its own VLAN */
	send(&v10a, frame(BCAST, v10a.port.cfg.mac, 10, 64), 0);
	send(&a, frame(BCAST, MAC_A, 0, 64), 0);
	/* stacked tags, from anywhere */
	frame(BCAST, MAC_X, 10, 64);
	put_be16(tf.bytes + 16, ETH_P_8021Q);
	memcpy(qinq, tf.bytes, 64);
	send(&up, frame_raw(64), 0);
	memcpy(tf.bytes, qinq, 64);
	put_be16(tf.bytes + 12, ETH_P_8021AD);
	send(&up, frame_raw(64), 0);
	/* a lone service tag and the reserved VID 4095 */
	put_be16(tf.bytes + 16, 0x0800);
	send(&up, frame_raw(64), 0);
	send(&up, frame(BCAST, MAC_X, 4095, 64), 0);
	expect_rx(0, 0, 0, 0);
	assert_int_equal(v10b.nrx + v20.nrx + v10a.nrx, 0);
	assert_int_equal(drops(&v10a, SW_DROP_VLAN), 1);
	assert_int_equal(drops(&a, SW_DROP_VLAN), 1);
	assert_int_equal(drops(&up, SW_DROP_VLAN), 4);
}

static void test_checksum_offsets_move_with_the_tag(void **state)
{
	struct net_frame *f;

	add_vlan_ports();
	f = frame(BCAST, v10a.port.cfg.mac, -1, 100);
	f->offload = (struct net_offload){ .flags = NET_OFFLOAD_NEEDS_CSUM, .csum_start = 34,
					   .csum_offset = 16, .hdr_len = 54 };
	send(&v10a, f, 0);
	assert_int_equal(up.rx[0].off.csum_start, 38);
	assert_int_equal(up.rx[0].off.hdr_len, 58);
	assert_int_equal(up.rx[0].off.csum_offset, 16);
	assert_int_equal(up.rx[0].off.flags, NET_OFFLOAD_NEEDS_CSUM);
	assert_int_equal(v10b.rx[0].off.csum_start, 34);
	f = frame(BCAST, MAC_X, 10, 104);
	f->offload = (struct net_offload){ .flags = NET_OFFLOAD_NEEDS_CSUM, .csum_start = 38, .csum_offset = 6 };
	send(&up, f, 0);
	assert_int_equal(v10a.rx[0].off.csum_start, 34);
	assert_int_equal(v10a.rx[0].off.hdr_len, 0);
}

/* B's deliver rewrites the sender's buffer: C, delivered after, still gets
 * the header the switch checked. */
static void rewrite_source(struct fport *self)
{
	memcpy(tf.bytes + 6, MAC_C, 6);
	put_be16(tf.bytes + 12, ETH_P_8021Q);
}

static void test_receivers_get_the_checked_header(void **state)
{
	b.hook = rewrite_source;
	send(&a, frame(BCAST, MAC_A, -1, 60), 0);
	assert_memory_equal(c.rx[0].data + 6, MAC_A, 6);
	assert_memory_equal(c.rx[0].data + 12, ((u8[]){ 0x08, 0x00 }), 2);
	assert_memory_equal(up.rx[0].data + 6, MAC_A, 6);
}

static void test_rate_limit_over_a_simulated_second(void **state)
{
	struct fport r;
	u64 now = 5 * S, sent_bits = 0;
	u32 accepted = 0;

	add_port(&r, SWITCH_PORT_VIF, (const u8[6]){ 2, 0, 0, 0, 1, 1 }, 0, 10000000, "r.0");
	/* 1514-byte frames every 100 us: 121 Mb/s offered to a 10 Mb/s port */
	for (u32 i = 0; i < 10000; i++, now += 100000) {
		if (send(&r, frame(MAC_X, r.port.cfg.mac, -1, 1514), now) == SWITCH_TX_SENT) {
			accepted++;
			sent_bits += 1514 * 8;
		}
	}
	/* 10 Mb in the second, plus the 50 ms burst the bucket started with */
	assert_true(sent_bits >= 9000000 && sent_bits <= 11000000);
	assert_int_equal(drops(&r, SW_DROP_RATE), 10000 - accepted);
	assert_int_equal(up.nrx > 0, 1);
	/* the bucket is empty: the wait says when one more frame fits */
	u64 wait = switch_tx_wait_ns(&r.port, 1514, now);
	assert_true(wait > 0 && wait <= 1514 * 8 * 100 + 1);
	assert_int_equal(send(&r, frame(MAC_X, r.port.cfg.mac, -1, 1514), now + wait - 1),
			 wait > 1 ? SWITCH_TX_DROPPED : SWITCH_TX_SENT);
	assert_int_equal(send(&r, frame(MAC_X, r.port.cfg.mac, -1, 1514), now + wait), SWITCH_TX_SENT);
	/* an unlimited port never waits */
	assert_int_equal(switch_tx_wait_ns(&a.port, 1514, now), 0);
}

static void test_a_vif_flooding_is_held_to_its_storm_budget(void **state)
{
	u64 now = 7 * S, flood_bits = 0;
	u32 unicast = 0;

	/* a floods broadcasts every 10 us (1.2 Gb/s offered) for a second, and
	 * sends b a unicast frame every 100 us */
	for (u32 i = 0; i < 100000; i++, now += 10000) {
		if (send(&a, frame(BCAST, MAC_A, -1, 1514), now) == SWITCH_TX_SENT)
			flood_bits += 1514 * 8;
		if (i % 10 == 0 && send(&a, frame(MAC_B, MAC_A, -1, 1514), now) == SWITCH_TX_SENT)
			unicast++;
	}
	/* the budget for one second, plus the 50 ms burst it started with */
	assert_true(flood_bits >= SWITCH_STORM_BPS * 95 / 100 &&
		    flood_bits <= SWITCH_STORM_BPS * 106 / 100);
	assert_int_equal(drops(&a, SW_DROP_STORM), 100000 - flood_bits / (1514 * 8));
	/* frames to a known port are not flooded and not held back */
	assert_int_equal(unicast, 10000);
	assert_int_equal(c.nrx, flood_bits / (1514 * 8));
	/* unknown unicast floods too, and counts against the same budget */
	assert_int_equal(send(&a, frame(MAC_X, MAC_A, -1, 1514), now), SWITCH_TX_DROPPED);
	/* other vifs keep their own budget; the uplink has none */
	assert_int_equal(send(&b, frame(BCAST, MAC_B, -1, 1514), now), SWITCH_TX_SENT);
	for (u32 i = 0; i < 1000; i++)
		assert_int_equal(send(&up, frame(BCAST, MAC_X, -1, 1514), now), SWITCH_TX_SENT);
	assert_int_equal(drops(&up, SW_DROP_STORM), 0);
	assert_string_equal(switch_drop_str(SW_DROP_STORM), "storm");
}

static void test_a_full_table_still_forwards_by_flooding(void **state)
{
	u8 mac[6] = { 0x52, 0x54, 0, 0, 0, 0 };

	for (u32 i = 0; i < 2100; i++) {
		mac[4] = (u8)(i >> 8);
		mac[5] = (u8)i;
		assert_int_equal(send(&up, frame(BCAST, mac, -1, 60), S), SWITCH_TX_SENT);
	}
	expect_rx(2100, 2100, 2100, 0);
	assert_int_equal(sw.macs.learned, MAC_LEARNED_MAX);
	assert_int_equal(sw.macs.refused, 2100 - MAC_LEARNED_MAX);
	/* a MAC not learned is flooded, a learned one goes to the uplink only */
	send(&a, frame(mac, MAC_A, -1, 60), 2 * S);
	expect_rx(2100, 2101, 2101, 1);
	mac[4] = 0;
	mac[5] = 1;
	send(&a, frame(mac, MAC_A, -1, 60), 2 * S);
	expect_rx(2100, 2101, 2101, 2);
	/* the VMs' own MACs are static: unicast between them is never flooded */
	send(&a, frame(MAC_B, MAC_A, -1, 60), 2 * S);
	expect_rx(2100, 2102, 2101, 2);
	/* once they age out, sweeps and lookups free them for new MACs */
	for (u32 i = 0; i < MAC_BUCKETS; i++)
		send(&a, frame(MAC_B, MAC_A, -1, 60), 400 * S);
	assert_int_equal(sw.macs.learned, 0);
	assert_int_equal(sw.macs.statics, 3);
}

/* While A's flood is being delivered, B's deliver removes C (already picked). */
static void remove_c(struct fport *self)
{
	switch_port_remove(&c.port);
	assert_int_equal(c.released, 0);
}

static void test_port_removed_while_a_frame_flows(void **state)
{
	b.hook = remove_c;
	send(&a, frame(BCAST, MAC_A, -1, 60), 0);
	b.hook = NULL;
	assert_int_equal(c.released, 1);       /* when A's send let go of it */
	expect_rx(0, 1, 1, 1);
	/* gone: its MAC is forgotten (unicast to it floods), it gets nothing */
	send(&a, frame(MAC_C, MAC_A, -1, 60), 0);
	expect_rx(0, 2, 1, 2);
	assert_int_equal(send(&c, frame(BCAST, MAC_C, -1, 60), 0), SWITCH_TX_PORT_GONE);
	switch_port_remove(&c.port);
	assert_int_equal(c.released, 1);
	/* its slot and MAC can be used again */
	add_vif(&c, MAC_C, 0, "c.1");
	send(&a, frame(MAC_C, MAC_A, -1, 60), 0);
	expect_rx(0, 2, 1, 2);
	assert_int_equal(c.nrx, 1);
}

static void test_port_add_refusals(void **state)
{
	struct fport f[SWITCH_MAX_PORTS];
	struct switch_port_config cfg = { .kind = SWITCH_PORT_VIF };

	memcpy(cfg.mac, MAC_A, 6);
	assert_int_equal(switch_port_add(&sw, &f[0].port, &cfg, &fops, &f[0]), SWITCH_ADD_MAC_IN_USE);
	cfg.vlan = 5;              /* the same MAC on another VLAN is another station */
	assert_int_equal(switch_port_add(&sw, &f[0].port, &cfg, &fops, &f[0]), SWITCH_ADD_OK);
	cfg.vlan = 4095;
	assert_int_equal(switch_port_add(&sw, &f[1].port, &cfg, &fops, &f[1]), SWITCH_ADD_BAD_VLAN);
	cfg.vlan = 0;
	memcpy(cfg.mac, MCAST, 6);
	assert_int_equal(switch_port_add(&sw, &f[1].port, &cfg, &fops, &f[1]), SWITCH_ADD_BAD_MAC);
	memset(cfg.mac, 0, 6);
	assert_int_equal(switch_port_add(&sw, &f[1].port, &cfg, &fops, &f[1]), SWITCH_ADD_BAD_MAC);
	for (u32 i = 1; i < SWITCH_MAX_PORTS - 4; i++) {
		memcpy(cfg.mac, MAC_A, 6);
		cfg.mac[4] = (u8)i;
		assert_int_equal(switch_port_add(&sw, &f[i].port, &cfg, &fops, &f[i]), SWITCH_ADD_OK);
	}
	cfg.mac[4] = 0xee;
	assert_int_equal(switch_port_add(&sw, &f[SWITCH_MAX_PORTS - 4].port, &cfg, &fops, NULL),
			 SWITCH_ADD_FULL);
	assert_string_equal(switch_add_error_str(SWITCH_ADD_FULL), "the switch has no free port");
}

struct lines {
	char text[64][200];
	u32 n;
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;

	if (l->n < 64)
		snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", line);
}

static bool has_line(const struct lines *l, const char *part)
{
	for (u32 i = 0; i < l->n; i++)
		if (strstr(l->text[i], part))
			return true;
	return false;
}

static void test_switch_list_shows_ports_counters_and_macs(void **state)
{
	static struct lines l;
	struct fport r;

	add_port(&r, SWITCH_PORT_VIF, (const u8[6]){ 2, 0, 0, 0, 1, 1 }, 7, 10000000, "r.0");
	b.buffers = 0;
	send(&up, frame(BCAST, MAC_X, -1, 60), 10 * S);
	send(&a, frame(BCAST, MAC_B, -1, 60), 10 * S);
	l.n = 0;
	switch_list(&sw, 15 * S, collect, &l);
	assert_string_equal(l.text[0], "switch br0: 5 ports, 1 MACs learned, 4 static, 0 not learned (table full)");
	assert_true(has_line(&l, "port a.0             vif    vlan untagged mac 02:00:00:00:00:0a rate unlimited"));
	assert_true(has_line(&l, "port uplink          uplink vlan trunk    mac - rate unlimited"));
	assert_true(has_line(&l, "port r.0             vif    vlan 7        mac 02:00:00:00:01:01 rate 10000000b/s"));
	assert_true(has_line(&l, "    rx 1 packets 60 bytes, tx 0 packets 0 bytes"));
	assert_true(has_line(&l, "drops: no-buffers 1 spoofed 0"));
	assert_true(has_line(&l, "drops: no-buffers 0 spoofed 1"));
	assert_true(has_line(&l, "  mac 52:54:00:12:34:56 vlan 0 port uplink age 5s"));
	assert_true(has_line(&l, "  mac 02:00:00:00:01:01 vlan 7 port r.0 static"));
	assert_string_equal(switch_drop_str(SW_DROP_RATE), "rate");
}

/* --- ports coming and going while another CPU sends ------------------ */

static volatile bool stop;

static void *churn(void *arg)
{
	static struct fport p;
	const u8 mac[6] = { 2, 0, 0, 0, 9, 9 };

	for (u32 i = 0; i < 2000; i++) {
		add_vif(&p, mac, 0, "churn");
		switch_port_remove(&p.port);
		/* every frame that picked it has let go before it is reused */
		while (!__atomic_load_n(&p.released, __ATOMIC_ACQUIRE))
			;
	}
	stop = true;
	return NULL;
}

static void test_ports_churn_while_frames_flow(void **state)
{
	pthread_t t;
	u32 sent = 0;

	stop = false;
	assert_int_equal(pthread_create(&t, NULL, churn, NULL), 0);
	while (!stop && sent < 10000000) {
		static struct tframe mine;
		struct net_seg seg = { mine.bytes, 60 };
		struct net_frame f = { .segs = &seg, .nsegs = 1, .len = 60 };

		memcpy(mine.bytes, BCAST, 6);
		memcpy(mine.bytes + 6, MAC_A, 6);
		/* one 60-byte broadcast every 100 us: within a's storm budget */
		assert_int_equal(switch_tx(&a.port, &f, (u64)sent * 100000, NULL), SWITCH_TX_SENT);
		sent++;
	}
	pthread_join(t, NULL);
	assert_int_equal(b.nrx, sent);
	assert_int_equal(sw.nports, 4);
}

/* --- the registry ---------------------------------------------------- */

#define HV_PAGES 256
static u8 hv_mem[HV_PAGES * PAGE_SIZE] __attribute__((aligned(4096)));
static u64 hv_bitmap[HV_PAGES / 64];

static void test_switches_by_name(void **state)
{
	struct vswitch *s0, *s1;

	assert_int_equal(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), sizeof(hv_mem), hv_bitmap), 0);
	s0 = switch_get("br0");
	assert_non_null(s0);
	assert_ptr_equal(switch_get("br0"), s0);
	assert_ptr_equal(switch_find("br0"), s0);
	assert_null(switch_find("br1"));
	s1 = switch_get("br1");
	assert_non_null(s1);
	assert_ptr_not_equal(s0, s1);
	assert_string_equal(s1->name, "br1");
	assert_null(switch_get(""));
	assert_null(switch_get("a-name-too-long!"));
	assert_non_null(switch_get("exactly-15-char"));
	for (u32 i = 3; i < SWITCH_MAX; i++) {
		char name[8];

		snprintf(name, sizeof(name), "s%u", i);
		assert_non_null(switch_get(name));
	}
	assert_null(switch_get("one-too-many"));
	assert_ptr_equal(switch_at(0), s0);
	assert_null(switch_at(SWITCH_MAX));
	/* a created switch works */
	struct fport p, q;
	memset(&p, 0, sizeof(p));
	memset(&q, 0, sizeof(q));
	struct switch_port_config cfg = { .kind = SWITCH_PORT_VIF };
	memcpy(cfg.mac, MAC_A, 6);
	p.buffers = q.buffers = -1;
	assert_int_equal(switch_port_add(s1, &p.port, &cfg, &fops, &p), SWITCH_ADD_OK);
	cfg.kind = SWITCH_PORT_UPLINK;
	assert_int_equal(switch_port_add(s1, &q.port, &cfg, &fops, &q), SWITCH_ADD_OK);
	assert_int_equal(switch_tx(&p.port, frame(BCAST, MAC_A, -1, 60), 0, NULL), SWITCH_TX_SENT);
	assert_int_equal(q.nrx, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unicast_goes_only_to_the_vif_with_that_mac, setup),
		cmocka_unit_test_setup(test_broadcast_multicast_and_unknown_are_flooded_but_not_back, setup),
		cmocka_unit_test_setup(test_learning_from_the_uplink_and_aging, setup),
		cmocka_unit_test_setup(test_a_mac_moves_between_uplinks, setup),
		cmocka_unit_test_setup(test_no_hairpin_to_a_learned_mac_on_the_same_port, setup),
		cmocka_unit_test_setup(test_a_receiver_without_buffers_drops_alone, setup),
		cmocka_unit_test_setup(test_spoofed_sources_are_dropped_and_counted, setup),
		cmocka_unit_test_setup(test_runts_and_oversize_frames, setup),
		cmocka_unit_test_setup(test_vlan_ports_are_isolated_and_tagged_on_the_uplink, setup),
		cmocka_unit_test_setup(test_vlan_violations_are_dropped, setup),
		cmocka_unit_test_setup(test_checksum_offsets_move_with_the_tag, setup),
		cmocka_unit_test_setup(test_receivers_get_the_checked_header, setup),
		cmocka_unit_test_setup(test_rate_limit_over_a_simulated_second, setup),
		cmocka_unit_test_setup(test_a_vif_flooding_is_held_to_its_storm_budget, setup),
		cmocka_unit_test_setup(test_a_full_table_still_forwards_by_flooding, setup),
		cmocka_unit_test_setup(test_port_removed_while_a_frame_flows, setup),
		cmocka_unit_test_setup(test_port_add_refusals, setup),
		cmocka_unit_test_setup(test_switch_list_shows_ports_counters_and_macs, setup),
		cmocka_unit_test_setup(test_ports_churn_while_frames_flow, setup),
		cmocka_unit_test_setup(test_switches_by_name, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
