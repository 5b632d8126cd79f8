/*
 * The `gic` mode: PSCI CPU_ON/OFF/AFFINITY_INFO, SGIs between two vCPUs,
 * the virtual timer's PPI, the UART's SPI (routed to each vCPU), priorities,
 * masking and WFI wake-ups (checks_gic_delivery.c has more), against the
 * VM's virtual GICv3. Meant for a VM with two vCPUs. Only vCPU 0 prints.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"
#include "hypercall.h"

#define CTX_FIRST  0x5eed0001c0ffee01ull
#define CTX_SECOND 0x5eed0002c0ffee02ull

#define TIMER_SHOTS 20
#define IPI_ROUNDS 50

/* UART (PL011) */
#define UART_DR   0x000
#define UART_IMSC 0x038
#define UART_RIS  0x03c
#define UART_MIS  0x040
#define UART_ICR  0x044
#define UART_TX   (1u << 5)
#define UART_ALL  0x7ffu

/* Distributor registers for the SPI check */
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR   0x0200
#define GICD_ICFGR     0x0c00
#define GICD_IROUTER   0x6000

#define CNTV_ENABLE  (1ull << 0)
#define CNTV_ISTATUS (1ull << 2)

static bool secondary_up;
/* Written by handlers */
static volatile s64 timer_latency[SMP_MAX_CPUS];   /* CNTVCT - CVAL at the handler */
static volatile u64 bench_ack_at;
static volatile u32 uart_mis;

/* --- handlers -------------------------------------------------------------- */

static void on_timer(u32 cpu, u32 intid)
{
	u64 now = now_ticks();

	timer_latency[cpu] = (s64)(now - read_sysreg(cntv_cval_el0));
	write_sysreg(cntv_ctl_el0, 0);   /* lowers the timer's output */
	isb();
}

static void on_ping(u32 cpu, u32 intid)
{
	if (cpu == 1)
		gic_sgi_to(0, SGI_PONG);
}

static void on_bench(u32 cpu, u32 intid)
{
	if (cpu == 1)
		gic_sgi_to(0, SGI_BENCH_ACK);
}

static void on_bench_ack(u32 cpu, u32 intid)
{
	bench_ack_at = now_ticks();
}

static void on_wake(u32 cpu, u32 intid)
{
	sec.sgi_at = now_ticks();
}

static volatile u32 uart_refires;  /* level-refire: takes to leave the line high */

static void on_uart(u32 cpu, u32 intid)
{
	u32 mis;

	if (uart_refires) {
		/* the line stays high: it must be taken again once deactivated */
		if (--uart_refires == 0)
			mmio_write32(plat.uart_base + UART_IMSC, 0);
		return;
	}
	mis = mmio_read32(plat.uart_base + UART_MIS);

	uart_mis = mis;
	mmio_write32(plat.uart_base + UART_ICR, mis ? mis : UART_TX);
}

/* --- helpers ----------------------------------------------------------------- */

static u64 secondary_entry_addr(void)
{
	return (u64)secondary_entry;   /* identity-mapped: VA == IPA */
}

/* vCPU 0 -> 1 ping, 1 -> 0 pong; returns whether the pong came back. */
static bool ping_pong(struct why *w, const char *when)
{
	u32 pings = irq_count(1, SGI_PING), pongs = irq_count(0, SGI_PONG);

	gic_sgi_to(1, SGI_PING);
	if (!wait_count(0, SGI_PONG, pongs + 1, 1000)) {
		why_add(w, "%s: no SGI %d back within 1 s (vCPU 1 took SGI %d %u time(s))", when,
			SGI_PONG, SGI_PING, irq_count(1, SGI_PING) - pings);
		return false;
	}
	/* vCPU 1 counts the ping once its handler (which sends the pong) returns. */
	if (!WAIT_UNTIL(irq_count(1, SGI_PING) != pings, 100) || irq_count(1, SGI_PING) != pings + 1)
		why_add(w, "%s: vCPU 1 took SGI %d %u times", when, SGI_PING,
			irq_count(1, SGI_PING) - pings);
	return true;
}

/* --- checks ------------------------------------------------------------------ */

