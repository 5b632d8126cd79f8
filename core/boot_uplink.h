/*
 * Bulkhead's boot option `uplink=NAME`: the switch the machine's own NIC
 * joins (docs/network.md). Parsed once at boot, before any VM or NIC.
 */
#ifndef BULKHEAD_CORE_BOOT_UPLINK_H
#define BULKHEAD_CORE_BOOT_UPLINK_H

#include "types.h"

/* Reads `uplink=` from Bulkhead's command line (the last one given counts).
 * False when it names no valid switch: the caller says so, and the uplink
 * then joins none rather than a switch the user did not ask for. */
bool boot_uplink_parse(const char *cmdline);

/* The switch the uplink joins: "br0" without the option; "" when the option
 * was not a switch name (switch_get("") makes none). */
const char *boot_uplink_switch(void);

#endif
