/*
 * The shell's nic-list: each of the machine's NICs (as `ip -s link` would
 * show it) and, for the one that is the uplink, its port's counters in the
 * switch.
 */
#include "core/log.h"
#include "core/shell.h"
#include "drivers/net.h"
#include "net/uplink.h"

#define say(...) log_msg(LOG_ALWAYS, __VA_ARGS__)
#define ULL(x) ((unsigned long long)(x))

static void show_port(const struct uplink *u)
{
	struct switch_counters c;

	switch_port_counters(&u->port, &c);
	say("  uplink on switch '%s': into the switch %llu packets %llu bytes, out %llu packets "
	    "%llu bytes", u->port.sw->name, ULL(c.rx_packets), ULL(c.rx_bytes), ULL(c.tx_packets),
	    ULL(c.tx_bytes));
	say("  drops: no-buffers %llu spoofed %llu runt %llu oversize %llu vlan %llu rate %llu",
	    ULL(c.drops[SW_DROP_NO_BUFFERS]), ULL(c.drops[SW_DROP_SPOOFED]),
	    ULL(c.drops[SW_DROP_RUNT]), ULL(c.drops[SW_DROP_OVERSIZE]), ULL(c.drops[SW_DROP_VLAN]),
	    ULL(c.drops[SW_DROP_RATE]));
}

void shell_nic_list(void)
{
	const struct uplink *u = uplink_get();

	if (!net_nic_count()) {
		say("no NIC (start the machine with a network card: ./bulkhead run --nic ...)");
		return;
	}
	for (u32 i = 0; i < net_nic_count(); i++) {
		struct net_nic *nic = net_nic(i);
		struct net_nic_stats s;
		char mac[18];

		net_nic_stats(nic, &s);
		net_mac_str(nic->mac, mac);
		say("%s: %s, MAC %s, link %s", nic->name, nic->kind, mac,
		    nic->broken ? "down (device stopped)" : net_link_up(nic) ? "up" : "down");
		say("  rx %llu packets %llu bytes, %llu errors, %llu before the uplink; tx %llu packets "
		    "%llu bytes, dropped: %llu busy %llu link-down %llu bad",
		    ULL(s.rx_packets), ULL(s.rx_bytes), ULL(s.rx_errors), ULL(s.rx_no_user),
		    ULL(s.tx_packets), ULL(s.tx_bytes), ULL(s.tx_busy), ULL(s.tx_link_down),
		    ULL(s.tx_bad));
		if (u && u->nic == nic)
			show_port(u);
	}
}
