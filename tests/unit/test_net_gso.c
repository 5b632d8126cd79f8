/*
 * GSO frames through the switch (net/switch.c, net/net_gso.c): delivered
 * whole to a port that takes them, cut into MTU-size TCP segments for one
 * that does not (every segment's lengths, ids, sequence numbers, flags and
 * checksums checked), tagged for a trunk, and refused when their headers
 * do not match their offload fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_arch.h"
#include "net/net_csum.h"
#include "net/net_gso.h"
#include "net/switch.h"

#define MAXRX 128
#define PAYLOAD 65000u
#define SEQ0 0xfffff000u        /* wraps within the frame */
#define ID0 0xfff0u

struct rx {
	u8 *data;
	u32 len;
	struct net_offload off;
};

struct gport {
	struct switch_port port;
	bool tso;
	int buffers;           /* negative: unlimited */
	u32 nrx;
	struct rx rx[MAXRX];
};

static enum switch_deliver gdeliver(struct switch_port *p, const struct net_delivery *d)
{
	struct gport *g = p->ctx;
	struct rx *r;

	if (g->buffers == 0 || g->nrx == MAXRX)
		return SWITCH_NO_BUFFERS;
	if (g->buffers > 0)
		g->buffers--;
	r = &g->rx[g->nrx++];
	r->data = malloc(d->len);
	assert_non_null(r->data);
	assert_int_equal(net_delivery_copy(d, 0, r->data, d->len), d->len);
	r->len = d->len;
	r->off = d->offload;
	return SWITCH_DELIVERED;
}

static bool gtakes(struct switch_port *p, u8 type)
{
	return ((struct gport *)p->ctx)->tso && (type == NET_GSO_TCPV4 || type == NET_GSO_TCPV6);
}

static const struct switch_port_ops gops = { .deliver = gdeliver, .takes_gso = gtakes };

static struct vswitch sw;
static struct gport snd, tso, plain, up;
static const u8 MAC_S[6] = { 2, 0, 0, 0, 0, 1 }, MAC_T[6] = { 2, 0, 0, 0, 0, 2 },
		MAC_P[6] = { 2, 0, 0, 0, 0, 3 }, BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void add(struct gport *g, enum switch_port_kind kind, const u8 *mac, u16 vlan, bool tso_on)
{
	struct switch_port_config cfg = { .kind = kind, .vlan = vlan };

	memset(g, 0, sizeof(*g));
	g->buffers = -1;
	g->tso = tso_on;
	if (mac)
		memcpy(cfg.mac, mac, 6);
	assert_int_equal(switch_port_add(&sw, &g->port, &cfg, &gops, g), SWITCH_ADD_OK);
}

static void drop_rx(struct gport *g)
{
	for (u32 i = 0; i < g->nrx; i++)
		free(g->rx[i].data);
	g->nrx = 0;
}

static int teardown(void **state)
{
	drop_rx(&snd);
	drop_rx(&tso);
	drop_rx(&plain);
	drop_rx(&up);
	return 0;
}

/* sw with a sender, a TSO vif, a plain vif, all on `vlan`, and an uplink */
static void setup_vlan(u16 vlan)
{
	switch_init(&sw, "br0", 1);
	add(&snd, SWITCH_PORT_VIF, MAC_S, vlan, false);
	add(&tso, SWITCH_PORT_VIF, MAC_T, vlan, true);
	add(&plain, SWITCH_PORT_VIF, MAC_P, vlan, false);
	add(&up, SWITCH_PORT_UPLINK, NULL, 0, false);
}

static int setup(void **state)
{
	setup_vlan(0);
	return 0;
}

/* --- building a GSO frame --------------------------------------------- */

static u8 fb[NET_GSO_FRAME_MAX];
static struct net_seg fseg[3];
static struct net_frame fr;
static u32 l3_len;
static u32 MSS;                /* 1500 less IP, TCP and 12 bytes of options */

static u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }

/* A TCP packet of `payload` bytes from snd to `dst` (v6: IPv6), headers
 * with 12 bytes of options, FIN|PSH|CWR|ACK set, the checksum partial as a
 * Linux guest leaves it; in three segments cut inside the headers and the
 * payload. */
static struct net_frame *gso_frame(const u8 *dst, bool v6, u32 payload)
{
	u32 l4 = 32, len;
	u8 *ip = fb + ETH_HLEN, *tcp;

