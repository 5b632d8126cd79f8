/*
 * The vCPU's PMUv3, as the `pmu` and `pmuleak` modes see it. Run under
 * QEMU's -icount, where INST_RETIRED counts (QEMU offers it only there) and
 * a cycle is a nanosecond of virtual time, one per instruction.
 *
 * `pmu`: the PMU is shown (PMUVer, PMCR_EL0.N, an arm,armv8-pmuv3 node with
 * PPI 23), its registers read back, the cycle counter runs, INST_RETIRED
 * counts a known loop exactly and nothing the hypervisor runs for the guest
 * (hypercalls in a loop: EL2 is not counted), and an overflow raises PPI 23
 * through the vGIC (pending in GICR_ISPENDR0 while disabled, gone once
 * PMOVSCLR clears it; taken once when enabled).
 * `pmuleak`: two VMs on one CPU each count a long loop while the other runs
 * its own: neither count includes the other's instructions or cycles.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"
#include "hypercall.h"

#define INTID_PMU 23
#define PMCR_E (1ull << 0)
#define PMCR_P (1ull << 1)
#define PMCR_C (1ull << 2)
#define CCNT   (1ull << 31)
#define EV_INST_RETIRED 0x08
#define EV_CPU_CYCLES   0x11
#define TYPER_NSH (1ull << 27)
#define GICR_ISPENDR0 0x0200

static volatile u64 ovs_at_irq;

static u32 counters(void)
{
	return (read_sysreg(pmcr_el0) >> 11) & 0x1f;
}

static void on_pmu(u32 cpu, u32 intid)
{
	ovs_at_irq = read_sysreg(pmovsset_el0);
	write_sysreg(pmovsclr_el0, ovs_at_irq);
	isb();
}

/* 2 * n instructions, all at EL1. */
static void spin(u64 n)
{
	asm volatile("1: subs %0, %0, #1\n\tb.ne 1b" : "+r"(n) : : "cc");
}

/* n null hypercalls: 4 EL1 instructions each, and the hypervisor's work. */
static void hypercalls(u64 n)
{
	register u64 x0 asm("x0");
	register u64 x19 asm("x19") = n;

	asm volatile("1: movz x0, %[hi], lsl #16\n\tmovk x0, %[lo]\n\thvc #0\n\t"
		     "subs x19, x19, #1\n\tb.ne 1b"
		     : "=&r"(x0), "+r"(x19)
		     : [hi] "i"(BH_HC_NOP >> 16), [lo] "i"(BH_HC_NOP & 0xffff)
		     : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
		       "x13", "x14", "x15", "x16", "x17", "cc", "memory");
}

static void check_shown(void)
{
	struct why w = { 0 };
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1), ver = (dfr0 >> 8) & 0xf;
	int n = plat.fdt_ok ? fdt_find_compatible(&plat.fdt, -1, "arm,armv8-pmuv3") : -1;
	const void *data;
	u32 len;

	if (ver == 0 || ver == 0xf)
		why_add(&w, "ID_AA64DFR0_EL1.PMUVer is %lu", ver);
	if (!counters())
		why_add(&w, "PMCR_EL0.N is 0");
	if (n < 0 || !fdt_get_prop(&plat.fdt, n, "interrupts", &data, &len) || len != 12 ||
	    fdt_read_cells(data, 1) != 1 || fdt_read_cells((const u8 *)data + 4, 1) != INTID_PMU - 16)
		why_add(&w, "no arm,armv8-pmuv3 node with interrupts <1 7 4>");
	printk("NOTE: PMUVer %lu, %u counters, PMCEID0 0x%lx\n", ver, counters(),
	       read_sysreg(pmceid0_el0));
	report("pmu-shown", &w);
}

