/*
 * on_crash = "restart", rate-limited: a VM that crashes more than `limit`
 * times within `window` is preserved instead of restarted, so that a guest
 * that dies at boot does not loop for ever (config keys crash_limit and
 * crash_window, docs/config.md).
 */
#ifndef BULKHEAD_CORE_CRASH_LIMIT_H
#define BULKHEAD_CORE_CRASH_LIMIT_H

#include "types.h"
#include "core/config.h"

/* The last crashes' times: enough to look limit + 1 crashes back. */
#define CRASH_HISTORY (CONFIG_MAX_CRASH_LIMIT + 1)

struct crash_history {
	u64 at[CRASH_HISTORY];   /* counter values, a ring */
	u32 count;               /* crashes noted, ever */
};

/* Notes a crash at `now`; true when it is one too many: more than `limit`
 * crashes (this one included) within `window` counter ticks. */
bool crash_note(struct crash_history *h, u64 now, u64 window, u32 limit);

#endif
