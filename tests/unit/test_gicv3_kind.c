/*
 * The guest's GICv3 as a device kind (arch/arm64/vgic/gicv3_kind.c), built
 * against the real arm64 arch_types.h: create() takes the per-vCPU state and
 * resets the model, the window splits into the distributor (at 0) and the
 * redistributors (from 0xa0000) with the gap refused, a register write kicks
 * the vCPUs that have something, reset and destroy, and the intc node.
 * Device lines (arch_vm_set_line) reach the model as SPIs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/page_alloc.h"
#include "core/mmio.h"
#include "core/vdev.h"
#include "core/vdt.h"
#include "core/vm.h"
#include "guest_gic.h"
#include "fdt_check.h"
#include "lib/fdt.h"
#include "vcpu_mpidr.h"
#include "vgic.h"
#include "vgic_v3_regs.h"

#define NVCPUS 3
#define GICD_CTLR 0x0
#define GICD_ISENABLER1 0x104
#define GICD_IROUTER32 (0x6000 + 32 * 8)
#define GICR_TYPER 0x8

/* Doubles: the spinlock's events, scrubbing, the page allocator and the kick. */
struct page_pool hv_pages;
static u32 pages_held, kicks[NVCPUS];

void arch_wait_event(void) {}
void arch_send_event(void) {}
void arch_scrub(void *p, u64 size) { memset(p, 0, size); }

paddr_t page_alloc(struct page_pool *pool, u64 npages, u64 align)
{
	void *p = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);

	assert_non_null(p);
	pages_held += (u32)npages;
	return ptr_to_pa(p);
}

void page_free(struct page_pool *pool, paddr_t pa, u64 npages)
{
	pages_held -= (u32)npages;
	free(pa_to_ptr(pa));
}

void vcpu_kick(struct vcpu *vcpu)
{
	kicks[vcpu->id]++;
}

/* The timers' lines are sampled before a redistributor access (vtimer.c). */
static u32 sampled[NVCPUS];

void vtimer_sample(struct vcpu *vcpu)
{
	sampled[vcpu->id]++;
}

/* The guest's PMU node (vpmu.c reads the CPU's PMU; this CPU has none). */
void vpmu_write_dt(struct fdt_writer *w)
{
	(void)w;
}

/* The registered kind, found as core will find it: in the vdev_kinds section. */
extern const struct vdev_kind *const __start_vdev_kinds[];
extern const struct vdev_kind *const __stop_vdev_kinds[];

static const struct vdev_kind *gicv3(void)
{
	for (const struct vdev_kind *const *k = __start_vdev_kinds; k < __stop_vdev_kinds; k++)
		if (strcmp((*k)->name, "gicv3") == 0)
			return *k;
	return NULL;
}

static struct vm vm;
static struct vcpu vcpus[NVCPUS];
static struct vdev dev;

static int setup(void **state)
{
	const struct vdev_kind *k = gicv3();
	const char *why = NULL;

	memset(&vm, 0, sizeof(vm));
	memset(vcpus, 0, sizeof(vcpus));
	memset(kicks, 0, sizeof(kicks));
	vm.vcpus = vcpus;
	vm.nvcpus = NVCPUS;
	for (u32 i = 0; i < NVCPUS; i++) {
		vcpus[i].vm = &vm;
		vcpus[i].id = i;
	}
	assert_non_null(k);
	dev = (struct vdev){ .kind = k, .vm = &vm, .base = k->base,
			     .size = k->size + NVCPUS * k->size_per_vcpu };
	assert_int_equal(k->create(&dev, &why), 0);
	assert_non_null(dev.ops);
	return 0;
}

static int teardown(void **state)
{
	/* as the VM's last reference does: its devices, then their memory */
	dev.ops->destroy(&dev);
	dev_arena_release(&vm.dev_mem);
	assert_int_equal(pages_held, 0);
	return 0;
}

static void test_kind_place(void **state)
{
	const struct vdev_kind *k = gicv3();

	assert_int_equal(ipa_addr(k->base), GUEST_GICD_BASE);
	assert_int_equal(k->size, GUEST_GICR_BASE - GUEST_GICD_BASE);
	assert_int_equal(k->size_per_vcpu, VGIC_REDIST_STRIDE);
	assert_int_equal(k->line, -1);
	assert_true(k->every_vm);
	assert_non_null(vm.arch.vgic_cpus);
	assert_int_equal(vm.arch.vgic.ncpus, NVCPUS);
}