	l3_len = v6 ? 40 : 20;
	MSS = 1500 - l3_len - l4;
	len = ETH_HLEN + l3_len + l4 + payload;
	memset(fb, 0, ETH_HLEN + l3_len + l4);
	memcpy(fb, dst, 6);
	memcpy(fb + 6, MAC_S, 6);
	put_be16(fb + 12, v6 ? ETH_P_IPV6 : ETH_P_IPV4);
	if (v6) {
		ip[0] = 0x60;
		put_be16(ip + 4, (u16)(l4 + payload));
		ip[6] = 6;
		ip[7] = 64;
		for (u32 i = 0; i < 32; i++)
			ip[8 + i] = (u8)(0xa0 + i);
	} else {
		ip[0] = 0x45;
		put_be16(ip + 2, (u16)(l3_len + l4 + payload));
		put_be16(ip + 4, ID0);
		put_be16(ip + 6, 0x4000);     /* DF */
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, (u8[]){ 10, 0, 0, 2, 10, 0, 0, 1 }, 8);
	}
	tcp = ip + l3_len;
	put_be16(tcp, 40000);
	put_be16(tcp + 2, 5001);
	put_be16(tcp + 4, (u16)(SEQ0 >> 16));
	put_be16(tcp + 6, (u16)SEQ0);
	tcp[12] = (u8)(l4 / 4) << 4;
	tcp[13] = 0x80 | 0x10 | 0x08 | 0x01;  /* CWR ACK PSH FIN */
	put_be16(tcp + 14, 512);
	put_be16(tcp + 16, 0x1234);           /* whatever: each segment gets its own */
	for (u32 i = 0; i < payload; i++)
		fb[ETH_HLEN + l3_len + l4 + i] = (u8)(i * 7 + (i >> 9));
	fseg[0] = (struct net_seg){ fb, 20 };
	fseg[1] = (struct net_seg){ fb + 20, len / 2 - 20 };
	fseg[2] = (struct net_seg){ fb + len / 2, len - len / 2 };
	fr = (struct net_frame){ .segs = fseg, .nsegs = 3, .len = len, .offload = {
		.flags = NET_OFFLOAD_NEEDS_CSUM, .gso_type = v6 ? NET_GSO_TCPV6 : NET_GSO_TCPV4,
		.gso_size = MSS, .hdr_len = (u16)(ETH_HLEN + l3_len + l4),
		.csum_start = (u16)(ETH_HLEN + l3_len), .csum_offset = 16 } };
	return &fr;
}

static u64 words(const u8 *p, u32 n)
{
	u64 s = 0;

	for (u32 i = 0; i < n; i += 2)
		s += (u32)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	return s;
}

/* The segment's TCP checksum, completed as a receiver without GUEST_CSUM
 * would, verifies against the pseudo-header computed here from scratch. */
static void check_tcp_csum(u8 *seg, u32 len, u32 l2, bool v6, const struct net_offload *o)
{
	u8 *ip = seg + l2, *tcp = ip + l3_len;
	u32 tcp_len = len - l2 - l3_len;
	u64 sum;

	assert_true(o->flags & NET_OFFLOAD_NEEDS_CSUM);
	assert_int_equal(o->csum_start, l2 + l3_len);
	assert_int_equal(o->csum_offset, 16);
	assert_int_equal(o->gso_type, NET_GSO_NONE);
	net_csum_complete(seg, len, o);
	sum = v6 ? words(ip + 8, 32) : words(ip + 12, 8);
	sum += 6 + (tcp_len >> 16) + (tcp_len & 0xffff) + words(tcp, tcp_len);
	assert_int_equal(net_csum_fold(sum), 0);
}