static void check_regs(void)
{
	struct why w = { 0 };
	u64 n = counters(), v;
	struct fault f;

	write_sysreg(pmcr_el0, 0);
	write_sysreg(pmselr_el0, 0);
	write_sysreg(pmevtyper0_el0, 0xf8000000ull | EV_CPU_CYCLES | TYPER_NSH);
	isb();
	v = read_sysreg(pmevtyper0_el0);
	if (v != (0xf0000000ull | EV_CPU_CYCLES))
		why_add(&w, "PMEVTYPER0 reads 0x%lx (NSH: no EL2 to count in)", v);
	if (read_sysreg(pmxevtyper_el0) != v)
		why_add(&w, "PMXEVTYPER with PMSELR 0 reads 0x%lx", read_sysreg(pmxevtyper_el0));
	write_sysreg(pmevcntr0_el0, 0x12345678);
	isb();
	if (read_sysreg(pmevcntr0_el0) != 0x12345678 || read_sysreg(pmxevcntr_el0) != 0x12345678)
		why_add(&w, "PMEVCNTR0 reads 0x%lx", read_sysreg(pmevcntr0_el0));
	write_sysreg(pmcntenset_el0, CCNT | 1);
	write_sysreg(pmcntenclr_el0, 1);
	write_sysreg(pmintenset_el1, 1);
	isb();
	if (read_sysreg(pmcntenset_el0) != CCNT || read_sysreg(pmintenset_el1) != 1)
		why_add(&w, "PMCNTENSET 0x%lx, PMINTENSET 0x%lx", read_sysreg(pmcntenset_el0),
			read_sysreg(pmintenset_el1));
	write_sysreg(pmcntenclr_el0, ~0ull);
	write_sysreg(pmintenclr_el1, ~0ull);
	write_sysreg(pmselr_el0, 31);
	write_sysreg(pmxevtyper_el0, 0x40000000ull);  /* PMCCFILTR: U */
	isb();
	if (read_sysreg(pmccfiltr_el0) != 0x40000000ull)
		why_add(&w, "PMCCFILTR reads 0x%lx", read_sysreg(pmccfiltr_el0));
	write_sysreg(pmccfiltr_el0, 0);
	write_sysreg(pmuserenr_el0, 1);
	isb();
	if (read_sysreg(pmuserenr_el0) != 1)
		why_add(&w, "PMUSERENR reads 0x%lx", read_sysreg(pmuserenr_el0));
	write_sysreg(pmuserenr_el0, 0);
	write_sysreg(pmselr_el0, n);   /* no such counter */
	probe_begin();
	v = read_sysreg(pmxevcntr_el0);
	f = probe_end();
	if (n < 31 && !f.taken)
		why_add(&w, "PMXEVCNTR of counter %lu (of %lu) read 0x%lx", n, n, v);
	write_sysreg(pmselr_el0, 0);
	report("pmu-regs", &w);
}

static void check_cycles(void)
{
	struct why w = { 0 };
	u64 a, b;

	write_sysreg(pmccfiltr_el0, 0);
	write_sysreg(pmcr_el0, PMCR_E | PMCR_C);
	write_sysreg(pmcntenset_el0, CCNT);
	isb();
	a = read_sysreg(pmccntr_el0);
	spin(100000);
	b = read_sysreg(pmccntr_el0);
	write_sysreg(pmcntenclr_el0, CCNT);
	if (b <= a)
		why_add(&w, "PMCCNTR went from %lu to %lu over a loop", a, b);
	report("pmu-cycles", &w);
}

/* Counter 0 on INST_RETIRED and the cycle counter around fn(n). */
static void count(void (*fn)(u64), u64 n, u64 *insts, u64 *cycles)
{
	irq_disable();
	write_sysreg(pmevtyper0_el0, EV_INST_RETIRED);
	write_sysreg(pmccfiltr_el0, 0);
	write_sysreg(pmcr_el0, PMCR_E | PMCR_P | PMCR_C);
	isb();
	write_sysreg(pmcntenset_el0, CCNT | 1);
	isb();
	fn(n);
	write_sysreg(pmcntenclr_el0, CCNT | 1);
	isb();
	*insts = read_sysreg(pmevcntr0_el0);
	*cycles = read_sysreg(pmccntr_el0);
	irq_enable();
}

static void check_instructions(void)
{
	struct why w = { 0 };
	u64 insts, cycles;

	if (!(read_sysreg(pmceid0_el0) & (1ull << EV_INST_RETIRED))) {
		check_fail("pmu-instructions", "INST_RETIRED not offered (QEMU counts it under -icount)");
		return;
	}
	count(spin, 100000, &insts, &cycles);
	printk("NOTE: 100000-iteration loop: %lu instructions, %lu cycles\n", insts, cycles);
	if (insts < 200000 || insts > 200000 + 100)
		why_add(&w, "a 200000-instruction loop counted %lu", insts);
	/* each hypercall runs ~100 instructions or more at EL2, none counted */
	count(hypercalls, 2000, &insts, &cycles);
	printk("NOTE: 2000 hypercalls: %lu instructions, %lu cycles\n", insts, cycles);
	if (insts < 8000 || insts > 12000 + 100)
		why_add(&w, "2000 hypercalls (4 EL1 instructions each) counted %lu", insts);
	if (cycles > 3 * insts + 1000)
		why_add(&w, "2000 hypercalls: %lu cycles for %lu instructions (EL2 counted?)", cycles,
			insts);
	report("pmu-instructions", &w);
}

static bool pmu_pending(void)
{
	return mmio_read32(gic_sgi_frame(0) + GICR_ISPENDR0) & (1u << INTID_PMU);
}

/* Counter 0 on CPU_CYCLES, `left` counts before it wraps, interrupt on. */
static void arm_overflow(u64 left)
{
	write_sysreg(pmcntenclr_el0, ~0ull);
	write_sysreg(pmovsclr_el0, ~0ull);
	write_sysreg(pmevtyper0_el0, EV_CPU_CYCLES);
	write_sysreg(pmevcntr0_el0, 0x100000000ull - left);
	write_sysreg(pmintenset_el1, 1);
	write_sysreg(pmcr_el0, PMCR_E);
	write_sysreg(pmcntenset_el0, 1);
	isb();
}

