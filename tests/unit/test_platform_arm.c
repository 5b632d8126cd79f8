/*
 * The arm64 part of the board (arch/arm64/platform_arm.c): the GICv3's
 * frames, the timer's PPIs and the PSCI conduit, from a QEMU-virt-like tree;
 * and device interrupts in the GIC binding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/fdt.h"
#include "platform_arm.h"

static u8 dtb[4096];
static struct fdt fdt;

static void reg_cells(u32 *cells, u64 base, u64 size)
{
	cells[0] = (u32)(base >> 32);
	cells[1] = (u32)base;
	cells[2] = (u32)(size >> 32);
	cells[3] = (u32)size;
}

/* psci_method NULL: no PSCI node; gic false: no GIC node; timer false: no timer. */
static void write_board(const char *psci_method, bool gic, bool timer)
{
	static u8 strs[1024];
	struct fdt_writer w;
	int size;

	fdtw_init(&w, dtb, sizeof(dtb), strs, sizeof(strs));
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "#address-cells", 2);
	fdtw_prop_u32(&w, "#size-cells", 2);
	if (psci_method) {
		fdtw_begin_node(&w, "psci");
		fdtw_prop_string(&w, "compatible", "arm,psci-1.0");
		fdtw_prop_string(&w, "method", psci_method);
		fdtw_end_node(&w);
	}
	if (gic) {
		u32 reg[8];

		reg_cells(reg, 0x08000000, 0x10000);
		reg_cells(reg + 4, 0x080a0000, 0xf60000);
		fdtw_begin_node(&w, "intc@8000000");
		fdtw_prop_string(&w, "compatible", "arm,gic-v3");
		fdtw_prop_cells(&w, "reg", reg, 8);
		fdtw_end_node(&w);
	}
	if (timer) {
		static const u32 irqs[12] = { 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 };

		fdtw_begin_node(&w, "timer");
		fdtw_prop_string(&w, "compatible", "arm,armv8-timer");
		fdtw_prop_cells(&w, "interrupts", irqs, 12);
		fdtw_end_node(&w);
	}
	fdtw_end_node(&w);
	size = fdtw_finish(&w);
	assert_true(size > 0);
	assert_int_equal(fdt_open(&fdt, dtb, (u32)size), 0);
}

static void test_virt_board(void **state)
{
	struct arch_platform a;

	write_board("smc", true, true);
	assert_int_equal(arch_platform_parse(&a, &fdt), 0);
	assert_int_equal(a.psci, PSCI_CONDUIT_SMC);
	assert_int_equal(a.gic_version, 3);
	assert_int_equal(a.gicd_base, 0x08000000);
	assert_int_equal(a.gicd_size, 0x10000);
	assert_int_equal(a.gicr_base, 0x080a0000);
	assert_int_equal(a.gicr_size, 0xf60000);
	assert_int_equal(a.timer_ppi_virt, 27);
	assert_int_equal(a.timer_ppi_hyp, 26);
}

static void test_psci_over_hvc(void **state)
{
	struct arch_platform a;

	write_board("hvc", true, true);
	assert_int_equal(arch_platform_parse(&a, &fdt), 0);
	assert_int_equal(a.psci, PSCI_CONDUIT_HVC);
}

/* What the tree does not name stays 0: the boot path refuses a board without a GIC. */
static void test_missing_parts_stay_zero(void **state)
{
	struct arch_platform a;

	memset(&a, 0xa5, sizeof(a));
	write_board(NULL, false, false);
	assert_int_equal(arch_platform_parse(&a, &fdt), 0);
	assert_int_equal(a.psci, PSCI_CONDUIT_NONE);
	assert_int_equal(a.gic_version, 0);
	assert_int_equal(a.gicd_size, 0);
	assert_int_equal(a.timer_ppi_hyp, 0);

	write_board("firmware", false, false);
	assert_int_equal(arch_platform_parse(&a, &fdt), 0);
	assert_int_equal(a.psci, PSCI_CONDUIT_NONE);
}

static void test_spi_intid(void **state)
{
	static const u32 spi1[3] = { 0, 1, 4 };
	static const u32 ppi[3] = { 1, 14, 4 };

	assert_int_equal(gic_dt_spi_intid(spi1, 3), 33);
	assert_int_equal(gic_dt_spi_intid(ppi, 3), 0);
	assert_int_equal(gic_dt_spi_intid(spi1, 2), 0);
	assert_int_equal(gic_dt_spi_intid(spi1, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virt_board),
		cmocka_unit_test(test_psci_over_hvc),
		cmocka_unit_test(test_missing_parts_stay_zero),
		cmocka_unit_test(test_spi_intid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
