/*
 * Boot, after the arch entry code: read the board, bring up the console and
 * the page allocator, map the hypervisor, start the CPUs, create the VMs.
 */
#include "arch.h"
#include "core/boot_option.h"
#include "core/boot_uplink.h"
#include "core/console.h"
#include "core/cpu.h"
#include "core/firmware.h"
#include "core/log.h"
#include "core/package.h"
#include "core/page_alloc.h"
#include "core/platform.h"
#include "core/vm.h"
#include "drivers/blk.h"
#include "drivers/net.h"
#include "drivers/pl011.h"
#include "net/uplink.h"
#include "storage/pool_vms.h"
#include "storage/volume.h"
#include "lib/string.h"

#include "core/version.h"


struct cpu cpus[MAX_CPUS];
static struct package boot_package;

static const struct console_ops uart_console = {
	.putc = pl011_putc, .getc = pl011_getc, .rx_irq = pl011_set_rx_interrupt,
};

static bool overlaps(u64 a, u64 asize, u64 b, u64 bsize)
{
	return a < b + bsize && b < a + asize;
}

static bool firmware_reserved(u64 at, u64 size)
{
	for (u32 i = 0; i < platform.nreserved; i++) {
		if (overlaps(at, size, platform.reserved[i].base, platform.reserved[i].size))
			return true;
	}
	return false;
}

/*
 * The allocator's bitmaps need memory before there is an allocator: take the
 * first page-aligned run after the image that avoids the device tree and
 * what the firmware reserved.
 */
static u64 place_bitmaps(u64 image_end, u64 dtb, u64 dtb_size, u64 bytes)
{
	u64 candidates[2] = { align_up(image_end, PAGE_SIZE), align_up(dtb + dtb_size, PAGE_SIZE) };

	for (u32 c = 0; c < 2; c++) {
		u64 at = candidates[c];

		if (overlaps(at, bytes, dtb, dtb_size) || firmware_reserved(at, bytes))
			continue;
		for (u32 i = 0; i < platform.nmem; i++) {
			const struct mem_range *m = &platform.mem[i];

			if (at >= m->base && at + bytes <= m->base + m->size)
				return at;
		}
	}
	return 0;
}

/* Clipped to each bank first: a reservation may name any address at all. */
static void reserve_firmware_regions(void)
{
	for (u32 r = 0; r < platform.nreserved; r++) {
		const struct reserved_range *res = &platform.reserved[r];

		for (u32 i = 0; i < platform.nmem; i++) {
			const struct mem_range *m = &platform.mem[i];
			u64 res_end = res->base + res->size, bank_end = m->base + m->size;
			u64 lo = res->base > m->base ? res->base : m->base;
			u64 hi = res_end < bank_end ? res_end : bank_end;

			if (lo < hi)
				page_pool_reserve(&hv_pages, pa_init(lo), hi - lo);
		}
	}
}

/*
 * The lines just said may still sit in the console's ring while another CPU
 * drains it: flush them, or the reason for powering off is lost.
 */
static void __attribute__((noreturn)) power_off(void)
{
	console_flush_for_power_off();
	arch_system_off();
}

/*
 * On UEFI boards the device tree's memory nodes often cover what the UEFI
 * map keeps (runtime services, ACPI, reserved): keep it like the tree's own
 * reservations, and unmapped, since Bulkhead never touches it. The one
 * exception is the run holding the device tree itself (some firmware puts
 * it in ACPI reclaim memory): Bulkhead still reads it, so that run stays mapped.
 */
static void keep_boot_firmware_memory(void)
{
	u64 dtb = pa_addr(platform.dtb), dtb_size = platform.fdt.total_size;
	u64 base, size;

	if (arch_boot_reserved_overflow()) {
		hv_err("the UEFI memory map keeps more regions than Bulkhead can track: powering off");
		power_off();
	}
	for (u32 i = 0; arch_boot_reserved(i, &base, &size); i++) {
		bool no_map = !overlaps(base, size, dtb, dtb_size);

		if (!platform_add_reserved(&platform, base, size, no_map, RESERVED_BY_UEFI)) {
			hv_err("the firmware reserves more memory regions than Bulkhead can track: "
			       "powering off");
			power_off();
		}
	}
}

