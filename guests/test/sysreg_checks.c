/*
 * What the guest sees of the CPU: ID registers with the features Bulkhead
 * does not virtualize taken out, debug registers that read as zero and ignore
 * writes, set/way cache maintenance that works, and UNDEFINED (never a
 * hypervisor crash) for system registers nobody handles.
 */
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"

static u64 field(u64 v, u32 shift)
{
	return (v >> shift) & 0xf;
}

static void check_id_sanitized(void)
{
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1);
	u64 pfr1 = read_sysreg(id_aa64pfr1_el1);
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
	u64 isar1 = read_sysreg(id_aa64isar1_el1);

	if (field(pfr0, 32))
		check_fail("id-sanitized", "SVE shown: ID_AA64PFR0_EL1=0x%lx", pfr0);
	else if (field(pfr1, 8) || field(pfr1, 24))
		check_fail("id-sanitized", "MTE or SME shown: ID_AA64PFR1_EL1=0x%lx", pfr1);
	else if (field(dfr0, 8) || field(dfr0, 32))
		check_fail("id-sanitized", "PMU or SPE shown: ID_AA64DFR0_EL1=0x%lx", dfr0);
	else if (field(isar1, 4) || field(isar1, 8) || field(isar1, 24) || field(isar1, 28))
		check_fail("id-sanitized", "pointer authentication shown: ID_AA64ISAR1_EL1=0x%lx",
			   isar1);
	else if (field(pfr0, 8))
		check_fail("id-sanitized", "EL2 shown: ID_AA64PFR0_EL1=0x%lx", pfr0);
	else
		check_pass("id-sanitized");
}

static void check_debug_raz(void)
{
	u64 before, after;

	before = read_sysreg(mdscr_el1);
	write_sysreg(mdscr_el1, 1ull << 15);  /* MDE: ignored */
	isb();
	after = read_sysreg(mdscr_el1);
	if (before || after)
		check_fail("debug-raz", "MDSCR_EL1 read 0x%lx, then 0x%lx after a write", before,
			   after);
	else
		check_pass("debug-raz");
}

static void check_set_way(void)
{
	struct fault f;

	probe_begin();
	asm volatile("dc cisw, %0" : : "r"(0ull) : "memory");
	asm volatile("dc csw, %0" : : "r"(2ull) : "memory");
	f = probe_end();
	if (f.taken)
		check_fail("set-way", "DC CISW/CSW faulted: ESR=0x%lx", f.esr);
	else
		check_pass("set-way");
}

/* An IMPLEMENTATION DEFINED register and the EL1 physical timer both trap. */
static void check_undefined_sysregs(void)
{
	struct fault f1, f2;
	u64 v;

	probe_begin();
	asm volatile("mrs %0, s3_0_c15_c0_0" : "=r"(v));
	f1 = probe_end();
	probe_begin();
	asm volatile("mrs %0, cntp_ctl_el0" : "=r"(v));
	f2 = probe_end();
	(void)v;
	if (!f1.taken || ESR_EC(f1.esr) != EC_UNKNOWN)
		check_fail("sysreg-undef", "IMP DEF register: %s ESR=0x%lx",
			   f1.taken ? "wrong exception" : "no exception", f1.esr);
	else if (!f2.taken || ESR_EC(f2.esr) != EC_UNKNOWN)
		check_fail("sysreg-undef", "CNTP_CTL_EL0: %s ESR=0x%lx",
			   f2.taken ? "wrong exception" : "no exception", f2.esr);
	else
		check_pass("sysreg-undef");
}

void run_sysreg_checks(void)
{
	check_id_sanitized();
	check_debug_raz();
	check_set_way();
	check_undefined_sysregs();
	check_sme_undef();
}
