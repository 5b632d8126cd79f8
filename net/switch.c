/*
 * The learning switch: ports, the checks a frame passes, forwarding
 * (switch.h has the rules and the lock order).
 */
#include "net/switch.h"
#include "core/spinlock.h"
#include "net/net_gso.h"
#include "lib/string.h"

/* What the switch decided about one frame, from its header snapshot. */
struct frame_info {
	u8 hdr[ETH_HLEN + 2 * VLAN_HLEN]; /* enough to see a second tag */
	u32 hdr_in;            /* the sender's header length: 14, or 18 with its tag */
	u16 vlan;              /* 0: untagged */
	u16 pcp_dei;           /* the sender's tag's top 4 bits, kept on the way out */
	u16 type;              /* the EtherType after any tag */
	u64 dst, src;
	bool gso;              /* a GSO frame: `g` holds its headers */
	u64 wire_len;          /* the bytes it takes on the wire (a GSO frame's segments) */
	struct net_gso g;
};

static void ctr_add(u64 *c, u64 v) { __atomic_fetch_add(c, v, __ATOMIC_RELAXED); }
static void port_get(struct switch_port *p) { __atomic_fetch_add(&p->refs, 1, __ATOMIC_RELAXED); }

static void port_put(struct switch_port *p)
{
	if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0 && p->ops->release)
		p->ops->release(p);
}

static bool is_tpid(u16 type)
{
	return type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ_OLD;
}

void switch_init(struct vswitch *sw, const char *name, u64 seed)
{
	memset(sw, 0, sizeof(*sw));
	strlcpy(sw->name, name, sizeof(sw->name));
	mac_table_init(&sw->macs, seed);
}

/* --- ports ----------------------------------------------------------- */

static bool valid_unicast(u64 mac) { return mac && !(mac >> 40 & 1); }

static enum switch_add_error check_config(const struct switch_port_config *cfg)
{
	if (cfg->kind == SWITCH_PORT_UPLINK)
		return SWITCH_ADD_OK;
	if (!valid_unicast(eth_mac_to_u64(cfg->mac)))
		return SWITCH_ADD_BAD_MAC;
	if (cfg->vlan > VLAN_VID_MAX)
		return SWITCH_ADD_BAD_VLAN;
	return SWITCH_ADD_OK;
}

enum switch_add_error switch_port_add(struct vswitch *sw, struct switch_port *port,
				      const struct switch_port_config *cfg,
				      const struct switch_port_ops *ops, void *ctx)
{
	enum switch_add_error err = check_config(cfg);
	u32 i;

	if (err != SWITCH_ADD_OK)
		return err;
	*port = (struct switch_port){ .ops = ops, .ctx = ctx, .sw = sw, .cfg = *cfg, .refs = 1 };
	port->cfg.label[SWITCH_LABEL_MAX - 1] = '\0';
	if (cfg->kind == SWITCH_PORT_UPLINK)
		port->cfg.vlan = 0;
	rate_limit_init(&port->rate, cfg->rate_bps, cfg->rate_interval_us);
	rate_limit_init(&port->storm, cfg->kind == SWITCH_PORT_VIF ? SWITCH_STORM_BPS : 0, 0);

	spin_lock(&sw->lock);
	for (i = 0; i < SWITCH_MAX_PORTS && sw->ports[i]; i++)
		;
	if (i == SWITCH_MAX_PORTS) {
		err = SWITCH_ADD_FULL;
	} else if (cfg->kind == SWITCH_PORT_VIF &&
		   !mac_table_add_static(&sw->macs, mac_key(cfg->vlan, eth_mac_to_u64(cfg->mac)), (u16)i)) {
		err = SWITCH_ADD_MAC_IN_USE;
	} else {
		port->index = (u16)i;
		sw->ports[i] = port;
		sw->nports++;
	}
	spin_unlock(&sw->lock);
	return err;
}

void switch_port_remove(struct switch_port *port)
{
	struct vswitch *sw = port->sw;

	spin_lock(&sw->lock);
	if (port->removed) {
		spin_unlock(&sw->lock);
		return;
	}
	port->removed = true;
	sw->ports[port->index] = NULL;
	sw->nports--;
	mac_table_forget_port(&sw->macs, port->index);
	spin_unlock(&sw->lock);
	port_put(port);
}

