/*
 * Checks of how calls into the hypervisor are answered: Bulkhead's own
 * hypercalls, PSCI (by HVC and by a trapped SMC), and SMCCC calls nobody
 * implements (by both too).
 */
#include "guests/test/guest.h"
#include "guests/test/smccc.h"
#include "hypercall.h"

#define SMCCC_RET_NOT_SUPPORTED ((u64)(s64)SMCCC_NOT_SUPPORTED)
#define UNKNOWN_BH_CALL 0xC6001234u
#define UNKNOWN_SIP_CALL 0x82000000u

/* Calls that the hypervisor should handle; if one traps to us instead
 * (HVC undefined, SMC undefined), it is recorded rather than fatal. */
static u64 guarded_call(u32 fid, bool smc, struct fault *f)
{
	u64 ret;

	probe_begin();
	ret = smc ? smccc_smc(fid, 0, 0, 0) : smccc_hvc(fid, 0, 0, 0);
	*f = probe_end();
	return ret;
}

static bool call_expect(const char *name, u32 fid, bool smc, u64 want)
{
	struct fault f;
	u64 ret = guarded_call(fid, smc, &f);

	if (f.taken) {
		check_fail(name, "%s 0x%x trapped to the guest: ESR=0x%lx", smc ? "SMC" : "HVC",
			   fid, f.esr);
		return false;
	}
	if (ret != want) {
		check_fail(name, "%s 0x%x returned 0x%lx, expected 0x%lx", smc ? "SMC" : "HVC",
			   fid, ret, want);
		return false;
	}
	return true;
}

static bool check_hvc_nop(void)
{
	if (!call_expect("hvc-nop", BH_HC_NOP, false, 0))
		return false;
	check_pass("hvc-nop");
	return true;
}

static void check_hvc_version(void)
{
	if (call_expect("hvc-version", BH_HC_VERSION, false,
			((u64)BH_ABI_MAJOR << 16) | BH_ABI_MINOR))
		check_pass("hvc-version");
}

static void check_psci_version(void)
{
	struct fault f;
	u32 v = (u32)guarded_call(PSCI_VERSION, plat.psci_smc, &f);

	if (f.taken) {
		check_fail("psci-version", "PSCI_VERSION trapped to the guest: ESR=0x%lx", f.esr);
		return;
	}
	printk("NOTE: PSCI version %u.%u (0x%x)\n", v >> 16, v & 0xffff, v);
	if ((s32)v < 2)
		check_fail("psci-version", "0x%x is below 0.2", v);
	else
		check_pass("psci-version");
}

/* The same calls through HVC and through a trapped SMC get the same answers. */
static void check_psci_smc(void)
{
	static const struct {
		const char *what;
		u32 fid;
		u64 a1;
		s64 want;   /* INT64_MIN: whatever HVC answered, if supported */
	} calls[] = {
		{ "PSCI_VERSION", PSCI_VERSION, 0, INT64_MIN },
		{ "SMCCC_VERSION", SMCCC_VERSION, 0, INT64_MIN },
		{ "AFFINITY_INFO(MPIDR 0)", PSCI_AFFINITY_INFO_64, 0, 0 },
		{ "AFFINITY_INFO(MPIDR 1)", PSCI_AFFINITY_INFO_64, 1, PSCI_INVALID_PARAMETERS },
	};
	struct fault f;

	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		s64 by_hvc = (s64)smccc_hvc(calls[i].fid, calls[i].a1, 0, 0), by_smc;

		probe_begin();
		by_smc = (s64)smccc_smc(calls[i].fid, calls[i].a1, 0, 0);
		f = probe_end();
		if (f.taken) {
			check_fail("psci-smc", "%s by SMC trapped to the guest: ESR=0x%lx",
				   calls[i].what, f.esr);
			return;
		}
		if (by_smc != by_hvc || (calls[i].want == INT64_MIN ? by_hvc == SMCCC_NOT_SUPPORTED
								    : by_hvc != calls[i].want)) {
			check_fail("psci-smc", "%s: HVC 0x%lx, SMC 0x%lx", calls[i].what,
				   (u64)by_hvc, (u64)by_smc);
			return;
		}
	}
	check_pass("psci-smc");
}

static void check_unknown_hvc(void)
{
	if (call_expect("unknown-hvc", UNKNOWN_BH_CALL, false, SMCCC_RET_NOT_SUPPORTED) &&
	    call_expect("unknown-hvc", UNKNOWN_SIP_CALL, false, SMCCC_RET_NOT_SUPPORTED))
		check_pass("unknown-hvc");
}

static void check_unknown_smc(void)
{
	bool resumed_after = false;
	struct fault f;
	u64 ret;

	probe_begin();
	ret = smccc_smc_checked(UNKNOWN_SIP_CALL, &resumed_after);
	f = probe_end();
	if (f.taken)
		check_fail("unknown-smc", "SMC trapped to the guest: ESR=0x%lx", f.esr);
	else if (!resumed_after)
		check_fail("unknown-smc", "execution did not resume right after the SMC");
	else if (ret != SMCCC_RET_NOT_SUPPORTED)
		check_fail("unknown-smc", "returned 0x%lx, expected 0x%lx", ret,
			   SMCCC_RET_NOT_SUPPORTED);
	else
		check_pass("unknown-smc");
}

/* Returns whether the null hypercall works, i.e. whether to benchmark it. */
bool run_call_checks(void)
{
	bool hvc_works = false;

	if (plat.no_hv) {
		check_skip("hvc-nop", "no hypervisor");
		check_skip("hvc-version", "no hypervisor");
	} else {
		hvc_works = check_hvc_nop();
		check_hvc_version();
	}
	if (plat.no_hv && !plat.psci_smc)
		check_skip("psci-version", "no hypervisor and PSCI is via HVC");
	else
		check_psci_version();
	if (plat.no_hv) {
		check_skip("psci-smc", "no hypervisor");
		check_skip("unknown-hvc", "no hypervisor");
	} else {
		check_psci_smc();
		check_unknown_hvc();
	}
	check_unknown_smc();
	return hvc_works;
}
