/*
 * The `regs` mode: every EL1/EL0 system register a guest can write keeps
 * its own value while other VMs run on the same CPU (issue 14). Meant for
 * two VMs named ...a and ...b on one CPU: each writes its own pattern (b's
 * is a's complement, so each bit differs) into every register of the table,
 * then watches them for a while, counting the times the CPU was taken away.
 *
 * Each register is first classed: a write that is UNDEFINED (trapped by
 * Bulkhead, or absent) holds nothing; otherwise what reads back right after
 * the write is what the register kept (0 for one that is RAZ/WI), and that
 * must still be there after every switch. The table is the list in
 * docs/security.md; a register that is there only with a feature probes as
 * UNDEFINED when the CPU lacks it.
 */
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"
#include "lib/string.h"

struct reg {
	const char *name;
	u64 (*rd)(void);
	void (*wr)(u64 v);
	u64 mask;  /* the bits the pattern may set: none that would upset this guest */
	u64 base;  /* set always, over what the register held (REG_KEEP: its own) */
};

#define REG_KEEP 1  /* flag in the table: the pattern goes over the current value */

#define RW(id, rdenc, wrenc)                                                            \
	static u64 rd_##id(void) { u64 v; asm volatile("mrs %0, " rdenc : "=r"(v)); return v; } \
	static void __attribute__((noinline)) wr_##id(u64 v)                            \
	{ asm volatile("msr " wrenc ", %0" : : "r"(v) : "memory"); }
#define R(id, enc) RW(id, enc, enc)

R(tpidr_el0, "s3_3_c13_c0_2") R(tpidrro_el0, "s3_3_c13_c0_3") R(tpidr_el1, "s3_0_c13_c0_4")
R(tpidr2_el0, "s3_3_c13_c0_5") R(contextidr, "s3_0_c13_c0_1") R(par, "s3_0_c7_c4_0")
R(afsr0, "s3_0_c5_c1_0") R(afsr1, "s3_0_c5_c1_1") R(esr, "s3_0_c5_c2_0") R(far, "s3_0_c6_c0_0")
R(elr, "s3_0_c4_c0_1") R(spsr, "s3_0_c4_c0_0") R(sp_el0, "s3_0_c4_c1_0")
R(ttbr1, "s3_0_c2_c0_1") R(ttbr0, "s3_0_c2_c0_0") R(tcr, "s3_0_c2_c0_2")
R(mair, "s3_0_c10_c2_0") R(amair, "s3_0_c10_c3_0") R(sctlr, "s3_0_c1_c0_0")
R(cpacr, "s3_0_c1_c0_2") R(csselr, "s3_2_c0_c0_0") R(cntkctl, "s3_0_c14_c1_0")
R(cntv_cval, "s3_3_c14_c3_2") R(cntv_ctl, "s3_3_c14_c3_1") R(cntp_cval, "s3_3_c14_c2_2")
R(cntp_ctl, "s3_3_c14_c2_1") R(cntfrq, "s3_3_c14_c0_0") R(fpcr, "s3_3_c4_c4_0")
R(fpsr, "s3_3_c4_c4_1") R(mdscr, "s2_0_c0_c2_2") R(mdccint, "s2_0_c0_c2_0")
R(dbgbvr0, "s2_0_c0_c0_4") R(dbgbcr0, "s2_0_c0_c0_5") R(dbgwvr0, "s2_0_c0_c0_6")
R(dbgwcr0, "s2_0_c0_c0_7") R(oseccr, "s2_0_c0_c6_2")
RW(dbgclaim, "s2_0_c7_c9_6", "s2_0_c7_c8_6")
R(pmselr, "s3_3_c9_c12_5") R(pmuserenr, "s3_3_c9_c14_0") R(pmccfiltr, "s3_3_c14_c15_7")
R(pmevtyper0, "s3_3_c14_c12_0") R(pmevcntr0, "s3_3_c14_c8_0")
R(icc_pmr, "s3_0_c4_c6_0") R(icc_bpr0, "s3_0_c12_c8_3") R(icc_bpr1, "s3_0_c12_c12_3")
R(icc_ctlr, "s3_0_c12_c12_4") R(icc_igrpen0, "s3_0_c12_c12_6")
R(icc_igrpen1, "s3_0_c12_c12_7") R(disr, "s3_0_c12_c1_1") R(errselr, "s3_0_c5_c3_1")
R(erxctlr, "s3_0_c5_c4_1") R(erxstatus, "s3_0_c5_c4_2") R(erxaddr, "s3_0_c5_c4_3")
R(erxmisc0, "s3_0_c5_c5_0") R(lorsa, "s3_0_c10_c4_0") R(lorea, "s3_0_c10_c4_1")
R(lorn, "s3_0_c10_c4_2") R(lorc, "s3_0_c10_c4_3") R(scxtnum0, "s3_3_c13_c0_7")
R(scxtnum1, "s3_0_c13_c0_7") R(gcr, "s3_0_c1_c0_6") R(rgsr, "s3_0_c1_c0_5")
R(tfsr, "s3_0_c5_c6_0") R(tfsre0, "s3_0_c5_c6_1") R(actlr, "s3_0_c1_c0_1")
R(apiakeylo, "s3_0_c2_c1_0") R(apgakeylo, "s3_0_c2_c3_0") R(zcr, "s3_0_c1_c2_0")
R(smpri, "s3_0_c1_c2_4") R(smcr, "s3_0_c1_c2_6") R(trfcr, "s3_0_c1_c2_1")
R(pmscr, "s3_0_c9_c9_0") R(mpam1, "s3_0_c10_c5_0") R(amcr, "s3_3_c13_c2_0")
R(accdata, "s3_0_c13_c0_5")

