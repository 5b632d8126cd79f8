/*
 * The `timerstall` mode: timer compare values a hostile guest may write, which
 * must cost nobody else anything: CNTV_CTL = 3 (enabled, masked) with
 * CNTV_CVAL = 2^64 - 1, a legal negative TVAL computed from CNTPCT - CNTVCT,
 * and the same on the physical timer. The VM then keeps printing, as must a
 * VM on the other CPU.
 */
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"

#define CTL_ENABLE_MASKED 3

void mode_timerstall(void)
{
	s64 skew = (s64)(read_sysreg(cntpct_el0) - read_sysreg(cntvct_el0));

	printk("timer stall: CNTV_CVAL = ~0, then TVAL %ld\n", -skew - 1000);
	write_sysreg(cntv_ctl_el0, CTL_ENABLE_MASKED);
	write_sysreg(cntv_cval_el0, ~0ull);
	isb();
	delay_ms(5);
	write_sysreg(cntv_tval_el0, (u64)(s64)(-skew - 1000));
	isb();
	write_sysreg(cntp_ctl_el0, CTL_ENABLE_MASKED);
	write_sysreg(cntp_cval_el0, ~0ull);
	isb();
	delay_ms(5);
	write_sysreg(cntp_tval_el0, (u64)(s64)-1000);
	isb();
	write_sysreg(cntv_cval_el0, ~0ull);
	write_sysreg(cntp_cval_el0, ~0ull);
	isb();
	for (int i = 0; i < 5; i++) {
		delay_ms(20);
		printk("stall tick %d\n", i);
	}
	power_off();
}
