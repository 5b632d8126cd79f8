/* log_msg keeping the last line (tests/unit/log_last.h). */
#include <stdarg.h>
#include <stdio.h>

#include "core/log.h"
#include "log_last.h"

char last_log[256];

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
}
