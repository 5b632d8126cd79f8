/* splitmix64: a seed's whole run is reproducible from the seed alone. */
#include "guests/fuzz/fuzz.h"

u64 rng_next(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

u64 rng_below(u64 *s, u64 n)
{
	return n ? rng_next(s) % n : 0;
}

/* Handlers get bounds wrong at the edges more than in the middle. */
u64 rng_value(u64 *s)
{
	static const u64 edges[] = {
		0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
		0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~1ull,
	};

	switch (rng_below(s, 4)) {
	case 0:
		return edges[rng_below(s, sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return rng_next(s) & 0xff;
	default:
		return rng_next(s);
	}
}
