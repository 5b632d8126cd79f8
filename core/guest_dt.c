/*
 * The VM's device tree: memory, vCPUs, PSCI over HVC, the PL011, the PL061
 * with its power button, and chosen. Only what the VM really has is
 * described.
 */
#include "core/guest_dt.h"
#include "core/guest_layout.h"
#include "core/page_alloc.h"
#include "core/vm.h"
#include "devices/pl011.h"
#include "devices/pl061.h"
#include "lib/fdt.h"
#include "lib/fmt.h"

#define PHANDLE_APB_CLOCK 1
#define PHANDLE_GIC 2
#define PHANDLE_GPIO 3
#define APB_CLOCK_HZ 24000000

/* Interrupt specifiers: <type number flags> as the GICv3 binding has them. */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_LEVEL_HIGH 4

#define GPIO_ACTIVE_HIGH 0
#define LINUX_KEY_POWER 116   /* linux,code of the power key (input-event-codes.h) */

static void interrupt_spec(u32 *cells, u32 type, u32 number, u32 flags)
{
	cells[0] = type;
	cells[1] = number;
	cells[2] = flags;
}

static void reg64(struct fdt_writer *w, u64 base, u64 size)
{
	u32 cells[4] = { (u32)(base >> 32), (u32)base, (u32)(size >> 32), (u32)size };

	fdtw_prop_cells(w, "reg", cells, 4);
}

static void node_at(struct fdt_writer *w, const char *name, u64 addr)
{
	char buf[48];

	fmt_snprintf(buf, sizeof(buf), "%s@%llx", name, (unsigned long long)addr);
	fdtw_begin_node(w, buf);
}

static void write_cpus(struct fdt_writer *w, const struct vm *vm)
{
	fdtw_begin_node(w, "cpus");
	fdtw_prop_u32(w, "#address-cells", 1);
	fdtw_prop_u32(w, "#size-cells", 0);
	for (u32 i = 0; i < vm->nvcpus; i++) {
		node_at(w, "cpu", i);
		fdtw_prop_string(w, "device_type", "cpu");
		fdtw_prop_string(w, "compatible", "arm,armv8");
		fdtw_prop_u32(w, "reg", (u32)vcpu_mpidr(i));
		fdtw_prop_string(w, "enable-method", "psci");
		fdtw_end_node(w);
	}
	fdtw_end_node(w);
}

static void write_psci(struct fdt_writer *w)
{
	static const char *const compat[] = { "arm,psci-1.0", "arm,psci-0.2", "arm,psci" };

	fdtw_begin_node(w, "psci");
	fdtw_prop_strings(w, "compatible", compat, 3);
	fdtw_prop_string(w, "method", "hvc");
	fdtw_end_node(w);
}

/* The clock the PrimeCell devices' drivers ask for (amba bus: apb_pclk). */
static void write_apb_clock(struct fdt_writer *w)
{
	fdtw_begin_node(w, "apb-pclk");
	fdtw_prop_string(w, "compatible", "fixed-clock");
	fdtw_prop_u32(w, "#clock-cells", 0);
	fdtw_prop_u32(w, "clock-frequency", APB_CLOCK_HZ);
	fdtw_prop_string(w, "clock-output-names", "clk24mhz");
	fdtw_prop_u32(w, "phandle", PHANDLE_APB_CLOCK);
	fdtw_end_node(w);
}

static void write_uart(struct fdt_writer *w)
{
	static const char *const compat[] = { "arm,pl011", "arm,primecell" };
	static const char *const clock_names[] = { "uartclk", "apb_pclk" };
	u32 clocks[2] = { PHANDLE_APB_CLOCK, PHANDLE_APB_CLOCK };
	u32 irq[3];

	node_at(w, "pl011", GUEST_UART_BASE);
	fdtw_prop_strings(w, "compatible", compat, 2);
	reg64(w, GUEST_UART_BASE, PL011_MMIO_SIZE);
	interrupt_spec(irq, GIC_SPI, GUEST_UART_SPI, IRQ_LEVEL_HIGH);
	fdtw_prop_cells(w, "interrupts", irq, 3);
	fdtw_prop_cells(w, "clocks", clocks, 2);
	fdtw_prop_strings(w, "clock-names", clock_names, 2);
	fdtw_end_node(w);
}

static void write_gpio(struct fdt_writer *w)
{
	static const char *const compat[] = { "arm,pl061", "arm,primecell" };
	u32 irq[3];

	node_at(w, "pl061", GUEST_GPIO_BASE);
	fdtw_prop_strings(w, "compatible", compat, 2);
	reg64(w, GUEST_GPIO_BASE, PL061_MMIO_SIZE);
	interrupt_spec(irq, GIC_SPI, GUEST_GPIO_SPI, IRQ_LEVEL_HIGH);
	fdtw_prop_cells(w, "interrupts", irq, 3);
	fdtw_prop_empty(w, "gpio-controller");
	fdtw_prop_u32(w, "#gpio-cells", 2);
	fdtw_prop_u32(w, "clocks", PHANDLE_APB_CLOCK);
	fdtw_prop_string(w, "clock-names", "apb_pclk");
	fdtw_prop_u32(w, "phandle", PHANDLE_GPIO);
	fdtw_end_node(w);
}