const char *switch_add_error_str(enum switch_add_error e)
{
	switch (e) {
	case SWITCH_ADD_OK: return "ok";
	case SWITCH_ADD_FULL: return "the switch has no free port";
	case SWITCH_ADD_BAD_MAC: return "the MAC is multicast or zero";
	case SWITCH_ADD_BAD_VLAN: return "the VLAN is above 4094";
	case SWITCH_ADD_MAC_IN_USE: return "another port of the switch has that MAC on that VLAN";
	}
	return "?";
}

/* --- checking a frame ------------------------------------------------ */

/* Size and tags, from a snapshot of the header: needs no lock. */
static bool parse(const struct switch_port *port, const struct net_frame *f, struct frame_info *fi,
		  enum switch_drop *why)
{
	u32 len = f->len, ntags = 0;
	u16 type;

	*why = SW_DROP_RUNT;
	if (len < ETH_HLEN)
		return false;
	net_frame_read(f, 0, fi->hdr, len < sizeof(fi->hdr) ? len : (u32)sizeof(fi->hdr));
	type = get_be16(fi->hdr + 12);
	if (is_tpid(type)) {
		if (len < ETH_HLEN + VLAN_HLEN)
			return false;
		ntags = is_tpid(get_be16(fi->hdr + 16)) ? 2 : 1;
	}
	*why = SW_DROP_OVERSIZE;
	fi->gso = f->offload.gso_type != NET_GSO_NONE;
	if (len > (fi->gso ? NET_GSO_FRAME_MAX : ETH_FRAME_MAX) + VLAN_HLEN * ntags)
		return false;
	*why = SW_DROP_VLAN;
	if (ntags > 1 || (ntags && (port->cfg.kind == SWITCH_PORT_VIF || type != ETH_P_8021Q)))
		return false;
	fi->dst = eth_mac_to_u64(fi->hdr);
	fi->src = eth_mac_to_u64(fi->hdr + ETH_ALEN);
	fi->vlan = port->cfg.vlan;
	fi->pcp_dei = 0;
	fi->type = type;
	fi->hdr_in = ETH_HLEN;
	if (ntags) {
		u16 tci = get_be16(fi->hdr + 14);

		if ((tci & 0xfff) > VLAN_VID_MAX)
			return false;
		fi->vlan = tci & 0xfff;    /* 0: a priority tag, the frame is untagged */
		fi->pcp_dei = tci & 0xf000;
		fi->type = get_be16(fi->hdr + 16);
		fi->hdr_in = ETH_HLEN + VLAN_HLEN;
	}
	fi->wire_len = len;
	if (!fi->gso)
		return true;
	*why = SW_DROP_GSO;
	if (!net_gso_parse(f, &f->offload, fi->hdr_in, fi->type, &fi->g))
		return false;
	fi->wire_len = net_gso_wire_len(&fi->g);
	return true;
}

/* Source, rate and learning, under the switch's lock. */
static bool admit(struct vswitch *sw, struct switch_port *port, const struct frame_info *fi, u64 now, enum switch_drop *why)
{
	*why = SW_DROP_SPOOFED;
	if (port->cfg.kind == SWITCH_PORT_VIF) {
		if (fi->src != eth_mac_to_u64(port->cfg.mac))
			return false;
	} else if (!valid_unicast(fi->src)) {
		return false;
	}
	*why = SW_DROP_RATE;
	if (!rate_limit_take(&port->rate, fi->wire_len * 8, now))
		return false;
	*why = SW_DROP_SPOOFED;
	if (port->cfg.kind == SWITCH_PORT_UPLINK &&
	    mac_table_learn(&sw->macs, mac_key(fi->vlan, fi->src), port->index, now) == MAC_CONFLICT)
		return false;
	return true;
}

static bool in_vlan(const struct switch_port *q, u16 vlan)
{
	return q->cfg.kind == SWITCH_PORT_UPLINK || q->cfg.vlan == vlan;
}

/* The port a known unicast destination was learned on, or NULL: flood. */
static struct switch_port *unicast_port(struct vswitch *sw, const struct switch_port *from,
					const struct frame_info *fi, u64 now, bool *back)
{
	int p;

	*back = false;
	if (fi->dst >> 40 & 1)
		return NULL;
	p = mac_table_lookup(&sw->macs, mac_key(fi->vlan, fi->dst), now);
	if (p == from->index) {
		*back = true;          /* never back where it came from */
		return NULL;
	}
	if (p != MAC_PORT_NONE && sw->ports[p] && in_vlan(sw->ports[p], fi->vlan))
		return sw->ports[p];
	return NULL;
}