static void init_memory(paddr_t image, u64 image_size)
{
	u64 dtb = pa_addr(platform.dtb);
	u64 dtb_size = platform.fdt.total_size;
	u64 bytes = 0;
	u64 at;

	for (u32 i = 0; i < platform.nmem; i++)
		bytes += page_bank_bitmap_bytes(platform.mem[i].size);
	at = place_bitmaps(pa_addr(image) + image_size, dtb, dtb_size, bytes);
	if (!at)
		panic("no room for the page allocator's %llu-byte bitmap", (unsigned long long)bytes);
	for (u32 i = 0, off = 0; i < platform.nmem; i++) {
		const struct mem_range *m = &platform.mem[i];
		u64 base = align_up(m->base, PAGE_SIZE);
		u64 size = align_down(m->base + m->size, PAGE_SIZE) - base;

		if (page_pool_add_bank(&hv_pages, pa_init(base), size, (u64 *)(uintptr_t)(at + off)))
			hv_warn("memory bank 0x%llx+0x%llx ignored", (unsigned long long)m->base,
				(unsigned long long)m->size);
		off += (u32)page_bank_bitmap_bytes(size);
	}
	page_pool_reserve(&hv_pages, image, image_size);
	page_pool_reserve(&hv_pages, platform.dtb, dtb_size);
	page_pool_reserve(&hv_pages, pa_init(at), bytes);
	reserve_firmware_regions();
}

/* Bytes of the hypervisor itself, without the VM package after it. */
static u64 hv_image_size(void)
{
	struct image_layout layout;

	arch_image_layout(&layout);
	return layout.end - layout.start;
}

static void print_map(paddr_t image, u64 image_size)
{
	u64 base = pa_addr(image);
	struct image_layout layout;

	arch_image_layout(&layout);

	for (u32 i = 0; i < platform.nmem; i++) {
		hv_info("RAM 0x%llx-0x%llx (%llu MiB)", (unsigned long long)platform.mem[i].base,
			(unsigned long long)(platform.mem[i].base + platform.mem[i].size),
			(unsigned long long)(platform.mem[i].size / MiB));
	}
	hv_info("hypervisor 0x%llx-0x%llx: text 0x%llx (RX), rodata 0x%llx (R), data 0x%llx (RW)",
		(unsigned long long)base, (unsigned long long)layout.end, (unsigned long long)base,
		(unsigned long long)layout.text_end, (unsigned long long)layout.rodata_end);
	if (base + image_size > layout.end)
		hv_info("VM package 0x%llx-0x%llx (R)", (unsigned long long)layout.end,
			(unsigned long long)(base + image_size));
	for (u32 i = 0; i < platform.nreserved; i++) {
		const struct reserved_range *r = &platform.reserved[i];

		hv_info("reserved by %s 0x%llx-0x%llx%s", r->by == RESERVED_BY_UEFI ? "UEFI" : "firmware",
			(unsigned long long)r->base, (unsigned long long)(r->base + r->size),
			r->no_map && r->by == RESERVED_BY_DT ? " (no-map)" : "");
	}
	hv_info("device tree 0x%llx (%u bytes); console PL011 at 0x%llx",
		(unsigned long long)pa_addr(platform.dtb), platform.fdt.total_size,
		(unsigned long long)platform.uart.base);
	hv_info("%u virtio-mmio slots; %llu MiB free for VMs", platform.virtio_mmio_count,
		(unsigned long long)(hv_pages.free_pages * PAGE_SIZE / MiB));
}

static void mark_online(u32 index)
{
	cpus[index].index = index;
	cpus[index].hwid = platform.cpu_hwid[index];
	__atomic_store_n(&cpus[index].online, true, __ATOMIC_RELEASE);
	arch_send_event();
}

/* What Bulkhead itself holds: everything in use that is not VM memory (RAM
 * and firmware flash), the firmware's device tree or the VM package. */
