/*
 * The arm64 part of the board (platform_arm.h): GIC, timer and PSCI, as the
 * device tree says. Nothing is assumed beyond what it says.
 */
#include "lib/fdt.h"
#include "lib/string.h"
#include "platform_arm.h"

#define DT_GIC_SPI 0
#define DT_GIC_PPI 1
#define INTID_FIRST_SPI 32
#define INTID_FIRST_PPI 16

static void read_psci(struct arch_platform *a, const struct fdt *fdt)
{
	static const char *const compats[] = { "arm,psci-1.0", "arm,psci-0.2", "arm,psci" };

	for (u32 i = 0; i < ARRAY_SIZE(compats); i++) {
		int n = fdt_find_compatible(fdt, -1, compats[i]);
		const char *method;

		if (n < 0)
			continue;
		method = fdt_prop_string(fdt, n, "method");
		if (method && strcmp(method, "smc") == 0)
			a->psci = PSCI_CONDUIT_SMC;
		else if (method && strcmp(method, "hvc") == 0)
			a->psci = PSCI_CONDUIT_HVC;
		return;
	}
}

static void read_gic(struct arch_platform *a, const struct fdt *fdt)
{
	int n = fdt_find_compatible(fdt, -1, "arm,gic-v3");

	if (n < 0)
		return;
	a->gic_version = 3;
	fdt_get_reg(fdt, n, 0, &a->gicd_base, &a->gicd_size);
	fdt_get_reg(fdt, n, 1, &a->gicr_base, &a->gicr_size);
}

/* Timer interrupts are listed secure, non-secure, virtual, hypervisor (PPIs). */
static void read_timer(struct arch_platform *a, const struct fdt *fdt)
{
	int n = fdt_find_compatible(fdt, -1, "arm,armv8-timer");
	const void *data;
	u32 len;

	if (n < 0 || !fdt_get_prop(fdt, n, "interrupts", &data, &len) || len < 48)
		return;
	a->timer_ppi_virt = (u32)fdt_read_cells((const u8 *)data + 2 * 12 + 4, 1) + INTID_FIRST_PPI;
	a->timer_ppi_hyp = (u32)fdt_read_cells((const u8 *)data + 3 * 12 + 4, 1) + INTID_FIRST_PPI;
}

/* The PMU's interrupt: one PPI (per-CPU), <type number flags>. */
static void read_pmu(struct arch_platform *a, const struct fdt *fdt)
{
	int n = fdt_find_compatible(fdt, -1, "arm,armv8-pmuv3");
	const void *data;
	u32 len;

	if (n < 0 || !fdt_get_prop(fdt, n, "interrupts", &data, &len) || len < 12 ||
	    fdt_read_cells(data, 1) != DT_GIC_PPI)
		return;
	a->pmu_ppi = (u32)fdt_read_cells((const u8 *)data + 4, 1) + INTID_FIRST_PPI;
}

int arch_platform_parse(struct arch_platform *a, const struct fdt *fdt)
{
	memset(a, 0, sizeof(*a));
	read_psci(a, fdt);
	read_gic(a, fdt);
	read_timer(a, fdt);
	read_pmu(a, fdt);
	return 0;
}

u32 gic_dt_spi_intid(const u32 *cells, u32 ncells)
{
	if (ncells != 3 || cells[0] != DT_GIC_SPI)
		return 0;
	return cells[1] + INTID_FIRST_SPI;
}
