/*
 * The `chaos` mode, for `make soak`: the guest lives a random while (up to
 * ms= milliseconds, 3000 by default), saying `chaos: alive N` every 100 ms,
 * then ends itself in a random way: a crash the hypervisor must detect (an
 * abort with no vector table, or the same abort retried for ever), a panic
 * notification, a reset (whose next boot checks that its RAM was
 * scrubbed), or a power-off. Its config's on_* actions decide what follows.
 * The random numbers come from the counter at boot, which differs on every
 * boot: the soak's own seed fixes the commands, not these.
 */
#include "guests/test/gic.h"
#include "guests/test/guest.h"

#define CHAOS_DEFAULT_MS 3000
#define CHAOS_TICK_MS 100

static u64 chaos_rng;

static u64 chaos_next(void)
{
	/* xorshift64: enough to pick an ending */
	chaos_rng ^= chaos_rng << 13;
	chaos_rng ^= chaos_rng >> 7;
	chaos_rng ^= chaos_rng << 17;
	return chaos_rng;
}

void mode_chaos(void)
{
	u64 span = plat.ms ? plat.ms : CHAOS_DEFAULT_MS;
	u64 life, ending;

	chaos_rng = now_ticks() * 0x9e3779b97f4a7c15ull | 1;
	life = chaos_next() % span;
	ending = chaos_next() % 5;
	printk("chaos: living %lu ms, then ending %lu\n", life, ending);
	for (u64 t = 0; t < life / CHAOS_TICK_MS; t++) {
		delay_ms(CHAOS_TICK_MS);
		printk("chaos: alive %lu\n", t);
	}
	switch (ending) {
	case 0: mode_crash(); break;
	case 1: mode_faultloop(); break;
	case 2: mode_panic(); break;
	case 3: mode_reset(); break;
	default: break;
	}
	power_off();
}