static void check_psci_errors(void)
{
	u64 entry = secondary_entry_addr();
	u64 outside = plat.ram_base + plat.ram_size + 0x10000;
	struct why w = { 0 };
	s64 r;

	r = smp_cpu_on(5, entry, 0);
	if (r != PSCI_INVALID_PARAMETERS)
		why_add(&w, "CPU_ON(MPIDR 5) = %ld, expected -2", r);
	r = smp_cpu_on(1, outside, 0);
	if (r != PSCI_INVALID_ADDRESS)
		why_add(&w, "CPU_ON(MPIDR 1, entry 0x%lx outside RAM) = %ld, expected -9", outside, r);
	r = smp_cpu_on(0, entry, 0);
	if (r != PSCI_ALREADY_ON)
		why_add(&w, "CPU_ON(MPIDR 0, the caller) = %ld, expected -4", r);
	r = smp_affinity_info(1);
	if (r != 1)
		why_add(&w, "AFFINITY_INFO(MPIDR 1) before CPU_ON = %ld, expected 1 (OFF)", r);
	r = smp_affinity_info(7);
	if (r != PSCI_INVALID_PARAMETERS)
		why_add(&w, "AFFINITY_INFO(MPIDR 7) = %ld, expected -2", r);
	report("psci-cpu-on-errors", &w);
}

/* Starts vCPU 1 and waits for it to report in; false if it did not. */
static bool start_secondary(struct why *w, u64 ctx)
{
	u32 online = sec.online;
	s64 r = smp_cpu_on(1, secondary_entry_addr(), ctx);

	if (r != PSCI_SUCCESS) {
		why_add(w, "CPU_ON(MPIDR 1) = %ld, expected 0", r);
		return false;
	}
	if (!WAIT_UNTIL(sec.online != online, 2000)) {
		why_add(w, "vCPU 1 did not report in within 2 s (AFFINITY_INFO %ld, progress %u/4)",
			smp_affinity_info(1), secondary_stage);
		return false;
	}
	dmb_ish();
	if (sec.context != ctx)
		why_add(w, "vCPU 1 got x0 = 0x%lx, expected context id 0x%lx", sec.context, ctx);
	if ((sec.mpidr & 0xff) != 1)
		why_add(w, "vCPU 1 has MPIDR_EL1 0x%lx, expected Aff0 = 1", sec.mpidr);
	if (sec.init_error)
		why_add(w, "vCPU 1 GIC setup: %s", sec.init_error);
	return true;
}

static void check_cpu_on(void)
{
	struct why w = { 0 };
	s64 r;

	secondary_up = start_secondary(&w, CTX_FIRST) && !sec.init_error;
	if (secondary_up) {
		r = smp_affinity_info(1);
		if (r != 0)
			why_add(&w, "AFFINITY_INFO(MPIDR 1) after start = %ld, expected 0 (ON)", r);
		r = smp_cpu_on(1, secondary_entry_addr(), 0);
		if (r != PSCI_ALREADY_ON)
			why_add(&w, "second CPU_ON(MPIDR 1) = %ld, expected -4", r);
	}
	report("psci-cpu-on", &w);
}

static void check_sgi(void)
{
	struct why w = { 0 };
	u32 n0 = irq_count(0, SGI_NOWHERE), n1 = irq_count(1, SGI_NOWHERE);

	ping_pong(&w, "vCPU 0 -> 1");
	/* TargetList bit 5, Aff1-3 = 0: vCPU 5 does not exist. */
	gic_send_sgi((1ull << 5) | SGI1R_INTID(SGI_NOWHERE));
	delay_ms(10);
	if (irq_count(0, SGI_NOWHERE) != n0 || irq_count(1, SGI_NOWHERE) != n1)
		why_add(&w, "SGI %d for vCPU 5 arrived: %u time(s) on vCPU 0, %u on vCPU 1",
			SGI_NOWHERE, irq_count(0, SGI_NOWHERE) - n0, irq_count(1, SGI_NOWHERE) - n1);
	ping_pong(&w, "after the SGI to vCPU 5");
	report("sgi", &w);
}

static void check_broadcast(void)
{
	struct why w = { 0 };
	u32 b0 = irq_count(0, SGI_BCAST), b1 = irq_count(1, SGI_BCAST);

	if (!smp_command(CMD_SEND_SGI, SGI1R_IRM | SGI1R_INTID(SGI_BCAST), 1000))
		why_add(&w, "vCPU 1 did not take the command within 1 s");
	else if (!wait_count(0, SGI_BCAST, b0 + 1, 1000))
		why_add(&w, "vCPU 0 did not get SGI %d within 1 s", SGI_BCAST);
	delay_ms(10);
	if (irq_count(0, SGI_BCAST) - b0 > 1)
		why_add(&w, "vCPU 0 took it %u times", irq_count(0, SGI_BCAST) - b0);
	if (irq_count(1, SGI_BCAST) != b1)
		why_add(&w, "the sender, vCPU 1, took it %u time(s)", irq_count(1, SGI_BCAST) - b1);
	report("sgi-self-broadcast", &w);
}

