/* The `uplink=NAME` boot option (see boot_uplink.h). */
#include "core/boot_uplink.h"
#include "core/platform.h"
#include "lib/string.h"

#define UPLINK_OPT "uplink="
#define UPLINK_NAME_MAX 32   /* longer names are kept cut; the switch refuses them */

const char *boot_uplink_switch(void)
{
	static char name[UPLINK_NAME_MAX];
	const char *args = platform.bootargs;
	size_t optlen = strlen(UPLINK_OPT);

	for (const char *p = args; p && *p; p++) {
		size_t n = 0;

		if ((p != args && p[-1] != ' ') || strncmp(p, UPLINK_OPT, optlen) != 0)
			continue;
		p += optlen;
		while (p[n] && p[n] != ' ' && n + 1 < sizeof(name))
			n++;
		memcpy(name, p, n);
		name[n] = '\0';
		return name;
	}
	return "br0";
}
