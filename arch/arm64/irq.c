/*
 * Physical interrupts reach EL2: SGI kicks from other CPUs, Bulkhead's own
 * timer, the guest's virtual timer, the vGIC maintenance interrupt and the
 * devices Bulkhead drives (the console UART, disks: arch_irq_attach).
 * Bulkhead runs with interrupts masked and takes them only while a guest runs
 * (they then trap here) or when it sleeps in arch_idle().
 */
#include "arch.h"
#include "core/cpu.h"
#include "core/platform.h"
#include "core/log.h"
#include "core/sched.h"
#include "core/vm.h"
#include "gicv3.h"
#include "irq.h"
#include "percpu.h"
#include "platform_arm.h"
#include "sysregs.h"
#include "vgic_lr.h"
#include "vpmu.h"
#include "vtimer.h"

#define CNTHP_CTL_ENABLE (1ull << 0)

/*
 * Device interrupts attached by drivers (the console UART among them): each
 * an SPI routed to CPU 0, dispatched by INTID. Attached at boot on CPU 0
 * before the other CPUs start, never detached, so the table is read without
 * a lock.
 */
#define MAX_DEVICE_IRQS 40

struct device_irq {
	u32 intid;
	void (*handler)(void *ctx);
	void *ctx;
};

static struct device_irq device_irqs[MAX_DEVICE_IRQS];
static u32 ndevice_irqs;

u32 arch_irq_from_dt(const u32 *cells, u32 ncells)
{
	return gic_dt_spi_intid(cells, ncells);
}

int arch_irq_attach(u32 irq, void (*handler)(void *ctx), void *ctx)
{
	if (irq < INTID_FIRST_SPI || irq >= INTID_SPURIOUS || !handler ||
	    ndevice_irqs == MAX_DEVICE_IRQS)
		return -1;
	/* one handler per line: a second driver claiming it is a board error */
	for (u32 i = 0; i < ndevice_irqs; i++) {
		if (device_irqs[i].intid == irq)
			return -1;
	}
	device_irqs[ndevice_irqs] = (struct device_irq){ irq, handler, ctx };
	ndevice_irqs++;
	gic_route_spi_here(irq, platform.cpu_hwid[0]);
	return 0;
}

/* True when a driver's handler took it. */
static bool dispatch_device_irq(u32 intid)
{
	for (u32 i = 0; i < ndevice_irqs; i++) {
		if (device_irqs[i].intid == intid) {
			device_irqs[i].handler(device_irqs[i].ctx);
			return true;
		}
	}
	return false;
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
		case SGI_VIRQ:
			/* the vCPU's irq_dirty or sgi_new is seen on the way back in
			 * (or by a wait in place); a vCPU no longer here finds it at load */
			gic_eoi(intid);
			break;
		case PPI_HYP_TIMER:
			write_cnthp_ctl_el2(0); /* sched_timer_expired() programs the next one */
			gic_eoi(intid);
			leave |= sched_timer_expired();
			break;
		case PPI_VIRT_TIMER:
		case PPI_PHYS_TIMER:
			if (vcpu)
				vtimer_fired(vcpu, intid == PPI_VIRT_TIMER ? GTIMER_VIRT : GTIMER_PHYS);
			gic_eoi(intid);
			break;
		case PPI_PMU:
			vpmu_overflow(vcpu);
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
			/* a handler that leaves work for the loop queues it,
			 * and work_queue's kick (taken in this loop) makes the
			 * guest leave: completing here keeps it running */
			if (!dispatch_device_irq(intid)) {
				hv_debug("unexpected interrupt %u", intid);
			}
			gic_eoi(intid);
			break;
		}
	}
	return leave ? VCPU_YIELD : VCPU_RESUME;
}

bool arch_poll_irqs(void)
{
	return arm64_handle_irqs(NULL) != VCPU_RESUME;
}

void arm64_idle_wfi(void)
{
	struct arm64_percpu *p = this_percpu();

	if (p->awake_since)
		__atomic_store_n(&p->busy_ticks, p->busy_ticks + arch_counter_read() - p->awake_since,
				 __ATOMIC_RELAXED);
	__atomic_store_n(&p->awake_since, 0, __ATOMIC_RELAXED);
	wfi();
	__atomic_store_n(&p->awake_since, arch_counter_read(), __ATOMIC_RELAXED);
}

void arch_idle(void)
{
	arm64_idle_wfi();
	arm64_handle_irqs(NULL);
}

u64 arch_cpu_busy_ticks(u32 cpu)
{
	u64 since = __atomic_load_n(&arm64_percpu[cpu].awake_since, __ATOMIC_RELAXED);
	u64 busy = __atomic_load_n(&arm64_percpu[cpu].busy_ticks, __ATOMIC_RELAXED);

	/* a CPU awake now: its time since it woke counts too */
	return busy + (since ? arch_counter_read() - since : 0);
}

void arch_kick_cpu(u32 cpu)
{
	gic_send_sgi(cpus[cpu].hwid, SGI_KICK);
}

void arch_kick_cpu_irq(u32 cpu)
{
	gic_send_sgi(cpus[cpu].hwid, SGI_VIRQ);
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

void arch_io_wmb(void)
{
	/* a full-system barrier: the device may sit outside the inner domain */
	__asm__ volatile("dsb st" ::: "memory");
}

void arch_io_rmb(void)
{
	__asm__ volatile("dsb ld" ::: "memory");
}
