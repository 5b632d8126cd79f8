/*
 * The token bucket (rate_limit.h). All arithmetic is in 64 bits with no
 * overflow for any rate up to RATE_MAX_BPS and any gap between frames.
 */
#include "net/rate_limit.h"

void rate_limit_init(struct rate_limit *rl, u64 rate_bps, u32 interval_us)
{
	u64 burst;

	if (rate_bps > RATE_MAX_BPS)
		rate_bps = RATE_MAX_BPS;
	if (!interval_us)
		interval_us = RATE_INTERVAL_DEFAULT_US;
	if (interval_us > RATE_INTERVAL_MAX_US)
		interval_us = RATE_INTERVAL_MAX_US;
	burst = rate_bps * interval_us / 1000000;  /* < 2^40 * 2^20 */
	if (burst < RATE_MIN_BURST_BITS)
		burst = RATE_MIN_BURST_BITS;
	*rl = (struct rate_limit){ .rate = rate_bps, .burst = burst, .tokens = burst };
}

static void fill(struct rate_limit *rl)
{
	rl->tokens = rl->burst;
	rl->rem = 0;
}

/*
 * Adds rate * elapsed / 1e9 bits, split so no product overflows:
 * rate * secs (at most the burst, checked first), (rate / 1e9) * frac
 * (at most the rate) and (rate % 1e9) * frac + rem (below 2^61).
 */
static void refill(struct rate_limit *rl, u64 now)
{
	u64 elapsed, secs, frac, acc;

	if (!rl->started) {
		rl->started = true;
		rl->last = now;
		return;
	}
	if (now <= rl->last)
		return;                /* time never runs backwards; a stale `now` adds nothing */
	elapsed = now - rl->last;
	rl->last = now;
	secs = elapsed / RATE_NS_PER_S;
	if (secs > rl->burst / rl->rate) {
		fill(rl);
		return;
	}
	frac = elapsed % RATE_NS_PER_S;
	acc = (rl->rate % RATE_NS_PER_S) * frac + rl->rem;
	rl->tokens += rl->rate * secs + (rl->rate / RATE_NS_PER_S) * frac + acc / RATE_NS_PER_S;
	rl->rem = acc % RATE_NS_PER_S;
	if (rl->tokens >= rl->burst)
		fill(rl);
}

bool rate_limit_take(struct rate_limit *rl, u64 bits, u64 now)
{
	if (!rl->rate)
		return true;
	refill(rl, now);
	if (rl->tokens < bits)
		return false;
	rl->tokens -= bits;
	return true;
}

u64 rate_limit_wait_ns(struct rate_limit *rl, u64 bits, u64 now)
{
	u64 need;

	if (!rl->rate)
		return 0;
	refill(rl, now);
	if (rl->tokens >= bits)
		return 0;
	if (rl->tokens >= RATE_WAIT_MAX_BITS)
		return 0;
	if (bits > rl->burst)
		bits = rl->burst;      /* never fits: say when the bucket is full */
	if (bits > RATE_WAIT_MAX_BITS)
		bits = RATE_WAIT_MAX_BITS;
	need = (bits - rl->tokens) * RATE_NS_PER_S - rl->rem;  /* < 2^24 * 2^30 */
	return (need + rl->rate - 1) / rl->rate;
}
