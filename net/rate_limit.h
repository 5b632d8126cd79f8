/*
 * A token bucket limiting what one port sends into its switch, in bits per
 * second as xl's `rate=` says it.
 *
 * The bucket holds up to `burst` bits and fills at `rate` bits per second,
 * exactly (the fraction of a bit a refill leaves over is carried to the next).
 * The burst is what the rate allows in one replenishment interval (xl's
 * `@INTERVAL`, 50 ms when not given) but never less than one tagged frame
 * of the largest size, so any rate passes whole frames. It starts full.
 * A frame of n bytes costs 8n bits. Not locked: the switch's lock covers it.
 */
#ifndef BULKHEAD_NET_RATE_LIMIT_H
#define BULKHEAD_NET_RATE_LIMIT_H

#include "types.h"

#define RATE_NS_PER_S 1000000000ull
#define RATE_INTERVAL_DEFAULT_US 50000u
#define RATE_INTERVAL_MAX_US 1000000u
#define RATE_MAX_BPS (1ull << 40)      /* about 1.1 Tb/s: far beyond what a copy can do */
#define RATE_MIN_BURST_BITS ((1514u + 4) * 8)
#define RATE_WAIT_MAX_BITS (1ull << 24)  /* rate_limit_wait_ns answers for frames up to 2 MiB */

struct rate_limit {
	u64 rate;              /* bits per second; 0: unlimited */
	u64 burst;             /* bits */
	u64 tokens;            /* bits */
	u64 rem;               /* a fraction of a bit, in units of 1/RATE_NS_PER_S */
	u64 last;              /* ns of the last refill */
	bool started;
};

/* rate 0 means unlimited; interval_us 0 means the default. Rates above
 * RATE_MAX_BPS and intervals above RATE_INTERVAL_MAX_US are clamped
 * (rate_parse refuses them before they get here). */
void rate_limit_init(struct rate_limit *rl, u64 rate_bps, u32 interval_us);
/* Takes `bits` at time `now` (ns) if the bucket has them. */
bool rate_limit_take(struct rate_limit *rl, u64 bits, u64 now);
/* Nanoseconds from `now` until `bits` could be taken (0: now), so a sender
 * can wait instead of having its frame dropped. */
u64 rate_limit_wait_ns(struct rate_limit *rl, u64 bits, u64 now);

#endif
