/*
 * Bulkhead's own log, kept for `dmesg`: the newest LOG_RING_SIZE bytes of
 * the lines it printed, oldest first, so that an operator who joins late
 * (or whose screen scrolled) can read the boot again.
 */
#ifndef BULKHEAD_CORE_LOG_RING_H
#define BULKHEAD_CORE_LOG_RING_H

#include "types.h"

#define LOG_RING_SIZE 16384   /* a power of two */

/* Keeps one line (without its '\n'); older lines make room. */
void log_ring_add(const char *text, u32 len);
/*
 * Calls `line` for each whole line kept, oldest first. The lines are copied
 * out first, so `line` may log; what it logs meanwhile is not kept (dmesg's
 * own replay would otherwise fill the ring with itself).
 */
void log_ring_replay(void (*line)(void *ctx, const char *text, u32 len), void *ctx);

#endif
