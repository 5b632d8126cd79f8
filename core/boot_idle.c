/*
 * The `on_idle=` boot option: whether the machine powers off when its last
 * VM stops (scripts and tests wait for that) or stays up for the operator.
 */
#include "core/boot_option.h"
#include "lib/string.h"

static enum on_idle on_idle = ON_IDLE_POWEROFF;

static bool is(const char *value, size_t n, const char *word)
{
	return n == strlen(word) && strncmp(value, word, n) == 0;
}

bool boot_on_idle_parse(const char *cmdline)
{
	size_t n = 0;
	const char *value = boot_option(cmdline, "on_idle=", &n);

	on_idle = ON_IDLE_POWEROFF;
	if (!value || is(value, n, "poweroff"))
		return true;
	if (is(value, n, "stay")) {
		on_idle = ON_IDLE_STAY;
		return true;
	}
	return false;
}

enum on_idle boot_on_idle(void)
{
	return on_idle;
}
