/*
 * SME, which Bulkhead hides from guests: its instructions and registers must
 * be UNDEFINED as on a CPU without SME, and TPIDR2_EL0 (which EL1 can reach
 * on a CPU with SME whatever the hypervisor traps) must not carry a value
 * from one VM to another. The `tpidr2` mode is meant for two VMs sharing one
 * physical CPU.
 */
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"

/* CPACR_EL1.SMEN and FPEN = 0b11: without them the guest's own EL1 traps
 * would claim the accesses before the hypervisor sees them. */
#define CPACR_SMEN (3ull << 24)
#define CPACR_FPEN (3ull << 20)

#define TPIDR2_EL0 "s3_3_c13_c0_5"

static void smcr_read(void)
{
	u64 v;

	asm volatile("mrs %0, s3_0_c1_c2_6" : "=r"(v));
	(void)v;
}

static void smcr_write(void)
{
	asm volatile("msr s3_0_c1_c2_6, %0" : : "r"(0xfull) : "memory");
}

static void svcr_read(void)
{
	u64 v;

	asm volatile("mrs %0, s3_3_c4_c2_2" : "=r"(v));
	(void)v;
}

static void smstart(void)
{
	asm volatile(".inst 0xd503477f" : : : "memory");  /* SMSTART */
}

static void smstop(void)
{
	asm volatile(".inst 0xd503467f" : : : "memory");  /* SMSTOP */
}

static void zero_za(void)
{
	asm volatile(".inst 0xc00800ff" : : : "memory");  /* ZERO { ZA } */
}

static const struct {
	const char *what;
	void (*run)(void);
} sme_ops[] = {
	{ "MRS SMCR_EL1", smcr_read },
	{ "MSR SMCR_EL1", smcr_write },
	{ "MRS SVCR", svcr_read },
	{ "SMSTART", smstart },
	{ "SMSTOP", smstop },
	{ "ZERO { ZA }", zero_za },
};

void check_sme_undef(void)
{
	u64 cpacr = read_sysreg(cpacr_el1);

	write_sysreg(cpacr_el1, cpacr | CPACR_SMEN | CPACR_FPEN);
	isb();
	for (unsigned i = 0; i < sizeof(sme_ops) / sizeof(sme_ops[0]); i++) {
		struct fault f;

		probe_begin();
		sme_ops[i].run();
		f = probe_end();
		if (!f.taken || ESR_EC(f.esr) != EC_UNKNOWN) {
			write_sysreg(cpacr_el1, cpacr);
			isb();
			check_fail("sme-undef", "%s: %s (ESR 0x%lx), expected UNDEFINED",
				   sme_ops[i].what, f.taken ? "wrong exception" : "executed", f.esr);
			return;
		}
	}
	write_sysreg(cpacr_el1, cpacr);
	isb();
	check_pass("sme-undef");
}

/* Different for each VM name, never zero (the reset value). */
static u64 name_tag(const char *name)
{
	u64 h = 0xcbf29ce484222325ull;

	while (*name)
		h = (h ^ (u8)*name++) * 0x100000001b3ull;
	return h | 1;
}

static u64 read_tpidr2(void)
{
	u64 v;

	asm volatile("mrs %0, " TPIDR2_EL0 : "=r"(v));
	return v;
}

/*
 * Holds a value in TPIDR2_EL0 for a while (bootargs ms=N, 1 s by default),
 * counting the times the CPU was taken away (a jump of the counter between
 * two reads): the other VM writes its own value in between, and without
 * switching it would show up here.
 */
static void check_tpidr2_private(void)
{
	u64 freq = read_sysreg(cntfrq_el0);
	u64 span = freq / 1000 * (plat.ms ? plat.ms : 1000);
	u64 mine = name_tag(plat.name);
	u64 start = read_sysreg(cntvct_el0), last = start, now, v;
	u32 gaps = 0;
	struct fault f;

	probe_begin();
	asm volatile("msr " TPIDR2_EL0 ", %0" : : "r"(mine) : "memory");
	f = probe_end();
	if (f.taken) {
		if (ESR_EC(f.esr) == EC_UNKNOWN)
			check_pass("tpidr2-private");  /* no such register: nothing to leak */
		else
			check_fail("tpidr2-private", "write: ESR 0x%lx, expected UNDEFINED", f.esr);
		return;
	}
	do {
		v = read_tpidr2();
		if (v != mine) {
			check_fail("tpidr2-private", "wrote 0x%lx, read 0x%lx after %u switch(es)",
				   mine, v, gaps);
			return;
		}
		isb();
		now = read_sysreg(cntvct_el0);
		gaps += now - last > freq / 500;  /* 2 ms without running */
		last = now;
	} while (now - start < span);
	printk("NOTE: tpidr2: the CPU was taken away %u time(s)\n", gaps);
	if (!gaps)
		check_fail("tpidr2-private", "never lost the CPU: nothing else ran to test against");
	else
		check_pass("tpidr2-private");
}

void mode_tpidr2(void)
{
	printk("tpidr2 test: %s\n", plat.name);
	check_tpidr2_private();
	finish();
}