static void test_window_split(void **state)
{
	u64 redist = GUEST_GICR_BASE - GUEST_GICD_BASE;
	u64 v = 0;

	assert_true(dev.ops->read(&dev, GICD_CTLR, 4, &v));
	assert_int_equal(v & (1u << 4), 1u << 4);  /* ARE */
	/* vCPU 2's redistributor names it, and is the last */
	assert_true(dev.ops->read(&dev, redist + 2 * VGIC_REDIST_STRIDE + GICR_TYPER, 8, &v));
	assert_int_equal(v >> 32, 2);
	assert_true(v & (1u << 4));
	/* between the frames (the ITS on virt) and past the last redistributor: refused */
	assert_false(dev.ops->read(&dev, VGIC_DIST_SIZE, 4, &v));
	assert_false(dev.ops->read(&dev, redist - 4, 4, &v));
	assert_false(dev.ops->write(&dev, 0x20000, 4, 0));
	assert_false(dev.ops->read(&dev, redist + NVCPUS * VGIC_REDIST_STRIDE, 4, &v));
}

/* A redistributor access samples its own vCPU's timers first (so that
 * GICR_ISPENDR0 shows their outputs); a distributor access samples none. */
static void test_redist_access_samples_its_vcpu_timers(void **state)
{
	u64 redist = GUEST_GICR_BASE - GUEST_GICD_BASE;
	u64 v = 0;

	memset(sampled, 0, sizeof(sampled));
	assert_true(dev.ops->read(&dev, GICD_CTLR, 4, &v));
	assert_int_equal(sampled[0] + sampled[1] + sampled[2], 0);
	assert_true(dev.ops->read(&dev, redist + 1 * VGIC_REDIST_STRIDE + 0x10200, 4, &v));
	assert_int_equal(sampled[1], 1);
	assert_true(dev.ops->write(&dev, redist + 2 * VGIC_REDIST_STRIDE + 0x10100, 4, 1u << 30));
	assert_int_equal(sampled[2], 1);
	assert_int_equal(sampled[0], 0);
}

/*
 * The registers the trap vector answers from the bus's table (fixed_regs)
 * must read the same whatever the guest did: the table holds what they read
 * at creation. Writes to them, the distributor's enables, SPI state and a
 * reset change none of them; and the table is what the device reads.
 */
static void test_fixed_registers_never_change(void **state)
{
	static const u64 writes[][2] = {
		{ GICD_CTLR, 0x13 }, { 0x0004, ~0u }, { 0x0008, ~0u }, { 0x000c, ~0u },
		{ 0xffe8, ~0u }, { 0x0104, ~0u }, { 0x0204, ~0u }, { 0x0084, ~0u },
		{ 0x0420, ~0u }, { 0x0c08, ~0u },
	};
	struct mmio_bus bus;
	u64 before[8], v;
	u32 n = dev.ops->nfixed_regs;

	assert_true(n > 0 && n <= 8);
	for (u32 i = 0; i < n; i++)
		assert_true(dev.ops->read(&dev, dev.ops->fixed_regs[i], 4, &before[i]));
	for (u32 w = 0; w < sizeof(writes) / sizeof(writes[0]); w++) {
		dev.ops->write(&dev, writes[w][0], 4, writes[w][1]);
		for (u32 i = 0; i < n; i++) {
			assert_true(dev.ops->read(&dev, dev.ops->fixed_regs[i], 4, &v));
			assert_int_equal(v, before[i]);
		}
	}
	dev.ops->reset(&dev);
	memset(&bus, 0, sizeof(bus));
	assert_int_equal(mmio_register(&bus, &dev), 0);
	assert_int_equal(bus.nfixed, n);
	for (u32 i = 0; i < n; i++) {
		assert_int_equal(bus.fixed[i].ipa, GUEST_GICD_BASE + dev.ops->fixed_regs[i]);
		assert_int_equal(bus.fixed[i].value, before[i]);
	}
	/* IIDR and TYPER, the ones guests poll, are among them */
	assert_int_equal(bus.fixed[0].ipa, GUEST_GICD_BASE + 0x8);
	assert_int_equal(bus.fixed[1].ipa, GUEST_GICD_BASE + 0x4);
}

/* An SPI routed to vCPU 1 and enabled: raising its line kicks vCPU 1 only. */
static void test_line_reaches_routed_vcpu(void **state)
{
	u32 line = 0;   /* SPI 0: INTID 32 */

	assert_true(dev.ops->write(&dev, GICD_IROUTER32, 8, vcpu_mpidr(1)));
	assert_true(dev.ops->write(&dev, GICD_ISENABLER1, 4, 1u << line));
	assert_true(dev.ops->write(&dev, GICD_CTLR, 4, 3));
	memset(kicks, 0, sizeof(kicks));
	arch_vm_set_line(&vm, line, true);
	assert_int_equal(kicks[0], 0);
	assert_int_equal(kicks[1], 1);
	assert_true(vgic_has_pending(&vm.arch.vgic, 1));
	assert_false(vgic_has_pending(&vm.arch.vgic, 0));
	/* a register write makes every vCPU with something pending look again */
	memset(kicks, 0, sizeof(kicks));
	assert_true(dev.ops->write(&dev, GICD_CTLR, 4, 3));
	assert_int_equal(kicks[1], 1);
	assert_int_equal(kicks[0] + kicks[2], 0);
	/* reset: back to power-on, nothing pending, nothing enabled */
	dev.ops->reset(&dev);
	assert_false(vgic_has_pending(&vm.arch.vgic, 1));
}

