/*
 * IRQ dispatch for the `gic` mode. The vector (vectors.S, through
 * exception_entry) has saved every register; here the interrupt is
 * acknowledged, counted, handed to its handler and completed (EOImode 0:
 * the EOI also deactivates it).
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"

#define LOG_MAX 32

static volatile u32 counts[SMP_MAX_CPUS][NR_INTIDS];
static volatile u32 spurious[SMP_MAX_CPUS];
static irq_handler handlers[NR_INTIDS];
static volatile u32 log[LOG_MAX];
static volatile u32 log_len;

void irq_set_handler(u32 intid, irq_handler fn)
{
	if (intid < NR_INTIDS)
		handlers[intid] = fn;
}

u32 irq_count(u32 cpu, u32 intid)
{
	return cpu < SMP_MAX_CPUS && intid < NR_INTIDS ? counts[cpu][intid] : 0;
}

void irq_log_reset(void)
{
	log_len = 0;
}

u32 irq_log(u32 *out, u32 max)
{
	u32 n = log_len < max ? log_len : max;

	for (u32 i = 0; i < n; i++)
		out[i] = log[i];
	return n;
}

void irq_entry(void)
{
	u64 iar = read_sysreg_s(ICC_IAR1_EL1);
	u32 intid = (u32)(iar & 0xffffff);
	u32 cpu = cpu_id();

	if (cpu >= SMP_MAX_CPUS)
		cpu = SMP_MAX_CPUS - 1;
	if (intid >= INTID_SPURIOUS) {
		spurious[cpu]++;   /* nothing to complete */
		return;
	}
	if (cpu == 0 && log_len < LOG_MAX)
		log[log_len++] = intid;
	if (intid < NR_INTIDS) {
		if (handlers[intid])
			handlers[intid](cpu, intid);
		dmb_ish();          /* what the handler recorded, before the count */
		counts[cpu][intid]++;
	}
	write_sysreg_s(ICC_EOIR1_EL1, iar);
	isb();
	/* A WFE polling the count, here or on another vCPU, must not sleep through it. */
	publish();
}

u64 now_ticks(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

u64 ms_to_ticks(u64 ms)
{
	return read_sysreg(cntfrq_el0) / 1000 * ms;
}

bool wait_count(u32 cpu, u32 intid, u32 want, u64 timeout_ms)
{
	return WAIT_UNTIL(irq_count(cpu, intid) >= want, timeout_ms);
}
