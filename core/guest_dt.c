/*
 * The VM's device tree: memory, the PL011, the PL061 with its power button,
 * and chosen; the arch writes the CPUs, the firmware interface, the timer
 * and the interrupt controller. Only what the VM really has is described.
 */
#include "core/guest_dt.h"
#include "core/guest_layout.h"
#include "core/page_alloc.h"
#include "core/vdt.h"
#include "core/vm.h"
#include "devices/pl011.h"
#include "devices/pl061.h"
#include "lib/fdt.h"
#include "lib/fmt.h"

#define PHANDLE_APB_CLOCK 1
#define PHANDLE_INTC 2
#define PHANDLE_GPIO 3
#define APB_CLOCK_HZ 24000000

#define GPIO_ACTIVE_HIGH 0
#define LINUX_KEY_POWER 116   /* linux,code of the power key (input-event-codes.h) */

/* `interrupts` of a device on line `line`, in the interrupt controller's binding. */
static void interrupts(struct fdt_writer *w, u32 line)
{
	u32 cells[4];
	u32 n = arch_dt_irq_cells(line, cells);

	fdtw_prop_cells(w, "interrupts", cells, n);
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

	node_at(w, "pl011", GUEST_UART_BASE);
	fdtw_prop_strings(w, "compatible", compat, 2);
	reg64(w, GUEST_UART_BASE, PL011_MMIO_SIZE);
	interrupts(w, GUEST_UART_SPI);
	fdtw_prop_cells(w, "clocks", clocks, 2);
	fdtw_prop_strings(w, "clock-names", clock_names, 2);
	fdtw_end_node(w);
}

static void write_gpio(struct fdt_writer *w)
{
	static const char *const compat[] = { "arm,pl061", "arm,primecell" };

	node_at(w, "pl061", GUEST_GPIO_BASE);
	fdtw_prop_strings(w, "compatible", compat, 2);
	reg64(w, GUEST_GPIO_BASE, PL061_MMIO_SIZE);
	interrupts(w, GUEST_GPIO_SPI);
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
	struct vdt dt = { .w = &w, .vm = vm, .intc_phandle = PHANDLE_INTC };
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
	fdtw_prop_u32(&w, "interrupt-parent", dt.intc_phandle);

	node_at(&w, "memory", vm->cfg.ram_base);
	fdtw_prop_string(&w, "device_type", "memory");
	reg64(&w, vm->cfg.ram_base, vm->ram_size);
	fdtw_end_node(&w);

	arch_guest_dt(&dt, vm);
	arch_vm_dt_intc(&dt);  /* TEMPORARY: the board table will call its dt_node */
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