static void test_dt_node(void **state)
{
	static u8 buf[4096], strs[512];
	struct fdt_writer w;
	struct vdt dt = { .w = &w, .vm = &vm };
	struct fdt f;
	u64 addr, size;
	u32 phandle;
	int size_written, n;

	fdtw_init(&w, buf, sizeof(buf), strs, sizeof(strs));
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "#address-cells", 2);
	fdtw_prop_u32(&w, "#size-cells", 2);
	dev.ops->dt_node(&dev, &dt);
	fdtw_end_node(&w);
	size_written = fdtw_finish(&w);
	assert_true(size_written > 0);
	assert_int_equal(fdt_open(&f, buf, (u32)size_written), 0);
	n = fdt_find_compatible(&f, -1, "arm,gic-v3");
	assert_true(n >= 0);
	assert_true(fdt_get_reg(&f, n, 0, &addr, &size));
	assert_int_equal(addr, GUEST_GICD_BASE);
	assert_int_equal(size, VGIC_DIST_SIZE);
	assert_true(fdt_get_reg(&f, n, 1, &addr, &size));
	assert_int_equal(addr, GUEST_GICR_BASE);
	assert_int_equal(size, NVCPUS * VGIC_REDIST_STRIDE);
	assert_true(fdt_prop_u32(&f, n, "phandle", &phandle));
	assert_int_equal(phandle, VDT_PHANDLE_INTC);
}

/* The arch's nodes of a guest's tree (arch_guest_dt): each vCPU named by its
 * MPIDR, PSCI over HVC, and the architected timer's four PPIs, level-high. */
static void test_arch_nodes(void **state)
{
	static u8 buf[4096], strs[512];
	const u32 timer[12] = {
		1, 13, 4,                      /* secure physical */
		1, GUEST_PPI_PTIMER - 16, 4,   /* non-secure physical */
		1, GUEST_PPI_VTIMER - 16, 4,   /* virtual: what Linux uses */
		1, 10, 4,                      /* hypervisor */
	};
	struct fdt_writer w;
	struct vdt dt = { .w = &w, .vm = &vm };
	struct fdt f;
	u32 v, count = 0;
	int size_written, n;

	fdtw_init(&w, buf, sizeof(buf), strs, sizeof(strs));
	fdtw_begin_node(&w, "");
	arch_guest_dt(&dt, &vm);
	fdtw_end_node(&w);
	size_written = fdtw_finish(&w);
	assert_true(size_written > 0);
	assert_int_equal(fdt_open(&f, buf, (u32)size_written), 0);
	n = fdt_find_path(&f, "/cpus");
	assert_true(n >= 0);
	for (int c = fdt_first_child(&f, n); c >= 0; c = fdt_next_sibling(&f, c)) {
		assert_true(fdt_node_name_is(&f, c, "cpu"));
		assert_true(fdt_prop_u32(&f, c, "reg", &v));
		assert_int_equal(v, (u32)vcpu_mpidr(count));
		assert_string_equal(fdt_prop_string(&f, c, "device_type"), "cpu");
		assert_string_equal(fdt_prop_string(&f, c, "enable-method"), "psci");
		count++;
	}
	assert_int_equal(count, NVCPUS);
	n = fdt_find_path(&f, "/psci");
	assert_true(n >= 0);
	assert_string_equal(fdt_prop_string(&f, n, "method"), "hvc");
	assert_true(fdt_is_compatible(&f, n, "arm,psci-1.0"));
	assert_true(fdt_is_compatible(&f, n, "arm,psci-0.2"));
	n = fdt_find_compatible(&f, -1, "arm,armv8-timer");
	assert_true(n >= 0);
	check_cells(&f, n, "interrupts", timer, 12);
}

static void test_device_line_cells(void **state)
{
	u32 cells[4];

	assert_int_equal(arch_dt_irq_cells(7, cells), 3);
	assert_int_equal(cells[0], 0);  /* SPI */
	assert_int_equal(cells[1], 7);
	assert_int_equal(cells[2], 4);  /* level, active high */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kind_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_registers_never_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redist_access_samples_its_vcpu_timers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_line_reaches_routed_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dt_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_line_cells, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arch_nodes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