static void check_timer(void)
{
	struct why w = { 0 };
	u64 total = 0;
	u32 shots = 0;

	gic_enable_private(0, INTID_VTIMER, true);
	for (int i = 0; i < TIMER_SHOTS && !w.len; i++) {
		u32 before = irq_count(0, INTID_VTIMER);
		u64 ctl;

		write_sysreg(cntv_cval_el0, now_ticks() + ms_to_ticks(1));
		write_sysreg(cntv_ctl_el0, CNTV_ENABLE);
		isb();
		if (!wait_count(0, INTID_VTIMER, before + 1, 500)) {
			ctl = read_sysreg(cntv_ctl_el0);
			why_add(&w, "shot %d: no INTID 27 within 500 ms (CNTV_CTL 0x%lx)", i, ctl);
			break;
		}
		if (timer_latency[0] < 0)
			why_add(&w, "shot %d: taken %ld ticks before CVAL", i, -timer_latency[0]);
		total += (u64)timer_latency[0];
		shots++;
		delay_ms(2);
		if (irq_count(0, INTID_VTIMER) != before + 1)
			why_add(&w, "shot %d: taken %u times (handler disabled the timer)", i,
				irq_count(0, INTID_VTIMER) - before);
	}
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	if (shots)
		printk("BENCH timer-irq-latency-ns %lu\n", ticks_to_ns(total / shots));
	report("ppi-timer", &w);
}

static void check_spi_uart(void)
{
	u64 uart = plat.uart_base, d = gic.gicd;
	struct why w = { 0 };
	u32 before, ris, mis, pend;
	bool arrived;

	if (!uart) {
		check_fail("spi-uart", "no UART");
		return;
	}
	/* INTID 33: level-sensitive (ICFGR2 field 1 = 0), group 1 and priority from
	 * gic_dist_init, routed to affinity 0, enabled. */
	mmio_write32(d + GICD_ICFGR + 8, mmio_read32(d + GICD_ICFGR + 8) & ~(3u << 2));
	mmio_write64(d + GICD_IROUTER + 8 * INTID_UART, 0);
	mmio_write32(d + GICD_ISENABLER + 4, 1u << (INTID_UART - 32));

	/* No printing from here on until IMSC is 0 again: every byte raises TX. */
	mmio_write32(uart + UART_ICR, UART_ALL);
	mmio_write32(uart + UART_IMSC, UART_TX);
	uart_mis = 0;
	before = irq_count(0, INTID_UART);
	mmio_write32(uart + UART_DR, '\r');   /* the console drops CR: nothing is printed */
	arrived = wait_count(0, INTID_UART, before + 1, 500);
	ris = mmio_read32(uart + UART_RIS);
	mis = mmio_read32(uart + UART_MIS);
	pend = mmio_read32(d + GICD_ISPENDR + 4);
	delay_ms(5);
	u32 after_clear = irq_count(0, INTID_UART) - before;
	mmio_write32(uart + UART_IMSC, 0);
	delay_ms(5);
	u32 after_mask = irq_count(0, INTID_UART) - before;
	mmio_write32(d + GICD_ICENABLER + 4, 1u << (INTID_UART - 32));

	if (!arrived)
		why_add(&w, "no INTID 33 within 500 ms (UARTRIS 0x%x UARTMIS 0x%x GICD_ISPENDR1 0x%x)",
			ris, mis, pend);
	else if (!(uart_mis & UART_TX))
		why_add(&w, "handler saw UARTMIS 0x%x, expected TX (bit 5)", uart_mis);
	if (arrived && after_clear != 1)
		why_add(&w, "taken %u times within 5 ms of UARTICR", after_clear);
	if (after_mask != after_clear)
		why_add(&w, "taken again after IMSC = 0");
	report("spi-uart", &w);
}

/*
 * A level line still high when the guest deactivates its interrupt is taken
 * again at once: the UART's TX interrupt, left raised by the handler 5
 * times. The guest spins on the counter without trapping (no WFI, no WFE),
 * so nothing but Bulkhead's own handling of the deactivation brings it back.
 */
#define REFIRES 5

