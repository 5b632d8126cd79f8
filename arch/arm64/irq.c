/*
 * Physical interrupts reach EL2: SGI kicks from other CPUs, Bulkhead's own
 * timer, the guest's virtual timer and the vGIC maintenance interrupt.
 * Bulkhead runs with interrupts masked and takes them only while a guest runs
 * (they then trap here) or when it sleeps in arch_idle().
 */
#include "arch.h"
#include "core/console.h"
#include "core/cpu.h"
#include "core/log.h"
#include "core/sched.h"
#include "core/vm.h"
#include "gicv3.h"
#include "irq.h"
#include "sysregs.h"
#include "vgic_lr.h"
#include "vtimer.h"

#define CNTHP_CTL_ENABLE (1ull << 0)

/* The console UART's interrupt (CPU 0 takes it), 0 when the board names none. */
static u32 console_intid;

void arm64_irq_set_console(u32 intid)
{
	console_intid = intid;
}

/* At most this many interrupts per call, so that a source that keeps firing
 * cannot hold the CPU here: what is left is taken on the next exit. */
#define MAX_IRQS_PER_EXIT 16

/* VCPU_YIELD when the running vCPU (if any) must leave the guest: it was
 * kicked, preempted, or console input waits for CPU 0's loop. */
enum vcpu_next arm64_handle_irqs(struct vcpu *vcpu)
{
	bool leave = false;

	for (u32 n = 0; n < MAX_IRQS_PER_EXIT; n++) {
		u32 intid = gic_ack();

		if (intid >= INTID_SPURIOUS)
			break;
		switch (intid) {
		case SGI_KICK:
			gic_eoi(intid);
			leave |= sched_kicked();
			break;
		case PPI_HYP_TIMER:
			write_cnthp_ctl_el2(0); /* sched_timer_expired() programs the next one */
			gic_eoi(intid);
			leave |= sched_timer_expired();
			break;
		case PPI_VIRT_TIMER:
			if (vcpu)
				vtimer_fired(vcpu);
			gic_eoi(intid);
			break;
		case PPI_MAINTENANCE:
			if (vcpu)
				vgic_maintenance(vcpu);
			else
				write_ich_hcr_el2(1);
			gic_eoi(intid);
			break;
		default:
			if (intid == console_intid) {
				console_rx_interrupt();
				/* back to the loop, which routes the input */
				leave |= vcpu != NULL;
			} else {
				hv_debug("unexpected interrupt %u", intid);
			}
			gic_eoi(intid);
			break;
		}
	}
	return leave ? VCPU_YIELD : VCPU_RESUME;
}

void arch_idle(void)
{
	wfi();
	arm64_handle_irqs(NULL);
}

void arch_kick_cpu(u32 cpu)
{
	gic_send_sgi(cpus[cpu].hwid, SGI_KICK);
}

void arch_set_timer(u64 when)
{
	if (!when) {
		write_cnthp_ctl_el2(0);
		return;
	}
	write_cnthp_cval_el2(when);
	write_cnthp_ctl_el2(CNTHP_CTL_ENABLE);
	isb();
}