/* Every segment `g` got of the frame in fb, with an l2-byte MAC header. */
static void check_segments(struct gport *g, u32 payload, bool v6, u32 l2)
{
	u32 n = (payload + MSS - 1) / MSS, l4 = 32, hdr = l2 + l3_len + l4;

	assert_int_equal(g->nrx, n);
	for (u32 k = 0; k < n; k++) {
		struct rx *r = &g->rx[k];
		u32 plen = k + 1 < n ? MSS : payload - k * MSS;
		u8 *ip = r->data + l2, *tcp = ip + l3_len, flags = tcp[13];

		assert_int_equal(r->len, hdr + plen);
		assert_true(r->len <= ETH_FRAME_MAX + (l2 - ETH_HLEN));
		assert_memory_equal(r->data, fb, 12);
		if (v6) {
			assert_int_equal(get_be16(ip + 4), l4 + plen);
		} else {
			assert_int_equal(get_be16(ip + 2), l3_len + l4 + plen);
			assert_int_equal(get_be16(ip + 4), (u16)(ID0 + k));
			assert_int_equal(net_csum_fold(words(ip, l3_len)), 0);
		}
		assert_int_equal(be32(tcp + 4), SEQ0 + k * MSS);
		assert_int_equal(!!(flags & 0x01), k + 1 == n);   /* FIN */
		assert_int_equal(!!(flags & 0x08), k + 1 == n);   /* PSH */
		assert_int_equal(!!(flags & 0x80), k == 0);       /* CWR */
		assert_true(flags & 0x10);                        /* ACK on all */
		assert_memory_equal(tcp + 20, fb + ETH_HLEN + l3_len + 20, 12);  /* options */
		assert_memory_equal(r->data + hdr, fb + ETH_HLEN + l3_len + l4 + k * MSS, plen);
		check_tcp_csum(r->data, r->len, l2, v6, &r->off);
	}
}

static void to_tso_and_plain(bool v6)
{
	struct switch_counters c;

	/* broadcast: every port gets it by its own rule */
	assert_int_equal(switch_tx(&snd.port, gso_frame(BCAST, v6, PAYLOAD), 1, NULL), SWITCH_TX_SENT);
	assert_int_equal(tso.nrx, 1);
	assert_int_equal(tso.rx[0].len, fr.len);
	assert_memory_equal(tso.rx[0].data, fb, fr.len);
	assert_int_equal(tso.rx[0].off.gso_type, v6 ? NET_GSO_TCPV6 : NET_GSO_TCPV4);
	assert_int_equal(tso.rx[0].off.gso_size, MSS);
	assert_int_equal(tso.rx[0].off.hdr_len, ETH_HLEN + l3_len + 32);
	assert_int_equal(tso.rx[0].off.csum_start, ETH_HLEN + l3_len);
	check_segments(&plain, PAYLOAD, v6, ETH_HLEN);
	check_segments(&up, PAYLOAD, v6, ETH_HLEN);
	/* the sender's bytes on the wire: the segments, each with its headers */
	switch_port_counters(&snd.port, &c);
	assert_int_equal(c.rx_packets, (PAYLOAD + MSS - 1) / MSS);
	assert_int_equal(c.rx_bytes, PAYLOAD + (PAYLOAD + MSS - 1) / MSS * (ETH_HLEN + l3_len + 32));
}

static void test_tcpv4_whole_and_segmented(void **state) { to_tso_and_plain(false); }
static void test_tcpv6_whole_and_segmented(void **state) { to_tso_and_plain(true); }

/* A payload that is a multiple of the MSS, and one shorter than it. */
static void test_segment_edges(void **state)
{
	assert_int_equal(switch_tx(&snd.port, gso_frame(MAC_P, false, 3 * 1448), 1, NULL), SWITCH_TX_SENT);
	check_segments(&plain, 3 * MSS, false, ETH_HLEN);
	drop_rx(&plain);
	assert_int_equal(switch_tx(&snd.port, gso_frame(MAC_P, true, 100), 1, NULL), SWITCH_TX_SENT);
	check_segments(&plain, 100, true, ETH_HLEN);
	assert_int_equal(tso.nrx, 0);   /* unicast: only its port */
}

/* From an access port of VLAN 10: the uplink's segments are tagged, their
 * offsets 4 further on; the same-VLAN vifs' untagged. */
