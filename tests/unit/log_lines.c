/* log_msg keeping the lines (tests/unit/log_lines.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "log_lines.h"

static char logs[LOG_LINES_MAX][240];
static u32 nlogs;

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	if (nlogs >= LOG_LINES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(logs[nlogs++], sizeof(logs[0]), fmt, ap);
	va_end(ap);
}

bool logged(const char *text)
{
	for (u32 i = 0; i < nlogs; i++) {
		if (strcmp(logs[i], text) == 0)
			return true;
	}
	return false;
}

bool logged_prefix(const char *text)
{
	for (u32 i = 0; i < nlogs; i++) {
		if (strncmp(logs[i], text, strlen(text)) == 0)
			return true;
	}
	return false;
}

void logs_clear(void)
{
	nlogs = 0;
}
