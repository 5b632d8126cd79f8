/*
 * Modes for the scheduler tests and benchmarks:
 *  - spin: CPU-bound. Counts loop passes during a fixed window of virtual
 *    time, so that VMs sharing a CPU can compare the CPU time they got, and
 *    keeps spinning for `ms=` milliseconds in all (a noisy neighbour).
 *  - latency: sleeps in WFI with its virtual timer armed a little ahead,
 *    many times (for `ms=` milliseconds, when that is longer than 40
 *    shots), and reports how late the timer interrupt's handler ran.
 *  - setwayloop: for `ms=` milliseconds, a set/way clean then its caches
 *    turned off and on again, over and over (what a guest does around a
 *    cache toggle, as often as it can): Bulkhead's flushes of its RAM.
 *  - resetloop: resets the VM at once (PSCI SYSTEM_RESET), every boot:
 *    with on_reboot = "restart", a scrub of its RAM per boot. Guests read
 *    the machine's counter, which a restart does not set back: once it
 *    passes `ms=` milliseconds, it powers off instead.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"
#include "hypercall.h"

#define SPIN_WINDOW_START_MS 200
#define SPIN_WINDOW_MS 1000
#define LATENCY_SHOTS 40

#define CNTV_ENABLE (1ull << 0)

void mode_spin(void)
{
	u64 t0 = now_ticks();
	u64 from = t0 + ms_to_ticks(SPIN_WINDOW_START_MS);
	u64 to = from + ms_to_ticks(SPIN_WINDOW_MS);
	u64 end = t0 + ms_to_ticks(plat.ms > SPIN_WINDOW_START_MS + SPIN_WINDOW_MS ?
				   plat.ms : SPIN_WINDOW_START_MS + SPIN_WINDOW_MS);
	u64 count = 0, now;

	printk("spin: counting from %u ms to %u ms, running %u ms\n", SPIN_WINDOW_START_MS,
	       SPIN_WINDOW_START_MS + SPIN_WINDOW_MS, (u32)((end - t0) / ms_to_ticks(1)));
	while ((now = now_ticks()) < to)
		count += now >= from;
	printk("PROGRESS %lu passes in %u ms\n", count, SPIN_WINDOW_MS);
	while (now_ticks() < end)
		;
	power_off();
}

static volatile s64 late;   /* CNTVCT - CVAL when the handler ran */
static volatile u32 fired;

static void on_timer(u32 cpu, u32 intid)
{
	late = (s64)(now_ticks() - read_sysreg(cntv_cval_el0));
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	fired++;
}

/*
 * One shot: arm the timer `ahead` ticks out and sleep until it fires. IRQs
 * stay masked while deciding to sleep (WFI wakes on a pending interrupt
 * whatever PSTATE.I says): an interrupt taken between the test and the WFI
 * would leave it sleeping with the timer already disabled by the handler,
 * on the bare machine as under Bulkhead (seen on a loaded host, where the
 * timer fired while the guest ran).
 */
static bool shot(u64 ahead)
{
	u32 before = fired;
	u64 start = now_ticks();

	irq_disable();
	write_sysreg(cntv_cval_el0, start + ahead);
	write_sysreg(cntv_ctl_el0, CNTV_ENABLE);
	isb();
	while (fired == before && now_ticks() - start < ms_to_ticks(1000)) {
		wfi();
		irq_enable();   /* the handler runs here */
		irq_disable();
	}
	irq_enable();
	return fired != before;
}

void mode_latency(void)
{
	u64 total = 0, worst = 0;
	u32 shots = 0;

	if (gic_probe() || gic_dist_init() || gic_cpu_init()) {
		printk("FAIL latency: no usable GICv3\n");
		power_off();
	}
	irq_set_handler(INTID_VTIMER, on_timer);
	gic_enable_private(0, INTID_VTIMER, true);
	irq_enable();
	u64 until = now_ticks() + ms_to_ticks(plat.ms);

	for (u32 i = 0; i < LATENCY_SHOTS || (now_ticks() < until && i < 100000); i++) {
		/* 1-2.5 ms ahead: never in step with a neighbour's time slices */
		if (!shot(ms_to_ticks(1) + (i * 37 % 16) * ms_to_ticks(1) / 10)) {
			printk("FAIL latency: shot %u: no timer interrupt within 1 s\n", i);
			power_off();
		}
		total += (u64)late;
		worst = (u64)late > worst ? (u64)late : worst;
		shots++;
	}
	printk("BENCH wfi-timer-latency-ns avg %lu max %lu over %u shots\n",
	       ticks_to_ns(total / shots), ticks_to_ns(worst), shots);
	power_off();
}

void mode_setwayloop(void)
{
	u64 end = now_ticks() + ms_to_ticks(plat.ms ? plat.ms : 1000);
	u64 sctlr = read_sysreg(sctlr_el1);
	u32 rounds = 0;

	printk("setwayloop: for %u ms\n", plat.ms ? plat.ms : 1000);
	while (now_ticks() < end) {
		asm volatile("dc cisw, %0" : : "r"(0ull) : "memory");
		write_sysreg(sctlr_el1, sctlr & ~SCTLR_C);
		isb();
		write_sysreg(sctlr_el1, sctlr);
		isb();
		rounds++;
	}
	printk("setwayloop: %u rounds\n", rounds);
	power_off();
}

void mode_resetloop(void)
{
	printk("resetloop: boot\n");
	if (plat.ms && now_ticks() > ms_to_ticks(plat.ms)) {
		printk("resetloop: done\n");
		power_off();
	}
	psci_call(PSCI_SYSTEM_RESET, 0, 0, 0);
	printk("FAIL resetloop: SYSTEM_RESET returned\n");
	power_off();
}