#define E(id, m, b) { #id, rd_##id, wr_##id, m, b }
#define ALL ~0ull

static const struct reg regs[] = {
	E(tpidr_el0, ALL, 0), E(tpidrro_el0, ALL, 0), E(tpidr_el1, ALL, 0), E(tpidr2_el0, ALL, 0),
	E(contextidr, 0xffffffff, 0), E(par, ALL, 0), E(afsr0, 0xffffffff, 0),
	E(afsr1, 0xffffffff, 0), E(esr, 0xffffffff, 0), E(far, ALL, 0), E(elr, ALL, 0),
	E(spsr, 0xf00003c0, 0), E(sp_el0, ALL, 0),
	/* TTBR1 walks are off (TCR.EPD1): only its ASID is used */
	E(ttbr1, 0x0000fffffffff000, 0), E(ttbr0, 0x00ff000000000000, REG_KEEP),
	E(tcr, 0x70000, REG_KEEP),  /* T1SZ 16-23: TTBR1 walks are off */
	E(mair, 0xffffffffffff0000, REG_KEEP),  /* attributes 2-7 are unused */
	E(amair, ALL, 0),
	/* EL0-only controls: nothing runs at EL0 here */
	E(sctlr, (1 << 14) | (1 << 15) | (1 << 16) | (1 << 18) | (1 << 26), REG_KEEP),
	E(cpacr, 1 << 28, REG_KEEP), E(csselr, 0xf, 0), E(cntkctl, 0x3ff, 0),
	E(cntv_cval, 0x0000ffffffffffff, 0), E(cntv_ctl, 2, 0),
	E(cntp_cval, 0x0000ffffffffffff, 0), E(cntp_ctl, 2, 0),
	E(fpcr, 0x07c00000, 0), E(fpsr, 0xf800009f, 0),
	E(mdscr, 1 << 12, 0), E(mdccint, 3 << 29, 0),
	E(dbgbvr0, 0x0000fffffffffffc, 0), E(dbgbcr0, 0x1e6, 0),
	E(dbgwvr0, 0x0000fffffffffff8, 0), E(dbgwcr0, 0x1ff6, 0), E(oseccr, 0xffffffff, 0),
	E(dbgclaim, 0xff, 0),
	E(pmselr, 0x1f, 0), E(pmuserenr, 0xf, 0), E(pmccfiltr, 0xf8000000, 0),
	E(pmevtyper0, 0x3ff, 0), E(pmevcntr0, 0xffffffff, 0),
	E(icc_pmr, 0xf8, 0), E(icc_bpr0, 0x3, 4), E(icc_bpr1, 0x3, 4), E(icc_ctlr, 3, 0),
	E(icc_igrpen0, 1, 0), E(icc_igrpen1, 1, 0),
	E(disr, ALL, 0), E(errselr, 0xffff, 0), E(erxctlr, ALL, 0), E(erxstatus, ALL, 0),
	E(erxaddr, ALL, 0), E(erxmisc0, ALL, 0),
	E(lorsa, 0x0000ffffffff0000, 0), E(lorea, 0x0000ffffffff0000, 0), E(lorn, 0xff, 0),
	E(lorc, 0x3c, 0),  /* descriptor number, never the enable */
	E(scxtnum0, ALL, 0), E(scxtnum1, ALL, 0), E(gcr, 0xffff, 0), E(rgsr, 0xffffff00, 0),
	E(tfsr, 3, 0), E(tfsre0, 3, 0), E(actlr, 0, REG_KEEP), E(apiakeylo, ALL, 0),
	E(apgakeylo, ALL, 0), E(zcr, 0, REG_KEEP), E(smpri, 0xf, 0), E(smcr, 0, REG_KEEP),
	E(trfcr, 0, REG_KEEP), E(pmscr, 0, REG_KEEP), E(mpam1, 0, REG_KEEP),
	E(amcr, 0, REG_KEEP), E(accdata, 0xffffffff, 0),
	/* CNTFRQ_EL0 last: only the highest EL should write it, and this
	 * guest's own delays read it */
	E(cntfrq, 0xf, REG_KEEP),
};