/*
 * The receivers, each with a reference taken, under the switch's lock. A
 * frame to be flooded first takes from the sender's storm bucket: false,
 * with no receiver, when it is empty.
 */
static bool pick(struct vswitch *sw, struct switch_port *from, const struct frame_info *fi, u64 now, struct switch_port **to, u32 *n)
{
	bool back;
	struct switch_port *q = unicast_port(sw, from, fi, now, &back);

	*n = 0;
	if (back)
		return true;
	if (q) {
		to[0] = q;
		port_get(q);
		*n = 1;
		return true;
	}
	if (!rate_limit_take(&from->storm, fi->wire_len * 8, now))
		return false;
	for (u32 i = 0; i < SWITCH_MAX_PORTS; i++) {
		q = sw->ports[i];
		if (q && q != from && in_vlan(q, fi->vlan)) {
			port_get(q);
			to[(*n)++] = q;
		}
	}
	return true;
}

/* --- delivering ------------------------------------------------------ */

/* csum_start and hdr_len count from the frame's start: they move with a tag
 * added or removed in front of them (the MAC addresses stay put). */
static u16 shift(u16 v, int delta)
{
	int moved = (int)v + delta;

	return v >= 2 * ETH_ALEN && moved <= 0xffff ? (u16)moved : v;
}

static void make_delivery(struct net_delivery *d, const struct net_frame *f,
			  const struct frame_info *fi, bool tagged)
{
	u8 *h = d->hdr;
	int delta;

	memcpy(h, fi->hdr, 2 * ETH_ALEN);
	if (tagged) {
		put_be16(h + 12, ETH_P_8021Q);
		put_be16(h + 14, (u16)(fi->pcp_dei | fi->vlan));
		put_be16(h + 16, fi->type);
		d->hdr_len = ETH_HLEN + VLAN_HLEN;
	} else {
		put_be16(h + 12, fi->type);
		d->hdr_len = ETH_HLEN;
	}
	d->frame = f;
	d->body_off = fi->hdr_in;
	d->len = f->len - fi->hdr_in + d->hdr_len;
	d->vlan = fi->vlan;
	delta = (int)d->hdr_len - (int)fi->hdr_in;
	d->offload = f->offload;
	d->offload.csum_start = shift(f->offload.csum_start, delta);
	d->offload.hdr_len = shift(f->offload.hdr_len, delta);
	if (fi->gso)           /* the guest's is a hint (virtio 1.2 5.1.6.2): the exact one */
		d->offload.hdr_len = (u16)(d->hdr_len + fi->g.l3_len + fi->g.l4_len);
}

/* Counts what the receiver made of it; SEGMENT_IT (a GSO frame only) is
 * not a drop yet: its segments follow. */
static enum switch_deliver deliver(struct switch_port *q, const struct net_delivery *d)
{
	enum switch_deliver r = q->ops->deliver(q, d);

	if (r == SWITCH_DELIVERED) {
		ctr_add(&q->ctr.tx_packets, 1);
		ctr_add(&q->ctr.tx_bytes, d->len);
	} else if (r == SWITCH_NO_BUFFERS || d->offload.gso_type == NET_GSO_NONE) {
		ctr_add(&q->ctr.drops[SW_DROP_NO_BUFFERS], 1);
		r = SWITCH_NO_BUFFERS;
	}
	return r;
}

/*
 * A GSO frame to a port that cannot take it whole: its segments, one
 * delivery each, their headers built after the receiver's MAC header (with
 * or without the tag) and their payloads straight from the sender's buffers.
 * Once the receiver has no buffer the rest are counted dropped untried.
 */
static void deliver_segments(struct switch_port *q, const struct net_delivery *whole,
			     const struct net_gso *g)
{
	struct net_delivery s = *whole;
	u32 plen;

	s.hdr_len = whole->hdr_len + g->l3_len + g->l4_len;
	s.offload = (struct net_offload){ .flags = NET_OFFLOAD_NEEDS_CSUM,
					  .csum_start = (u16)(whole->hdr_len + g->l3_len),
					  .csum_offset = TCP_CSUM_OFFSET };
	for (u32 k = 0; k < g->nsegs; k++) {
		plen = net_gso_segment(g, k, s.hdr + whole->hdr_len);
		s.body_off = net_gso_payload_off(g, k);
		s.len = s.hdr_len + plen;
		if (deliver(q, &s) != SWITCH_DELIVERED) {
			ctr_add(&q->ctr.drops[SW_DROP_NO_BUFFERS], g->nsegs - k - 1);
			return;
		}
	}
}

