/* The machine's NIC as a switch's uplink port (see uplink.h). */
#include "arch.h"
#include "core/boot_uplink.h"
#include "core/log.h"
#include "net/rate_limit.h"
#include "net/uplink.h"
#include "lib/string.h"

static struct uplink machine_uplink;
static bool joined;

/* The counter's ticks as nanoseconds, without overflowing for centuries. */
static u64 ticks_to_ns(u64 ticks)
{
	u64 freq = arch_counter_freq();

	return ticks / freq * RATE_NS_PER_S + ticks % freq * RATE_NS_PER_S / freq;
}

/* The switch's frame to the NIC: the driver copies it into a TX buffer. */
static enum switch_deliver uplink_deliver(struct switch_port *port, const struct net_delivery *d)
{
	struct uplink *u = port->ctx;

	return net_transmit(u->nic, d) == NET_TX_QUEUED ? SWITCH_DELIVERED : SWITCH_NO_BUFFERS;
}

static const struct switch_port_ops uplink_ops = { .deliver = uplink_deliver };

/* The NIC's frame into the switch: deferred work, no driver lock held. */
static void uplink_rx(struct net_nic *nic, const u8 *frame, u32 len,
		      const struct net_offload *offload, u64 now)
{
	struct uplink *u = nic->rx_ctx;
	struct net_seg seg = { frame, len };
	struct net_frame f = { .segs = &seg, .nsegs = 1, .len = len, .offload = *offload };

	switch_tx(&u->port, &f, ticks_to_ns(now), NULL);
}

enum switch_add_error uplink_join(struct uplink *u, struct net_nic *nic, struct vswitch *sw)
{
	struct switch_port_config cfg = { .kind = SWITCH_PORT_UPLINK };
	enum switch_add_error e;

	strlcpy(cfg.label, "uplink", sizeof(cfg.label));
	u->nic = nic;
	e = switch_port_add(sw, &u->port, &cfg, &uplink_ops, u);
	if (e == SWITCH_ADD_OK)
		net_set_rx(nic, uplink_rx, u);
	return e;
}

void uplink_start(void)
{
	const char *name = boot_uplink_switch();
	struct net_nic *nic = net_nic(0);
	struct vswitch *sw;
	enum switch_add_error e;
	char mac[18];

	if (!nic)
		return;  /* a machine without a NIC: VMs still talk on their switches */
	net_mac_str(nic->mac, mac);
	sw = switch_get(name);
	if (!sw) {
		hv_err("nic %s: %s, MAC %s: no uplink: cannot make switch '%s' (1 to %u characters, "
		       "at most %u switches)", nic->name, nic->kind, mac, name, SWITCH_NAME_MAX - 1,
		       SWITCH_MAX);
		return;
	}
	e = uplink_join(&machine_uplink, nic, sw);
	if (e != SWITCH_ADD_OK) {
		hv_err("nic %s: no uplink on switch '%s': %s", nic->name, name, switch_add_error_str(e));
		return;
	}
	joined = true;
	hv_info("nic %s: %s, MAC %s, link %s, uplink on switch '%s'", nic->name, nic->kind, mac,
		net_link_up(nic) ? "up" : "down", sw->name);
}

const struct uplink *uplink_get(void)
{
	return joined ? &machine_uplink : NULL;
}
