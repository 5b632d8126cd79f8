/*
 * Bulkhead's boot option `uplink=NAME`: the switch the machine's NIC joins.
 * (Stands in until the VM-config branch's boot options land with the same
 * function: then this file goes and its callers include that header.)
 */
#ifndef BULKHEAD_CORE_BOOT_UPLINK_H
#define BULKHEAD_CORE_BOOT_UPLINK_H

/* The switch named by `uplink=` on the boot command line, "br0" without one. */
const char *boot_uplink_switch(void);

#endif
