/*
 * C entry and the test modes. The mode comes from the bootargs word
 * test=MODE; every mode ends by powering the VM off (or resetting it), so
 * the host sees a definite end.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/smccc.h"
#include "guests/test/sysreg.h"
#include "hypercall.h"
#include "lib/string.h"

struct platform plat;
u64 entry_regs[4];

static void map_or_die(u64 addr, u64 size, enum map_kind kind, const char *what)
{
	if (mmu_map(addr, size, kind)) {
		printk("FAIL cannot map %s 0x%lx+0x%lx\n", what, addr, size);
		power_off();
	}
}

static void setup_mmu(void)
{
	u64 img = (u64)_start, img_size = (u64)_end - (u64)_start;
	u64 ram_end = plat.ram_base + plat.ram_size;

	if (plat.has_memory)
		map_or_die(plat.ram_base, plat.ram_size, MAP_NORMAL, "RAM");
	/* A DT that misplaces RAM must not take our own code away. */
	if (!plat.has_memory || img < plat.ram_base || img + img_size > ram_end)
		map_or_die(img, img_size, MAP_NORMAL, "image");
	if (plat.dtb_size && (!plat.has_memory || plat.dtb_addr < plat.ram_base ||
			      plat.dtb_addr + plat.dtb_size > ram_end))
		map_or_die(plat.dtb_addr, plat.dtb_size, MAP_NORMAL, "DTB");
	if (plat.uart_base)
		map_or_die(plat.uart_base, PAGE_SIZE, MAP_DEVICE, "UART");
	mmu_enable();
}

/*
 * A guest that can never take an exception: VBAR at an IPA outside RAM
 * (mapped in stage 1 so that the fetch reaches stage 2), then an abort. The
 * fetch of the vector aborts, which is taken at the same vector, for ever:
 * the hypervisor must call it a crash.
 */
void mode_crash(void)
{
	u64 ram_end = plat.ram_base + plat.ram_size;
	u64 vbar = align_up(ram_end + 64 * KiB, 2 * KiB);
	u32 v;

	printk("crash test: faulting with no vector table\n");
	map_or_die(vbar, PAGE_SIZE, MAP_NORMAL, "vector page");
	map_or_die(ram_end, PAGE_SIZE, MAP_DEVICE, "target");
	write_sysreg(vbar_el1, vbar);
	isb();
	v = *(volatile u32 *)ram_end;
	printk("FAIL crash test: load from 0x%lx returned 0x%x\n", ram_end, v);
	power_off();
}

/*
 * Leaves a pattern in RAM between our image and the DTB before resetting, so
 * that the ram-zeroed check of the next boot proves the hypervisor scrubbed
 * the VM's memory on restart.
 */
static void dirty_ram(void)
{
	u64 start = align_up((u64)_end, PAGE_SIZE);
	u64 end = plat.dtb_addr > start ? align_down(plat.dtb_addr, PAGE_SIZE) : start;

	for (u64 *p = (u64 *)start; (u64)p < end; p++)
		*p = 0xa5a5a5a5a5a5a5a5ull;
	printk("reset test: wrote a pattern over 0x%lx-0x%lx\n", start, end);
}

/* A guest stuck re-taking the same abort: the hypervisor must call it a crash. */
void mode_faultloop(void)
{
	u64 ram_end = plat.ram_base + plat.ram_size;

	printk("fault loop test: retrying a load from 0x%lx forever\n", ram_end);
	map_or_die(ram_end, PAGE_SIZE, MAP_DEVICE, "target");
	fault_loop(ram_end);
	power_off();
}

/* An explicit panic notification through the Bulkhead hypercall. */
void mode_panic(void)
{
	u64 ret;

	printk("panic test: notifying the hypervisor\n");
	ret = smccc_hvc(BH_HC_PANIC, 0xdead, 0, 0);
	printk("FAIL panic test: BH_HC_PANIC returned 0x%lx\n", ret);
	power_off();
}

void mode_reset(void)
{
	u64 ret;

	printk("reset test: boot\n");
	check_ram_zeroed();
	dirty_ram();
	ret = psci_call(PSCI_SYSTEM_RESET, 0, 0, 0);
	printk("FAIL system-reset returned 0x%lx\n", ret);
	power_off();
}

static void mode_hello(void)
{
	printk("hello from %s\n", plat.name);
	for (int i = 0; i < 5; i++) {
		if (i)
			delay_ms(20);
		printk("tick %d\n", i);
	}
	power_off();
}

/* Only the benchmarks, for a trace of the hypervisor's part in them. */
static void mode_bench(void)
{
	run_bench(true);
	power_off();
}

static volatile u32 idle_wakes;

static void on_idle_timer(u32 cpu, u32 intid)
{
	write_sysreg(cntv_ctl_el0, 0);
	idle_wakes++;
}

