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
 * Every delivery is CHECKed against the switch's rules: never to the sender,
 * a vif only gets untagged frames of its VLAN from a source that passed
 * anti-spoofing, an uplink gets the VLAN's tag, lengths within bounds, no
 * port used after its release; and every frame sent is either counted in
 * or counted as one drop reason.
 */
#include <stdlib.h>
#include <string.h>

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
	u8 buf[NET_HDR_MAX + ETH_FRAME_MAX + 8];

	CHECK(!f->released && f != sender);
	CHECK(d->len >= ETH_HLEN && d->len <= ETH_FRAME_MAX + VLAN_HLEN);
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

static const struct switch_port_ops fops = { .deliver = fdeliver, .release = frelease };

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

static void send_frame(u32 port, const u8 *data, size_t len, u32 cut, u64 now)
{
	struct fport *f = &ports[port];
	struct net_seg seg[2] = { { data, cut }, { data + cut, (u32)len - cut } };
	struct net_frame fr = { .segs = seg, .nsegs = 2, .len = (u32)len };
	u64 before, after;
	enum switch_tx r;

	total(f, &before);
	sender = f;
	r = switch_tx(&f->port, &fr, now, NULL);
	sender = NULL;
	total(f, &after);
	if (!f->on)
		CHECK(r == SWITCH_TX_PORT_GONE && after == before);
	else
		CHECK((r == SWITCH_TX_SENT || r == SWITCH_TX_DROPPED) && after == before + 1);
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
		u8 op = data[at++] % 5;

		if (op == 0 && size - at >= 4) {
			u32 port = data[at] % NPORTS;
			u32 len = (u32)(data[at + 1] | data[at + 2] << 8) % 1600;
			u32 cut = data[at + 3];

			at += 4;
			if (len > size - at)
				len = (u32)(size - at);
			send_frame(port, data + at, len, cut < len ? cut : len, now);
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
