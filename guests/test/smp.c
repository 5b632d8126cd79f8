/*
 * The second vCPU: started by PSCI CPU_ON at secondary_entry (smp.S), it
 * sets up its GIC CPU interface and then runs commands vCPU 0 posts in a
 * mailbox, sleeping in WFI in between. Only vCPU 0 prints; the secondary
 * reports through `sec`.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"
#include "hypercall.h"

/* Read by smp.S with the MMU off: layout fixed, cleaned to PoC before use. */
struct smp_boot_regs {
	u64 mair, tcr, ttbr0, sctlr;
};
struct smp_boot_regs smp_boot __attribute__((aligned(64)));

struct secondary_state sec;
/* Written by smp.S with the caches off: a line of its own. */
volatile u32 secondary_stage __attribute__((aligned(64)));

static void clean_to_poc(const void *p, u64 size)
{
	u64 line = 4ull << ((read_sysreg(ctr_el0) >> 16) & 0xf);

	for (u64 a = align_down((u64)p, line); a < (u64)p + size; a += line)
		asm volatile("dc civac, %0" : : "r"(a) : "memory");
	dsb_sy();
}

void smp_prepare(void)
{
	smp_boot.mair = read_sysreg(mair_el1);
	smp_boot.tcr = read_sysreg(tcr_el1);
	smp_boot.ttbr0 = read_sysreg(ttbr0_el1);
	smp_boot.sctlr = read_sysreg(sctlr_el1);
	clean_to_poc(&smp_boot, sizeof(smp_boot));
}

s64 smp_cpu_on(u64 mpidr, u64 entry, u64 context)
{
	publish();
	return (s64)psci_call(PSCI_CPU_ON_64, mpidr, entry, context);
}

s64 smp_affinity_info(u64 mpidr)
{
	return (s64)psci_call(PSCI_AFFINITY_INFO_64, mpidr, 0, 0);
}

bool smp_command(enum secondary_cmd cmd, u64 arg, u64 timeout_ms)
{
	u32 seq = sec.seq + 1;

	sec.cmd = cmd;
	sec.arg = arg;
	dmb_ish();
	sec.seq = seq;
	publish();
	gic_sgi_to(1, SGI_KICK);
	if (!timeout_ms)
		return true;
	return WAIT_UNTIL(sec.done == seq, timeout_ms);
}

/* WFI with IRQs unmasked until the wake-up SGI's handler has run. A virtual
 * timer 2 s ahead rescues a vCPU that nothing else wakes, so that vCPU 0 can
 * report it (the handler's time of arrival then shows it came late). */
static void cmd_wfi(void)
{
	write_sysreg(cntv_cval_el0, now_ticks() + ms_to_ticks(2000));
	write_sysreg(cntv_ctl_el0, 1);
	isb();
	sec.wfi_entered++;
	publish();
	while (!sec.sgi_at) {
		wfi();
		sec.wfi_returns++;
	}
	write_sysreg(cntv_ctl_el0, 0);
	isb();
}

static void run_command(u32 seq)
{
	u32 cmd;
	u64 arg;

	dmb_ish();
	cmd = sec.cmd;
	arg = sec.arg;
	switch (cmd) {
	case CMD_SEND_SGI:
		gic_send_sgi(arg);
		break;
	case CMD_WFI:
		cmd_wfi();
		break;
	case CMD_CPU_OFF:
		/* Acknowledged first: a successful CPU_OFF does not return. */
		sec.done = seq;
		publish();
		sec.result = psci_call(PSCI_CPU_OFF, 0, 0, 0);
		publish();
		return;
	default:
		break;
	}
	sec.done = seq;
	publish();
}

void secondary_main(u64 context)
{
	const char *err;

	sec.context = context;
	sec.mpidr = read_sysreg(mpidr_el1);
	/* SErrors are never expected; unmasked, they get reported. */
	asm volatile("msr daifclr, #4" : : : "memory");
	secondary_stage = 3;
	err = gic_cpu_init();
	secondary_stage = 4;
	if (!err)
		gic_enable_private(cpu_id(), INTID_VTIMER, true);
	sec.init_error = err;
	sec.done = sec.seq;   /* nothing is owed from before a CPU_OFF */
	dmb_ish();
	sec.online++;
	publish();

	for (;;) {
		u32 seq;

		/* Masked while deciding to sleep, so a doorbell cannot slip in
		 * between the test and the WFI (a pending IRQ ends WFI anyway). */
		irq_disable();
		while ((seq = sec.seq) == sec.done) {
			wfi();
			irq_enable();
			irq_disable();
		}
		irq_enable();
		run_command(seq);
	}
}
