/*
 * The registry of the machine's NICs and what every driver shares: counting
 * frames in and out, handing received frames to the NIC's user.
 */
#include "drivers/net.h"
#include "drivers/virtio_net.h"
#include "lib/fmt.h"

static struct net_nic *nics[NET_MAX_NICS];
static u32 nnics;

int net_register(struct net_nic *nic)
{
	if (nnics == NET_MAX_NICS)
		return -1;
	fmt_snprintf(nic->name, sizeof(nic->name), "eth%u", nnics);
	nics[nnics++] = nic;
	return 0;
}

u32 net_nic_count(void)
{
	return nnics;
}

struct net_nic *net_nic(u32 i)
{
	return i < nnics ? nics[i] : NULL;
}

void net_set_rx(struct net_nic *nic, net_rx_fn rx, void *ctx)
{
	nic->rx_ctx = ctx;
	/* the context before the callback that reads it */
	__atomic_store_n(&nic->rx, rx, __ATOMIC_RELEASE);
}

void net_rx_frame(struct net_nic *nic, const u8 *frame, u32 len, const struct net_offload *offload,
		  u64 now)
{
	net_rx_fn rx = __atomic_load_n(&nic->rx, __ATOMIC_ACQUIRE);

	if (!rx) {
		net_count(&nic->stats.rx_no_user, 1);
		return;
	}
	net_count(&nic->stats.rx_packets, 1);
	net_count(&nic->stats.rx_bytes, len);
	rx(nic, frame, len, offload, now);
}

enum net_tx net_transmit(struct net_nic *nic, const struct net_delivery *d)
{
	enum net_tx r = nic->ops->transmit(nic, d);

	switch (r) {
	case NET_TX_QUEUED:
		net_count(&nic->stats.tx_packets, 1);
		net_count(&nic->stats.tx_bytes, d->len);
		break;
	case NET_TX_BUSY: net_count(&nic->stats.tx_busy, 1); break;
	case NET_TX_LINK_DOWN: net_count(&nic->stats.tx_link_down, 1); break;
	case NET_TX_BAD_FRAME: net_count(&nic->stats.tx_bad, 1); break;
	case NET_TX_BROKEN: break;
	}
	return r;
}

static u64 get(const u64 *ctr)
{
	return __atomic_load_n(ctr, __ATOMIC_RELAXED);
}

void net_nic_stats(const struct net_nic *nic, struct net_nic_stats *out)
{
	const struct net_nic_stats *s = &nic->stats;

	*out = (struct net_nic_stats){
		.rx_packets = get(&s->rx_packets), .rx_bytes = get(&s->rx_bytes),
		.rx_errors = get(&s->rx_errors), .rx_no_user = get(&s->rx_no_user),
		.tx_packets = get(&s->tx_packets), .tx_bytes = get(&s->tx_bytes),
		.tx_busy = get(&s->tx_busy), .tx_link_down = get(&s->tx_link_down),
		.tx_bad = get(&s->tx_bad),
	};
}

bool net_link_up(const struct net_nic *nic)
{
	return __atomic_load_n(&nic->link_up, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&nic->broken, __ATOMIC_RELAXED);
}

void net_mac_str(const u8 *mac, char *buf)
{
	fmt_snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		     mac[4], mac[5]);
}

void net_probe_all(void)
{
	virtio_net_probe_all();
}
