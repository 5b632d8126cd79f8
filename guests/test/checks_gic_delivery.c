/*
 * Delivery checks of the `gic` mode that a lax hypervisor would pass by
 * luck: a WFI that must block, and more pending interrupts than the CPU
 * interface has list registers (QEMU has four).
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"

#define CNTV_ENABLE  (1ull << 0)
#define CNTV_ISTATUS (1ull << 2)
#define WFI_AHEAD_MS 10

/*
 * One WFI with IRQs masked and nothing pending but a virtual timer due
 * WFI_AHEAD_MS later. Bulkhead ends a WFI only for a pending interrupt, so
 * the single WFI must not return before the deadline; one that did nothing
 * returns at once. (Losing the CPU for that long before the WFI makes the
 * timer due already: then the check proves less, but never fails wrongly.)
 */
void check_wfi_blocks(void)
{
	struct why w = { 0 };
	u32 taken = irq_count(0, INTID_VTIMER);
	u64 deadline, back, ctl;

	gic_enable_private(0, INTID_VTIMER, true);
	irq_disable();
	deadline = now_ticks() + ms_to_ticks(WFI_AHEAD_MS);
	write_sysreg(cntv_cval_el0, deadline);
	write_sysreg(cntv_ctl_el0, CNTV_ENABLE);
	isb();
	wfi();
	back = now_ticks();
	ctl = read_sysreg(cntv_ctl_el0);
	irq_enable();
	if ((s64)(back - deadline) < 0)
		why_add(&w, "WFI returned %lu us before the timer was due (CNTV_CTL 0x%lx)",
			ticks_to_ns(deadline - back) / 1000, ctl);
	else if (!(ctl & CNTV_ISTATUS))
		why_add(&w, "WFI returned, timer not expired (CNTV_CTL 0x%lx)", ctl);
	if (!wait_count(0, INTID_VTIMER, taken + 1, 500))
		why_add(&w, "no timer interrupt within 500 ms of unmasking");
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	report("wfi-blocks", &w);
}

/* SGIs with no handler in this mode, and their priorities: not in INTID
 * order, so that picking by INTID instead of priority shows. */
static const struct {
	u32 sgi;
	u8 prio;
} overflow[] = {
	{ 13, 0xd0 }, { SGI_PRIO_LOW, 0x90 }, { 14, 0xb0 }, { SGI_NOWHERE, 0x80 },
	{ SGI_PMR, 0xe0 }, { 15, 0xa0 }, { SGI_IMASK, 0xc0 },
};
#define NR_OVERFLOW (sizeof(overflow) / sizeof(overflow[0]))

static bool is_overflow_sgi(u32 intid)
{
	for (u32 i = 0; i < NR_OVERFLOW; i++)
		if (overflow[i].sgi == intid)
			return true;
	return false;
}

/* Index in `overflow` of the one taken k-th: in priority order. */
static u32 expected_at(u32 k)
{
	u32 rank[NR_OVERFLOW];

	for (u32 i = 0; i < NR_OVERFLOW; i++)
		rank[i] = i;
	for (u32 i = 0; i <= k; i++)
		for (u32 j = i + 1; j < NR_OVERFLOW; j++)
			if (overflow[rank[j]].prio < overflow[rank[i]].prio) {
				u32 t = rank[i];

				rank[i] = rank[j];
				rank[j] = t;
			}
	return rank[k];
}

/*
 * Seven SGIs pended with IRQs masked: three more than the list registers
 * hold, so the hypervisor must bring the rest in (underflow maintenance)
 * while the guest takes them, without an exit of its own to help: after
 * unmasking the guest only polls memory. Each must come exactly once, in
 * priority order.
 */
void check_lr_overflow(void)
{
	struct why w = { 0 };
	u32 before[NR_OVERFLOW], log[32], n, k = 0;

	for (u32 i = 0; i < NR_OVERFLOW; i++) {
		gic_set_private_prio(0, overflow[i].sgi, overflow[i].prio);
		before[i] = irq_count(0, overflow[i].sgi);
	}
	irq_disable();
	irq_log_reset();
	for (u32 i = 0; i < NR_OVERFLOW; i++)
		gic_sgi_to(0, overflow[i].sgi);
	isb();
	irq_enable();
	/* no WFE: a trap would give the hypervisor a chance to refill anyway */
	for (u64 t0 = now_ticks(); now_ticks() - t0 < ms_to_ticks(500);) {
		u32 got = 0;

		for (u32 i = 0; i < NR_OVERFLOW; i++)
			got += irq_count(0, overflow[i].sgi) != before[i];
		if (got == NR_OVERFLOW)
			break;
	}
	delay_ms(5);   /* a second delivery would show up by now */
	for (u32 i = 0; i < NR_OVERFLOW; i++) {
		u32 c = irq_count(0, overflow[i].sgi) - before[i];

		if (c != 1)
			why_add(&w, "SGI %u (priority 0x%x) taken %u times", overflow[i].sgi,
				overflow[i].prio, c);
		gic_set_private_prio(0, overflow[i].sgi, PRIO_DEFAULT);
	}
	n = irq_log(log, 32);
	for (u32 i = 0; i < n && !w.len; i++) {
		if (!is_overflow_sgi(log[i]))
			continue;
		if (log[i] != overflow[expected_at(k)].sgi)
			why_add(&w, "taken %u-th: SGI %u, expected SGI %u (priority 0x%x)", k + 1,
				log[i], overflow[expected_at(k)].sgi, overflow[expected_at(k)].prio);
		k++;
	}
	report("lr-overflow", &w);
}
