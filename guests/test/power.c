/*
 * PSCI through the conduit the device tree names, and powering off. A guest
 * that cannot power off must not spin at full speed, so the last resort is
 * a WFI loop.
 */
#include "guests/test/guest.h"
#include "guests/test/smccc.h"
#include "guests/test/sysreg.h"
#include "hypercall.h"

u64 psci_call(u32 fid, u64 a1, u64 a2, u64 a3)
{
	if (plat.psci_smc)
		return smccc_smc(fid, a1, a2, a3);
	return smccc_hvc(fid, a1, a2, a3);
}

void halt(void)
{
	for (;;)
		wfi();
}

void power_off(void)
{
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	printk("FAIL system-off returned\n");
	halt();
}
