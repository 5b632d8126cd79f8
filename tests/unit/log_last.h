/*
 * log_msg for a test: the last line logged is kept in last_log, for the
 * test to look at.
 */
#ifndef BULKHEAD_TESTS_LOG_LAST_H
#define BULKHEAD_TESTS_LOG_LAST_H

extern char last_log[256];

#endif
