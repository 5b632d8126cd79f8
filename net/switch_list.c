/*
 * switch-list's text for one switch: a line per port with its counters, then
 * a line per MAC the switch knows. The switch's lock is held only to copy a
 * port, or one chunk of the MAC table, never while a line is written.
 */
#include "net/switch.h"
#include "core/spinlock.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define LINE_MAX 200
#define MAC_CHUNK (MAC_CHAIN_MAX + MAC_STATIC_MAX)

struct port_copy {
	struct switch_port_config cfg;
	struct switch_counters ctr;
};

struct mac_copy {
	struct mac_view v;
	char label[SWITCH_LABEL_MAX];
};

static void emit(switch_line_fn line, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void emit(switch_line_fn line, void *ctx, const char *fmt, ...)
{
	char buf[LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	line(ctx, buf);
}

static void fmt_mac(char *out, u64 mac)
{
	u8 m[ETH_ALEN];

	eth_u64_to_mac(mac, m);
	fmt_snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static bool copy_port(struct vswitch *sw, u32 i, struct port_copy *out)
{
	bool there;

	spin_lock(&sw->lock);
	there = sw->ports[i] != NULL;
	if (there) {
		out->cfg = sw->ports[i]->cfg;
		switch_port_counters(sw->ports[i], &out->ctr);
	}
	spin_unlock(&sw->lock);
	return there;
}

static void print_port(const struct port_copy *p, switch_line_fn line, void *ctx)
{
	const struct switch_counters *c = &p->ctr;
	char mac[18] = "-", vlan[16], rate[24] = "unlimited";

	if (p->cfg.kind == SWITCH_PORT_UPLINK)
		strlcpy(vlan, "trunk", sizeof(vlan));
	else if (p->cfg.vlan)
		fmt_snprintf(vlan, sizeof(vlan), "%u", p->cfg.vlan);
	else
		strlcpy(vlan, "untagged", sizeof(vlan));
	if (p->cfg.kind == SWITCH_PORT_VIF)
		fmt_mac(mac, eth_mac_to_u64(p->cfg.mac));
	if (p->cfg.rate_bps)
		fmt_snprintf(rate, sizeof(rate), "%llub/s", (unsigned long long)p->cfg.rate_bps);
	emit(line, ctx, "  port %-15s %-6s vlan %-8s mac %s rate %s",
	     p->cfg.label, p->cfg.kind == SWITCH_PORT_UPLINK ? "uplink" : "vif", vlan, mac, rate);
	emit(line, ctx, "    rx %llu packets %llu bytes, tx %llu packets %llu bytes",
	     (unsigned long long)c->rx_packets, (unsigned long long)c->rx_bytes,
	     (unsigned long long)c->tx_packets, (unsigned long long)c->tx_bytes);
	emit(line, ctx, "    drops: no-buffers %llu spoofed %llu runt %llu oversize %llu vlan %llu rate %llu storm %llu gso %llu",
	     (unsigned long long)c->drops[SW_DROP_NO_BUFFERS], (unsigned long long)c->drops[SW_DROP_SPOOFED],
	     (unsigned long long)c->drops[SW_DROP_RUNT], (unsigned long long)c->drops[SW_DROP_OVERSIZE],
	     (unsigned long long)c->drops[SW_DROP_VLAN], (unsigned long long)c->drops[SW_DROP_RATE],
	     (unsigned long long)c->drops[SW_DROP_STORM], (unsigned long long)c->drops[SW_DROP_GSO]);
}

/* One chunk of the table, with each entry's port label resolved. */
static u32 copy_macs(struct vswitch *sw, u32 *cursor, u64 now, struct mac_copy *out)
{
	struct mac_view v[MAC_CHUNK];
	u32 n;

	spin_lock(&sw->lock);
	n = mac_table_list(&sw->macs, cursor, now, v, MAC_CHUNK);
	for (u32 i = 0; i < n; i++) {
		const struct switch_port *p = v[i].port < SWITCH_MAX_PORTS ? sw->ports[v[i].port] : NULL;

		out[i].v = v[i];
		strlcpy(out[i].label, p ? p->cfg.label : "?", sizeof(out[i].label));
	}
	spin_unlock(&sw->lock);
	return n;
}

static void print_macs(struct vswitch *sw, u64 now, switch_line_fn line, void *ctx)
{
	struct mac_copy m[MAC_CHUNK];
	u32 cursor = 0;
	char mac[18];

	while (cursor < MAC_BUCKETS) {
		u32 n = copy_macs(sw, &cursor, now, m);

		for (u32 i = 0; i < n; i++) {
			fmt_mac(mac, mac_key_mac(m[i].v.key));
			if (m[i].v.is_static)
				emit(line, ctx, "  mac %s vlan %u port %s static", mac,
				     mac_key_vlan(m[i].v.key), m[i].label);
			else
				emit(line, ctx, "  mac %s vlan %u port %s age %llus", mac,
				     mac_key_vlan(m[i].v.key), m[i].label,
				     (unsigned long long)(m[i].v.age_ns / 1000000000ull));
		}
	}
}

void switch_list(struct vswitch *sw, u64 now, switch_line_fn line, void *ctx)
{
	struct port_copy p;
	u32 nports, learned, statics;
	u64 refused;

	spin_lock(&sw->lock);
	nports = sw->nports;
	learned = sw->macs.learned;
	statics = sw->macs.statics;
	refused = sw->macs.refused;
	spin_unlock(&sw->lock);
	emit(line, ctx, "switch %s: %u ports, %u MACs learned, %u static, %llu not learned (table full)",
	     sw->name, nports, learned, statics, (unsigned long long)refused);
	for (u32 i = 0; i < SWITCH_MAX_PORTS; i++)
		if (copy_port(sw, i, &p))
			print_port(&p, line, ctx);
	print_macs(sw, now, line, ctx);
}
