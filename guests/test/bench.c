/*
 * Benchmarks for the host to collect: BENCH lines, not checks. Each trap
 * is timed by two loops that differ only in the trap itself (an HVC, or a
 * load from an emulated register instead of RAM), so the host can subtract
 * the loop overhead.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/smccc.h"
#include "guests/test/sysreg.h"
#include "hypercall.h"

#define ITERATIONS 1000

static u64 counter(void)
{
	u64 v;

	isb();
	v = read_sysreg(cntvct_el0);
	return v;
}

/* Prints the mean per iteration in ns with one decimal. */
static void print_per_iteration(const char *name, u64 ticks)
{
	u64 tenths = ticks_to_ns(ticks) * 10 / ITERATIONS;

	printk("BENCH %s %lu.%lu\n", name, tenths / 10, tenths % 10);
}

#define UART_FR 0x18    /* PL011 flag register: emulated by Bulkhead */
#define GICD_IIDR 0x8   /* the distributor's implementer: a constant */

static u64 time_loads(volatile u32 *p)
{
	u64 t0 = counter();

	for (int i = 0; i < ITERATIONS; i++)
		(void)*p;
	return counter() - t0;
}

static void bench_mmio_read(void)
{
	static volatile u32 ram_word;

	if (!plat.uart_base) {
		check_skip("BENCH mmio-read-ns", "no PL011 in the device tree");
		return;
	}
	print_per_iteration("mmio-read-ns", time_loads((volatile u32 *)(plat.uart_base + UART_FR)));
	print_per_iteration("load-loop-ns", time_loads(&ram_word));
	/* probed once: gic_probe() counts the CPUs again each time */
	if (!gic.gicd && gic_probe()) {
		check_skip("BENCH mmio-gicd-ns", "no GICv3 in the device tree");
		return;
	}
	print_per_iteration("mmio-gicd-ns", time_loads((volatile u32 *)(gic.gicd + GICD_IIDR)));
}

void run_bench(bool hvc_works)
{
	u64 t0, t1;

	if (hvc_works) {
		t0 = counter();
		for (int i = 0; i < ITERATIONS; i++)
			(void)SMCCC_CALL("hvc #0", BH_HC_NOP, 0, 0, 0);
		t1 = counter();
		print_per_iteration("null-hypercall-ns", t1 - t0);
		/* a call the hypervisor's C code answers */
		t0 = counter();
		for (int i = 0; i < ITERATIONS; i++)
			(void)SMCCC_CALL("hvc #0", SMCCC_VERSION, 0, 0, 0);
		t1 = counter();
		print_per_iteration("smccc-version-ns", t1 - t0);
	} else {
		check_skip("BENCH null-hypercall-ns", "hvc-nop did not pass");
	}

	t0 = counter();
	for (int i = 0; i < ITERATIONS; i++)
		(void)SMCCC_CALL("", BH_HC_NOP, 0, 0, 0);
	t1 = counter();
	print_per_iteration("loop-overhead-ns", t1 - t0);

	bench_mmio_read();

	printk("BENCH first-instruction-ns %lu\n", ticks_to_ns(plat.entry_ticks));
}
