/*
 * The shell's `network-list VM` (as `xl network-list`): one line per vif
 * with its MAC, switch, state and counters. The switch port is net/'s; the
 * state and the device's own drops come through the VM's vif hook, so core/
 * names no device.
 */
#include "core/log.h"
#include "core/shell.h"
#include "core/vm.h"
#include "net/switch.h"

#define say(...) log_msg(LOG_ALWAYS, __VA_ARGS__)

static u64 port_drops(const struct switch_counters *c)
{
	u64 n = 0;

	for (u32 i = 0; i < SW_DROP_REASONS; i++)
		n += c->drops[i];
	return n;
}

static void vif_line(u32 idx, struct vm_vif *vif)
{
	struct switch_port *p = vif->port;
	struct vif_status st = { .state = "absent" };
	struct switch_counters c;
	const u8 *m = p->cfg.mac;

	vif->status(p, &st);
	switch_port_counters(p, &c);
	/* rx/tx as the guest sees them: its rx is what the switch delivered */
	say("%-3u %02x:%02x:%02x:%02x:%02x:%02x %-15s %-12s %10llu %10llu %10llu %10llu", idx, m[0],
	    m[1], m[2], m[3], m[4], m[5], p->sw->name, st.state, (unsigned long long)c.tx_packets,
	    (unsigned long long)(c.drops[SW_DROP_NO_BUFFERS] + st.rx_errors),
	    (unsigned long long)c.rx_packets,
	    (unsigned long long)(port_drops(&c) - c.drops[SW_DROP_NO_BUFFERS] + st.tx_errors));
}

void shell_network_list(const char *arg)
{
	struct vm *vm;
	u32 shown = 0;

	if (!arg) {
		say("network-list: which VM? (usage: network-list VM)");
		return;
	}
	vm = vm_get_by_name_or_id(arg);
	if (!vm) {
		say("network-list: no VM '%s' (see list)", arg);
		return;
	}
	say("%-3s %-17s %-15s %-12s %10s %10s %10s %10s", "IDX", "MAC", "BRIDGE", "STATE", "RX-PKTS",
	    "RX-DROPS", "TX-PKTS", "TX-DROPS");
	for (u32 i = 0; i < vm->cfg.nvifs && i < CONFIG_MAX_VIFS; i++) {
		if (vm->vifs[i].port && vm->vifs[i].status) {
			vif_line(i, &vm->vifs[i]);
			shown++;
		}
	}
	if (!shown)
		say("(vm '%s' has no network interfaces)", vm->cfg.name);
	vm_put(vm);
}
