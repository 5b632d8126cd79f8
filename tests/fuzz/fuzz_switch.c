/*
 * libFuzzer target for the virtual switch (net/): arbitrary frames, in
 * arbitrary segments, from arbitrary ports of a switch with untagged and
 * VLAN vifs, a rate-limited vif and two uplinks, between clock jumps, ports
 * leaving and coming back, receivers running out of buffers and switch-list.
 *
 * Input: a list of operations, each one byte then its arguments:
 *   0: send  [port] [len lo] [len hi] [cut] then len bytes of frame
 *   1: time  [4 bytes: ms to add]
 *   2: churn [port]  (removed; added back when removed already)
 *   3: room  [port] [buffers]
 *   4: list
 *   5: gso   [port] [len lo] [len hi] [cut] [kind] [mss lo] [mss hi] [csum_start]
 *            then len bytes: a GSO frame (kind bit 0: TCPv6, bit 1: made a
 *            plausible TCP packet first, so the checks past the IP header run)
 * Port 2 takes GSO frames whole; the others get them cut into segments.
 * Every delivery is CHECKed against the switch's rules: never to the sender,
 * a vif only gets untagged frames of its VLAN from a source that passed
 * anti-spoofing, an uplink gets the VLAN's tag, lengths within bounds (a
 * whole GSO frame only to a port that takes it, segments MTU-size with their
 * checksum field inside), no
 * port used after its release; and every frame sent is either counted in
 * or counted as one drop reason.
 */
#include <stdlib.h>
#include <string.h>

#include "net/net_csum.h"
#include "net/net_gso.h"
#include "net/switch.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define NPORTS 6

struct fport {
	struct switch_port port;
	struct switch_port_config cfg;
	bool on, released;
	int buffers;
};

static struct vswitch sw;
static struct fport ports[NPORTS];
static const struct fport *sender;

static enum switch_deliver fdeliver(struct switch_port *p, const struct net_delivery *d)
{
	struct fport *f = p->ctx;
	static u8 buf[NET_GSO_FRAME_MAX + 8];

	CHECK(!f->released && f != sender);
	if (d->offload.gso_type != NET_GSO_NONE) {
		CHECK(f == &ports[2] && d->len <= NET_GSO_FRAME_MAX);
		CHECK(d->offload.hdr_len < d->len);
	} else {
		CHECK(d->len >= ETH_HLEN && d->len <= ETH_FRAME_MAX + VLAN_HLEN);
	}
	if (d->offload.flags & NET_OFFLOAD_NEEDS_CSUM && d->frame->offload.gso_type != NET_GSO_NONE)
		CHECK(net_csum_offsets_ok(&d->offload, d->len));
	CHECK(net_delivery_copy(d, 0, buf, sizeof(buf)) == d->len);
	if (f->cfg.kind == SWITCH_PORT_VIF) {
		CHECK(d->vlan == f->cfg.vlan);
		CHECK(get_be16(buf + 12) != ETH_P_8021Q);
	} else if (d->vlan) {
		CHECK(get_be16(buf + 12) == ETH_P_8021Q && (get_be16(buf + 14) & 0xfff) == d->vlan);
	}
	if (sender->cfg.kind == SWITCH_PORT_VIF)
		CHECK(!memcmp(buf + 6, sender->cfg.mac, ETH_ALEN));
	else
		CHECK(!(buf[6] & 1));
	if (f->buffers == 0)
		return SWITCH_NO_BUFFERS;
	f->buffers--;
	return SWITCH_DELIVERED;
}

static void frelease(struct switch_port *p)
{
	struct fport *f = p->ctx;

	CHECK(!f->released && !f->on);
	f->released = true;
}

static bool ftakes_gso(struct switch_port *p, u8 type)
{
	return p->ctx == &ports[2];
}

static const struct switch_port_ops fops = { .deliver = fdeliver, .release = frelease,
					     .takes_gso = ftakes_gso };

static void plug(u32 i)
{
	struct fport *f = &ports[i];

	f->released = false;
	CHECK(switch_port_add(&sw, &f->port, &f->cfg, &fops, f) == SWITCH_ADD_OK);
	f->on = true;
}

static void setup(void)
{
	static const u16 vlans[NPORTS] = { 0, 10, 10, 20, 0, 0 };

	switch_init(&sw, "fuzz", 42);
	for (u32 i = 0; i < NPORTS; i++) {
		struct fport *f = &ports[i];

		memset(f, 0, sizeof(*f));
		f->cfg = (struct switch_port_config){
			.kind = i < 4 ? SWITCH_PORT_VIF : SWITCH_PORT_UPLINK,
			.mac = { 0x02, 0, 0, 0, 0, (u8)(i + 1) }, .vlan = vlans[i],
			.rate_bps = i == 3 ? 1000000 : 0 };
		f->buffers = 1000;
		plug(i);
	}
}

static void total(const struct fport *f, u64 *in)
{
	struct switch_counters c;

	switch_port_counters(&f->port, &c);
	*in = c.rx_packets;
	for (u32 r = 0; r < SW_DROP_REASONS; r++)
		if (r != SW_DROP_NO_BUFFERS)
			*in += c.drops[r];
}

