/* Finding a KEY=VALUE word on Bulkhead's command line (boot_option.h). */
#include "core/boot_option.h"
#include "lib/string.h"

const char *boot_option(const char *cmdline, const char *key, size_t *n)
{
	size_t keylen = strlen(key);
	const char *found = NULL;

	for (const char *p = cmdline; p && *p; p++) {
		if ((p != cmdline && p[-1] != ' ') || strncmp(p, key, keylen) != 0)
			continue;
		found = p + keylen;
		for (*n = 0; found[*n] && found[*n] != ' '; (*n)++)
			;
	}
	return found;
}
