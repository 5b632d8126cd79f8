/* Generic-timer arithmetic shared by the benchmarks and the hello mode. */
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"

/* Split so that no product overflows: r < freq < 2^32, so r * 1e9 < 2^62. */
u64 ticks_to_ns(u64 ticks)
{
	u64 freq = read_sysreg(cntfrq_el0);

	if (!freq)
		return 0;
	return ticks / freq * 1000000000ull + ticks % freq * 1000000000ull / freq;
}

void delay_ms(u64 ms)
{
	u64 freq = read_sysreg(cntfrq_el0);
	u64 start = read_sysreg(cntvct_el0);

	isb();
	while (read_sysreg(cntvct_el0) - start < freq / 1000 * ms)
		;
}
