/*
 * The MAC of a vif whose config gives none: derived from the VM's name and
 * the vif's index, so the same VM gets the same address on every boot (its
 * DHCP lease and its neighbours' ARP caches stay good), locally administered
 * and unicast so it never collides with a manufacturer's address.
 */
#ifndef BULKHEAD_NET_VIF_MAC_H
#define BULKHEAD_NET_VIF_MAC_H

#include "types.h"
#include "net/net_frame.h"

void vif_derive_mac(const char *vm_name, u32 index, u8 mac[ETH_ALEN]);

#endif