static void check_level_refire(void)
{
	u64 uart = plat.uart_base, d = gic.gicd;
	u32 before = irq_count(0, INTID_UART);
	struct why w = { 0 };
	u64 start, limit = ms_to_ticks(500);

	if (!uart) {
		check_fail("level-refire", "no UART");
		return;
	}
	mmio_write64(d + GICD_IROUTER + 8 * INTID_UART, 0);
	mmio_write32(d + GICD_ISENABLER + 4, 1u << (INTID_UART - 32));
	/* No printing until IMSC is 0 again, as in spi-uart. */
	mmio_write32(uart + UART_ICR, UART_ALL);
	uart_refires = REFIRES;
	mmio_write32(uart + UART_IMSC, UART_TX);
	mmio_write32(uart + UART_DR, '\r');
	start = now_ticks();
	while (irq_count(0, INTID_UART) - before < REFIRES && now_ticks() - start < limit)
		;
	mmio_write32(uart + UART_IMSC, 0);
	mmio_write32(d + GICD_ICENABLER + 4, 1u << (INTID_UART - 32));
	if (irq_count(0, INTID_UART) - before != REFIRES)
		why_add(&w, "taken %u times within 500 ms, expected %d", irq_count(0, INTID_UART) - before,
			REFIRES);
	uart_refires = 0;
	report("level-refire", &w);
}

/* INTID 33 routed to vCPU 1 (GICD_IROUTER Aff0 = 1) is taken there, and not on vCPU 0. */
static void check_spi_route(void)
{
	u64 uart = plat.uart_base, d = gic.gicd;
	u32 on0 = irq_count(0, INTID_UART), on1 = irq_count(1, INTID_UART);
	struct why w = { 0 };
	u64 route;
	bool arrived;

	if (!uart) {
		check_fail("spi-route", "no UART");
		return;
	}
	mmio_write64(d + GICD_IROUTER + 8 * INTID_UART, 1);
	route = mmio_read64(d + GICD_IROUTER + 8 * INTID_UART);
	mmio_write32(d + GICD_ISENABLER + 4, 1u << (INTID_UART - 32));
	/* No printing until IMSC is 0 again, as in spi-uart. */
	mmio_write32(uart + UART_ICR, UART_ALL);
	mmio_write32(uart + UART_IMSC, UART_TX);
	mmio_write32(uart + UART_DR, '\r');
	arrived = wait_count(1, INTID_UART, on1 + 1, 500);
	delay_ms(5);
	mmio_write32(uart + UART_IMSC, 0);
	mmio_write32(d + GICD_ICENABLER + 4, 1u << (INTID_UART - 32));
	mmio_write64(d + GICD_IROUTER + 8 * INTID_UART, 0);

	if (route != 1)
		why_add(&w, "GICD_IROUTER33 reads 0x%lx after writing 1", route);
	if (!arrived)
		why_add(&w, "vCPU 1 did not take INTID 33 within 500 ms");
	if (irq_count(0, INTID_UART) != on0)
		why_add(&w, "vCPU 0 took it %u time(s)", irq_count(0, INTID_UART) - on0);
	report("spi-route", &w);
}

static void check_priority(void)
{
	struct why w = { 0 };
	u32 lo = irq_count(0, SGI_PRIO_LOW), hi = irq_count(0, SGI_PRIO_HIGH);
	u32 log[32], n, order[2], k = 0;

	gic_set_private_prio(0, SGI_PRIO_LOW, 0xa0);
	gic_set_private_prio(0, SGI_PRIO_HIGH, 0x80);
	irq_disable();
	irq_log_reset();
	gic_sgi_to(0, SGI_PRIO_LOW);    /* the lower priority first */
	gic_sgi_to(0, SGI_PRIO_HIGH);
	delay_ms(2);
	irq_enable();
	if (!wait_count(0, SGI_PRIO_LOW, lo + 1, 500) || !wait_count(0, SGI_PRIO_HIGH, hi + 1, 500))
		why_add(&w, "SGI %d taken %u time(s), SGI %d %u time(s)", SGI_PRIO_HIGH,
			irq_count(0, SGI_PRIO_HIGH) - hi, SGI_PRIO_LOW, irq_count(0, SGI_PRIO_LOW) - lo);
	n = irq_log(log, 32);
	for (u32 i = 0; i < n && k < 2; i++)
		if (log[i] == SGI_PRIO_LOW || log[i] == SGI_PRIO_HIGH)
			order[k++] = log[i];
	if (!w.len && (k != 2 || order[0] != SGI_PRIO_HIGH || order[1] != SGI_PRIO_LOW))
		why_add(&w, "order %d, %d; expected SGI %d (priority 0x80) before SGI %d (0xa0)",
			k > 0 ? (int)order[0] : -1, k > 1 ? (int)order[1] : -1, SGI_PRIO_HIGH,
			SGI_PRIO_LOW);
	gic_set_private_prio(0, SGI_PRIO_HIGH, PRIO_DEFAULT);
	report("priority", &w);
}