static void report_memory(paddr_t image, u64 image_size)
{
	u64 used = (hv_pages.total_pages - hv_pages.free_pages) * PAGE_SIZE;
	u64 hv_image = hv_image_size();
	u64 vm_ram = 0;

	for (u32 i = 0; i < MAX_VMS; i++) {
		if (vms[i].state != VM_FREE)
			vm_ram += vms[i].ram.pages * PAGE_SIZE + firmware_bytes(&vms[i]);
	}
	used -= vm_ram + align_up(platform.fdt.total_size, PAGE_SIZE) + (image_size - hv_image);
	hv_info("memory: %llu MiB for VMs; hypervisor %llu KiB (image %llu KiB)",
		(unsigned long long)(vm_ram / MiB), (unsigned long long)(used / KiB),
		(unsigned long long)(hv_image / KiB));
}

static void start_vms(paddr_t image, u64 image_size)
{
	u64 hv_size = hv_image_size();
	const char *why;
	u32 count, defined;

	if (package_open(&boot_package, (const u8 *)pa_to_ptr(image) + hv_size,
			 image_size > hv_size ? image_size - hv_size : 0, &why)) {
		hv_err("%s; nothing to run: powering off", why);
		power_off();
	}
	count = package_vm_count(&boot_package);
	hv_info("VM package: %u VM%s", count, count == 1 ? "" : "s");
	defined = vm_boot_all(&boot_package);
	pool_vms_drop_clashes(vm_in_boot_image);
	defined += pool_vm_at(0) != NULL;
	if (vm_running_count() == 0 && defined == 0 && boot_on_idle() == ON_IDLE_POWEROFF) {
		hv_err("no VM could be started: powering off");
		power_off();
	}
	if (vm_running_count() == 0)
		hv_info("no VM is running yet: the shell's `create NAME` starts one");
	report_memory(image, image_size);
}

/* Reads the board and opens the console; false when there is no usable board. */
static bool open_console(paddr_t dtb, const char **why)
{
	bool ok = platform_parse(&platform, pa_to_ptr(dtb), why) == 0;

	if (platform.uart.base) {
		pl011_init(pa_init(platform.uart.base));
		console_init(&uart_console);
	}
	return ok;
}

void core_refuse_boot(paddr_t dtb, const char *why)
{
	const char *unused;

	open_console(dtb, &unused);
	hv_err("%s", why);
	power_off();
}

void core_boot(paddr_t dtb, paddr_t image, u64 image_size)
{
	const char *why;

	if (!open_console(dtb, &why)) {
		hv_err("cannot start: %s", why);
		power_off();
	}
	if (!log_set_from_cmdline(platform.bootargs))
		hv_warn("unknown loglevel in '%s' (use error, warn, info or debug)", platform.bootargs);
	if (!boot_uplink_parse(platform.bootargs))
		hv_err("bad uplink= in '%s' (a switch name: 1 to 15 of A-Z a-z 0-9 _ . -); the "
		       "uplink joins no switch", platform.bootargs);
	if (!boot_on_idle_parse(platform.bootargs))
		hv_err("bad on_idle= in '%s' (use poweroff or stay); on_idle=poweroff",
		       platform.bootargs);
	hv_info("Bulkhead " BULKHEAD_VERSION " starting at EL2 on %u CPU%s", platform.ncpus,
		platform.ncpus == 1 ? "" : "s");
	if (platform.ncpus_in_dt > platform.ncpus)
		hv_warn("the device tree lists %u CPUs; using the first %u", platform.ncpus_in_dt,
			platform.ncpus);
	keep_boot_firmware_memory();
	init_memory(image, image_size);
	arch_mmu_init(image, image_size);
	arch_interrupts_init();
	pl011_enable_rx_interrupt();
	print_map(image, image_size);
	blk_probe_all();
	volume_scan_pool();
	net_probe_all();
	uplink_start();
	mark_online(0);
	hv_info("cpu 0 online (" ARCH_CPU_HWID_NAME " 0x%llx)", (unsigned long long)cpus[0].hwid);
	arch_smp_start();
	start_vms(image, image_size);
	cpu_run_loop();
}

void core_secondary(u32 index)
{
	mark_online(index);
	hv_info("cpu %u online (" ARCH_CPU_HWID_NAME " 0x%llx)", index,
		(unsigned long long)cpus[index].hwid);
	cpu_run_loop();
}
