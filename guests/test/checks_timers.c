/*
 * The EL1 timers as the `gic` mode sees them from vCPU 0: the physical
 * timer works like the virtual one (its registers read back as the Arm ARM
 * says, its interrupt is PPI 30, wakes WFI, not before its deadline), and
 * each timer's interrupt follows its output (ENABLE && ISTATUS && !IMASK):
 * pending in GICR_ISPENDR0 while high with the PPI disabled, gone once the
 * timer is masked, disabled or re-armed, and never taken after that.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"

#define INTID_PTIMER 30
#define CTL_ENABLE  (1ull << 0)
#define CTL_IMASK   (1ull << 1)
#define CTL_ISTATUS (1ull << 2)
#define GICR_ISPENDR0 0x0200
#define GICR_ICPENDR0 0x0280
#define PTIMER_MS 5

static volatile u64 ptimer_ctl_at_irq, ptimer_late_at_irq;

static void on_ptimer(u32 cpu, u32 intid)
{
	ptimer_ctl_at_irq = read_sysreg(cntp_ctl_el0);
	ptimer_late_at_irq = read_sysreg(cntpct_el0) - read_sysreg(cntp_cval_el0);
	write_sysreg(cntp_ctl_el0, 0);
	isb();
}

/* CVAL, TVAL (CVAL - CNTPCT as signed 32 bits) and CNTPCT against CNTVCT. */
static void check_ptimer_registers(struct why *w)
{
	u64 t = ms_to_ticks(PTIMER_MS), before, after, cval, v0, p, v1;
	s64 tval;

	write_sysreg(cntp_cval_el0, 0x123456789abcull);
	isb();
	if (read_sysreg(cntp_cval_el0) != 0x123456789abcull)
		why_add(w, "CVAL reads 0x%lx", read_sysreg(cntp_cval_el0));
	before = read_sysreg(cntpct_el0);
	write_sysreg(cntp_tval_el0, t);
	isb();
	after = read_sysreg(cntpct_el0);
	cval = read_sysreg(cntp_cval_el0);
	if (cval < before + t || cval > after + t)
		why_add(w, "TVAL %lu set CVAL %lu, want %lu..%lu", t, cval, before + t, after + t);
	before = read_sysreg(cntpct_el0);
	tval = (s32)read_sysreg(cntp_tval_el0);
	after = read_sysreg(cntpct_el0);
	if (tval > (s64)(cval - before) || tval < (s64)(cval - after))
		why_add(w, "TVAL reads %ld, CVAL - CNTPCT is %ld..%ld", tval, (s64)(cval - after),
			(s64)(cval - before));
	write_sysreg(cntp_cval_el0, read_sysreg(cntpct_el0) - 1000);
	isb();
	tval = (s32)read_sysreg(cntp_tval_el0);
	if (tval > -1000)
		why_add(w, "TVAL of a passed deadline reads %ld", tval);
	v0 = read_sysreg(cntvct_el0);
	p = read_sysreg(cntpct_el0);
	v1 = read_sysreg(cntvct_el0);
	if (p < v0 || p > v1)
		why_add(w, "CNTPCT %lu is not the virtual counter (%lu..%lu)", p, v0, v1);
}