static bool wait_overflow(void)
{
	for (u32 i = 0; i < 1000000; i++) {
		if (read_sysreg(pmovsset_el0) & 1)
			return true;
	}
	return false;
}

static void check_overflow(void)
{
	struct why w = { 0 };
	u32 taken = irq_count(0, INTID_PMU);

	gic_enable_private(0, INTID_PMU, false);
	arm_overflow(20000);
	if (!wait_overflow())
		why_add(&w, "counter 0 never overflowed");
	else if (!pmu_pending())
		why_add(&w, "overflow with PMINTENSET: PPI 23 not pending in GICR_ISPENDR0");
	write_sysreg(pmovsclr_el0, 1);
	isb();
	if (pmu_pending())
		why_add(&w, "PPI 23 still pending after PMOVSCLR");
	arm_overflow(20000);
	gic_enable_private(0, INTID_PMU, true);
	if (!wait_count(0, INTID_PMU, taken + 1, 500))
		why_add(&w, "no PPI 23 within 500 ms (PMOVSSET 0x%lx)", read_sysreg(pmovsset_el0));
	else if (!(ovs_at_irq & 1))
		why_add(&w, "PPI 23 taken with PMOVSSET 0x%lx", ovs_at_irq);
	write_sysreg(pmcntenclr_el0, ~0ull);
	write_sysreg(pmintenclr_el1, ~0ull);
	isb();
	delay_ms(20);
	if (irq_count(0, INTID_PMU) != taken + 1)
		why_add(&w, "PPI 23 taken %u times for one overflow", irq_count(0, INTID_PMU) - taken);
	gic_enable_private(0, INTID_PMU, false);
	report("pmu-overflow", &w);
}

/*
 * An overflow flagged with its interrupt on, then PMCR.E cleared: the level
 * drops without an overflow or PMOVS write, which QEMU's PMU does not see
 * (its output stays high). The vCPU must go on, and PPI 23 not be pending.
 */
static void check_disable_flagged(void)
{
	struct why w = { 0 };

	gic_enable_private(0, INTID_PMU, false);
	write_sysreg(pmcntenclr_el0, ~0ull);
	write_sysreg(pmintenset_el1, CCNT);
	write_sysreg(pmcr_el0, PMCR_E);
	write_sysreg(pmovsset_el0, CCNT);
	isb();
	if (!pmu_pending())
		why_add(&w, "PMOVSSET with PMCR.E: PPI 23 not pending");
	write_sysreg(pmcr_el0, 0);
	isb();
	delay_ms(20);
	if (pmu_pending())
		why_add(&w, "PPI 23 still pending after PMCR.E = 0");
	write_sysreg(pmovsclr_el0, ~0ull);
	write_sysreg(pmintenclr_el1, ~0ull);
	isb();
	report("pmu-disable-flagged", &w);
}

void mode_pmu(void)
{
	const char *err = NULL;

	if (gic_probe())
		err = "no arm,gic-v3 node";
	if (!err)
		err = gic_dist_init();
	if (!err)
		err = gic_cpu_init();
	if (err) {
		check_fail("gic-setup", "%s", err);
		finish();
	}
	irq_set_handler(INTID_PMU, on_pmu);
	irq_enable();
	check_shown();
	check_regs();
	check_cycles();
	check_instructions();
	check_overflow();
	check_disable_flagged();
	finish();
}

/*
 * A loop of 2 * iters instructions, long enough (bootargs ms=N of virtual
 * time, 1 instruction per ns) that the other VM runs in the middle of it.
 */
void mode_pmuleak(void)
{
	u64 iters = (plat.ms ? plat.ms : 200) * 1000000ull / 2;
	u64 t0, t1, ns, insts, cycles;

	printk("pmuleak test: %s\n", plat.name);
	t0 = read_sysreg(cntvct_el0);
	count(spin, iters, &insts, &cycles);
	t1 = read_sysreg(cntvct_el0);
	ns = ticks_to_ns(t1 - t0);
	printk("NOTE: pmuleak: %lu instructions, %lu cycles in %lu ns\n", insts, cycles, ns);
	if (insts < 2 * iters || insts > 2 * iters + 100)
		check_fail("pmu-private", "a %lu-instruction loop counted %lu", 2 * iters, insts);
	else if (ns < insts + insts / 2)
		check_fail("pmu-private", "never lost the CPU (%lu ns for %lu instructions): "
			   "nothing else ran to test against", ns, insts);
	else if (cycles > insts + insts / 10)
		check_fail("pmu-private", "%lu cycles for %lu instructions: another's time counted",
			   cycles, insts);
	else
		check_pass("pmu-private");
	finish();
}