static void check_masking(void)
{
	struct why w = { 0 };
	u32 c;

	/* (a) priority 0xf0 is not above PMR 0xf0; it is above 0xff. */
	c = irq_count(0, SGI_PMR);
	gic_set_private_prio(0, SGI_PMR, 0xf0);
	write_sysreg_s(ICC_PMR_EL1, 0xf0);
	isb();
	gic_sgi_to(0, SGI_PMR);
	delay_ms(5);
	if (irq_count(0, SGI_PMR) != c)
		why_add(&w, "(a) priority 0xf0 taken with PMR 0xf0");
	write_sysreg_s(ICC_PMR_EL1, 0xff);
	isb();
	if (!wait_count(0, SGI_PMR, c + 1, 500))
		why_add(&w, "(a) not taken within 500 ms of PMR 0xff");
	write_sysreg_s(ICC_PMR_EL1, PMR_DEFAULT);
	isb();
	gic_set_private_prio(0, SGI_PMR, PRIO_DEFAULT);

	/* (b) disabled in the redistributor: held pending until enabled. */
	c = irq_count(0, SGI_DISABLED);
	gic_enable_private(0, SGI_DISABLED, false);
	gic_sgi_to(0, SGI_DISABLED);
	delay_ms(5);
	if (irq_count(0, SGI_DISABLED) != c)
		why_add(&w, "(b) disabled SGI %d taken", SGI_DISABLED);
	gic_enable_private(0, SGI_DISABLED, true);
	if (!wait_count(0, SGI_DISABLED, c + 1, 500))
		why_add(&w, "(b) not taken within 500 ms of ISENABLER0");

	/* (c) PSTATE.I: held pending until unmasked. */
	c = irq_count(0, SGI_IMASK);
	irq_disable();
	gic_sgi_to(0, SGI_IMASK);
	delay_ms(5);
	u32 masked = irq_count(0, SGI_IMASK) - c;
	irq_enable();
	if (masked)
		why_add(&w, "(c) taken with PSTATE.I set");
	if (!wait_count(0, SGI_IMASK, c + 1, 500))
		why_add(&w, "(c) not taken within 500 ms of unmasking");
	report("masking", &w);
}

static void bench_ipi(void)
{
	u64 total = 0;

	for (int i = 0; i < IPI_ROUNDS; i++) {
		u32 acks = irq_count(0, SGI_BENCH_ACK);
		u64 t0 = now_ticks();

		gic_sgi_to(1, SGI_BENCH);
		if (!wait_count(0, SGI_BENCH_ACK, acks + 1, 1000)) {
			printk("NOTE: ipi-roundtrip: round %d got no reply within 1 s\n", i);
			return;
		}
		dmb_ish();
		total += bench_ack_at - t0;
	}
	printk("BENCH ipi-roundtrip-ns %lu\n", ticks_to_ns(total / IPI_ROUNDS));
}

static void check_wfi(void)
{
	struct why w = { 0 };
	u32 entered = sec.wfi_entered, returns, fallbacks = irq_count(1, INTID_VTIMER);
	u32 timer = irq_count(0, INTID_VTIMER);
	u64 t0, t1, ctl;

	/* vCPU 1 blocked in WFI, woken by an SGI. */
	sec.sgi_at = 0;
	smp_command(CMD_WFI, 0, 0);
	if (!WAIT_UNTIL(sec.wfi_entered != entered, 1000)) {
		why_add(&w, "vCPU 1 did not start the WFI command within 1 s");
	} else {
		returns = sec.wfi_returns;
		delay_ms(20);   /* long enough for vCPU 1 to be blocked */
		t0 = now_ticks();
		gic_sgi_to(1, SGI_WAKE);
		if (!WAIT_UNTIL(sec.done == sec.seq, 3000))
			why_add(&w, "vCPU 1 not back from WFI within 3 s");
		else if (sec.sgi_at - t0 > ms_to_ticks(500))
			why_add(&w, "vCPU 1 took the SGI %lu ms after it was sent (woken by %s)",
				(sec.sgi_at - t0) / ms_to_ticks(1),
				irq_count(1, INTID_VTIMER) != fallbacks ? "its fallback timer" : "?");
		printk("NOTE: wfi: vCPU 1 returned from WFI %u time(s)\n", sec.wfi_returns - returns);
	}

	/* vCPU 0 blocked in WFI (IRQs masked, so the wake-up is seen here), woken by its timer. */
	irq_disable();
	t0 = now_ticks();
	write_sysreg(cntv_cval_el0, t0 + ms_to_ticks(2));
	write_sysreg(cntv_ctl_el0, CNTV_ENABLE);
	isb();
	do {
		wfi();
		ctl = read_sysreg(cntv_ctl_el0);
		t1 = now_ticks();
	} while (!(ctl & CNTV_ISTATUS) && t1 - t0 < ms_to_ticks(1000));
	irq_enable();
	if (!(ctl & CNTV_ISTATUS))
		why_add(&w, "vCPU 0: timer not expired 1 s after arming it 2 ms ahead");
	else if (!wait_count(0, INTID_VTIMER, timer + 1, 500))
		why_add(&w, "vCPU 0: woke from WFI but took no timer interrupt");
	else if (t1 - t0 < ms_to_ticks(2))
		why_add(&w, "vCPU 0: left WFI after %lu us, before the timer expired",
			ticks_to_ns(t1 - t0) / 1000);
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	report("wfi", &w);
}

