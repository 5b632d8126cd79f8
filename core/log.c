/* Bulkhead's own messages: "(hv) " lines on the console. */
#include <stdarg.h>

#include "arch.h"
#include "core/console.h"
#include "core/log.h"
#include "lib/fmt.h"

enum log_level log_threshold = LOG_INFO;

static void vlog(const char *fmt, va_list ap)
{
	char line[CONSOLE_LINE_MAX];
	int n = fmt_vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		return;
	if ((u32)n >= sizeof(line))
		n = sizeof(line) - 1;
	console_write_line("hv", line, (u32)n);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	char line[CONSOLE_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(LOG_ERROR, "PANIC: %s", line);
	arch_system_off();
}