/* A sleep of `ms` in WFI, its virtual timer's interrupt the only one armed. */
static void sleep_wfi(u64 ms)
{
	u32 before = idle_wakes;

	/* masked while deciding to sleep, as in sched_modes.c's shot() */
	irq_disable();
	write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + ms_to_ticks(ms));
	write_sysreg(cntv_ctl_el0, 1);
	isb();
	while (idle_wakes == before) {
		wfi();
		irq_enable();
		irq_disable();
	}
	irq_enable();
}

/*
 * Sleeps 1 ms and then ms= milliseconds in WFI, and powers off. The
 * hypervisor's count of busy time from each CPU's first idle, taken for two
 * values of ms=, tells how much it does per second while a machine idles.
 */
static void mode_idle(void)
{
	if (gic_probe() || gic_dist_init() || gic_cpu_init()) {
		printk("FAIL idle: no usable GICv3\n");
		power_off();
	}
	irq_set_handler(INTID_VTIMER, on_idle_timer);
	gic_enable_private(0, INTID_VTIMER, true);
	irq_enable();
	sleep_wfi(1);
	sleep_wfi(plat.ms);
	printk("IDLE slept %u ms\n", plat.ms);
	power_off();
}

void guest_main(u64 dtb, u64 entry_ticks, u64 started_el2);

void guest_main(u64 dtb, u64 entry_ticks, u64 started_el2)
{
	plat.entry_ticks = entry_ticks;
	plat.no_hv = started_el2;
	plat.dtb_addr = dtb;
	dt_parse(&plat);
	/* Without a UART nothing can be reported, but the run still ends. */
	console_init(plat.uart_base);
	bootargs_parse(&plat);

	printk("bulkhead test guest: mode=%s\n", plat.mode);
	if (plat.no_hv)
		printk("NOTE: started at EL2, no hypervisor\n");
	setup_mmu();
	/* SErrors are never expected; unmasked, they get reported. */
	asm volatile("msr daifclr, #4" : : : "memory");

	if (!strcmp(plat.mode, "all"))
		run_checks();
	else if (!strcmp(plat.mode, "crash"))
		mode_crash();
	else if (!strcmp(plat.mode, "reset"))
		mode_reset();
	else if (!strcmp(plat.mode, "hello"))
		mode_hello();
	else if (!strcmp(plat.mode, "gic"))
		mode_gic();
	else if (!strcmp(plat.mode, "gicbench"))
		mode_gic_bench();
	else if (!strcmp(plat.mode, "faultloop"))
		mode_faultloop();
	else if (!strcmp(plat.mode, "panic"))
		mode_panic();
	else if (!strcmp(plat.mode, "spin"))
		mode_spin();
	else if (!strcmp(plat.mode, "latency"))
		mode_latency();
	else if (!strcmp(plat.mode, "button"))
		mode_button();
	else if (!strcmp(plat.mode, "flood"))
		mode_flood();
	else if (!strcmp(plat.mode, "steady"))
		mode_steady();
	else if (!strcmp(plat.mode, "prompt"))
		mode_prompt();
	else if (!strcmp(plat.mode, "tpidr2"))
		mode_tpidr2();
	else if (!strcmp(plat.mode, "setwayloop"))
		mode_setwayloop();
	else if (!strcmp(plat.mode, "resetloop"))
		mode_resetloop();
	else if (!strcmp(plat.mode, "regs"))
		mode_regs();
	else if (!strcmp(plat.mode, "setway"))
		mode_setway();
	else if (!strcmp(plat.mode, "fill"))
		mode_fill();
	else if (!strcmp(plat.mode, "sweep"))
		mode_sweep();
	else if (!strcmp(plat.mode, "vecfault"))
		mode_vecfault();
	else if (!strcmp(plat.mode, "timerstall"))
		mode_timerstall();
	else if (!strcmp(plat.mode, "virtio-hostile"))
		mode_virtio_hostile();
	else if (!strcmp(plat.mode, "vnet-hostile"))
		mode_vnet_hostile();
	else if (!strcmp(plat.mode, "balloon-hostile"))
		mode_balloon_hostile();
	else if (!strcmp(plat.mode, "simd-keep"))
		mode_simd_keep();
	else if (!strcmp(plat.mode, "pmu"))
		mode_pmu();
	else if (!strcmp(plat.mode, "pmuleak"))
		mode_pmuleak();
	else if (!strcmp(plat.mode, "dbgshare"))
		mode_dbgshare();
	else if (!strcmp(plat.mode, "sve-keep"))
		mode_sve_keep();
	else if (!strcmp(plat.mode, "idle"))
		mode_idle();
	else if (!strcmp(plat.mode, "chaos"))
		mode_chaos();
	else if (!strcmp(plat.mode, "bench"))
		mode_bench();
	else if (!strcmp(plat.mode, "blkbench"))
		mode_blkbench();
	printk("FAIL unknown test mode '%s'\n", plat.mode);
	power_off();
}