static void check_cpu_off(void)
{
	struct why w = { 0 };
	s64 r = -100;

	sec.result = ~0ull;
	if (!smp_command(CMD_CPU_OFF, 0, 1000)) {
		why_add(&w, "vCPU 1 did not take the CPU_OFF command within 1 s");
	} else if (!WAIT_UNTIL((r = smp_affinity_info(1)) == 1, 2000)) {
		why_add(&w, "AFFINITY_INFO(MPIDR 1) = %ld 2 s after CPU_OFF, expected 1 (OFF)", r);
		if (sec.result != ~0ull)
			why_add(&w, "CPU_OFF returned %ld", (s64)sec.result);
	} else if (start_secondary(&w, CTX_SECOND)) {
		ping_pong(&w, "after the restart");
	}
	report("cpu-off", &w);
}

static void needs_secondary(const char *name)
{
	check_fail(name, "vCPU 1 is not running");
}

/* The gic mode's setup: 0, or the check has failed and the guest finished. */
static void gic_mode_setup(void)
{
	const char *err = NULL;

	if (gic_probe())
		err = "no arm,gic-v3 node with two reg entries, or it cannot be mapped";
	if (!err)
		err = gic_dist_init();
	if (!err)
		err = gic_cpu_init();
	if (err) {
		check_fail("gic-setup", "%s", err);
		finish();
	}
	printk("NOTE: GICD 0x%lx+0x%lx, GICR 0x%lx+0x%lx, %u vCPUs, PSCI via %s\n", gic.gicd,
	       gic.gicd_size, gic.gicr, gic.gicr_size, gic.nr_cpus, plat.psci_smc ? "smc" : "hvc");
	check_pass("gic-setup");

	irq_set_handler(INTID_VTIMER, on_timer);
	irq_set_handler(INTID_UART, on_uart);
	irq_set_handler(SGI_PING, on_ping);
	irq_set_handler(SGI_BENCH, on_bench);
	irq_set_handler(SGI_BENCH_ACK, on_bench_ack);
	irq_set_handler(SGI_WAKE, on_wake);
	smp_prepare();
	irq_enable();
}

/* Only the gic mode's timer and IPI figures (test=gicbench): short enough
 * to trace instruction by instruction. */
void mode_gic_bench(void)
{
	gic_mode_setup();
	check_cpu_on();
	check_timer();
	if (secondary_up)
		bench_ipi();
	else
		needs_secondary("ipi-bench");
	finish();
}

void mode_gic(void)
{
	gic_mode_setup();
	check_psci_errors();
	check_cpu_on();
	if (secondary_up) {
		check_sgi();
		check_broadcast();
	} else {
		needs_secondary("sgi");
		needs_secondary("sgi-self-broadcast");
	}
	check_timer();
	check_wfi_blocks();
	check_ptimer();
	check_timer_levels();
	check_spi_uart();
	check_level_refire();
	if (secondary_up)
		check_spi_route();
	else
		needs_secondary("spi-route");
	check_priority();
	check_masking();
	check_lr_overflow();
	if (secondary_up) {
		bench_ipi();
		check_wfi();
		check_cpu_off();
	} else {
		needs_secondary("wfi");
		needs_secondary("cpu-off");
	}
	finish();
}