void check_ptimer(void)
{
	struct why w = { 0 };
	u32 taken = irq_count(0, INTID_PTIMER);
	u64 deadline, back, ctl;

	irq_set_handler(INTID_PTIMER, on_ptimer);
	check_ptimer_registers(&w);
	gic_enable_private(0, INTID_PTIMER, true);
	irq_disable();
	write_sysreg(cntp_tval_el0, ms_to_ticks(PTIMER_MS));
	write_sysreg(cntp_ctl_el0, CTL_ENABLE);
	isb();
	deadline = read_sysreg(cntp_cval_el0);
	if (read_sysreg(cntp_ctl_el0) & CTL_ISTATUS)
		why_add(&w, "ISTATUS set %lu ticks before the deadline", deadline - read_sysreg(cntpct_el0));
	wfi();
	back = read_sysreg(cntpct_el0);
	ctl = read_sysreg(cntp_ctl_el0);
	irq_enable();
	if (back < deadline)
		why_add(&w, "WFI returned %lu us early (CNTP_CTL 0x%lx)", ticks_to_ns(deadline - back) / 1000,
			ctl);
	if (!wait_count(0, INTID_PTIMER, taken + 1, 500))
		why_add(&w, "no PPI 30 within 500 ms (CNTP_CTL 0x%lx)", read_sysreg(cntp_ctl_el0));
	else if (!(ptimer_ctl_at_irq & CTL_ISTATUS) || (s64)ptimer_late_at_irq < 0)
		why_add(&w, "PPI 30 taken with CNTP_CTL 0x%lx, %ld ticks after CVAL", ptimer_ctl_at_irq,
			(s64)ptimer_late_at_irq);
	write_sysreg(cntp_ctl_el0, 0);
	isb();
	report("ptimer", &w);
}

/* --- interrupt levels -------------------------------------------------------- */

struct timer_regs {
	const char *name;
	u32 intid;
	void (*set_ctl)(u64);
	void (*set_tval)(u64);
	u64 (*get_ctl)(void);
};

static void vctl(u64 v) { write_sysreg(cntv_ctl_el0, v); isb(); }
static void vtval(u64 v) { write_sysreg(cntv_tval_el0, v); isb(); }
static void pctl(u64 v) { write_sysreg(cntp_ctl_el0, v); isb(); }
static void ptval(u64 v) { write_sysreg(cntp_tval_el0, v); isb(); }
static u64 vctl_read(void) { return read_sysreg(cntv_ctl_el0); }
static u64 pctl_read(void) { return read_sysreg(cntp_ctl_el0); }

static bool pending_in_gicr(u32 intid)
{
	return mmio_read32(gic_sgi_frame(0) + GICR_ISPENDR0) & (1u << intid);
}

/* The timer fires while its PPI is disabled: pending shows it; then `drop`
 * lowers the output, pending clears, and enabling the PPI delivers nothing. */
static void one_case(struct why *w, const struct timer_regs *t, const char *drop)
{
	u32 taken = irq_count(0, t->intid);

	gic_enable_private(0, t->intid, false);
	t->set_ctl(0);
	mmio_write32(gic_sgi_frame(0) + GICR_ICPENDR0, 1u << t->intid);
	t->set_tval(ms_to_ticks(1));
	t->set_ctl(CTL_ENABLE);
	/* QEMU updates ISTATUS when its own timer runs, some time after the deadline */
	if (!WAIT_UNTIL(t->get_ctl() & CTL_ISTATUS, 500))
		why_add(w, "%s: ISTATUS not set 500 ms after a 1 ms TVAL", t->name);
	if (!pending_in_gicr(t->intid))
		why_add(w, "%s fired (CTL 0x%lx), PPI not pending", t->name, t->get_ctl());
	if (drop[0] == 'm')
		t->set_ctl(CTL_ENABLE | CTL_IMASK);
	else if (drop[0] == 'd')
		t->set_ctl(0);
	else
		t->set_tval(ms_to_ticks(1000));
	if (pending_in_gicr(t->intid))
		why_add(w, "%s %s: still pending", t->name, drop);
	gic_enable_private(0, t->intid, true);
	delay_ms(20);
	if (irq_count(0, t->intid) != taken)
		why_add(w, "%s %s: interrupt taken", t->name, drop);
	t->set_ctl(0);
}

void check_timer_levels(void)
{
	static const struct timer_regs timers[2] = {
		{ "vtimer", INTID_VTIMER, vctl, vtval, vctl_read },
		{ "ptimer", INTID_PTIMER, pctl, ptval, pctl_read },
	};
	static const char *const drops[3] = { "masked", "disabled", "re-armed" };
	struct why w = { 0 };

	irq_set_handler(INTID_PTIMER, on_ptimer);
	for (u32 i = 0; i < 2; i++)
		for (u32 d = 0; d < 3; d++)
			one_case(&w, &timers[i], drops[d]);
	report("timer-level", &w);
}
