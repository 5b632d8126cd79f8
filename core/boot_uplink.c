/*
 * The `uplink=NAME` boot option (boot_uplink.h). The name is checked as a
 * vif's bridge= is, so that both name switches the same way.
 */
#include "core/boot_option.h"
#include "core/boot_uplink.h"
#include "core/config.h"
#include "lib/string.h"

#define UPLINK_OPT "uplink="

static char uplink[CONFIG_BRIDGE_NAME_MAX] = CONFIG_DEFAULT_BRIDGE;

bool boot_uplink_parse(const char *cmdline)
{
	size_t n = 0;
	const char *name = boot_option(cmdline, UPLINK_OPT, &n);

	if (!name) {
		strlcpy(uplink, CONFIG_DEFAULT_BRIDGE, sizeof(uplink));
		return true;
	}
	if (!config_bridge_name_ok(name, n)) {
		uplink[0] = '\0';
		return false;
	}
	memcpy(uplink, name, n);
	uplink[n] = '\0';
	return true;
}

const char *boot_uplink_switch(void)
{
	return uplink;
}