#define NREGS (sizeof(regs) / sizeof(regs[0]))
#define CPACR_FPEN (3ull << 20)

enum reg_class { REG_UNDEF, REG_HELD };

static enum reg_class class_of[NREGS];
static u64 kept[NREGS];

static u64 pattern(u32 i, bool second, u64 current)
{
	u64 p = (0xd15a5e5e5a5e15d1ull ^ (i * 0x9e3779b97f4a7c15ull)) & regs[i].mask;

	if (second)
		p = ~p & regs[i].mask;
	if (regs[i].base == REG_KEEP)
		return (current & ~regs[i].mask) | p;
	return regs[i].base | p;
}

/* Writes the pattern; UNDEFINED or not. Exceptions change ELR/SPSR/ESR/FAR
 * (and PAR is changed by nothing here): the registers are all written again
 * after every probe has run. */
static bool writable(u32 i, bool second)
{
	struct fault f;
	u64 cur;

	probe_begin();
	cur = regs[i].rd();
	regs[i].wr(pattern(i, second, cur));
	f = probe_end();
	if (f.taken && ESR_EC(f.esr) != EC_UNKNOWN)
		printk("NOTE regs: %s: ESR 0x%lx, taken as UNDEFINED\n", regs[i].name, f.esr);
	return !f.taken;
}

static void write_all(bool second)
{
	for (u32 i = 0; i < NREGS; i++) {
		if (class_of[i] == REG_HELD)
			regs[i].wr(pattern(i, second, regs[i].rd()));
	}
	isb();
	for (u32 i = 0; i < NREGS; i++) {
		if (class_of[i] == REG_HELD)
			kept[i] = regs[i].rd();
	}
}

void mode_regs(void)
{
	u64 freq = read_sysreg(cntfrq_el0);
	u64 span = freq / 1000 * (plat.ms ? plat.ms : 1000);
	size_t len = strlen(plat.name);
	bool second = len && plat.name[len - 1] == 'b';
	u64 start, last, now;
	u32 gaps = 0, held = 0;

	printk("regs test: %s, pattern %s\n", plat.name, second ? "b" : "a");
	write_sysreg(cpacr_el1, read_sysreg(cpacr_el1) | CPACR_FPEN);
	isb();
	for (u32 i = 0; i < NREGS; i++) {
		class_of[i] = writable(i, second) ? REG_HELD : REG_UNDEF;
		held += class_of[i] == REG_HELD;
	}
	write_all(second);
	for (u32 i = 0; i < NREGS; i++)
		printk("REG %s %s 0x%lx\n", regs[i].name,
		       class_of[i] == REG_HELD ? "kept" : "undefined",
		       class_of[i] == REG_HELD ? kept[i] : 0);
	start = last = read_sysreg(cntvct_el0);
	do {
		for (u32 i = 0; i < NREGS; i++) {
			u64 v;

			if (class_of[i] != REG_HELD || (v = regs[i].rd()) == kept[i])
				continue;
			check_fail("regs-private", "%s: wrote its pattern, kept 0x%lx, read 0x%lx "
				   "after %u switch(es)", regs[i].name, kept[i], v, gaps);
			finish();
		}
		isb();
		now = read_sysreg(cntvct_el0);
		gaps += now - last > freq / 500;  /* 2 ms without running */
		last = now;
	} while (now - start < span);
	printk("NOTE regs: %u of %u registers hold a value; the CPU was taken away %u time(s)\n",
	       held, (u32)NREGS, gaps);
	if (!gaps)
		check_fail("regs-private", "never lost the CPU: nothing else ran to test against");
	else
		check_pass("regs-private");
	finish();
}
