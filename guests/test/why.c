/* Failure details of a check that looks at several things before it reports. */
#include <stdarg.h>
#include "guests/test/guest.h"
#include "lib/fmt.h"

void why_add(struct why *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->len >= sizeof(w->buf) - 1)
		return;
	if (w->len && w->len + 2 < sizeof(w->buf)) {
		w->buf[w->len++] = ';';
		w->buf[w->len++] = ' ';
	}
	va_start(ap, fmt);
	n = fmt_vsnprintf(w->buf + w->len, sizeof(w->buf) - w->len, fmt, ap);
	va_end(ap);
	w->len += n > 0 ? (u32)n : 0;
	if (w->len > sizeof(w->buf) - 1)
		w->len = sizeof(w->buf) - 1;
}

void report(const char *name, const struct why *w)
{
	if (w->len)
		check_fail(name, "%s", w->buf);
	else
		check_pass(name);
}
