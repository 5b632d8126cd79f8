/* Calls to the platform's PSCI firmware (QEMU implements it itself). */
#include "core/platform.h"
#include "hypercall.h"
#include "percpu.h"

static u64 psci_fw_call(u64 fid, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 __asm__("x0") = fid;
	register u64 x1 __asm__("x1") = a1;
	register u64 x2 __asm__("x2") = a2;
	register u64 x3 __asm__("x3") = a3;

	if (platform.arch.psci == PSCI_CONDUIT_SMC)
		__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	else if (platform.arch.psci == PSCI_CONDUIT_HVC)
		__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	else
		return (u64)(s64)PSCI_NOT_SUPPORTED;
	return x0;
}

int psci_fw_cpu_on(u64 mpidr, u64 entry, u64 context)
{
	return (int)(s64)psci_fw_call(PSCI_CPU_ON_64, mpidr, entry, context);
}

void psci_fw_system_off(void)
{
	psci_fw_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}

u32 psci_fw_version(void)
{
	return (u32)psci_fw_call(PSCI_VERSION, 0, 0, 0);
}
