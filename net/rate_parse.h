/*
 * xl's vif `rate=` value: RATE/TIME[@INTERVAL], such as "10Mb/s",
 * "1MB/s@20ms". RATE is a whole number with an optional K, M or G (powers of
 * 1000, as network rates are) and b (bits) or B (bytes); TIME is s, ms or us;
 * INTERVAL, how often xl's credit is replenished, is a whole number of
 * microseconds or one with s, ms or us, 50 ms when not given. Here the
 * interval sets the token bucket's burst (net/rate_limit.h).
 */
#ifndef BULKHEAD_NET_RATE_PARSE_H
#define BULKHEAD_NET_RATE_PARSE_H

#include "types.h"

struct rate_spec {
	u64 bps;               /* bits per second, 1..RATE_MAX_BPS */
	u32 interval_us;       /* 1..RATE_INTERVAL_MAX_US */
};

/* 0, or -1 with `why` saying what is wrong in words (it reads after
 * "rate=VALUE: "). */
int rate_parse(const char *s, struct rate_spec *out, const char **why);

#endif
