/* The crash-restart rate limit (crash_limit.h). */
#include "core/crash_limit.h"

bool crash_note(struct crash_history *h, u64 now, u64 window, u32 limit)
{
	u64 oldest;

	h->at[h->count % CRASH_HISTORY] = now;
	h->count++;
	if (limit >= CRASH_HISTORY || h->count <= limit)
		return false;
	/* the crash `limit` crashes before this one: limit + 1 in all */
	oldest = h->at[(h->count - 1 - limit) % CRASH_HISTORY];
	return now - oldest <= window;
}
