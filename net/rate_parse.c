/*
 * The parser of xl's `rate=` values (rate_parse.h). Pure: no state, no
 * allocation, every number checked for overflow before it is used.
 */
#include "net/rate_parse.h"
#include "net/rate_limit.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* A whole number below 2^40; advances *s past it. */
static bool number(const char **s, u64 *out)
{
	u64 v = 0;

	if (!is_digit(**s))
		return false;
	for (; is_digit(**s); (*s)++) {
		v = v * 10 + (u64)(**s - '0');
		if (v >= (1ull << 40))
			return false;
	}
	*out = v;
	return true;
}

/* "s", "ms" or "us" as a count of microseconds; advances *s past it. */
static bool time_unit(const char **s, u64 *us)
{
	const char *p = *s;

	if (p[0] == 's') {
		*us = 1000000;
		*s = p + 1;
	} else if ((p[0] == 'm' || p[0] == 'u') && p[1] == 's') {
		*us = p[0] == 'm' ? 1000 : 1;
		*s = p + 2;
	} else {
		return false;
	}
	return true;
}

static bool size_unit(const char **s, u64 *bits)
{
	u64 mult = 1;

	switch (**s) {
	case 'K': case 'k': mult = 1000; (*s)++; break;
	case 'M': mult = 1000000; (*s)++; break;
	case 'G': mult = 1000000000; (*s)++; break;
	default: break;
	}
	if (**s == 'b')
		*bits = mult;
	else if (**s == 'B')
		*bits = mult * 8;
	else
		return false;
	(*s)++;
	return true;
}

static int parse_interval(const char *p, u32 *interval_us, const char **why)
{
	u64 n, unit = 1;

	if (!number(&p, &n)) {
		*why = "the interval after '@' must be a whole number";
		return -1;
	}
	if (*p && !time_unit(&p, &unit)) {
		*why = "the interval's unit must be s, ms or us";
		return -1;
	}
	if (*p) {
		*why = "unexpected text after the interval";
		return -1;
	}
	if (n == 0 || n > RATE_INTERVAL_MAX_US / unit) {
		*why = "the interval must be between 1us and 1s";
		return -1;
	}
	*interval_us = (u32)(n * unit);
	return 0;
}

int rate_parse(const char *s, struct rate_spec *out, const char **why)
{
	const char *p = s;
	u64 n, bits_per_unit, per_us;

	if (!number(&p, &n)) {
		*why = "expected a whole number first, as in 10Mb/s";
		return -1;
	}
	if (!size_unit(&p, &bits_per_unit)) {
		*why = "the unit must be b or B, optionally after K, M or G (as in 10Mb/s)";
		return -1;
	}
	if (*p++ != '/' || !time_unit(&p, &per_us)) {
		*why = "expected /s, /ms or /us after the amount";
		return -1;
	}
	if (n == 0) {
		*why = "the rate must be above 0";
		return -1;
	}
	/* bits per second = n * bits_per_unit * (1e6 / per_us), checked step by step */
	if (n > RATE_MAX_BPS / bits_per_unit || n * bits_per_unit > RATE_MAX_BPS / (1000000 / per_us)) {
		*why = "the rate is above the 1099511627776 bits per second the switch takes";
		return -1;
	}
	out->bps = n * bits_per_unit * (1000000 / per_us);
	out->interval_us = RATE_INTERVAL_DEFAULT_US;
	if (*p == '@')
		return parse_interval(p + 1, &out->interval_us, why);
	if (*p) {
		*why = "unexpected text after the rate (only @INTERVAL may follow)";
		return -1;
	}
	return 0;
}
