/*
 * The uplink: the machine's own NIC as a port of a switch, promiscuous and a
 * trunk (SWITCH_PORT_UPLINK). Frames the NIC receives go into the switch from
 * the driver's deferred work; frames the switch sends it are copied once into
 * the NIC's TX buffers.
 */
#ifndef BULKHEAD_NET_UPLINK_H
#define BULKHEAD_NET_UPLINK_H

#include "drivers/net.h"
#include "net/switch.h"

struct uplink {
	struct switch_port port;
	struct net_nic *nic;
};

/* Joins `nic` to `sw` as its uplink port, labelled "uplink"; from then on
 * the NIC's frames go into the switch. SWITCH_ADD_OK or the switch's refusal. */
enum switch_add_error uplink_join(struct uplink *u, struct net_nic *nic, struct vswitch *sw);

/* Boot: joins the first NIC, if there is one, to the switch the `uplink=`
 * boot option names (br0 by default) and says so on the console. */
void uplink_start(void);
/* The machine's uplink, or NULL when uplink_start joined none. */
const struct uplink *uplink_get(void);

#endif
