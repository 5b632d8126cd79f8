/*
 * Freestanding printf-style formatting.
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %%; length modifiers hh h l ll z j t;
 * flags - 0 # + space; field width and precision, either of which may be '*'.
 * Differences from glibc, all in cases C leaves undefined or
 * implementation-defined: %p prints NULL as "0x0", a NULL %s prints
 * "(null)" cut to the precision, and an unknown conversion is copied to the
 * output as written so that the mistake is visible.
 */
#ifndef BULKHEAD_LIB_FMT_H
#define BULKHEAD_LIB_FMT_H

#include <stdarg.h>
#include "types.h"

/* Receives each piece of output in order; pieces are not NUL-terminated. */
typedef void (*fmt_sink)(void *ctx, const char *s, size_t n);

/* Streams the formatted text to `sink`; returns the number of characters
 * produced, or -1 if that exceeds INT_MAX. */
int fmt_vformat(fmt_sink sink, void *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* C99 snprintf semantics: writes at most size-1 characters plus a NUL
 * (nothing when size is 0, when buf may be NULL) and returns the length the
 * full output would have had. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
