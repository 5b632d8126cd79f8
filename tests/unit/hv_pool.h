/*
 * Bulkhead's own page pool (hv_pages) for a test group: host memory, page
 * aligned, added as one bank with every page free. For a group's setup and
 * teardown; the pool keeps the bank for the rest of the run.
 */
#ifndef BULKHEAD_TESTS_HV_POOL_H
#define BULKHEAD_TESTS_HV_POOL_H

#include "types.h"

/* Adds `pages` pages to hv_pages (a cmocka failure when it cannot). */
void hv_pool_add(u64 pages);
/* Frees the memory hv_pool_add took. */
void hv_pool_free(void);

#endif
