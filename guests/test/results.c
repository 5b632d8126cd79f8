/*
 * Check reporting. The host parses these lines, so their shape is fixed:
 * "CHECK <name>: PASS", "CHECK <name>: FAIL <details>" and a final
 * "RESULT <n> passed, <m> failed". Skips are notes, not checks, so that a
 * parser counting CHECK lines sees only checks that ran.
 */
#include <stdarg.h>
#include "guests/test/guest.h"
#include "lib/fmt.h"

static unsigned int passed, failed;

void check_pass(const char *name)
{
	passed++;
	printk("CHECK %s: PASS\n", name);
}

void check_fail(const char *name, const char *fmt, ...)
{
	char details[192];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(details, sizeof(details), fmt, ap);
	va_end(ap);
	failed++;
	printk("CHECK %s: FAIL %s\n", name, details);
}

void check_skip(const char *name, const char *why)
{
	printk("NOTE: skipped %s: %s\n", name, why);
}

void finish(void)
{
	printk("RESULT %u passed, %u failed\n", passed, failed);
	power_off();
}
