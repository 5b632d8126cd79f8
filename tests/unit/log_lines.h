/*
 * log_msg for a test: the first LOG_LINES_MAX lines logged are kept, for
 * the test to ask whether a line was logged.
 */
#ifndef BULKHEAD_TESTS_LOG_LINES_H
#define BULKHEAD_TESTS_LOG_LINES_H

#include "types.h"

#define LOG_LINES_MAX 64

/* A line logged, to the letter, since the last logs_clear(). */
bool logged(const char *text);
/* A line logged that starts with `text`. */
bool logged_prefix(const char *text);
/* Forgets the lines kept so far. */
void logs_clear(void);

#endif