static void test_vlan_tagged_segments(void **state)
{
	setup_vlan(10);
	assert_int_equal(switch_tx(&snd.port, gso_frame(BCAST, false, 5000), 1, NULL), SWITCH_TX_SENT);
	assert_int_equal(up.nrx, 4);
	for (u32 k = 0; k < up.nrx; k++) {
		assert_int_equal(get_be16(up.rx[k].data + 12), ETH_P_8021Q);
		assert_int_equal(get_be16(up.rx[k].data + 14) & 0xfff, 10);
		assert_int_equal(get_be16(up.rx[k].data + 16), ETH_P_IPV4);
	}
	/* check_segments compares the MAC addresses only, then from l2 on */
	check_segments(&up, 5000, false, ETH_HLEN + VLAN_HLEN);
	check_segments(&plain, 5000, false, ETH_HLEN);
	assert_int_equal(tso.nrx, 1);
	assert_int_equal(tso.rx[0].off.csum_start, ETH_HLEN + 20);
}

/* A receiver out of buffers part way: the rest are dropped, counted. */
static void test_segments_no_buffers(void **state)
{
	struct switch_counters c;

	plain.buffers = 3;
	assert_int_equal(switch_tx(&snd.port, gso_frame(MAC_P, false, 10 * 1448), 1, NULL), SWITCH_TX_SENT);
	assert_int_equal(plain.nrx, 3);
	switch_port_counters(&plain.port, &c);
	assert_int_equal(c.tx_packets, 3);
	assert_int_equal(c.drops[SW_DROP_NO_BUFFERS], 7);
}

static void refused(struct net_frame *f)
{
	enum switch_drop why = SW_DROP_REASONS;

	assert_int_equal(switch_tx(&snd.port, f, 1, &why), SWITCH_TX_DROPPED);
	assert_int_equal(why, SW_DROP_GSO);
	assert_int_equal(tso.nrx + plain.nrx + up.nrx, 0);
}

/* Offload fields that do not describe the packet: dropped, counted. */
static void test_bad_gso_refused(void **state)
{
	struct switch_counters c;
	struct net_frame *f;

	f = gso_frame(BCAST, false, 5000);
	f->offload.gso_type = NET_GSO_TCPV6;         /* an IPv4 packet */
	refused(f);
	f = gso_frame(BCAST, false, 5000);
	f->offload.gso_size = NET_GSO_MSS_MIN - 1;
	refused(f);
	f = gso_frame(BCAST, false, 5000);
	f->offload.gso_size = (u16)(MSS + 1);        /* segments over the MTU */
	refused(f);
	f = gso_frame(BCAST, false, 5000);
	f->offload.csum_start += 2;                  /* not the TCP checksum */
	refused(f);
	f = gso_frame(BCAST, false, 5000);
	f->offload.flags = 0;
	refused(f);
	f = gso_frame(BCAST, false, 5000);
	fb[ETH_HLEN + 9] = 17;                       /* UDP */
	refused(f);
	f = gso_frame(BCAST, false, 5000);
	put_be16(fb + ETH_HLEN + 6, 0x2000);         /* a fragment */
	refused(f);
	f = gso_frame(BCAST, true, 5000);
	fb[ETH_HLEN + 6] = 0;                        /* an IPv6 extension header first */
	refused(f);
	f = gso_frame(BCAST, false, 5000);
	fb[ETH_HLEN + 20 + 12] = 0x40;               /* TCP data offset 16 bytes */
	refused(f);
	f = gso_frame(BCAST, false, 0);              /* no payload */
	refused(f);
	f = gso_frame(BCAST, false, 65535 - 52 + 1); /* an IPv4 packet over 64 KiB */
	refused(f);
	switch_port_counters(&snd.port, &c);
	assert_int_equal(c.drops[SW_DROP_GSO], 11);
	/* and the largest that fits passes */
	assert_int_equal(switch_tx(&snd.port, gso_frame(MAC_P, false, 65535 - 52), 1, NULL), SWITCH_TX_SENT);
	assert_int_equal(plain.nrx, (65535 - 52 + MSS - 1) / MSS);
}

/* The sender's storm bucket pays for a flooded GSO frame's wire bytes. */
static void test_storm_counts_wire_bytes(void **state)
{
	u32 sent = 0;

	/* 20 Mb/s over 50 ms is 125000 bytes: one 65 KiB frame, not two */
	while (sent < 4 && switch_tx(&snd.port, gso_frame(BCAST, false, PAYLOAD), 1, NULL) == SWITCH_TX_SENT)
		sent++;
	assert_int_equal(sent, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcpv4_whole_and_segmented, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcpv6_whole_and_segmented, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segment_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_tagged_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segments_no_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_gso_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storm_counts_wire_bytes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
