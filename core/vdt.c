/* Helpers for device kinds writing their nodes of a guest's device tree. */
#include "arch.h"
#include "core/irq_line.h"
#include "core/vdt.h"
#include "lib/fmt.h"

#define APB_CLOCK_HZ 24000000

u32 vdt_phandle(struct vdt *dt)
{
	return dt->next_phandle++;
}

void vdt_begin_node_at(struct vdt *dt, const char *name, ipaddr_t addr)
{
	char buf[48];

	fmt_snprintf(buf, sizeof(buf), "%s@%llx", name, (unsigned long long)ipa_addr(addr));
	fdtw_begin_node(dt->w, buf);
}

void vdt_reg(struct vdt *dt, ipaddr_t base, u64 size)
{
	u64 b = ipa_addr(base);
	u32 cells[4] = { (u32)(b >> 32), (u32)b, (u32)(size >> 32), (u32)size };

	fdtw_prop_cells(dt->w, "reg", cells, 4);
}

void vdt_interrupts(struct vdt *dt, const struct irq_line *line)
{
	u32 cells[4];
	u32 n = arch_dt_irq_cells(line->line, cells);

	fdtw_prop_cells(dt->w, "interrupts", cells, (int)n);
}

u32 vdt_apb_clock(struct vdt *dt)
{
	if (dt->apb_clock_phandle)
		return dt->apb_clock_phandle;
	dt->apb_clock_phandle = vdt_phandle(dt);
	fdtw_begin_node(dt->w, "apb-pclk");
	fdtw_prop_string(dt->w, "compatible", "fixed-clock");
	fdtw_prop_u32(dt->w, "#clock-cells", 0);
	fdtw_prop_u32(dt->w, "clock-frequency", APB_CLOCK_HZ);
	fdtw_prop_string(dt->w, "clock-output-names", "clk24mhz");
	fdtw_prop_u32(dt->w, "phandle", dt->apb_clock_phandle);
	fdtw_end_node(dt->w);
	return dt->apb_clock_phandle;
}