/* A frame to one receiver: whole, unless it is GSO and the receiver cannot
 * take that kind whole, or not now. */
static void deliver_to(struct switch_port *q, const struct net_delivery *d,
		       const struct frame_info *fi)
{
	bool whole = !fi->gso || (q->ops->takes_gso && q->ops->takes_gso(q, fi->g.type));

	if (whole && deliver(q, d) != SWITCH_SEGMENT_IT)
		return;
	deliver_segments(q, d, &fi->g);
}

enum switch_tx switch_tx(struct switch_port *port, const struct net_frame *frame, u64 now,
			 enum switch_drop *why)
{
	struct vswitch *sw = port->sw;
	struct switch_port *to[SWITCH_MAX_PORTS];
	struct net_delivery plain, tagged;
	struct frame_info fi;
	enum switch_drop drop;
	bool ok;
	u32 n;

	if (!net_frame_well_formed(frame))
		return SWITCH_TX_BAD_FRAME;
	ok = parse(port, frame, &fi, &drop);

	spin_lock(&sw->lock);
	if (port->removed) {
		spin_unlock(&sw->lock);
		return SWITCH_TX_PORT_GONE;
	}
	if (ok)
		ok = admit(sw, port, &fi, now, &drop);
	if (!ok) {
		spin_unlock(&sw->lock);
		ctr_add(&port->ctr.drops[drop], 1);
		if (why)
			*why = drop;
		return SWITCH_TX_DROPPED;
	}
	if (!pick(sw, port, &fi, now, to, &n)) {
		spin_unlock(&sw->lock);
		ctr_add(&port->ctr.drops[SW_DROP_STORM], 1);
		if (why)
			*why = SW_DROP_STORM;
		return SWITCH_TX_DROPPED;
	}
	port_get(port);                /* release() waits for this call to end */
	mac_table_sweep(&sw->macs, now, SWITCH_SWEEP_BUCKETS);
	spin_unlock(&sw->lock);

	ctr_add(&port->ctr.rx_packets, fi.gso ? fi.g.nsegs : 1);
	ctr_add(&port->ctr.rx_bytes, fi.wire_len);
	make_delivery(&plain, frame, &fi, false);
	if (fi.vlan)
		make_delivery(&tagged, frame, &fi, true);
	for (u32 i = 0; i < n; i++) {
		bool tag = fi.vlan && to[i]->cfg.kind == SWITCH_PORT_UPLINK;

		deliver_to(to[i], tag ? &tagged : &plain, &fi);
		port_put(to[i]);
	}
	port_put(port);
	return SWITCH_TX_SENT;
}

u64 switch_tx_wait_ns(struct switch_port *port, u32 len, u64 now)
{
	struct vswitch *sw = port->sw;
	u64 ns;

	spin_lock(&sw->lock);
	ns = port->removed ? 0 : rate_limit_wait_ns(&port->rate, (u64)len * 8, now);
	spin_unlock(&sw->lock);
	return ns;
}

/* --- counters -------------------------------------------------------- */

static u64 ctr_load(const u64 *c) { return __atomic_load_n(c, __ATOMIC_RELAXED); }

void switch_port_counters(const struct switch_port *port, struct switch_counters *out)
{
	out->rx_packets = ctr_load(&port->ctr.rx_packets);
	out->rx_bytes = ctr_load(&port->ctr.rx_bytes);
	out->tx_packets = ctr_load(&port->ctr.tx_packets);
	out->tx_bytes = ctr_load(&port->ctr.tx_bytes);
	for (u32 i = 0; i < SW_DROP_REASONS; i++)
		out->drops[i] = ctr_load(&port->ctr.drops[i]);
}

const char *switch_drop_str(enum switch_drop d)
{
	static const char *const names[SW_DROP_REASONS] = {
		[SW_DROP_NO_BUFFERS] = "no-buffers", [SW_DROP_SPOOFED] = "spoofed",
		[SW_DROP_RUNT] = "runt", [SW_DROP_OVERSIZE] = "oversize",
		[SW_DROP_VLAN] = "vlan", [SW_DROP_RATE] = "rate", [SW_DROP_STORM] = "storm",
		[SW_DROP_GSO] = "gso",
	};

	return (unsigned)d < SW_DROP_REASONS ? names[d] : "?";
}
