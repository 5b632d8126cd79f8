/* Bulkhead's own messages: "(hv) " lines on the console, through Bulkhead's
 * console ring (never dropped); a panic writes straight to the UART. */
#include <stdarg.h>

#include "arch.h"
#include "core/console.h"
#include "core/log.h"
#include "core/log_ring.h"
#include "lib/fmt.h"
#include "lib/string.h"

enum log_level log_threshold = LOG_INFO;

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	char line[CONSOLE_LINE_MAX];
	int n = fmt_vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		return;
	if ((u32)n >= sizeof(line))
		n = sizeof(line) - 1;
	log_ring_add(line, (u32)n);
	if (level <= log_threshold)
		console_hv_line(line, (u32)n);
}

static const char *const level_names[] = { "always", "error", "warn", "info", "debug" };

bool log_set_from_cmdline(const char *cmdline)
{
	const char *opt = "loglevel=";
	size_t optlen = strlen(opt);

	for (const char *p = cmdline; p && *p; p++) {
		if ((p != cmdline && p[-1] != ' ') || strncmp(p, opt, optlen) != 0)
			continue;
		p += optlen;
		for (u32 i = LOG_ERROR; i < ARRAY_SIZE(level_names); i++) {
			size_t n = strlen(level_names[i]);

			if (strncmp(p, level_names[i], n) == 0 && (p[n] == ' ' || p[n] == '\0')) {
				log_threshold = (enum log_level)i;
				return true;
			}
		}
		return false;
	}
	return true;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	/* dmesg keeps info lines even when the console shows fewer */
	if (level > log_threshold && level > LOG_INFO)
		return;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	char line[CONSOLE_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	console_panic_begin();
	log_msg(LOG_ERROR, "PANIC: %s", line);
	arch_system_off();
}