static void send_frame(u32 port, const u8 *data, size_t len, u32 cut, u64 now,
		       const struct net_offload *off)
{
	struct fport *f = &ports[port];
	struct net_seg seg[2] = { { data, cut }, { data + cut, (u32)len - cut } };
	struct net_frame fr = { .segs = seg, .nsegs = 2, .len = (u32)len, .offload = *off };
	u64 before, after;
	enum switch_tx r;

	total(f, &before);
	sender = f;
	r = switch_tx(&f->port, &fr, now, NULL);
	sender = NULL;
	total(f, &after);
	if (!f->on)
		CHECK(r == SWITCH_TX_PORT_GONE && after == before);
	else if (r == SWITCH_TX_DROPPED || off->gso_type == NET_GSO_NONE)
		CHECK((r == SWITCH_TX_SENT || r == SWITCH_TX_DROPPED) && after == before + 1);
	else   /* a GSO frame counts as the segments it became */
		CHECK(r == SWITCH_TX_SENT && after > before);
}

/* A GSO frame from the input: the 8 bytes of op 5, then the frame's. */
static size_t gso_op(const u8 *data, size_t size, size_t at, u64 now)
{
	static u8 frame[NET_GSO_FRAME_MAX];
	const u8 *a = data + at;
	u32 port = a[0] % NPORTS, len = (u32)(a[1] | a[2] << 8), cut = a[3];
	bool v6 = a[4] & 1;
	struct net_offload off = { .flags = NET_OFFLOAD_NEEDS_CSUM,
				   .gso_type = v6 ? NET_GSO_TCPV6 : NET_GSO_TCPV4,
				   .gso_size = (u16)(a[5] | a[6] << 8), .csum_start = a[7],
				   .csum_offset = TCP_CSUM_OFFSET };
	u32 l3 = v6 ? 40 : 20, taken;

	at += 8;
	if (len > size - at)
		len = (u32)(size - at);
	taken = len;
	memcpy(frame, data + at, len);
	/* a short input still makes a long frame: the rest repeats it */
	if (a[4] & 4 && len)
		for (u32 i = len; i < 20000; i++)
			frame[i] = frame[i % len];
	if (a[4] & 4 && len)
		len = 20000;
	if (a[4] & 2 && len >= ETH_HLEN + l3 + 20) {
		memcpy(frame + 6, ports[port].cfg.mac, ETH_ALEN);
		put_be16(frame + 12, v6 ? ETH_P_IPV6 : ETH_P_IPV4);
		frame[ETH_HLEN] = v6 ? 0x60 : 0x45;
		frame[ETH_HLEN + (v6 ? 6 : 9)] = IPPROTO_TCP_NUM;
		if (!v6)
			frame[ETH_HLEN + 6] &= 0x40;            /* not a fragment */
		frame[ETH_HLEN + l3 + 12] = (u8)((frame[ETH_HLEN + l3 + 12] % 4 + 5) << 4);
		off.csum_start = (u16)(ETH_HLEN + l3);
	}
	send_frame(port, frame, len, cut < len ? cut : len, now, &off);
	return at + taken;
}

static void sink(void *ctx, const char *line)
{
	CHECK(strlen(line) < 200);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u64 now = 0;
	size_t at = 0;
	u32 lists = 0;

	setup();
	while (at < size) {
		u8 op = data[at++] % 6;

		if (op == 0 && size - at >= 4) {
			u32 port = data[at] % NPORTS;
			u32 len = (u32)(data[at + 1] | data[at + 2] << 8) % 1600;
			u32 cut = data[at + 3];

			at += 4;
			if (len > size - at)
				len = (u32)(size - at);
			send_frame(port, data + at, len, cut < len ? cut : len, now,
				   &(struct net_offload){ 0 });
			at += len;
		} else if (op == 1 && size - at >= 4) {
			u32 ms;

			memcpy(&ms, data + at, 4);
			at += 4;
			now += (u64)ms * 1000000;
		} else if (op == 2 && at < size) {
			struct fport *f = &ports[data[at++] % NPORTS];

			if (f->on) {
				f->on = false;
				switch_port_remove(&f->port);
				CHECK(f->released);     /* nothing else holds it between frames */
			} else {
				plug((u32)(f - ports));
			}
		} else if (op == 3 && size - at >= 2) {
			ports[data[at] % NPORTS].buffers = data[at + 1];
			at += 2;
		} else if (op == 5 && size - at >= 8) {
			at = gso_op(data, size, at, now);
		} else if (op == 4) {
			if (lists++ < 2)        /* it walks the whole table: keep runs fast */
				switch_list(&sw, now, sink, NULL);
		} else {
			break;
		}
		CHECK(sw.macs.learned <= MAC_LEARNED_MAX && sw.macs.statics <= MAC_STATIC_MAX);
	}
	for (u32 i = 0; i < NPORTS; i++) {
		if (ports[i].on) {
			ports[i].on = false;
			switch_port_remove(&ports[i].port);
		}
		CHECK(ports[i].released);
	}
	return 0;
}
