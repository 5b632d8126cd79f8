/*
 * What the guest sees of the CPU: ID registers with the features Bulkhead
 * does not virtualize taken out, working self-hosted debug (checks_debug.c),
 * set/way cache maintenance that works, and UNDEFINED (never a
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
	u64 zfr0 = read_sysreg(s3_0_c0_c4_4);   /* ID_AA64ZFR0_EL1 */
	u64 smfr0 = read_sysreg(s3_0_c0_c4_5);  /* ID_AA64SMFR0_EL1 */

	/* SVE may be shown (the VM's `sve`): its features never without it */
	if (!field(pfr0, 32) && zfr0)
		check_fail("id-sanitized", "SVE features without SVE: ID_AA64PFR0_EL1=0x%lx "
			   "ID_AA64ZFR0_EL1=0x%lx", pfr0, zfr0);
	else if (field(pfr1, 8) || field(pfr1, 24) || smfr0)
		check_fail("id-sanitized", "MTE or SME shown: ID_AA64PFR1_EL1=0x%lx "
			   "ID_AA64SMFR0_EL1=0x%lx", pfr1, smfr0);
	else if (field(dfr0, 32))
		check_fail("id-sanitized", "SPE shown: ID_AA64DFR0_EL1=0x%lx", dfr0);
	else if (field(pfr0, 44) || field(pfr0, 40))
		check_fail("id-sanitized", "AMU or MPAM shown: ID_AA64PFR0_EL1=0x%lx", pfr0);
	else if (field(isar1, 4) || field(isar1, 8) || field(isar1, 24) || field(isar1, 28))
		check_fail("id-sanitized", "pointer authentication shown: ID_AA64ISAR1_EL1=0x%lx",
			   isar1);
	else if (field(pfr0, 8))
		check_fail("id-sanitized", "EL2 shown: ID_AA64PFR0_EL1=0x%lx", pfr0);
	else
		check_pass("id-sanitized");
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

static void imp_def_read(void)
{
	u64 v;

	asm volatile("mrs %0, s3_0_c15_c0_0" : "=r"(v));
	(void)v;
}

static void imp_def_write(void)
{
	asm volatile("msr s3_0_c15_c0_0, %0" : : "r"(0ull) : "memory");
}

/* An IMPLEMENTATION DEFINED register traps, reads and writes, and nobody
 * handles it. (The EL1 physical timer, once here, is the guest's own now:
 * checks_timers.c.) */
static void check_undefined_sysregs(void)
{
	static const struct {
		const char *what;
		void (*run)(void);
	} ops[] = {
		{ "IMP DEF register read", imp_def_read },
		{ "IMP DEF register write", imp_def_write },
	};

	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct fault f;

		probe_begin();
		ops[i].run();
		f = probe_end();
		if (!f.taken || ESR_EC(f.esr) != EC_UNKNOWN) {
			check_fail("sysreg-undef", "%s: %s ESR=0x%lx", ops[i].what,
				   f.taken ? "wrong exception" : "no exception", f.esr);
			return;
		}
	}
	check_pass("sysreg-undef");
}

#define SCTLR_ENIA (1ull << 31)

static void pacia_enabled(void)
{
	u64 sctlr;

	asm volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
	asm volatile("msr sctlr_el1, %0\n\tisb" : : "r"(sctlr | SCTLR_ENIA) : "memory");
	asm volatile("mov x0, #0x1000\n\tmov x1, #7\n\t"
		     ".inst 0xdac10020"  /* PACIA x0, x1 */
		     : : : "x0", "x1", "memory");
	asm volatile("msr sctlr_el1, %0\n\tisb" : : "r"(sctlr) : "memory");
}

static void pacga(void)
{
	asm volatile("mov x1, #0x1000\n\tmov x2, #7\n\t"
		     ".inst 0x9ac23020"  /* PACGA x0, x1, x2 */
		     : : : "x0", "x1", "x2", "memory");
}

/* The pointer-authentication keys in the CPU are Bulkhead's own (it signs
 * its return addresses with them): PAuth is hidden, and a PAC instruction
 * a guest enables anyway is UNDEFINED, so no guest can sign or check a
 * pointer with the hypervisor's key. (Natively UNDEFINED without PAuth.) */
static void check_pac_undefined(void)
{
	static const struct {
		const char *what;
		void (*run)(void);
	} ops[] = {
		{ "PACIA with SCTLR_EL1.EnIA set", pacia_enabled },
		{ "PACGA", pacga },
	};

	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct fault f;
		u64 sctlr;

		probe_begin();
		ops[i].run();
		f = probe_end();
		/* a fault inside pacia_enabled skipped the restore */
		asm volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
		asm volatile("msr sctlr_el1, %0\n\tisb" : : "r"(sctlr & ~SCTLR_ENIA) : "memory");
		if (!f.taken || ESR_EC(f.esr) != EC_UNKNOWN) {
			check_fail("pac-undef", "%s: %s ESR=0x%lx", ops[i].what,
				   f.taken ? "wrong exception" : "no exception", f.esr);
			return;
		}
	}
	check_pass("pac-undef");
}

#define SETWAY_OPS 2000

/*
 * The `setway` mode: set/way maintenance that Bulkhead must trap
 * (HCR_EL2.TSW; natively it would not be seen), then sleep so the host can
 * read the trap count with the shell's `stats`. Set 1 and up: Bulkhead
 * flushes the VM's memory only on set 0, way 0, which would be slow here.
 */
void mode_setway(void)
{
	for (u64 i = 1; i <= SETWAY_OPS; i++)
		asm volatile("dc csw, %0" : : "r"(i << 6) : "memory");
	printk("setway test: %u operations done\n", SETWAY_OPS);
	asm volatile("msr daifset, #2" : : : "memory");
	for (;;)
		wfi();
}

void run_sysreg_checks(void)
{
	check_id_sanitized();
	run_debug_checks();
	check_set_way();
	check_undefined_sysregs();
	check_pac_undefined();
	check_sme_undef();
}