/* The power button, as QEMU's virt board wires it: what `shutdown` presses. */
static void write_power_key(struct fdt_writer *w)
{
	u32 gpios[3] = { PHANDLE_GPIO, GUEST_POWER_KEY_PIN, GPIO_ACTIVE_HIGH };

	fdtw_begin_node(w, "gpio-keys");
	fdtw_prop_string(w, "compatible", "gpio-keys");
	fdtw_begin_node(w, "poweroff");
	fdtw_prop_string(w, "label", "GPIO Key Poweroff");
	fdtw_prop_u32(w, "linux,code", LINUX_KEY_POWER);
	fdtw_prop_cells(w, "gpios", gpios, 3);
	fdtw_end_node(w);
	fdtw_end_node(w);
}

static void write_gic(struct fdt_writer *w, const struct vm *vm)
{
	u32 reg[8] = {
		0, (u32)GUEST_GICD_BASE, 0, VGIC_DIST_SIZE,
		0, (u32)GUEST_GICR_BASE, 0, vm->nvcpus * VGIC_REDIST_STRIDE,
	};
	u32 maint[3];

	interrupt_spec(maint, GIC_PPI, 9, IRQ_LEVEL_HIGH);
	node_at(w, "intc", GUEST_GICD_BASE);
	fdtw_prop_string(w, "compatible", "arm,gic-v3");
	fdtw_prop_u32(w, "#interrupt-cells", 3);
	fdtw_prop_empty(w, "interrupt-controller");
	fdtw_prop_u32(w, "#redistributor-regions", 1);
	fdtw_prop_cells(w, "reg", reg, 8);
	fdtw_prop_cells(w, "interrupts", maint, 3);
	fdtw_prop_u32(w, "phandle", PHANDLE_GIC);
	fdtw_end_node(w);
}

/* The architected timer's PPIs: secure and non-secure physical, virtual, hypervisor. */
static void write_timer(struct fdt_writer *w)
{
	static const u32 ppis[4] = { 13, 14, 11, 10 };
	u32 cells[12];

	/* GICv3 bindings carry no CPU mask in the flags */
	for (u32 i = 0; i < 4; i++)
		interrupt_spec(&cells[i * 3], GIC_PPI, ppis[i], IRQ_LEVEL_HIGH);
	fdtw_begin_node(w, "timer");
	fdtw_prop_string(w, "compatible", "arm,armv8-timer");
	fdtw_prop_cells(w, "interrupts", cells, 12);
	fdtw_prop_empty(w, "always-on");
	fdtw_end_node(w);
}

static void write_chosen(struct fdt_writer *w, const struct vm *vm, const struct boot_layout *b)
{
	char path[32];

	fmt_snprintf(path, sizeof(path), "/pl011@%llx", (unsigned long long)GUEST_UART_BASE);
	fdtw_begin_node(w, "chosen");
	fdtw_prop_string(w, "bootargs", vm->cfg.extra);
	fdtw_prop_string(w, "stdout-path", path);
	if (b->initrd_start) {
		fdtw_prop_u64(w, "linux,initrd-start", b->initrd_start);
		fdtw_prop_u64(w, "linux,initrd-end", b->initrd_end);
	}
	fdtw_end_node(w);
}

int guest_dt_build(struct vm *vm, const struct boot_layout *b, void *buf, u32 cap)
{
	struct fdt_writer w;
	paddr_t scratch = page_alloc(&hv_pages, 1, PAGE_SIZE);
	int size;

	if (!pa_addr(scratch))
		return -1;
	fdtw_init(&w, buf, cap, pa_to_ptr(scratch), PAGE_SIZE);
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "#address-cells", 2);
	fdtw_prop_u32(&w, "#size-cells", 2);
	fdtw_prop_string(&w, "compatible", "linux,dummy-virt");
	fdtw_prop_string(&w, "model", "Bulkhead virtual machine");
	fdtw_prop_u32(&w, "interrupt-parent", PHANDLE_GIC);

	node_at(&w, "memory", vm->cfg.ram_base);
	fdtw_prop_string(&w, "device_type", "memory");
	reg64(&w, vm->cfg.ram_base, vm->ram_size);
	fdtw_end_node(&w);

	write_cpus(&w, vm);
	write_psci(&w);
	write_gic(&w, vm);
	write_timer(&w);
	write_apb_clock(&w);
	write_uart(&w);
	write_gpio(&w);
	write_power_key(&w);
	write_chosen(&w, vm, b);
	fdtw_end_node(&w);
	size = fdtw_finish(&w);
	page_free(&hv_pages, scratch, 1);
	return size;
}
