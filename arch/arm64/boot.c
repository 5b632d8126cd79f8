/*
 * The arm64 boot path: from head.S (MMU off, one CPU) to every CPU running
 * its vCPU loop with the EL2 MMU on.
 */
#include "arch.h"
#include "core/console.h"
#include "core/cpu.h"
#include "core/log.h"
#include "core/page_alloc.h"
#include "core/platform.h"
#include "gicv3.h"
#include "hv_stack.h"
#include "irq.h"
#include "platform_arm.h"
#include "percpu.h"
#include "sysregs.h"
#include "vgic_lr.h"

extern char _start_image[], _end[];
extern char secondary_entry[];

void boot_main(u64 dtb_pa, u64 load_base);
void secondary_main(u32 index);

/* image_size from our own Image header: `bulkhead image` grows it to cover the VM package. */
static u64 loaded_image_size(u64 load_base)
{
	return *(const u64 *)(uintptr_t)(load_base + 16);
}

static u32 current_el(void)
{
	return (u32)(read_currentel() >> 2) & 3;
}

void boot_main(u64 dtb_pa, u64 load_base)
{
	/* Without virtualization=on QEMU enters at EL1, where no hypervisor can run. */
	if (current_el() != 2)
		core_refuse_boot(pa_init(dtb_pa), "Bulkhead was entered at EL1, not EL2: it needs the "
				 "virtualization extensions. Run QEMU with -M virt,virtualization=on "
				 "(or boot from firmware that enters kernels at EL2).");
	arm64_cpu_init(0);
	core_boot(pa_init(dtb_pa), pa_init(load_base), loaded_image_size(load_base));
}

static void cpu_interrupts_init(u32 index)
{
	gic_init_cpu(platform.cpu_hwid[index]);
	vgic_lr_init_cpu();
}

static const char *psci_conduit_name(enum psci_conduit c)
{
	return c == PSCI_CONDUIT_SMC ? "smc" : c == PSCI_CONDUIT_HVC ? "hvc" : "none";
}

static void console_irq(void *unused)
{
	(void)unused;
	console_rx_interrupt();
}

void arch_interrupts_init(void)
{
	const struct arch_platform *a = &platform.arch;
	u32 console = gic_dt_spi_intid(platform.uart_irq, platform.uart_irq_cells);

	if (a->gic_version != 3)
		panic("Bulkhead needs a GICv3 interrupt controller; the device tree has none "
		      "(QEMU: -M virt,gic-version=3)");
	/* Bulkhead takes the timers' interrupts at the PPIs the Base System
	 * Architecture fixes; a board that says otherwise would never deliver them */
	if ((a->timer_ppi_hyp && a->timer_ppi_hyp != PPI_HYP_TIMER) ||
	    (a->timer_ppi_virt && a->timer_ppi_virt != PPI_VIRT_TIMER))
		panic("the device tree puts the timer interrupts at PPIs %u (hyp) and %u (virt); "
		      "Bulkhead uses %u and %u", a->timer_ppi_hyp, a->timer_ppi_virt,
		      PPI_HYP_TIMER, PPI_VIRT_TIMER);
	hv_info("GICv%u distributor 0x%llx, redistributors 0x%llx; timer PPIs: hyp %u, virt %u; "
		"PSCI via %s", a->gic_version, (unsigned long long)a->gicd_base,
		(unsigned long long)a->gicr_base, a->timer_ppi_hyp, a->timer_ppi_virt,
		psci_conduit_name(a->psci));
	gic_init_distributor();
	cpu_interrupts_init(0);
	/* console input is handled on CPU 0, like every device interrupt */
	if (console)
		arch_irq_attach(console, console_irq, NULL);
}

void secondary_main(u32 index)
{
	arm64_cpu_init(index);
	arm64_mmu_enable();
	cpu_interrupts_init(index);
	core_secondary(index);
}

static bool wait_online(u32 index)
{
	u64 deadline = arch_counter_read() + arch_counter_freq(); /* one second */

	while (!__atomic_load_n(&cpus[index].online, __ATOMIC_ACQUIRE)) {
		if (arch_counter_read() > deadline)
			return false;
		wfe();
	}
	return true;
}

void arch_smp_start(void)
{
	for (u32 i = 1; i < platform.ncpus; i++) {
		int rc;

		secondary_stack_tops[i] = hv_stack_top(i);
		/* the new CPU reads these with its MMU and caches off */
		arch_clean_dcache_range(&secondary_stack_tops[i], sizeof(u64));
		arch_clean_dcache_range(_start_image, (u64)(_end - _start_image));
		rc = psci_fw_cpu_on(platform.cpu_hwid[i], (u64)(uintptr_t)secondary_entry, i);
		if (rc != 0) {
			hv_err("cpu %u (mpidr 0x%llx): PSCI CPU_ON failed with %d; left offline", i,
			       (unsigned long long)platform.cpu_hwid[i], rc);
			continue;
		}
		if (!wait_online(i))
			hv_err("cpu %u (mpidr 0x%llx) did not come online within 1 s", i,
			       (unsigned long long)platform.cpu_hwid[i]);
	}
}
